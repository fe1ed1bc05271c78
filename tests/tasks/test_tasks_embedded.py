"""The task interface without a broker (the embedded backend), and Celery's configuration."""

from __future__ import annotations

import datetime as dt
import time

import pytest
from sqlalchemy import select

from docflow.core import tasks
from docflow.core.tasks import TaskRun
from docflow.extensions import db
from tests.tasks import sample_tasks


@pytest.fixture
def app(make_app, tmp_path):
    app = make_app("demo", TEST_TASK_LOG=str(tmp_path / "effects.log"))
    with app.app_context():
        yield app


def _run(key: str) -> TaskRun | None:
    db.session.expire_all()
    return db.session.scalar(select(TaskRun).where(TaskRun.key == key))


def _pending() -> list[str]:
    """The keys waiting in the session for its commit."""
    return [p[0] for p in db.session.info.get(tasks._PENDING, [])]


def test_a_task_runs_after_the_commit_never_before(app, make_item):
    with tasks.sync_mode(app):
        make_item()  # a transaction is open
        tasks.enqueue("test.append", "x", idempotency_key="k1")
        assert sample_tasks.log_lines() == []
        assert _run("k1").state == "queued"
        db.session.commit()
        assert sample_tasks.log_lines() == ["x"]
        assert _run("k1").state == "done" and _run("k1").attempts == 1


def test_a_rolled_back_transaction_or_savepoint_drops_its_tasks(app, make_item):
    with tasks.sync_mode(app):
        make_item()
        tasks.enqueue("test.append", "rolled back", idempotency_key="gone")
        db.session.rollback()
        assert _pending() == []
        make_item()
        try:
            with db.session.begin_nested():  # an @atomic operation that fails
                tasks.enqueue("test.append", "savepoint", idempotency_key="savepoint")
                assert _pending() == ["savepoint"]
                raise ValueError("refused")
        except ValueError:
            pass
        assert _pending() == []
        tasks.enqueue("test.append", "kept", idempotency_key="kept")
        db.session.commit()
    assert sample_tasks.log_lines() == ["kept"]
    assert _run("gone") is None and _run("savepoint") is None


def test_a_transaction_ended_by_close_drops_its_tasks(app, make_item):
    with tasks.sync_mode(app):
        make_item()
        tasks.enqueue("test.append", "closed", idempotency_key="closed")
        db.session.close()  # no rollback event: the session's next commit must not send it
        assert _pending() == []
        tasks.enqueue("test.append", "next", idempotency_key="next")
        db.session.commit()
    assert sample_tasks.log_lines() == ["next"]
    assert _run("closed") is None


def test_the_same_key_twice_and_a_second_delivery_run_once(app):
    with tasks.sync_mode(app):
        tasks.enqueue("test.append", "once", idempotency_key="same")
        tasks.enqueue("test.append", "once", idempotency_key="same")
    assert tasks.execute("same", "test.append", ["once"]) == "skipped"  # delivered again
    assert sample_tasks.log_lines() == ["once"]
    assert _run("same").attempts == 1


def test_a_transient_error_is_retried_until_it_passes(app):
    with tasks.sync_mode(app):
        tasks.enqueue("test.flaky", "passed", 2, idempotency_key="flaky")
    run = _run("flaky")
    assert (run.state, run.attempts, run.error) == ("done", 3, None)
    assert sample_tasks.log_lines() == ["attempt 1", "attempt 2", "attempt 3", "passed"]


def test_retries_end_in_failed_with_the_error(app):
    with tasks.sync_mode(app):
        tasks.enqueue("test.flaky", "never", 99, idempotency_key="hopeless")
    run = _run("hopeless")
    assert run.state == "failed" and run.attempts == 5  # the first try and max_retries=4
    assert "TransientError: not yet (5)" in run.error
    assert "never" not in sample_tasks.log_lines()


def test_a_running_task_is_busy_within_its_lease_and_taken_over_after(app):
    app.config["TASK_LEASE_SECONDS"] = 60
    now = dt.datetime.now(dt.UTC)
    db.session.add(
        TaskRun(
            key="r", name="test.append", args=["w"], state="running", attempts=1, started_at=now
        )
    )
    db.session.commit()
    assert tasks.execute("r", "test.append", ["w"]) == "busy"
    assert sample_tasks.log_lines() == []
    _run("r").started_at = now - dt.timedelta(seconds=61)  # its worker died
    db.session.commit()
    assert tasks.execute("r", "test.append", ["w"]) == "done"
    assert sample_tasks.log_lines() == ["w"] and _run("r").attempts == 2


