"""The REST API v1: tokens, registration (JSON and multipart), idempotency, reading, search,
attachments, transitions, upload limits, JSON errors and the OpenAPI description."""

from __future__ import annotations

import io
import json

import pytest
from sqlalchemy import func, select

from docflow.api import issue_token
from docflow.extensions import db
from docflow.org.models import user_by_username
from docflow.registry.models import Attachment, IncomingItem

# Their documents arrive on 20 November 2026: registered that day (a later one needs a reason).
pytestmark = pytest.mark.usefixtures("on_arrival_day")
IIN = "920704404563"


def text_pdf(*lines: str) -> bytes:
    """A small PDF with a real text layer (enough text that extraction needs no OCR)."""
    from fpdf import FPDF

    pdf = FPDF()
    pdf.add_page()
    pdf.set_font("helvetica", size=12)
    for line in [*lines, *(f"Line {i}: the water pipe in the basement leaks" for i in range(8))]:
        pdf.cell(text=line, new_x="LMARGIN", new_y="NEXT")
    return bytes(pdf.output())


def registration(**changes) -> dict:
    data = {
        "kind": "statement",
        "channel": "eotinish",
        "arrived_at": "2026-11-20T10:30:00+05:00",
        "applicants": [
            {
                "full_name": "Жұмабаева Айнұр Серікқызы",
                "iin": IIN,
                "address": "Алматы қ., Абай даңғ. 1",
            }
        ],
        "addressee": "Алматы қаласының әкімі",
        "summary": "Жертөледе кәріз құбыры ағып жатыр",
    }
    data.update(changes)
    return data


def count_items() -> int:
    return db.session.scalar(select(func.count()).select_from(IncomingItem))


def assert_error(r, status: int, code: str | None = None) -> dict:
    assert r.status_code == status, r.get_data(as_text=True)
    assert r.mimetype == "application/json"
    body = r.get_json()
    assert isinstance(body["error"], str) and body["error"]
    assert isinstance(body["message"], str) and body["message"]
    if code is not None:
        assert body["error"] == code
    return body


def bearer(username: str) -> dict[str, str]:
    token = issue_token(user_by_username(username))
    db.session.commit()
    return {"Authorization": f"Bearer {token}", "Accept-Language": "en"}


@pytest.fixture
def api(app):
    """``api.post(...)`` etc. as the clerk, through the API token (no session cookie)."""
    headers = bearer("clerk")
    c = app.test_client()

    class Api:
        def get(self, url, **kw):
            return c.get(url, headers={**headers, **kw.pop("headers", {})}, **kw)

        def post(self, url, **kw):
            return c.post(url, headers={**headers, **kw.pop("headers", {})}, **kw)

    return Api()


@pytest.fixture
def registered(api) -> dict:
    r = api.post("/api/v1/items", json=registration())
    assert r.status_code == 201
    return r.get_json()


# --- authentication ----------------------------------------------------------------------------


BAD_AUTH = [
    {},
    {"Authorization": "Bearer dft_not-a-real-token"},
    {"Authorization": "Bearer "},
    {"Authorization": "Basic Y2xlcms6ZG9jZmxvdy1kZW1v"},  # clerk:docflow-demo
    {"Authorization": "Bearer " + "x" * 500},
]


def test_401_without_a_valid_token(app, client):
    bearer("clerk")  # a token exists; none of these is it
    for headers in BAD_AUTH:
        r = client.post("/api/v1/items", json=registration(), headers=headers)
        assert_error(r, 401, "unauthorized")
        assert_error(client.get("/api/v1/items", headers=headers), 401, "unauthorized")
    assert count_items() == 0


def test_session_cookies_are_not_tokens_and_a_new_token_replaces_the_old(app, client, login):
    login("clerk")
    assert_error(client.post("/api/v1/items", json=registration()), 401, "unauthorized")
    old = bearer("clerk")
    new = bearer("clerk")
    assert_error(client.get("/api/v1/items", headers=old), 401)
    assert client.get("/api/v1/items", headers=new).status_code == 200


