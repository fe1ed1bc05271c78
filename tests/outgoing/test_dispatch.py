"""Dispatch of signed letters: e-mail through a real SMTP server the test starts (the signed PDF
attached), post (the dispatch register, envelopes, tracking numbers), the e-Otinish package (the
case, the PDF, the CMS), by hand (the receipt), delivery — and R-CTRL-1: a final letter counts
once signed and sent."""

from __future__ import annotations

import csv
import email
import email.policy
import hashlib
import io
import json
import socket
import zipfile

import pytest
from aiosmtpd.controller import Controller
from asn1crypto import cms
from sqlalchemy import select

from docflow.core.audit import AuditEntry
from docflow.core.calendar import get_calendar
from docflow.exchange import records
from docflow.exchange.importer import _people
from docflow.extensions import db
from docflow.outgoing.dispatch_models import LetterDispatch
from docflow.outgoing.letter_models import letter_by_public_id
from docflow.registry.operations import ApplicantData
from tests.conftest import fake_iin
from tests.outgoing.letter_helpers import (
    PASSPHRASE,
    Api,
    approved_letter,
    make_letter_pki,
    setup_signer,
)

APPLICANT_EMAIL = "aigerim.applicant@mail.kz"


@pytest.fixture
def letter_pki():
    return make_letter_pki()


@pytest.fixture
def api(app, users):
    return Api(app, users)


def signed_letter(api, users, routed, make_item, n: int = 1, **applicant) -> str:
    """A final answer signed by head.energy on the server; its applicant has an e-mail."""
    setup_signer(users, make_letter_pki())
    person = ApplicantData(
        full_name=applicant.get("full_name", f"Сейітова Айгерім Болатқызы {n}"),
        iin=fake_iin(500 + n),
        address=applicant.get("address", f"Алматы қ., Төле би к-сі {n}, 12 пәтер"),
        email=applicant.get("email", APPLICANT_EMAIL),
    )
    item = routed("in_work", item=make_item(applicants=[person], summary=f"Жылу жоқ {n}"))
    lid = approved_letter(api, item)
    r = api.post("head.energy", f"/letters/{lid}/sign", {"passphrase": PASSPHRASE})
    assert r.status_code == 200, r.get_json()
    return lid


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Mailbox:
    """aiosmtpd handler: keeps what arrives; refuses recipients listed in ``refuse``."""

    def __init__(self) -> None:
        self.messages: list[tuple[list[str], email.message.EmailMessage]] = []
        self.refuse: set[str] = set()

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if address in self.refuse:
            return "550 5.1.1 No such mailbox"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        message = email.message_from_bytes(envelope.content, policy=email.policy.default)
        self.messages.append((list(envelope.rcpt_tos), message))
        return "250 OK"


@pytest.fixture
def smtp(app):
    box = Mailbox()
    port = free_port()
    controller = Controller(box, hostname="127.0.0.1", port=port)
    controller.start()
    app.config.update(SMTP_HOST="127.0.0.1", SMTP_PORT=port, SMTP_FROM="kense@almaty.gov.kz")
    yield box
    controller.stop()


def _attachments(message) -> list[tuple[str, bytes]]:
    return [(part.get_filename(), part.get_content()) for part in message.iter_attachments()]


# --- e-mail ------------------------------------------------------------------------------------


def test_email_sends_the_signed_pdf_to_the_applicant_and_the_letter_is_sent(
    api, users, routed, make_item, smtp
):
    lid = signed_letter(api, users, routed, make_item)
    r = api.post("clerk", f"/letters/{lid}/dispatch", {"channel": "email"})
    assert r.status_code == 201, r.get_json()
    body = r.get_json()
    assert body["channel"] == "email" and body["status"] == "sent" and body["error"] is None
    assert body["address"] == APPLICANT_EMAIL and body["letter_state"] == "sent"
    letter = letter_by_public_id(lid)
    assert letter.state == "sent"
    [(rcpts, message)] = smtp.messages
    assert rcpts == [APPLICANT_EMAIL] and message["To"] == APPLICANT_EMAIL
    assert message["From"] == "kense@almaty.gov.kz"
    # in the letter's language (ru), naming its outgoing number
    assert message["Subject"].startswith("Ответ на Ваше обращение") and letter.reg_number in message["Subject"]  # fmt: skip
    text = message.get_body(("plain",)).get_content()
    assert f"/v/{letter.public_id}/{letter.content_hash[:16]}" in text
    [(name, data)] = _attachments(message)
    assert name.endswith(".pdf") and data == letter.signed_pdf  # byte for byte as signed