def test_recover_sends_runs_lost_between_commit_and_queue_again(app):
    old = dt.datetime.now(dt.UTC) - dt.timedelta(minutes=10)
    db.session.add(TaskRun(key="lost", name="test.append", args=["late"], created_at=old))
    db.session.add(TaskRun(key="fresh", name="test.append", args=["young"]))
    db.session.commit()
    with tasks.sync_mode(app):
        assert tasks.recover(older_than=300) == 1
    assert sample_tasks.log_lines() == ["late"]
    assert _run("fresh").state == "queued"


def test_the_default_embedded_backend_runs_on_a_background_thread(app):
    assert app.config.get("TASK_MODE", "thread") == "thread"
    tasks.enqueue("test.append", "threaded", idempotency_key="bg")
    deadline = time.monotonic() + 30
    while (_run("bg").state != "done") and time.monotonic() < deadline:
        db.session.rollback()
        time.sleep(0.05)
    assert _run("bg").state == "done"
    assert sample_tasks.log_lines() == ["threaded"]


def test_an_unknown_task_is_refused_at_enqueue(app):
    with pytest.raises(tasks.UnknownTask):
        tasks.enqueue("no.such.task")


def test_cases_import_in_the_background_runs_as_a_task(app, tmp_path):
    from docflow.registry.models import item_by_number
    from tests.exchange.conftest import CASE, line

    path = tmp_path / "cases.jsonl"
    path.write_text(line(CASE), encoding="utf-8")
    result = app.test_cli_runner().invoke(
        args=["cases", "import", str(path), "--source", "e-otinish", "--background"]
    )
    assert result.exit_code == 0, result.output
    assert ": done" in result.output
    db.session.remove()
    assert item_by_number(CASE["reg_number"]).imported
    run = db.session.scalar(select(TaskRun).where(TaskRun.name == "exchange.import_cases"))
    assert run.state == "done"


def test_beat_schedules_the_daily_jobs_and_celery_acks_late(make_app):
    from celery.schedules import crontab

    from docflow.core.tasks_celery import client

    app = make_app("empty", BROKER_URL="redis://127.0.0.1:1/0", TASK_SCHEDULE={"routing.remind": "09:15", "registry.sweep": None})  # fmt: skip
    celery = client(app)
    beat = celery.conf.beat_schedule
    daily = {"registry.return_overdue", "routing.remind", "analytics.scheduled_reports"}
    assert daily <= set(beat)
    assert all(isinstance(beat[name]["schedule"], crontab) for name in daily)
    assert beat["routing.remind"]["schedule"] == crontab(hour=9, minute=15)
    assert "registry.sweep" not in beat and beat["tasks.recover"]["schedule"] == 300.0
    assert celery.conf.task_acks_late and celery.conf.task_reject_on_worker_lost
    for name in ("registry.extract", "routing.remind", "outgoing.send_email"):
        t = celery.tasks[name]
        assert t.acks_late and t.reject_on_worker_lost


def test_the_daily_jobs_run_as_tasks(app, tmp_path):
    """Beat's daily jobs (here run at once, embedded): each ends done; the reports are written."""
    app.config["REPORTS_PATH"] = str(tmp_path / "reports")
    with tasks.sync_mode(app):
        tasks.enqueue("registry.return_overdue", idempotency_key="overdue")
        tasks.enqueue("routing.remind", idempotency_key="remind")
        tasks.enqueue("analytics.scheduled_reports", "2026-12-02", idempotency_key="reports")
    for key in ("overdue", "remind", "reports"):
        assert (_run(key).state, _run(key).error) == ("done", None), key
    sends = db.session.scalars(select(TaskRun).where(TaskRun.name == "routing.send_emails"))
    assert [r.state for r in sends] == ["done"]  # the reminders' e-mails, queued by remind
    written = sorted(p.name for p in (tmp_path / "reports").iterdir())
    assert "weekly_ratings-2026-11-23-2026-11-29-kk.docx" in written


def test_a_task_whose_worker_keeps_dying_is_given_up(app):
    app.config["TASK_LEASE_SECONDS"] = 60
    long_ago = dt.datetime.now(dt.UTC) - dt.timedelta(hours=1)
    db.session.add(
        TaskRun(key="doomed", name="test.append", args=["w"], state="running", attempts=6, started_at=long_ago)
    )  # fmt: skip
    db.session.commit()
    assert tasks.execute("doomed", "test.append", ["w"]) == "failed"
    assert _run("doomed").error == "gave up after 6 attempts"
    assert sample_tasks.log_lines() == []