def test_inspector_token_may_read_but_not_register(app, client, registered):
    headers = bearer("inspector")
    r = client.post("/api/v1/items", json=registration(), headers=headers)
    assert_error(r, 403, "forbidden")
    assert count_items() == 1
    assert client.get(f"/api/v1/items/{registered['id']}", headers=headers).status_code == 200
    r = client.post(
        f"/api/v1/items/{registered['id']}/transitions/withdraw",
        json={"comment": "x"},
        headers=headers,
    )
    assert_error(r, 403, "forbidden")
    r = client.post(
        f"/api/v1/items/{registered['id']}/attachments",
        data={"files": [(io.BytesIO(b"%PDF-1.4 x"), "a.pdf")]},
        headers=headers,
    )
    assert_error(r, 403, "forbidden")
    assert db.session.scalar(select(func.count()).select_from(Attachment)) == 0
    # A head of subdivision sees the items of the subdivision, not the whole journal.
    assert_error(client.get("/api/v1/items", headers=bearer("head.energy")), 403, "forbidden")


# --- registration ------------------------------------------------------------------------------


def test_post_json_registers(app, api):
    r = api.post("/api/v1/items", json=registration())
    assert r.status_code == 201
    body = r.get_json()
    assert body["reg_number"] == "ЖТ-2026-00000001"
    assert body["registration_date"] == "2026-11-20"
    assert body["due_date"] == "2026-12-10"  # R-DEADLINE-1: 15 working days, 20 Nov is day 1
    assert body["state"] == "registered"
    assert body["url"].endswith(f"/registry/{body['id']}")
    assert IIN not in body["url"]  # R-PD-1
    item = db.session.scalars(select(IncomingItem)).one()
    assert (item.public_id, item.channel, item.registered_by_id) == (
        body["id"],
        "eotinish",
        user_by_username("clerk").id,
    )


def test_naive_arrival_time_is_almaty_time(app, api):
    r = api.post("/api/v1/items", json=registration(arrived_at="2026-11-20T18:45:00"))
    assert r.status_code == 201
    # 18:45 in Almaty is after working hours → next working day (R-REG-3); in UTC it would not be.
    assert r.get_json()["registration_date"] == "2026-11-23"


def test_same_idempotency_key_registers_once(app, api):
    key = {"Idempotency-Key": "eotinish-123456"}
    first = api.post("/api/v1/items", json=registration(), headers=key)
    second = api.post("/api/v1/items", json=registration(), headers=key)
    assert (first.status_code, second.status_code) == (201, 200)
    assert second.get_json()["reg_number"] == first.get_json()["reg_number"]
    assert second.get_json()["id"] == first.get_json()["id"]
    assert count_items() == 1
    other = api.post(  # another key, the same paper: registered once confirmed (not a retry)
        "/api/v1/items",
        json=registration(confirm_duplicate=True),
        headers={"Idempotency-Key": "other"},
    )
    assert other.status_code == 201 and other.get_json()["reg_number"] == "ЖТ-2026-00000002"


def test_invalid_iin_is_422_with_fields(app, api):
    data = registration(applicants=[{"full_name": "X", "iin": "900101300812", "address": "A"}])
    body = assert_error(api.post("/api/v1/items", json=data), 422, "invalid")
    assert "check digit" in body["fields"]["applicants.0.iin"]
    assert count_items() == 0


def test_malformed_body_is_400(app, api):
    for data, content_type in [
        ('{"kind": "statement",', "application/json"),  # malformed JSON
        ("kind=statement", "application/x-www-form-urlencoded"),  # not JSON at all
        ("", "application/json"),
    ]:
        r = api.post("/api/v1/items", data=data, content_type=content_type)
        assert_error(r, 400, "bad_request")
    assert count_items() == 0


def test_json_that_is_not_an_object_is_400(app, api):
    for payload in ([registration()], "statement", 42, None):
        r = api.post("/api/v1/items", data=json.dumps(payload), content_type="application/json")
        assert_error(r, 400, "bad_request")
    assert count_items() == 0