def test_email_to_another_address_and_kazakh_text(api, users, routed, make_item, smtp):
    setup_signer(users, make_letter_pki())
    item = routed("in_work")
    from tests.outgoing.letter_helpers import ANSWER

    kk = ANSWER | {"language": "kk", "body": "Құрметті өтініш беруші! Жылу берілді."}
    lid = approved_letter(api, item, kk)
    assert api.post("head.energy", f"/letters/{lid}/sign", {"passphrase": PASSPHRASE}).status_code == 200  # fmt: skip
    # no e-mail on record: the address must be given
    r = api.post("clerk", f"/letters/{lid}/dispatch", {"channel": "email"})
    assert r.status_code == 422 and "to" in r.get_json()["fields"], r.get_json()
    bad = api.post("clerk", f"/letters/{lid}/dispatch", {"channel": "email", "to": "x@y\nBcc: z@w.kz"})  # fmt: skip
    assert bad.status_code == 422
    r = api.post("clerk", f"/letters/{lid}/dispatch", {"channel": "email", "to": "son@mail.kz"})
    assert r.status_code == 201 and r.get_json()["status"] == "sent", r.get_json()
    [(rcpts, message)] = smtp.messages
    assert rcpts == ["son@mail.kz"]
    assert message["Subject"].startswith("Өтінішіңізге жауап")


def test_email_failure_is_recorded_never_a_500_and_a_retry_sends(app, api, users, routed, make_item):  # fmt: skip
    lid = signed_letter(api, users, routed, make_item)
    app.config.update(SMTP_HOST="127.0.0.1", SMTP_PORT=free_port(), SMTP_TIMEOUT=3)  # nobody
    r = api.post("clerk", f"/letters/{lid}/dispatch", {"channel": "email"})
    assert r.status_code == 201, r.get_json()
    failed = r.get_json()
    assert failed["status"] == "failed" and failed["error"]
    assert failed["letter_state"] == "signed"  # nothing went out: the letter is not sent
    assert letter_by_public_id(lid).state == "signed"
    # the retry: a new dispatch, once the server is up
    box = Mailbox()
    controller = Controller(box, hostname="127.0.0.1", port=app.config["SMTP_PORT"])
    controller.start()
    try:
        r = api.post("clerk", f"/letters/{lid}/dispatch", {"channel": "email"})
    finally:
        controller.stop()
    assert r.status_code == 201 and r.get_json()["status"] == "sent", r.get_json()
    assert len(box.messages) == 1
    listed = api.get("clerk", f"/letters/{lid}/dispatches").get_json()["dispatches"]
    assert [d["status"] for d in listed] == ["failed", "sent"]
    assert listed[0]["error"] == failed["error"]


def test_email_recipient_refused_by_the_server_is_recorded(api, users, routed, make_item, smtp):
    lid = signed_letter(api, users, routed, make_item)
    smtp.refuse.add(APPLICANT_EMAIL)
    r = api.post("clerk", f"/letters/{lid}/dispatch", {"channel": "email"})
    assert r.status_code == 201
    assert r.get_json()["status"] == "failed" and "550" in r.get_json()["error"]
    assert letter_by_public_id(lid).state == "signed" and smtp.messages == []


def test_email_not_configured_is_a_clear_refusal(app, api, users, routed, make_item):
    app.config.update(SMTP_HOST=None, MAIL_SERVER=None)
    lid = signed_letter(api, users, routed, make_item)
    r = api.post("clerk", f"/letters/{lid}/dispatch", {"channel": "email"})
    assert r.status_code == 422 and "SMTP" in r.get_json()["message"]
    assert db.session.scalar(select(LetterDispatch)) is None


# --- who and when -------------------------------------------------------------------------------


def test_unsigned_letter_is_not_dispatched(api, users, routed, smtp):
    setup_signer(users, make_letter_pki())
    lid = approved_letter(api, routed("in_work"))
    for channel in ("email", "post", "eotinish", "hand"):
        r = api.post("clerk", f"/letters/{lid}/dispatch", {"channel": channel, "received_by": "X", "address": "Y"})  # fmt: skip
        assert r.status_code == 422, r.get_json()
        assert r.get_json()["error"] == "not_signed" and "signed" in r.get_json()["message"]
    assert smtp.messages == [] and db.session.scalar(select(LetterDispatch)) is None


