"""Personal data (R-PD-1): no IIN in a URL or the audit trail; reads of applicant data logged."""

from __future__ import annotations

import io
import json
import re
from pathlib import Path
from urllib.parse import unquote

import openpyxl
import pytest
from sqlalchemy import func, select

from docflow.core import audit
from docflow.core.access_log import AccessEntry
from docflow.core.saved_search import SearchToken
from docflow.extensions import db
from docflow.org.models import Official, user_by_username
from docflow.registry.models import IncomingItem
from docflow.registry.operations import ApplicantData
from tests.fixtures import page
from tests.registry.test_api import bearer
from tests.registry.test_pages import numbers, text_pdf

# Their documents arrive on 20 November 2026: registered that day (a later one needs a reason).
pytestmark = pytest.mark.usefixtures("on_arrival_day")
IIN = "920704404563"
OTHER_IIN = "900101300811"
MINUTES = Path(__file__).resolve().parents[1] / "protocols" / "data" / "minutes-ru-table.docx"


def applicant() -> ApplicantData:
    return ApplicantData(full_name="Жұмабаева Айнұр Серікқызы", iin=IIN, address="Абай даңғ. 1")


@pytest.fixture
def two_applicants(app, make_item):
    mine = make_item(applicant=applicant())
    other = make_item(
        applicant=ApplicantData(full_name="Басқа адам", iin=OTHER_IIN, address="X"),
        summary="Кәріз құбыры бітелді",
    )
    db.session.commit()
    return mine, other


def links(body: str) -> list[str]:
    return [unquote(h) for h in re.findall(r'(?:href|src|action)="([^"]+)"', body)]


def reads(action: str | None = None) -> list[AccessEntry]:
    query = select(AccessEntry).order_by(AccessEntry.id)
    if action:
        query = query.where(AccessEntry.action == action)
    return list(db.session.scalars(query))


# --- searching by IIN/BIN: never in a URL -------------------------------------------------------


def test_r_pd_1_journal_search_form_posts(app, web, two_applicants):
    body = page(web("clerk").get("/registry/"))
    form = re.search(r'<form method="(\w+)" action="([^"]+)"[^>]*role="search"', body)
    assert form and form.groups() == ("post", "/registry/search")


def test_r_pd_1_iin_search_leaves_no_iin_in_any_url(app, web, two_applicants):
    mine, other = two_applicants
    clerk = web("clerk")
    r = clerk.post("/registry/search", data={"q": IIN, "kind": "statement", "csrf_token": "x"})
    assert r.status_code == 303
    location = unquote(r.headers["Location"])
    assert IIN not in location and re.fullmatch(r"/registry/\?s=[0-9a-f]{32}", location)
    shown = clerk.get(r.headers["Location"])
    assert shown.status_code == 200
    assert numbers(shown) == {mine.reg_number}  # found by the applicant's IIN
    body = page(shown)
    assert IIN in body  # in the search box, on the page only
    assert not [u for u in links(body) if IIN in u]  # pager, export, items: the token only
    assert any("s=" in u for u in links(body) if "export" in u)
    # The token is the searcher's own: another user gets nothing from it.
    assert numbers(web("controller").get(r.headers["Location"])) == set()
    # Export carries the token too, and exports what was found.
    location = clerk.post(
        "/registry/search", data={"q": IIN, "date_from": "2026-01-01", "date_to": "2026-12-31"}
    ).headers["Location"]
    [export] = [u for u in links(page(clerk.get(location))) if "export" in u]
    assert IIN not in export and "s=" in export
    xlsx = clerk.get(export)
    assert xlsx.status_code == 200 and xlsx.data.startswith(b"PK")
    cells = [
        c.value for row in openpyxl.load_workbook(io.BytesIO(xlsx.data)).active.rows for c in row
    ]
    assert mine.reg_number in cells and other.reg_number not in cells
    # A search without an identifier stays an ordinary, bookmarkable GET.
    r = clerk.post("/registry/search", data={"q": "бітелді"})
    assert r.status_code == 303 and unquote(r.headers["Location"]) == "/registry/?q=бітелді"
    assert numbers(clerk.get(r.headers["Location"])) == {other.reg_number}


