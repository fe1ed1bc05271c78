"""E-mail dispatch of a signed letter on the distributed path: queued at the commit, sent by the
task (a real SMTP server the test starts), retried while the server cannot be reached."""

from __future__ import annotations

import pytest
from aiosmtpd.controller import Controller

from docflow.core import tasks
from docflow.extensions import db
from docflow.outgoing.dispatch_models import LetterDispatch
from docflow.outgoing.letter_models import letter_by_public_id
from tests.outgoing.letter_helpers import Api
from tests.outgoing.test_dispatch import APPLICANT_EMAIL, Mailbox, free_port, signed_letter


@pytest.fixture
def sent(app, monkeypatch):
    """What the app handed to the broker (``BROKER_URL`` set, nothing listening)."""
    app.config["BROKER_URL"] = "redis://127.0.0.1:1/0"
    out: list[tuple[str, str, list]] = []
    monkeypatch.setattr(
        "docflow.core.tasks_celery.send",
        lambda _app, key, name, args: out.append((key, name, args)),
    )
    return out


@pytest.fixture
def api(app, users):
    return Api(app, users)


def _smtp(app, port: int) -> None:
    app.config.update(SMTP_HOST="127.0.0.1", SMTP_PORT=port, SMTP_FROM="kense@almaty.gov.kz")


def test_email_dispatch_is_queued_and_the_task_sends_it(app, api, users, routed, make_item, sent):
    lid = signed_letter(api, users, routed, make_item)
    box, port = Mailbox(), free_port()
    controller = Controller(box, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        _smtp(app, port)
        r = api.post("clerk", f"/letters/{lid}/dispatch", {"channel": "email"})
        assert r.status_code == 201, r.get_json()
        assert r.get_json()["status"] == "queued" and box.messages == []
        [(key, name, args)] = sent  # handed over after the commit
        assert name == "outgoing.send_email"
        assert tasks.execute(key, name, args) == "done"
        assert tasks.execute(key, name, args) == "skipped"  # a second delivery sends nothing
    finally:
        controller.stop()
    db.session.expire_all()
    [(rcpts, _message)] = box.messages
    assert rcpts == [APPLICANT_EMAIL]
    assert db.session.get(LetterDispatch, args[0]).state == "sent"
    assert letter_by_public_id(lid).state == "sent"


def test_an_unreachable_server_is_retried_then_the_dispatch_fails(
    app, api, users, routed, make_item, sent
):
    from docflow.worker_tasks import EMAIL_TRIES

    lid = signed_letter(api, users, routed, make_item)
    _smtp(app, free_port())  # nothing listens there
    r = api.post("clerk", f"/letters/{lid}/dispatch", {"channel": "email"})
    assert r.status_code == 201, r.get_json()
    [(key, name, args)] = sent
    outcomes = [tasks.execute(key, name, args) for _ in range(EMAIL_TRIES)]
    assert outcomes == ["retry"] * (EMAIL_TRIES - 1) + ["done"]
    db.session.expire_all()
    d = db.session.get(LetterDispatch, args[0])
    assert d.state == "failed" and "ConnectionRefusedError" in d.error
    assert letter_by_public_id(lid).state == "signed"