def test_only_the_records_office_dispatches(api, users, routed, make_item):
    lid = signed_letter(api, users, routed, make_item)
    for who in ("exec.energy", "head.energy", "inspector", "head.edu"):
        r = api.post(who, f"/letters/{lid}/dispatch", {"channel": "hand", "received_by": "Сейітова А."})  # fmt: skip
        assert r.status_code == 403, (who, r.get_json())
    assert api.post("controller", f"/letters/{lid}/dispatch", {"channel": "hand", "received_by": "Сейітова А."}).status_code == 201  # fmt: skip
    assert api.post("clerk", f"/letters/{lid}/dispatch", {"channel": "fax"}).status_code == 422


def test_r_ctrl_1_signed_final_letter_counts_only_once_sent(api, users, routed, make_item):
    lid = signed_letter(api, users, routed, make_item)
    letter = letter_by_public_id(lid)
    item = letter.item
    assert item.state == "answered"  # on control check since signing
    r = api.post("controller", f"/items/{item.public_id}/routing/close")
    assert r.status_code == 422, r.get_json()
    assert "sent" in r.get_json()["message"]
    db.session.refresh(item)
    assert item.state == "answered"
    assert api.post("clerk", f"/letters/{lid}/dispatch", {"channel": "post", "tracking": "RR123456785KZ"}).status_code == 201  # fmt: skip
    closed = api.post("controller", f"/items/{item.public_id}/routing/close")
    assert closed.status_code == 200, closed.get_json()


def test_r_ctrl_1_a_post_entry_without_tracking_is_not_sent_yet(api, users, routed, make_item):
    lid = signed_letter(api, users, routed, make_item)
    item = letter_by_public_id(lid).item
    queued = api.post("clerk", f"/letters/{lid}/dispatch", {"channel": "post"}).get_json()
    assert queued["status"] == "queued" and queued["letter_state"] == "signed"
    assert api.post("controller", f"/items/{item.public_id}/routing/close").status_code == 422
    posted = api.post("clerk", f"/letters/{lid}/dispatches/{queued['id']}/posted", {"tracking": "rr 123456785 kz"})  # fmt: skip
    assert posted.status_code == 200, posted.get_json()
    assert posted.get_json()["tracking"] == "RR123456785KZ" and posted.get_json()["status"] == "sent"  # fmt: skip
    assert posted.get_json()["letter_state"] == "sent"
    assert api.post("controller", f"/items/{item.public_id}/routing/close").status_code == 200


# --- post: the dispatch register ------------------------------------------------------------------


def test_post_register_envelopes_and_csv(api, users, routed, make_item, web):
    first = signed_letter(api, users, routed, make_item, 1)
    second = signed_letter(api, users, routed, make_item, 2, address="Алматы қ., Сәтпаев к-сі 5")
    r1 = api.post("clerk", f"/letters/{first}/dispatch", {"channel": "post", "tracking": "RR000000011KZ"})  # fmt: skip
    r2 = api.post("clerk", f"/letters/{second}/dispatch", {"channel": "post", "address": "Алматы қ., Абай даңғ. 1", "recipient": "Сейітов Б."})  # fmt: skip
    assert r1.status_code == r2.status_code == 201
    assert r1.get_json()["address"] == "Алматы қ., Төле би к-сі 1, 12 пәтер"  # the applicant's
    assert r2.get_json()["address"] == "Алматы қ., Абай даңғ. 1"  # as given
    bad = api.post("clerk", f"/letters/{first}/dispatch", {"channel": "post", "tracking": "<script>"})  # fmt: skip
    assert bad.status_code == 422 and "tracking" in bad.get_json()["fields"]
    today = get_calendar().local_now().date().isoformat()
    clerk = web("clerk")
    page = clerk.get(f"/outgoing/dispatch/register?from={today}&to={today}")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    n1, n2 = letter_by_public_id(first).reg_number, letter_by_public_id(second).reg_number
    assert n1 in html and n2 in html and "RR000000011KZ" in html and "Сейітов Б." in html
    envelopes = clerk.get(f"/outgoing/dispatch/register?from={today}&to={today}&view=envelopes")
    assert "Алматы қ., Абай даңғ. 1" in envelopes.get_data(as_text=True)
    exported = clerk.get(f"/outgoing/dispatch/register?from={today}&to={today}&format=csv")
    assert exported.mimetype == "text/csv"
    rows = list(csv.reader(io.StringIO(exported.get_data(as_text=True).lstrip("\ufeff")), delimiter=";"))  # fmt: skip
    assert rows[0][:2] == ["No.", "Outgoing number"]
    assert [(r[1], r[5]) for r in rows[1:]] == [(n1, "RR000000011KZ"), (n2, "")]
    # another range: nothing; executors do not read the register
    assert n1 not in clerk.get("/outgoing/dispatch/register?from=2020-01-01&to=2020-01-31").get_data(as_text=True)  # fmt: skip
    assert web("exec.energy").get("/outgoing/dispatch/register").status_code == 403