def test_r_pd_1_an_iin_typed_into_a_url_is_not_searched_nor_echoed(app, web, two_applicants):
    clerk = web("clerk")
    r = clerk.get(f"/registry/?q={IIN}&kind=statement")
    assert r.status_code == 303  # off the address bar, the filters kept, the number masked
    assert unquote(r.headers["Location"]) == "/registry/?q=***&kind=statement"
    r = clerk.get(r.headers["Location"])
    assert r.status_code == 200 and numbers(r) == set()
    body = page(r)
    assert "Search by IIN or BIN with the search form" in body
    assert IIN not in body


def test_r_pd_1_search_tokens_expire(app, web, two_applicants, monkeypatch):
    from docflow.core import saved_search

    clerk = web("clerk")
    location = clerk.post("/registry/search", data={"q": IIN}).headers["Location"]
    assert db.session.scalar(select(func.count()).select_from(SearchToken)) == 1
    monkeypatch.setattr(saved_search, "TTL", saved_search.TTL * 0)
    r = clerk.get(location)
    assert numbers(r) == set() and "This search has expired" in page(r)


def test_r_pd_1_api_search_by_iin_is_a_post(app, two_applicants):
    mine, _other = two_applicants
    c = app.test_client()
    headers = bearer("clerk")
    r = c.get(f"/api/v1/items?q={IIN}", headers=headers)
    assert r.status_code == 400 and r.get_json()["error"] == "identifier_in_url"
    assert "POST /api/v1/items/search" in r.get_json()["message"]
    r = c.post("/api/v1/items/search", json={"q": IIN, "per_page": 10}, headers=headers)
    assert r.status_code == 200
    body = r.get_json()
    assert [i["reg_number"] for i in body["items"]] == [mine.reg_number]
    # The same result shape as the GET, which keeps working without identifiers.
    listed = c.get("/api/v1/items?q=кәріз&per_page=10", headers=headers).get_json()
    assert set(body) == set(listed) == {"items", "page", "per_page", "has_next"}
    assert set(body["items"][0]) == set(listed["items"][0])
    words = c.post("/api/v1/items/search", json={"q": "бітелді"}, headers=headers).get_json()
    assert [i["reg_number"] for i in words["items"]] == [_other.reg_number]
    bad = c.post("/api/v1/items/search", json={"q": ["x"]}, headers=headers)
    assert bad.status_code == 422
    assert c.post("/api/v1/items/search", json={"page": [1]}, headers=headers).status_code == 422
    paths = json.dumps(c.get("/api/v1/openapi.json").get_json()["paths"]["/items/search"])
    assert '"post"' in paths


# --- reads of applicant data are logged, apart from the audit trail -----------------------------


