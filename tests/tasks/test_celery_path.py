"""The distributed path on a real Redis and real Celery workers (separate processes)."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from docflow.core import tasks
from docflow.core.tasks import TaskRun
from docflow.core.tasks_celery import send
from docflow.extensions import db
from tests.tasks import sample_tasks
from tests.tasks.conftest import wait_for

pytestmark = pytest.mark.redis


@pytest.fixture
def app(celery_world):
    """The app of the Celery world (so ``make_item`` and ``clerk`` register there)."""
    return celery_world.app


def _run(key: str) -> TaskRun | None:
    return db.session.scalar(select(TaskRun).where(TaskRun.key == key))


def _done(key: str) -> TaskRun | None:
    run = _run(key)
    return run if run is not None and run.state in ("done", "failed") else None


def test_registered_scans_extraction_and_ocr_run_on_the_celery_worker(celery_world, make_item):
    from pathlib import Path

    from docflow.registry import jobs, operations
    from docflow.registry.models import Attachment

    world = celery_world
    world.start_worker()
    item = make_item()
    sample = Path(__file__).parents[1] / "registry" / "data" / "scan-ru-image.pdf"
    with sample.open("rb") as fh:
        att = operations.attach(item, "scan.pdf", fh, item.registered_by)
    db.session.commit()
    jobs.schedule()  # as the upload views do after their commit
    run = wait_for(lambda: _done(f"extract:{att.id}:0"), 120, "the extraction task")
    assert run.state == "done" and run.name == "registry.extract"
    att = db.session.get(Attachment, att.id)
    assert att.extraction_status == "done"
    assert att.ocr_pages == 1
    assert "ЖАЛОБА" in att.text


def test_a_task_delivered_twice_is_done_once(celery_world):
    world = celery_world
    key = tasks.enqueue("test.append", "once", idempotency_key="idem-1")
    db.session.commit()
    send(world.app, key, "test.append", ["once"])  # the broker delivers the same task again
    tasks.enqueue("test.append", "after", idempotency_key="idem-2")  # a marker behind both
    db.session.commit()
    world.start_worker()
    wait_for(lambda: _done("idem-2"), 60, "the marker task")
    assert sample_tasks.log_lines() == ["once", "after"]
    assert _run("idem-1").state == "done" and _run("idem-1").attempts == 1


def test_a_worker_killed_mid_task_loses_nothing(celery_world):
    world = celery_world
    first = world.start_worker("w1", pool="prefork")  # the main process acknowledges
    tasks.enqueue("test.slow", "job", 300, idempotency_key="slow-1")
    db.session.commit()
    wait_for(lambda: "start job attempt 1" in sample_tasks.log_lines(), 60, "the task to start")
    world.kill(first)  # SIGKILL of the whole worker, mid-task: nothing was acknowledged
    assert _run("slow-1").state == "running"
    world.start_worker("w2")  # another machine's worker gets the message back (acks late)
    run = wait_for(lambda: _done("slow-1"), 60, "the redelivered task")
    assert run.state == "done" and run.attempts == 2
    assert sample_tasks.log_lines() == ["start job attempt 1", "start job attempt 2", "end job"]


def test_a_transient_error_is_retried_with_backoff(celery_world):
    world = celery_world
    world.start_worker()
    tasks.enqueue("test.flaky", "finally", 2, idempotency_key="flaky-1")
    db.session.commit()
    run = wait_for(lambda: _done("flaky-1"), 60, "the flaky task")
    assert run.state == "done" and run.attempts == 3
    assert sample_tasks.log_lines() == ["attempt 1", "attempt 2", "attempt 3", "finally"]


def test_enqueued_in_a_rolled_back_transaction_never_reaches_a_worker(celery_world, make_item):
    from docflow.registry.models import IncomingItem

    world = celery_world
    item_id = make_item().id  # the transaction's row…
    tasks.enqueue("test.append", "ghost", idempotency_key="ghost-1")  # …and its task
    db.session.rollback()
    assert db.session.get(IncomingItem, item_id) is None
    tasks.enqueue("test.append", "real", idempotency_key="real-1")
    db.session.commit()
    world.start_worker()
    wait_for(lambda: _done("real-1"), 60, "the committed task")
    assert sample_tasks.log_lines() == ["real"]
    assert _run("ghost-1") is None


def test_celery_beat_sends_the_scheduled_jobs_to_the_workers(celery_world):
    world = celery_world
    world.config["TASK_SCHEDULE"] = {"test.tick": 1}  # every second (beat reads the same config)
    world.start_worker()
    world.start_beat()
    wait_for(lambda: sample_tasks.log_lines().count("tick") >= 2, 60, "two ticks from beat")
    runs = db.session.scalars(select(TaskRun).where(TaskRun.name == "test.tick")).all()
    assert len(runs) >= 2 and {r.state for r in runs} <= {"done", "running", "queued"}


def test_an_uploaded_scan_is_split_on_a_worker_and_its_parts_extracted(
    celery_world, make_item, clerk, tmp_path
):
    from docflow.registry import jobs, scanning
    from docflow.registry.models import Attachment, ScanBatch
    from tests.registry.test_batch import save_pdf, stack

    world = celery_world
    first = make_item()
    db.session.commit()
    path = save_pdf(stack({1: (first.reg_number,)}, count=3), tmp_path / "stack.pdf")
    batch = scanning.upload_batch("stack.pdf", path.open("rb"), clerk)
    db.session.commit()
    jobs.schedule()  # as the scans page does after its commit
    world.start_worker()
    assert wait_for(lambda: _done(f"scan:{batch.id}"), 120, "the split").state == "done"
    assert db.session.get(ScanBatch, batch.id).status == "done"

    def extracted():
        files = db.session.scalars(select(Attachment).where(Attachment.source == "batch")).all()
        done = [f for f in files if f.extraction_status not in ("pending", "running")]
        return len(files) == 2 and len(done) == 2 and files

    parts = wait_for(extracted, 120, "the parts' extraction")
    assert {p.item_id for p in parts} == {first.id, None}  # page 1 unmatched, pages 2-3 attached