def test_recipients_address_and_email_are_masked_in_the_audit_trail(api, users, routed, make_item, smtp):  # fmt: skip
    lid = signed_letter(api, users, routed, make_item)
    api.post("clerk", f"/letters/{lid}/dispatch", {"channel": "email"})
    api.post("clerk", f"/letters/{lid}/dispatch", {"channel": "post"})
    entries = db.session.scalars(
        select(AuditEntry).where(AuditEntry.object_type == "letter_dispatch")
    ).all()
    assert len(entries) >= 2
    dumped = json.dumps([e.summary for e in entries], ensure_ascii=False)
    assert APPLICANT_EMAIL not in dumped and "Төле би" not in dumped
    assert "Сейітова" not in dumped


# --- e-Otinish: the export package ----------------------------------------------------------------


def test_eotinish_package_has_the_case_the_pdf_and_the_cms(api, users, routed, make_item):
    lid = signed_letter(api, users, routed, make_item)
    letter = letter_by_public_id(lid)
    r = api.post("clerk", f"/letters/{lid}/dispatch", {"channel": "eotinish"})
    assert r.status_code == 201, r.get_json()
    body = r.get_json()
    assert body["status"] == "sent" and body["letter_state"] == "sent"
    package = body["package"]
    assert package["id"] == body["id"]
    got = api.get("clerk", package["url"].removeprefix("/api/v1"))
    assert got.status_code == 200 and got.mimetype == "application/zip"
    assert hashlib.sha256(got.data).hexdigest() == package["sha256"]
    zf = zipfile.ZipFile(io.BytesIO(got.data))
    assert sorted(zf.namelist()) == ["case.jsonl", "letter.p7s", "letter.pdf", "manifest.json"]
    pdf, p7s = zf.read("letter.pdf"), zf.read("letter.p7s")
    assert pdf == letter.signed_pdf
    manifest = json.loads(zf.read("manifest.json"))
    for name, digest in manifest["files"].items():
        assert hashlib.sha256(zf.read(name)).hexdigest() == digest, name
    assert manifest["letter"]["outgoing_number"] == letter.reg_number
    # the case: one line in the case-exchange shape, with this letter's answer
    [line] = zf.read("case.jsonl").decode("utf-8").splitlines()
    case = records.parse_line(line, _people())  # the importer's own validation
    assert case["reg_number"] == letter.item.reg_number
    answered = [e for e in case["events"] if e["type"] == "answered"]
    assert any(e.get("outgoing_number") == letter.reg_number for e in answered)
    # the CMS is the PDF's signature: its signed digest is the digest of the signed byte range
    info = cms.ContentInfo.load(p7s)
    assert info.dump() == p7s and info["content_type"].native == "signed_data"
    a, b, c, d = manifest["signature"]["byte_range"]
    signed_bytes = pdf[a : a + b] + pdf[c : c + d]
    signer = info["content"]["signer_infos"][0]
    digest = next(
        attr["values"][0].native
        for attr in signer["signed_attrs"]
        if attr["type"].native == "message_digest"
    )
    assert digest == hashlib.sha256(signed_bytes).digest()
    # another user without the right cannot fetch it
    assert api.get("exec.edu", package["url"].removeprefix("/api/v1")).status_code == 403


# --- by hand, and delivery -----------------------------------------------------------------------


