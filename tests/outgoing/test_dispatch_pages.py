"""The dispatch page of a letter: the records office sends it (by hand, post, e-mail), records
the tracking number and the delivery, and the applicant's rating given by phone (R-ANS-3)."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from docflow.extensions import db
from docflow.outgoing.dispatch_models import LetterDispatch
from docflow.outgoing.letter_models import letter_by_public_id
from docflow.outgoing.public_models import AnswerRating
from tests.fixtures import page
from tests.outgoing.letter_helpers import Api
from tests.outgoing.test_dispatch import free_port, signed_letter


@pytest.fixture
def api(app, users):
    return Api(app, users)


@pytest.fixture
def lid(api, users, routed, make_item):
    return signed_letter(api, users, routed, make_item)


def _dispatches(lid: str) -> list[LetterDispatch]:
    db.session.expire_all()
    letter = letter_by_public_id(lid)
    return list(db.session.scalars(select(LetterDispatch).where(LetterDispatch.letter_id == letter.id)))  # fmt: skip


def test_the_office_hands_the_letter_over_from_the_page(web, lid):
    clerk = web("clerk")
    html = page(clerk.get(f"/outgoing/dispatch/letter/{lid}"))
    assert 'id="dispatch-form"' in html and "has not been sent yet" in html
    r = clerk.post(f"/outgoing/dispatch/letter/{lid}", data={"channel": "hand", "received_by": "Сейітова Айгерім"})  # fmt: skip
    assert r.status_code == 303
    html = page(clerk.get(r.headers["Location"]))
    assert "Recorded: By hand, Delivered." in html and "Сейітова Айгерім" in html
    [d] = _dispatches(lid)
    assert (d.channel, d.state, d.received_by) == ("hand", "delivered", "Сейітова Айгерім")
    assert letter_by_public_id(lid).state == "sent"
    assert f"/outgoing/dispatch/{d.public_id}/receipt" in html


def test_post_then_tracking_then_delivery_from_the_page(web, lid):
    clerk = web("controller")
    clerk.post(f"/outgoing/dispatch/letter/{lid}", data={"channel": "post"})
    [d] = _dispatches(lid)
    assert d.state == "queued" and letter_by_public_id(lid).state == "signed"
    html = page(clerk.get(f"/outgoing/dispatch/letter/{lid}"))
    assert f"/outgoing/dispatch/{d.public_id}/posted" in html
    r = clerk.post(f"/outgoing/dispatch/{d.public_id}/posted", data={"tracking": "RR987654321KZ"})
    assert r.status_code == 303
    [d] = _dispatches(lid)
    assert (d.state, d.tracking) == ("sent", "RR987654321KZ")
    assert letter_by_public_id(lid).state == "sent"
    clerk.post(f"/outgoing/dispatch/{d.public_id}/delivered", data={"received_by": "Сейітова А.", "note": "уведомление"})  # fmt: skip
    [d] = _dispatches(lid)
    assert (d.state, d.received_by, d.delivery_note) == ("delivered", "Сейітова А.", "уведомление")
    assert d.delivered_by.username == "controller"


def test_a_failed_email_is_said_on_the_page(app, web, lid):
    app.config.update(SMTP_HOST="127.0.0.1", SMTP_PORT=free_port(), SMTP_TIMEOUT=3)
    clerk = web("clerk")
    r = clerk.post(f"/outgoing/dispatch/letter/{lid}", data={"channel": "email"}, follow_redirects=True)  # fmt: skip
    assert r.status_code == 200
    assert "The e-mail could not be sent" in page(r)
    [d] = _dispatches(lid)
    assert d.state == "failed" and d.error
    assert letter_by_public_id(lid).state == "signed"


def test_r_ans_3_the_front_office_records_a_call_rating_on_the_page(web, lid):
    clerk = web("clerk")
    clerk.post(f"/outgoing/dispatch/letter/{lid}", data={"channel": "hand", "received_by": "А."})
    assert 'action="/outgoing/dispatch/letter/' in page(clerk.get(f"/outgoing/dispatch/letter/{lid}"))  # fmt: skip
    r = clerk.post(f"/outgoing/dispatch/letter/{lid}/rating", data={"score": "2", "comment": "Долго"})  # fmt: skip
    assert r.status_code == 303
    rating = db.session.scalar(select(AnswerRating))
    assert (rating.score, rating.source, rating.recorded_by.username) == (2, "call", "clerk")
    again = clerk.post(f"/outgoing/dispatch/letter/{lid}/rating", data={"score": "5"}, follow_redirects=True)  # fmt: skip
    assert "already been rated" in page(again)
    assert [x.score for x in db.session.scalars(select(AnswerRating))] == [2]


def test_the_subdivision_reads_the_page_but_does_not_dispatch(web, lid):
    executor = web("exec.energy")
    html = page(executor.get(f"/outgoing/dispatch/letter/{lid}"))
    assert 'id="dispatch-form"' not in html
    r = executor.post(f"/outgoing/dispatch/letter/{lid}", data={"channel": "hand", "received_by": "А."})  # fmt: skip
    assert r.status_code == 403
    assert _dispatches(lid) == []
    assert web("exec.edu").get(f"/outgoing/dispatch/letter/{lid}").status_code == 403
