"""A paper answer (signed by hand, scanned) keeps today's routing API path — ``answer`` +
``approve`` + ``close`` — and the head's approval registers it in the outgoing journal: the
same gapless numbers (R-REG-4) as the digitally signed letters."""

from __future__ import annotations

import io
import json

import pytest

import docflow.routing.workflow  # noqa: F401 — the incoming states letters extend, first

# isort: split
from docflow.core.numbering import current_value
from docflow.extensions import db
from docflow.outgoing.letter_models import Letter, letter_by_public_id
from docflow.outgoing.letters import final_letter_status
from docflow.outgoing.operations import journal_settings
from docflow.outgoing.paper import PAPER_KIND, paper_letter, register_paper_answer
from docflow.routing import operations as routing
from tests.outgoing.letter_helpers import (
    PASSPHRASE,
    Api,
    approved_letter,
    make_letter_pki,
    setup_signer,
)


@pytest.fixture
def api(app, users):
    return Api(app, users)


def _year() -> int:
    from docflow.core.calendar import get_calendar

    return get_calendar().local_now().date().year


def _counter() -> int:
    return current_value(journal_settings()["code"], _year())


def _answer(api, item, summary="Жылу берілді, акт қоса беріледі.", final=True):
    return api.client.post(
        f"/api/v1/items/{item.public_id}/routing/answer",
        data={
            "data": json.dumps({"summary": summary, "final": final}),
            "file": (io.BytesIO(b"%PDF-1.4 scanned answer"), "answer.pdf"),
        },
        content_type="multipart/form-data",
        headers=api._headers("exec.energy"),
    )


def _routing(api, item) -> dict:
    r = api.get("controller", f"/items/{item.public_id}/routing")
    assert r.status_code == 200, r.get_json()
    return r.get_json()


def test_r_ctrl_1_paper_answer_api_path_works_as_before_and_is_registered(api, routed):
    item = routed("in_work")
    db.session.commit()
    before = _counter()
    r = _answer(api, item)
    assert r.status_code == 200, r.get_json()
    assert _routing(api, item)["answer"]["reg_number"] is None  # not out yet: no number
    assert _counter() == before
    r = api.post("head.energy", f"/items/{item.public_id}/routing/approve")
    assert r.status_code == 200, r.get_json()
    answer = _routing(api, item)["answer"]
    assert answer["status"] == "approved" and answer["reg_number"]
    assert _counter() == before + 1
    letter = db.session.scalar(db.select(Letter).where(Letter.reg_number == answer["reg_number"]))
    assert (letter.kind, letter.state, letter.item_id) == (PAPER_KIND, "registered", item.id)
    assert letter.reg_journal == journal_settings()["code"] and letter.reg_seq == before + 1
    assert letter.signed_pdf is None and letter.final is True
    # R-CTRL-1 on routing's own check, exactly as before: the paper answer closes the item
    assert final_letter_status(item) is None
    closed = api.post("controller", f"/items/{item.public_id}/routing/close")
    assert closed.status_code == 200, closed.get_json()
    db.session.refresh(item)
    assert item.state == "closed"


def test_r_reg_4_paper_answers_and_signed_letters_share_one_gapless_journal(api, users, routed):
    pki = make_letter_pki()
    setup_signer(users, pki)
    first = approved_letter(api, routed("in_work"))
    assert api.post("head.energy", f"/letters/{first}/sign", {"passphrase": PASSPHRASE}).status_code == 200  # fmt: skip
    paper_item = routed("answered")  # answered on paper: approved by the head
    db.session.commit()
    second = approved_letter(api, routed("in_work"))
    assert api.post("head.energy", f"/letters/{second}/sign", {"passphrase": PASSPHRASE}).status_code == 200  # fmt: skip
    a, b = letter_by_public_id(first), letter_by_public_id(second)
    paper = paper_letter(routing.current_answer(paper_item))
    assert (a.reg_journal, a.reg_year) == (paper.reg_journal, paper.reg_year)
    assert (b.reg_journal, b.reg_year) == (paper.reg_journal, paper.reg_year)
    assert [a.reg_seq, paper.reg_seq, b.reg_seq] == [a.reg_seq, a.reg_seq + 1, a.reg_seq + 2]
    assert len({a.reg_number, paper.reg_number, b.reg_number}) == 3


def test_returned_answer_gets_no_number_and_each_approved_answer_its_own(api, users, routed):
    item = routed("answer_review")
    before = _counter()
    routing.return_answer(item, users["head.energy"], "Дополните акт.")
    db.session.commit()
    assert _counter() == before and _routing(api, item)["answer"]["reg_number"] is None
    assert _answer(api, item, "Жылу берілді, акт толықтырылды.").status_code == 200
    assert api.post("head.energy", f"/items/{item.public_id}/routing/approve").status_code == 200
    first = _routing(api, item)["answer"]["reg_number"]
    assert first and _counter() == before + 1
    # the controller finds it poor (R-CTRL-2): the next approved answer goes out with a new number
    routing.send_back_for_rework(item, users["controller"], "Ответ не по существу.")
    db.session.commit()
    assert _answer(api, item, "Жылу берілді, акт және түсініктеме.").status_code == 200
    assert api.post("head.energy", f"/items/{item.public_id}/routing/approve").status_code == 200
    second = _routing(api, item)["answer"]["reg_number"]
    assert second and second != first and _counter() == before + 2
    # the first registration stays in the journal: numbers are never reused
    assert db.session.scalar(db.select(Letter).where(Letter.reg_number == first)) is not None


def test_registration_is_once_per_answer(app, users, routed):
    item = routed("answered")
    answer = routing.current_answer(item)
    before = _counter()
    registered = paper_letter(answer)
    assert registered is not None and registered.reg_number
    again = register_paper_answer(item, answer, users["head.energy"])
    assert again is registered and _counter() == before


def test_refused_approval_takes_no_number(api, routed):
    item = routed("answer_review")
    db.session.commit()
    before = _counter()
    r = api.post("exec.energy", f"/items/{item.public_id}/routing/approve")
    assert r.status_code == 403, r.get_json()
    assert _counter() == before and _routing(api, item)["answer"]["reg_number"] is None