INVALID = [
    ({"kind": "memo"}, "kind"),
    ({"kind": None}, "kind"),
    ({"channel": "pigeon"}, "channel"),
    ({"arrived_at": "yesterday"}, "arrived_at"),
    ({"arrived_at": "2099-01-01T10:00:00+05:00"}, "arrived_at"),
    ({"page_count": "three"}, "page_count"),
    ({"applicants": [{"full_name": "X", "password": "y"}]}, "applicants.0"),
    ({"applicants": "Иванов"}, "applicants"),
    ({"applicants": []}, "applicants"),  # an appeal needs an applicant or "anonymous"
    ({"link_to": [{"item": "nope"}]}, "link_to"),
    ({"page_count": True}, "page_count"),
    # Wrong types and over-long text were 500s (and on PostgreSQL, rows it refuses).
    ({"addressee": 5}, "addressee"),
    ({"language": ["kk"]}, "language"),
    ({"external_number": 7}, "external_number"),
    ({"summary": {"text": "x"}}, "summary"),
    ({"idempotency_key": ["a"]}, "idempotency_key"),
    ({"idempotency_key": "k" * 101}, "idempotency_key"),
    ({"addressee": "Ә" * 301}, "addressee"),
    ({"applicants": [{"full_name": {"a": 1}, "address": "x"}]}, "applicants.0.full_name"),
    ({"applicants": [{"full_name": "Ә" * 301, "address": "x"}]}, "applicants.0.full_name"),
    ({"applicants": [{"full_name": "X", "phone": "7" * 51, "address": "x"}]}, "applicants.0.phone"),
]


def test_invalid_data_is_422_naming_the_field(app, api):
    for changes, field in INVALID:
        r = api.post("/api/v1/items", json=registration(**changes))
        body = assert_error(r, 422, "invalid")
        assert field in body["fields"], (changes, body)
    r = api.post("/api/v1/items", json=registration(), headers={"Idempotency-Key": "k" * 101})
    assert "idempotency_key" in assert_error(r, 422, "invalid")["fields"]
    assert count_items() == 0
    longest = registration(addressee="Ә" * 300, idempotency_key="k" * 100)
    assert api.post("/api/v1/items", json=longest).status_code == 201  # the limits themselves


def test_multipart_registers_with_the_attachment(app, api):
    r = api.post(
        "/api/v1/items",
        data={
            "data": json.dumps(registration()),
            "files": [(io.BytesIO(text_pdf("Scan of the appeal")), "appeal.pdf")],
        },
        content_type="multipart/form-data",
    )
    assert r.status_code == 201, r.get_data(as_text=True)
    body = r.get_json()
    [att] = body["attachments"]
    assert (att["filename"], att["content_type"]) == ("appeal.pdf", "application/pdf")
    assert att["extraction"]["status"] == "done"  # EXTRACTION_MODE=sync in tests
    assert att["extraction"]["pages"] == 1
    stored = db.session.scalars(select(Attachment)).one()
    assert (stored.public_id, stored.sha256, stored.size) == (att["id"], att["sha256"], att["size"])
    assert "Scan of the appeal" in stored.text


def test_multipart_with_bad_data_part_is_400(app, api):
    r = api.post(
        "/api/v1/items",
        data={"data": "{not json", "files": [(io.BytesIO(b"x"), "a.pdf")]},
        content_type="multipart/form-data",
    )
    assert_error(r, 400, "bad_request")
    assert count_items() == 0


def test_r_reg_1_multipart_refused_registration_stores_no_file(app, api):
    """The files are stored before the write lock (issue 13), but only for a registration
    that can be made: a refused one (invalid IIN) leaves nothing in storage."""
    from docflow.core.storage import get_storage

    bad = registration()
    bad["applicants"][0]["iin"] = "123456789012"  # fails the check digit (R-REG-9)
    r = api.post(
        "/api/v1/items",
        data={"data": json.dumps(bad), "files": [(io.BytesIO(text_pdf("Kept?")), "a.pdf")]},
        content_type="multipart/form-data",
    )
    assert r.status_code == 422, r.get_data(as_text=True)
    assert count_items() == 0
    assert not get_storage().files  # the tests' in-memory storage


def test_multipart_retry_with_idempotency_key_does_not_duplicate_files(app, api):
    def send():
        return api.post(
            "/api/v1/items",
            data={
                "data": json.dumps(registration()),
                "files": [(io.BytesIO(text_pdf("Scan")), "appeal.pdf")],
            },
            content_type="multipart/form-data",
            headers={"Idempotency-Key": "scan-77"},
        )

    first, second = send(), send()
    assert (first.status_code, second.status_code) == (201, 200)
    assert len(second.get_json()["attachments"]) == 1
    assert db.session.scalar(select(func.count()).select_from(Attachment)) == 1


# --- reading and search ------------------------------------------------------------------------