def test_r_pd_1_every_read_of_applicant_data_is_logged(app, web, make_item):
    from docflow.protocols import operations as ops

    clerk, controller = web("clerk"), web("controller")
    r = clerk.post(
        "/registry/new",
        data={
            "token": "pd-1",
            "kind": "statement",
            "channel": "post",
            "language": "kk",
            "arrived_at": "2026-11-20T10:30",
            "applicants-0-type": "individual",
            "applicants-0-full_name": "Жұмабаева Айнұр Серікқызы",
            "applicants-0-iin": IIN,
            "applicants-0-address": "Алматы қ., Абай даңғ. 1",
            "addressee": "Алматы қаласының әкімі",
            "summary": "Жертөледе кәріз құбыры ағып жатыр",
            "signed": "y",
            "files": [(io.BytesIO(text_pdf("Appeal")), "appeal.pdf")],
        },
        content_type="multipart/form-data",
    )
    assert r.status_code == 302
    item = db.session.scalars(select(IncomingItem)).one()
    att = item.attachments[0]
    request_item = make_item(applicant=applicant(), kind="reception_request", channel="by_hand")
    akim = db.session.scalar(select(Official).where(Official.code == "AKIM"))
    signup = ops.create_signup(request_item, akim, user_by_username("controller"))
    db.session.commit()
    api, api_headers = app.test_client(), bearer("clerk")
    audit_before = db.session.scalar(select(func.count()).select_from(audit.AuditEntry))
    expected = []

    def read(client, url, action, object_type, object_id, of_item=None):
        resp = client.get(url, headers=api_headers if client is api else {})
        assert resp.status_code == 200, url
        expected.append((action, object_type, object_id, of_item))

    read(clerk, f"/registry/{item.public_id}", "view", "incoming_item", item.public_id)
    read(clerk, f"/registry/{item.public_id}/slip.pdf", "print", "incoming_item", item.public_id)
    read(
        clerk,
        f"/registry/{item.public_id}/files/{att.public_id}",
        "download",
        "attachment",
        att.public_id,
        item.public_id,
    )
    assert att.preview_key  # rendered at upload (extraction runs synchronously in tests)
    read(
        clerk,
        f"/registry/{item.public_id}/files/{att.public_id}/preview.png",
        "preview",
        "attachment",
        att.public_id,
        item.public_id,
    )
    read(api, f"/api/v1/items/{item.public_id}", "view", "incoming_item", item.public_id)
    read(
        controller,
        f"/reception/signups/{signup.id}",
        "view",
        "signup",
        str(signup.id),
        request_item.public_id,
    )
    got = [(e.action, e.object_type, e.object_id, e.item) for e in reads()]
    assert got == expected
    assert reads()[-1].username == "controller"
    # Page views do not flood the audit trail (nor the item's history).
    assert db.session.scalar(select(func.count()).select_from(audit.AuditEntry)) == audit_before
    assert not [e for e in reads() if IIN in json.dumps([e.object_id, e.item])]


def test_r_pd_1_parsed_minutes_leave_no_iin_in_clear_in_the_audit_trail(app, web):
    from docflow.protocols import minutes_ops

    controller_user = user_by_username("controller")
    controller = web("controller")
    seq_before = db.session.scalar(select(func.max(audit.AuditEntry.seq)))
    r = controller.post(
        "/reception/minutes/upload",
        data={"file": (io.BytesIO(MINUTES.read_bytes()), MINUTES.name), "csrf_token": "x"},
        content_type="multipart/form-data",
    )
    assert r.status_code == 303, page(r)
    minutes_id = int(r.headers["Location"].rstrip("/").rsplit("/", 1)[1])
    from docflow.protocols.models import Minutes

    m = db.session.get(Minutes, minutes_id)
    identifiers = {
        a.get(k) for a in m.parsed["result"]["assignments"] for k in ("iin", "bin") if a.get(k)
    }
    assert {"850315301235", "940140000385"} <= identifiers  # the minutes themselves keep them
    assert controller.get(f"/reception/minutes/{m.id}").status_code == 200
    created = minutes_ops.confirm_minutes(
        m, controller_user, minutes_ops.assignments_input_from(m.parsed), overdue_confirmed=True
    )
    db.session.commit()
    assert len(created) == 3
    entries = db.session.scalars(
        select(audit.AuditEntry).where(audit.AuditEntry.seq > seq_before)
    ).all()
    dump = json.dumps([e.summary for e in entries], ensure_ascii=False)
    assert {e.object_type for e in entries} >= {"minutes", "applicant", "protocol_assignment"}
    assert not [i for i in identifiers if i in dump]
    assert not audit.IDENTIFIER_RE.search(dump)
    assert audit.verify().ok
    # The minutes page view is in the access log, not in the trail.
    assert [(e.action, e.object_type, e.object_id) for e in reads()] == [
        ("view", "minutes", str(m.id))
    ]
    assert not [e for e in entries if e.action == "view"]


def test_r_pd_1_login_redirect_keeps_the_iin_out_of_next(app):
    client = app.test_client()
    r = client.get("/registry/?q=900101300811")
    assert r.status_code == 302
    assert "900101300811" not in r.headers["Location"]
    assert "/login" in r.headers["Location"]
    plain = client.get("/registry/?q=heating")
    assert "heating" in plain.headers["Location"]  # ordinary queries still come back after login