def test_hand_delivery_with_a_printable_receipt(api, users, routed, make_item, web):
    lid = signed_letter(api, users, routed, make_item)
    assert api.post("clerk", f"/letters/{lid}/dispatch", {"channel": "hand"}).status_code == 422
    r = api.post("clerk", f"/letters/{lid}/dispatch", {"channel": "hand", "received_by": "Сейітова Айгерім, жеке куәлік 012345678"})  # fmt: skip
    assert r.status_code == 201, r.get_json()
    body = r.get_json()
    assert (
        body["status"] == "delivered" and body["delivered_at"] and body["delivered_by"] == "clerk"
    )
    assert body["letter_state"] == "sent"
    receipt = web("clerk").get(f"/outgoing/dispatch/{body['id']}/receipt")
    assert receipt.status_code == 200
    html = receipt.get_data(as_text=True)
    assert "Сейітова Айгерім, жеке куәлік 012345678" in html
    assert letter_by_public_id(lid).reg_number in html
    assert web("exec.edu").get(f"/outgoing/dispatch/{body['id']}/receipt").status_code == 403


def test_delivery_is_recorded_once_and_not_before_sending(api, users, routed, make_item):
    lid = signed_letter(api, users, routed, make_item)
    d = api.post("clerk", f"/letters/{lid}/dispatch", {"channel": "post", "tracking": "RR000000022KZ"}).get_json()  # fmt: skip
    path = f"/letters/{lid}/dispatches/{d['id']}/delivered"
    early = api.post("clerk", path, {"at": "2020-01-01T10:00:00+05:00"})
    assert early.status_code == 422, early.get_json()
    assert api.post("exec.energy", path, {}).status_code == 403
    r = api.post("clerk", path, {"received_by": "Сейітова А.", "note": "уведомление о вручении"})
    assert r.status_code == 200, r.get_json()
    done = r.get_json()
    assert done["status"] == "delivered" and done["delivery_note"] == "уведомление о вручении"
    assert done["received_by"] == "Сейітова А." and done["delivered_at"]
    assert api.post("clerk", path, {}).status_code == 409  # already delivered
    assert api.post("clerk", f"/letters/{lid}/dispatches/nope/delivered", {}).status_code == 404


# --- letters the profile lets go out without a head's signature --------------------------------


INTERIM = {"kind": "answer", "final": False, "language": "kk", "body": "Аралық жауап: тексеру жүргізілуде."}  # fmt: skip


def test_r_ans_2_interim_answer_without_signature_is_numbered_at_approval_and_mailed(
    api, users, routed, make_item, smtp
):
    person = ApplicantData(
        full_name="Сейітова Айгерім Болатқызы",
        iin=fake_iin(901),
        address="Алматы қ., Төле би к-сі 1",
        email=APPLICANT_EMAIL,
    )
    item = routed("in_work", item=make_item(applicants=[person], summary="Жылу жоқ, аралық"))
    lid = approved_letter(api, item, INTERIM)  # default profile: interim answers need no signature
    letter = letter_by_public_id(lid)
    assert letter.state == "registered" and letter.reg_number and letter.signed_pdf is None
    r = api.post("clerk", f"/letters/{lid}/dispatch", {"channel": "email"})
    assert r.status_code == 201, r.get_json()
    ((_to, message),) = smtp.messages
    ((_name, pdf),) = _attachments(message)
    assert pdf.startswith(b"%PDF")
    db.session.expire_all()
    assert letter_by_public_id(lid).state == "sent"
    # the e-Otinish package carries a signature: an unsigned letter is refused, nothing kept
    r = api.post("clerk", f"/letters/{lid}/dispatch", {"channel": "eotinish"})
    assert r.status_code == 422 and r.get_json()["error"] == "not_signed"


def test_r_ans_2_interim_answer_signed_when_the_profile_says_so(api, users, routed):
    from docflow.core.settings import get_setting, set_setting

    set_setting("letters", {**(get_setting("letters") or {}), "signature_required": ["final_answer", "interim_answer"]})  # fmt: skip
    db.session.commit()
    item = routed("in_work")
    lid = approved_letter(api, item, INTERIM)
    letter = letter_by_public_id(lid)
    assert (
        letter.state == "approved" and letter.reg_number is None
    )  # waits for the head's signature
