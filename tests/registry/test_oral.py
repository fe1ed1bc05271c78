"""R-REG-2: an oral or phone appeal is written into a protocol and registered like a written one."""

from __future__ import annotations

import io
import zipfile

import pytest
from sqlalchemy import func, select

from docflow.api import issue_token
from docflow.extensions import db
from docflow.registry import oral
from docflow.registry.models import Attachment, IncomingItem
from docflow.registry.operations import ApplicantData, RegistrationData, RegistrationError
from docflow.registry.repeats import candidates_of
from docflow.routing import operations as routing_ops
from tests.fixtures import page
from tests.registry.conftest import almaty

WORDS = (
    "Үш аптадан бері үйде ыстық су жоқ, Абай даңғылы 10.\n"
    "Жылу желілеріне бірнеше рет қоңырау шалдым, жауап болмады."
)
APPLICANT = {
    "full_name": "Серикбаев Нурлан Аскарович",
    "iin": "850315301235",
    "address": "Алматы, Абай 10",
}


def _appeal(channel="oral", words=WORDS, **kw) -> oral.OralAppeal:
    data = RegistrationData(
        kind=kw.pop("kind", "complaint"),
        channel=channel,
        applicants=[ApplicantData(**APPLICANT)],
        addressee="Алматы қаласының әкімі",
        arrived_at=kw.pop("arrived_at", almaty(2026, 11, 16, 10, 30)),
        **kw,
    )
    return oral.OralAppeal(data=data, words=words, caller_phone="+7 701 000 11 22")


def _docx_text(att: Attachment) -> str:
    from docflow.core.storage import get_storage

    with get_storage().open(att.storage_key) as f:
        data = f.read()
    with zipfile.ZipFile(io.BytesIO(data)) as z:
        return z.read("word/document.xml").decode()


def test_r_reg_2_oral_appeal_is_written_into_a_protocol_and_registered(app, clerk, make_item):
    written = make_item(kind="complaint", summary="Жарық жоқ")
    item = oral.register_oral(_appeal(), clerk)
    db.session.commit()
    # Registered like a written one: the same journal and numbering, term, state.
    assert item.journal == written.journal
    assert item.reg_seq == written.reg_seq + 1
    assert item.channel == "oral" and item.state == "registered"  # not sent back for a signature
    assert item.term_days == 20  # a complaint's term (R-KIND-2)
    assert item.summary.startswith("Үш аптадан бері")  # the words, when no summary is given
    protocol = oral.protocol_of(item)
    assert protocol.words == WORDS and protocol.taken_by_id == clerk.id
    assert protocol.taken_at == item.arrived_at
    att = db.session.get(Attachment, protocol.attachment_id)
    assert att.item_id == item.id and att.source == "oral_protocol"
    text = _docx_text(att)
    for expected in (
        "Ауызша өтініш хаттамасы",
        "Протокол устного обращения",
        item.reg_number,
        "16.11.2026 10:30",  # date and time of the appeal, office time
        "Жылу желілеріне бірнеше рет",  # the applicant's words
        protocol.taken_by_name,  # who took it
        "Серикбаев Нурлан Аскарович",
    ):
        assert expected in text, expected


def test_r_reg_2_phone_appeal_protocol_and_repeat_detection(app, clerk, make_item):
    earlier = make_item(
        applicant=ApplicantData(**APPLICANT), summary="Үш аптадан бері үйде ыстық су жоқ"
    )
    db.session.commit()
    item = oral.register_oral(_appeal("phone"), clerk)
    db.session.commit()
    # The same repeat detection as every registration path (R-ROUTE-4).
    assert [c.candidate_id for c in candidates_of(item)] == [earlier.id]
    text = _docx_text(db.session.get(Attachment, oral.protocol_of(item).attachment_id))
    assert "по телефону" in text and "+7 701 000 11 22" in text
    # The same routing: distributed like any appeal.
    routing_ops.distribute(item, db.session.merge(_user("controller")), ["ENERGY"])
    assert item.state == "distributed"


def _user(name):
    from docflow.org.models import user_by_username

    return user_by_username(name)


def test_r_reg_2_refused_without_words_or_outside_the_oral_channels(app, clerk):
    before = db.session.scalar(select(func.count(IncomingItem.id)))
    with pytest.raises(RegistrationError) as exc:
        oral.register_oral(_appeal(words="  "), clerk)
    assert "words" in exc.value.errors
    with pytest.raises(RegistrationError) as exc:
        oral.register_oral(_appeal(channel="post"), clerk)
    assert "channel" in exc.value.errors
    assert db.session.scalar(select(func.count(IncomingItem.id))) == before


def test_r_reg_2_oral_appeal_page(app, web):
    clerk_web = web("clerk")
    assert 'id="oral-appeal-link"' in page(clerk_web.get("/registry/new"))  # found from there
    r = clerk_web.get("/registry/oral?channel=phone")
    assert r.status_code == 200 and "Oral or phone appeal" in page(r)
    form = {
        "channel": "oral",
        "kind": "statement",
        "language": "kk",
        "applicant-type": "individual",
        "applicant-full_name": APPLICANT["full_name"],
        "applicant-iin": APPLICANT["iin"],
        "applicant-address": APPLICANT["address"],
        "addressee": "Алматы қаласының әкімі",
        "words": WORDS,
    }
    r = clerk_web.post("/registry/oral", data={**form, "words": ""})
    assert r.status_code == 422 and "applicant's words" in page(r)
    r = clerk_web.post("/registry/oral", data=form)
    assert r.status_code == 303
    item = db.session.scalar(select(IncomingItem).order_by(IncomingItem.id.desc()))
    assert item.channel == "oral" and oral.protocol_of(item).words == WORDS
    assert f"protocol-{item.reg_number}.docx" in page(clerk_web.get(r.headers["Location"]))
    assert web("exec.energy").get("/registry/oral").status_code == 403


def test_r_reg_2_oral_appeal_through_the_api(app, client):
    token = issue_token(_user("clerk"))
    db.session.commit()
    headers = {"Authorization": f"Bearer {token}", "Accept-Language": "en"}
    body = {
        "kind": "statement",
        "channel": "phone",
        "applicants": [APPLICANT],
        "addressee": "Алматы қаласының әкімі",
        "words": WORDS,
        "caller_phone": "+7 701 000 11 22",
    }
    r = client.post("/api/v1/items/oral", json={**body, "words": ""}, headers=headers)
    assert r.status_code == 422 and "words" in r.get_json()["fields"]
    r = client.post(
        "/api/v1/items/oral", json=body, headers={**headers, "Idempotency-Key": "call-1"}
    )
    assert r.status_code == 201
    reg_number = r.get_json()["reg_number"]
    again = client.post(
        "/api/v1/items/oral", json=body, headers={**headers, "Idempotency-Key": "call-1"}
    )
    assert again.status_code == 200 and again.get_json()["reg_number"] == reg_number
    item = db.session.scalar(select(IncomingItem).where(IncomingItem.reg_number == reg_number))
    assert item.channel == "phone" and oral.protocol_of(item) is not None
    assert len(item.attachments) == 1  # the protocol once, not again on the retry
    spec = client.get("/api/v1/openapi.json").get_json()
    assert "words" in str(spec["paths"]["/items/oral"]["post"]["requestBody"])