def test_get_item_returns_applicants_and_attachments(app, api, registered):
    r = api.post(
        f"/api/v1/items/{registered['id']}/attachments",
        data={"files": [(io.BytesIO(text_pdf("Letter")), "letter.pdf")]},
    )
    assert r.status_code == 201
    r = api.get(f"/api/v1/items/{registered['id']}")
    assert r.status_code == 200
    body = r.get_json()
    assert body["reg_number"] == registered["reg_number"]
    [applicant] = body["applicants"]
    assert applicant["full_name"] == "Жұмабаева Айнұр Серікқызы"
    assert applicant["iin"] == IIN  # the integration registered it, it may read it
    assert applicant["type"] == "individual"
    [att] = body["attachments"]
    assert att["filename"] == "letter.pdf"
    assert att["extraction"]["status"] == "done"
    assert att["extraction"]["error_code"] is None
    assert body["missing_details"] == [] and body["collective"] is False


def test_get_unknown_item_is_404_json(app, api):
    assert_error(api.get("/api/v1/items/0123456789abcdef0123"), 404, "not_found")


def test_list_finds_by_a_word(app, api, registered):
    api.post("/api/v1/items", json=registration(summary="Балабақша кезегі туралы"))
    r = api.get("/api/v1/items?q=КӘРІЗ")
    assert r.status_code == 200
    body = r.get_json()
    assert [i["reg_number"] for i in body["items"]] == [registered["reg_number"]]
    assert (body["page"], body["has_next"]) == (1, False)
    assert "applicants" not in body["items"][0]  # the list is short; read an item for details
    assert len(api.get("/api/v1/items").get_json()["items"]) == 2
    assert api.get("/api/v1/items?q=жоқсөз").get_json()["items"] == []


def test_list_pages(app, api):
    for i in range(3):
        api.post("/api/v1/items", json=registration(summary=f"Өтініш {i}"))
    first = api.get("/api/v1/items?per_page=2").get_json()
    second = api.get("/api/v1/items?per_page=2&page=2").get_json()
    assert (len(first["items"]), first["has_next"]) == (2, True)
    assert (len(second["items"]), second["has_next"]) == (1, False)
    assert {i["id"] for i in first["items"]}.isdisjoint({i["id"] for i in second["items"]})
    assert_error(api.get("/api/v1/items?page=x"), 422, "invalid")
    assert_error(api.get("/api/v1/items?date_from=20.11.2026"), 422, "invalid")


# --- attachments -------------------------------------------------------------------------------


def test_add_attachments(app, api, registered):
    r = api.post(
        f"/api/v1/items/{registered['id']}/attachments",
        data={
            "files": [
                (io.BytesIO(text_pdf("One")), "one.pdf"),
                (io.BytesIO(b"plain text note"), "note.txt"),
            ]
        },
    )
    assert r.status_code == 201
    files = r.get_json()["attachments"]
    assert [f["filename"] for f in files] == ["one.pdf", "note.txt"]
    assert db.session.scalar(select(func.count()).select_from(Attachment)) == 2


def test_add_attachments_refuses_empty_and_missing_files(app, api, registered):
    url = f"/api/v1/items/{registered['id']}/attachments"
    body = assert_error(api.post(url, data={"files": [(io.BytesIO(b""), "empty.pdf")]}), 422)
    assert "empty" in body["fields"]["file"]
    body = assert_error(api.post(url, data={}), 422)
    assert "files" in body["fields"]
    assert db.session.scalar(select(func.count()).select_from(Attachment)) == 0
    assert_error(
        api.post("/api/v1/items/0123456789abcdef0123/attachments", data={}), 404, "not_found"
    )


def test_upload_larger_than_max_content_length_is_413_json(make_app):
    app = make_app("demo", MAX_CONTENT_LENGTH=1024)
    with app.app_context():
        headers = bearer("clerk")
        c = app.test_client()
        r = c.post("/api/v1/items", json=registration(), headers=headers)
        assert r.status_code == 201
        item_id = r.get_json()["id"]
        big = b"%PDF-1.4\n" + b"0" * 4096
        r = c.post(
            f"/api/v1/items/{item_id}/attachments",
            data={"files": [(io.BytesIO(big), "big.pdf")]},
            headers=headers,
        )
        assert "too large" in assert_error(r, 413)["message"]
        r = c.post(
            "/api/v1/items",
            data={"data": json.dumps(registration()), "files": [(io.BytesIO(big), "big.pdf")]},
            headers=headers,
        )
        assert_error(r, 413)
        assert db.session.scalar(select(func.count()).select_from(Attachment)) == 0
        assert count_items() == 1


