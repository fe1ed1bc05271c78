"""The background work of the domains, registered as tasks (:mod:`docflow.core.tasks`).

Imported by the app setup, so the web processes (which enqueue) and the workers (which run)
know the same names. Each task is safe to run twice: it claims its row (an attachment ``pending``
→ ``running``, a scan batch likewise) or its effect is unique by itself (reminders are unique
per user, case, kind and due date; a scheduled report is never written over).

E-mail dispatch of a signed letter is a task too when a broker is configured (the dispatch stays
``queued`` until a worker sent it). Daily on Celery beat (local time, ``TASK_SCHEDULE`` changes it): ``registry.return_overdue``
(R-REG-5), ``routing.remind`` (R-CTRL-3: reminders and their e-mails) and
``analytics.scheduled_reports``; every 10 minutes ``registry.sweep`` (extractions left behind
by a dead worker) and every 5 ``tasks.recover`` (runs lost between commit and broker).
Without a broker the same daily jobs are the cron commands of the README.
"""

from __future__ import annotations

import datetime as dt
import io
import smtplib
from typing import Any

from flask import current_app
from sqlalchemy import select, update

from docflow.core import tasks
from docflow.extensions import db
from docflow.registry import extraction_previews

# --- registry: extraction, OCR and scan splitting -----------------------------------------


def _redelivered_running(status: str | None) -> bool:
    """A run that was claimed by a delivery whose worker died: this delivery takes it over."""
    return status == "running" and tasks.current_attempt() > 1


@tasks.task("registry.extract")
def extract(attachment_id: int) -> None:
    """Text extraction (and OCR) of one attachment."""
    from docflow.registry import jobs
    from docflow.registry.models import Attachment

    status = db.session.scalar(
        select(Attachment.extraction_status).where(Attachment.id == attachment_id)
    )
    db.session.rollback()
    if jobs.claim(attachment_id) or _redelivered_running(status):
        jobs.process_one(attachment_id)
    extraction_previews.queue(attachment_id)  # a task of its own, after the text


@tasks.task("registry.preview")
def preview(attachment_id: int) -> None:
    """The first-page preview of one attachment, once its text is stored; a storage failure
    is retried (a bad file is not: it gets no preview)."""
    from docflow.core.storage import StorageFull

    try:
        extraction_previews.make_one(attachment_id)
    except (OSError, StorageFull) as exc:
        raise tasks.TransientError(f"preview not stored: {exc}") from exc


@tasks.task("registry.split_batch")
def split_batch(batch_id: int) -> None:
    """Split one uploaded scan at its registration labels, then queue the parts' extraction."""
    from docflow.registry.models import ScanBatch
    from docflow.registry.scanning import process_batch

    table = ScanBatch.__table__
    status = db.session.scalar(select(table.c.status).where(table.c.id == batch_id))
    claimed = db.session.execute(
        update(table)
        .where(table.c.id == batch_id, table.c.status == "pending")
        .values(status="running")
    ).rowcount
    db.session.commit()
    if claimed or _redelivered_running(status):
        process_batch(batch_id)
        queue_extraction()


def queue_extraction() -> int:
    """Queue a task for every pending scan batch and attachment (one task per row: any
    number of workers share them). Called after the uploads' commit."""
    from docflow.registry.models import Attachment, ScanBatch

    batches = list(db.session.scalars(select(ScanBatch.id).where(ScanBatch.status == "pending")))
    files = db.session.execute(
        select(Attachment.id, Attachment.extracted_at).where(
            Attachment.extraction_status == "pending"
        )
    ).all()
    db.session.rollback()
    for batch_id in batches:
        tasks.enqueue("registry.split_batch", batch_id, idempotency_key=f"scan:{batch_id}")
    for att_id, claimed_at in files:
        # a file put back by the sweep was claimed before: its new run gets a new key
        epoch = int(claimed_at.timestamp()) if claimed_at else 0
        tasks.enqueue("registry.extract", att_id, idempotency_key=f"extract:{att_id}:{epoch}")
    return len(batches) + len(files)


