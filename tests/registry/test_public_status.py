"""The public status page (issue 14 item 9): the number and the slip's code, never the IIN;
one neutral "not found"; throttled per address; no personal data; the answer only once signed
and sent; the code and the page's address on the receipt slip (R-REG-4, R-PD-1)."""

from __future__ import annotations

import io
import re
from urllib.parse import parse_qs, unquote, urlsplit

import lxml.html
import pdfplumber
import pypdfium2 as pdfium
import pytest
from sqlalchemy import select, update

from docflow.core.access_log import AccessEntry
from docflow.extensions import db
from docflow.outgoing.letter_models import letter_by_public_id
from docflow.registry import public_status
from docflow.registry.batch import decode_qr
from docflow.registry.models import STATUS_CODE_ALPHABET, IncomingItem
from docflow.registry.printing import slip_pdf
from tests.fixtures import page

STATUS = "/public/status"


def look(client, number, code, lang="en", addr="203.0.113.7"):
    return client.post(
        f"{STATUS}?lang={lang}",
        data={"number": number, "code": code},
        environ_base={"REMOTE_ADDR": addr},
    )


def other_code(code: str) -> str:
    swap = "2" if code[-1] != "2" else "3"
    return code[:-1] + swap


def test_every_item_gets_a_short_unambiguous_code_at_registration(make_item):
    items = [make_item() for _ in range(3)]
    codes = [i.status_code for i in items]
    for code in codes:
        assert len(code) == 8 and set(code) <= set(STATUS_CODE_ALPHABET)
        assert not set(code) & set("0O1IL")
    assert len(set(codes)) == 3  # random per item, not derived from the number


def test_found_with_number_and_code_shows_state_and_due_date_in_the_locale(web, make_item):
    item = make_item()
    db.session.commit()
    r = look(web(), item.reg_number, item.status_code, lang="ru")
    assert r.status_code == 200
    html = page(r)
    assert item.reg_number in html
    assert item.due_date.strftime("%d.%m.%Y") in html  # the ru format
    assert r.headers["Cache-Control"] == "no-store" and r.headers["Content-Language"] == "ru"
    r = look(web(), item.reg_number, item.status_code, lang="en")
    html = page(r)
    assert "Registered: it is being sent to those who will consider it." in html
    assert f"{item.due_date.day} {item.due_date.strftime('%b')} {item.due_date.year}" in html


def test_the_code_is_forgiving_as_typed(web, make_item):
    item = make_item()
    db.session.commit()
    code = item.status_code
    typed = f" {code[:4].lower()}-{code[4:]} "
    assert look(web(), item.reg_number.lower(), typed).status_code == 200


def test_wrong_code_and_unknown_number_give_one_neutral_answer(web, make_item):
    item = make_item()
    db.session.commit()
    client = web()
    wrong_code = look(client, item.reg_number, other_code(item.status_code))
    unknown = look(client, "ЖТ-2026-99999999", item.status_code)
    empty_code = look(client, item.reg_number, "XXXXXXXX")
    assert [r.status_code for r in (wrong_code, unknown, empty_code)] == [404] * 3
    texts = {page(r) for r in (wrong_code, unknown, empty_code)}
    shell = re.compile(r'(value|href)="[^"]*"')  # the typed number is given back
    assert len({shell.sub("", t) for t in texts}) == 1
    assert "Nothing was found for this number and code" in page(wrong_code)
    assert item.due_date.strftime("%d.%m.%Y") not in page(wrong_code)


def test_throttled_after_repeated_failures_from_one_address(app, web, make_item):
    item = make_item()
    db.session.commit()
    client = web()
    limit = app.config["LOGIN_THROTTLE_ATTEMPTS"]
    for _ in range(limit):
        assert look(client, item.reg_number, other_code(item.status_code)).status_code == 404
    # now even the right code is refused from this address: guessing cannot go on
    refused = look(client, item.reg_number, item.status_code)
    assert refused.status_code == 429
    assert "Too many failed attempts" in page(refused)
    assert item.due_date.strftime("%d %b %Y").lstrip("0") not in page(refused)
    # another address is not locked out
    assert look(client, item.reg_number, item.status_code, addr="198.51.100.9").status_code == 200


def test_a_success_does_not_reset_the_count(app, web, make_item):
    mine, other = make_item(), make_item()
    db.session.commit()
    client = web()
    limit = app.config["LOGIN_THROTTLE_ATTEMPTS"]
    for _ in range(limit - 1):
        look(client, other.reg_number, other_code(other.status_code))
    assert look(client, mine.reg_number, mine.status_code).status_code == 200
    look(client, other.reg_number, other_code(other.status_code))
    assert look(client, mine.reg_number, mine.status_code).status_code == 429


def test_r_pd_1_no_personal_data_on_the_page_and_the_read_is_logged(web, make_item):
    item = make_item()
    db.session.commit()
    for lang in ("kk", "ru", "en"):
        html = page(look(web(), item.reg_number, item.status_code, lang=lang))
        assert item.reg_number in html
        for a in item.applicants:
            for private in (a.iin, a.full_name, a.address):
                assert private and private not in html, private
        assert item.summary not in html
    logged = db.session.scalars(
        select(AccessEntry).where(AccessEntry.action == "public_status")
    ).all()
    assert logged and logged[-1].object_id == item.public_id and logged[-1].ip == "203.0.113.7"