# --- transitions -------------------------------------------------------------------------------


def test_withdraw_transition(app, api, registered):
    url = f"/api/v1/items/{registered['id']}/transitions/withdraw"
    body = assert_error(api.post(url, json={}), 422, "invalid_parameters")
    assert "comment" in body["message"].lower()
    assert_error(api.post(url, json={"comment": "   "}), 422)
    assert_error(api.post(url, json={"comment": ["a list"]}), 422, "invalid_parameters")
    assert db.session.scalars(select(IncomingItem)).one().state == "registered"
    r = api.post(url, json={"comment": "Өтініш беруші арызы 18.11.2026 №5"})
    assert r.status_code == 200
    assert r.get_json()["state"] == "withdrawn"
    assert_error(api.post(url, json={"comment": "again"}), 409, "wrong_state")
    item = db.session.scalars(select(IncomingItem)).one()
    db.session.refresh(item)
    assert item.state == "withdrawn"
    teleport = f"/api/v1/items/{registered['id']}/transitions/teleport"
    assert_error(api.post(teleport, json={}), 400, "unknown_transition")
    r = api.post(url, data=json.dumps(["comment"]), content_type="application/json")
    assert_error(r, 400, "bad_request")


# --- OpenAPI and unknown URLs ----------------------------------------------------------------


def _refs(node):
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "$ref":
                yield value
            else:
                yield from _refs(value)
    elif isinstance(node, list):
        for value in node:
            yield from _refs(value)


def test_openapi_document(app, client):
    r = client.get("/api/v1/openapi.json")  # public: integrators read it before having a token
    assert r.status_code == 200 and r.mimetype == "application/json"
    spec = r.get_json()
    assert spec["openapi"] == "3.1.0"
    assert {"openapi", "info", "paths", "components"} <= set(spec)
    assert spec["info"]["title"] and spec["info"]["version"]
    assert spec["components"]["securitySchemes"]["bearer"]["scheme"] == "bearer"
    schemas = spec["components"]["schemas"]
    for ref in _refs(spec):
        assert ref.startswith("#/components/schemas/"), ref
        assert ref.rsplit("/", 1)[1] in schemas, ref
    methods = {"get", "post", "put", "patch", "delete"}
    operations = [
        (path, method, op)
        for path, item in spec["paths"].items()
        for method, op in item.items()
        if method in methods
    ]
    assert {(p, m) for p, m, _ in operations} >= {
        ("/items", "post"),
        ("/items", "get"),
        ("/items/{item_id}", "get"),
        ("/items/{item_id}/attachments", "post"),
        ("/items/{item_id}/transitions/{transition}", "post"),
    }
    for path, method, op in operations:
        assert op["responses"], (path, method)
        for status, response in op["responses"].items():
            assert status.isdigit() and "description" in response, (path, method, status)
        assert "401" in op["responses"], (path, method)
        for param in op.get("parameters", []):
            if param["in"] == "path":
                assert "{" + param["name"] + "}" in path
    # The registration schema offers exactly what the API accepts.
    from docflow.registry.vocab import CHANNELS, KINDS

    registration_schema = schemas["Registration"]["properties"]
    assert set(registration_schema["kind"]["enum"]) == set(KINDS)
    assert set(registration_schema["channel"]["enum"]) == set(CHANNELS)


def test_openapi_document_validates(app, client):
    validator = pytest.importorskip("openapi_spec_validator")
    spec = client.get("/api/v1/openapi.json").get_json()
    validator.validate(spec)  # raises on an invalid OpenAPI 3.1 document


def test_unknown_api_url_is_a_json_404(app, client):
    for method, url in [
        ("get", "/api/v1/nothing"),
        ("get", "/api/v2/items"),
        ("post", "/api/v1/items/x/y/z"),
    ]:
        r = getattr(client, method)(url, headers={"Accept": "text/html"})
        assert_error(r, 404)


def test_wrong_method_is_a_json_405(app, client):
    r = client.delete("/api/v1/items")
    assert_error(r, 405)
    assert "GET" in r.headers["Allow"] and "POST" in r.headers["Allow"]