@tasks.task("registry.sweep", every=600)
def sweep() -> None:
    """Extractions left ``running`` by a dead worker go back to the queue."""
    from docflow.registry import jobs

    jobs.requeue_stale()
    queue_extraction()
    extraction_previews.queue_missing()


@tasks.task("registry.return_overdue", daily="00:30")
def return_overdue() -> None:
    """R-REG-5: return appeals whose correction term has passed."""
    from docflow.registry.operations import return_overdue as run

    run(None)


# --- routing: reminders and their e-mails --------------------------------------------------


@tasks.task("routing.remind", daily="08:00")
def remind() -> None:
    """R-CTRL-3: reminders before the due date, on the day, escalation; then their e-mails."""
    from docflow.routing.reminders import run_reminders

    run_reminders()
    db.session.commit()
    tasks.enqueue("routing.send_emails")


@tasks.task("routing.send_emails")
def send_emails() -> None:
    """E-mail the notifications not sent yet (a failed one stays for the next run)."""
    from docflow.routing.reminders import send_emails as run

    run()


# --- outgoing: e-mail dispatch of signed letters --------------------------------------------

EMAIL_TRIES = 4  # attempts while the SMTP server cannot be reached; then the dispatch fails


@tasks.task("outgoing.send_email", max_retries=EMAIL_TRIES)
def send_email(dispatch_id: int) -> None:
    """Send a queued e-mail dispatch (once: a dispatch no longer queued is left alone). An
    unreachable server is retried with backoff; any other failure is recorded on it."""
    from docflow.org.models import User
    from docflow.outgoing import dispatch
    from docflow.outgoing.dispatch_models import LetterDispatch

    d = db.session.get(LetterDispatch, dispatch_id)
    if d is None or d.state != "queued":
        return
    actor = db.session.get(User, d.by_id)
    try:
        dispatch.send_queued_email(
            d, actor, raise_unreachable=tasks.current_attempt() < EMAIL_TRIES
        )
    except (OSError, smtplib.SMTPServerDisconnected) as exc:
        raise tasks.TransientError(f"SMTP server unreachable: {exc}") from exc


# --- analytics: scheduled reports ----------------------------------------------------------


@tasks.task("analytics.scheduled_reports", daily="06:00")
def scheduled_reports(today: str | None = None) -> None:
    """The reports whose period has ended, into the reports folder (shared by all machines:
    ``REPORTS_PATH``, default the instance folder's ``reports/``)."""
    from pathlib import Path

    from docflow.analytics import facts, schedule
    from docflow.core.calendar import get_calendar

    facts.drain()
    db.session.commit()
    day = dt.date.fromisoformat(today) if today else get_calendar().local_now().date()
    folder = current_app.config.get("REPORTS_PATH") or Path(current_app.instance_path) / "reports"
    schedule.run(day, Path(folder))


@tasks.task("analytics.warm_problems", every=300)
def warm_problems(today: str | None = None) -> int:
    """Keep the dashboard's emerging-problems scans computed (``problem_store``): a drain, then
    the scans of the dashboard's periods, stored for every process."""
    from docflow.analytics import facts, problem_store
    from docflow.core.calendar import get_calendar

    facts.drain()
    db.session.commit()
    day = dt.date.fromisoformat(today) if today else get_calendar().local_now().date()
    return problem_store.warm(day)


# --- exchange: case imports ----------------------------------------------------------------


@tasks.task("exchange.import_cases")
def import_cases(storage_key: str, source: str, replace: bool = False) -> dict[str, Any]:
    """Import a JSON Lines file kept in the file storage (``cases import --background``): all
    or nothing; a bad line fails the run with the importer's message."""
    from docflow.core.storage import get_storage
    from docflow.exchange.importer import import_cases as run

    with get_storage().open(storage_key) as raw:
        lines = io.TextIOWrapper(raw, encoding="utf-8")
        report = run(lines, source, replace=replace)
    return {"created": report.created, "replaced": report.replaced}