def test_the_lookup_is_a_post_the_code_never_in_a_url(web, make_item):
    item = make_item()
    db.session.commit()
    form = page(web().get(f"{STATUS}?number={item.reg_number}&lang=kk"))
    assert 'method="post"' in form and f'value="{item.reg_number}"' in form
    fields = set(lxml.html.fromstring(form).xpath("//form[@id='status-form']//input/@name"))
    assert fields <= {"csrf_token", "number", "code"} and {"number", "code"} <= fields
    # a code in the query string is not a lookup
    r = web().get(f"{STATUS}?number={item.reg_number}&code={item.status_code}")
    assert r.status_code == 200 and item.due_date.strftime("%d %b %Y") not in page(r)
    assert 'id="status"' not in page(r)


def _pdf_text(pdf: bytes) -> str:
    with pdfplumber.open(io.BytesIO(pdf)) as doc:
        return "\n".join(p.extract_text() or "" for p in doc.pages)


def test_r_reg_4_the_slip_prints_the_code_and_its_qr_opens_the_status_page(app, make_item):
    item = make_item()
    db.session.commit()
    with app.test_request_context(base_url="https://docflow.example.kz/"):
        pdf = slip_pdf(item)
    text = _pdf_text(pdf)
    code = item.status_code
    assert f"{code[:4]}-{code[4:]}" in text
    assert "docflow.example.kz/public/status" in text.replace("\n", "")
    doc = pdfium.PdfDocument(pdf)
    try:
        image = doc[0].render(scale=200 / 72, grayscale=True).to_pil()
    finally:
        doc.close()
    [payload] = decode_qr(image)
    parts = urlsplit(payload)
    assert parts.path == STATUS and parse_qs(parts.query)["number"] == [item.reg_number]
    assert "code" not in parse_qs(parts.query)  # the code only in the fragment (never sent)
    assert unquote(parts.fragment) == f"code={code}"


def test_existing_items_are_given_a_code_by_the_migration(app, make_item):
    """0021 gives every item registered before it a code (the column's default: new ones)."""
    import importlib.util
    from pathlib import Path

    from alembic.migration import MigrationContext
    from alembic.operations import Operations

    old = [make_item(), make_item()]
    db.session.flush()
    db.session.execute(update(IncomingItem).values(status_code=None))
    path = (
        Path(public_status.__file__).parent.parent
        / "migrations/versions/0021_public_status_code.py"
    )
    spec = importlib.util.spec_from_file_location("m0021", path)
    migration = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(migration)
    with Operations.context(MigrationContext.configure(db.session.connection())):
        migration._backfill()
    db.session.expire_all()
    codes = [db.session.get(IncomingItem, i.id).status_code for i in old]
    assert all(c and len(c) == 8 and set(c) <= set(STATUS_CODE_ALPHABET) for c in codes)
    assert codes[0] != codes[1]


# --- the answer: shown once signed and sent ---------------------------------------------------


@pytest.fixture
def api(app, users):
    from tests.outgoing.letter_helpers import Api

    return Api(app, users)


def test_the_answer_is_shown_only_once_signed_and_sent(web, api, users, routed, make_item):
    from tests.outgoing.test_dispatch import signed_letter

    lid = signed_letter(api, users, routed, make_item)
    letter = letter_by_public_id(lid)
    item = letter.item
    db.session.commit()
    signed_only = page(look(web(), item.reg_number, item.status_code))
    assert letter.reg_number not in signed_only and "Download the answer" not in signed_only

    r = api.post("clerk", f"/letters/{lid}/dispatch", {"channel": "hand", "received_by": "Сейітова А."})  # fmt: skip
    assert r.status_code == 201, r.get_json()
    db.session.expire_all()
    html = page(look(web(), item.reg_number, item.status_code))
    assert letter.reg_number in html and "Download the answer (PDF)" in html
    assert f"/v/{letter.public_id}/{letter.content_hash[:16]}" in html  # the verification page
    assert "Answered: the answer has been sent to you." in html

    pdf = web().post(
        f"{STATUS}/answer/{lid}", data={"number": item.reg_number, "code": item.status_code}
    )
    assert pdf.status_code == 200 and pdf.mimetype == "application/pdf"
    assert pdf.data == letter_by_public_id(lid).signed_pdf
    wrong = web().post(
        f"{STATUS}/answer/{lid}",
        data={"number": item.reg_number, "code": other_code(item.status_code)},
    )
    assert wrong.status_code == 404 and wrong.mimetype != "application/pdf"


def test_normalisation_reads_cyrillic_lookalikes_and_dashes():
    assert public_status.normalise_code("АВС2–К7МН") == "ABC2K7MH"
    assert public_status.normalise_number(" жт – 2026 — 00000742 ") == "ЖТ-2026-00000742"


def test_a_failed_lookup_is_audited_as_a_readable_sentence(web, make_item):
    from docflow.core import history_text
    from docflow.core.audit import AuditEntry
    from docflow.main.history import load_texts

    item = make_item()
    db.session.commit()
    look(web(), item.reg_number, other_code(item.status_code))
    entry = db.session.scalars(
        select(AuditEntry).where(AuditEntry.action == "public_status_lookup")
    ).one()
    assert entry.outcome == "failed"
    load_texts()
    assert "public status page" in history_text.describe(entry).text
