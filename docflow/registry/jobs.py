"""Background text extraction of attachments: claim, extract in a sandboxed subprocess, store.

``EXTRACTION_MODE`` decides who does the work: ``thread`` (default; a worker thread in the web
process, woken by uploads), ``sync`` (right after the upload's commit — tests, small installs),
``off`` (an external ``flask --app docflow registry worker``); with ``BROKER_URL`` set, one Celery
task per file (:mod:`docflow.worker_tasks`). A failed extraction is recorded on
the file; the item and its other files are never touched by it. The first-page previews are a
step of their own, after the texts (:mod:`docflow.registry.extraction_previews`).
"""

from __future__ import annotations

import datetime as dt
import logging
import threading
from typing import Any

from flask import Flask, current_app
from sqlalchemy import select, update

from docflow.core import audit
from docflow.core.storage import get_storage
from docflow.extensions import db
from docflow.registry import search
from docflow.registry.models import Attachment

log = logging.getLogger(__name__)
WORKER_ACTOR = audit.Actor(None, "extraction")
STALE_AFTER = dt.timedelta(minutes=30)


def schedule(app: Flask | None = None) -> None:
    app = app or current_app._get_current_object()  # type: ignore[attr-defined]
    if app.config.get("BROKER_URL"):  # Celery workers on any machine (docflow/worker_tasks.py)
        from docflow.worker_tasks import queue_extraction

        queue_extraction()
        return
    mode = app.config.get("EXTRACTION_MODE", "thread")
    if mode == "sync":
        process_pending()
    elif mode == "thread":
        _Worker.for_app(app).wake()


def claim(attachment_id: int) -> bool:
    """Atomically move one attachment from pending to running (so two workers never share one)."""
    table = Attachment.__table__
    result = db.session.execute(
        update(table)
        .where(table.c.id == attachment_id, table.c.extraction_status == "pending")
        .values(extraction_status="running", extracted_at=dt.datetime.now(dt.UTC))
    )
    db.session.commit()
    return result.rowcount == 1


def process_pending(limit: int | None = None) -> int:
    """Split the pending scans, extract the pending files' texts, then make their previews."""
    from docflow.registry import extraction_previews
    from docflow.registry.scanning import process_pending_batches

    done = process_pending_batches()
    extracted: list[int] = []
    while limit is None or done < limit:
        next_id = db.session.scalar(
            select(Attachment.id)
            .where(Attachment.extraction_status == "pending")
            .order_by(Attachment.id)
            .limit(1)
        )
        db.session.rollback()
        if next_id is None:
            break
        if claim(next_id):
            process_one(next_id)
            extracted.append(next_id)
            done += 1
    extraction_previews.process(extracted)
    return done


def process_one(attachment_id: int) -> None:
    from docflow.registry.extraction import extract

    att = db.session.get(Attachment, attachment_id)
    key, filename = att.storage_key, att.filename
    limits = current_app.config.get("EXTRACTION_LIMITS")
    db.session.rollback()  # no transaction (and no lock) while the subprocess runs
    storage = get_storage()
    try:
        with storage.local_path(key) as path:
            # The original name only words the error ("not a PDF although its name says so").
            result = (
                extract(path, limits=limits, filename=filename)
                if limits
                else extract(path, filename=filename)
            )
    except Exception as exc:  # a bug in our pipeline: recorded on the file, never lost silently
        log.exception("extraction of attachment %s crashed", attachment_id)
        _store(
            attachment_id, {"status": "failed", "error_code": "internal", "error": str(exc)[:500]}
        )
        return
    _store(attachment_id, _as_dict(result))


def _as_dict(result: Any) -> dict[str, Any]:
    return {
        "status": result.status,
        "kind": result.kind,
        "text": result.text if result.pages else None,
        "page_count": result.page_count,
        "ocr_pages": result.ocr_pages,
        "error_code": result.error_code,
        "error": result.error,
    }


def _store(attachment_id: int, data: dict[str, Any]) -> None:
    with audit.acting_as(WORKER_ACTOR):
        att = db.session.get(Attachment, attachment_id)
        att.extraction_status = data["status"]
        att.file_kind = data.get("kind")
        att.text = data.get("text")
        att.page_count = data.get("page_count")
        att.ocr_pages = data.get("ocr_pages")
        att.extraction_error_code = data.get("error_code")
        att.extraction_error = data.get("error")
        att.extracted_at = dt.datetime.now(dt.UTC)
        if att.item is not None:
            search.reindex(att.item)
        db.session.commit()


def _previews_missing() -> None:
    from docflow.registry import extraction_previews

    try:
        extraction_previews.process_missing()
    except Exception:
        log.exception("previews of files left without one failed")


def requeue_stale() -> int:
    """Files left ``running`` by a worker that died go back to the queue."""
    table = Attachment.__table__
    cutoff = dt.datetime.now(dt.UTC) - STALE_AFTER
    result = db.session.execute(
        update(table)
        .where(table.c.extraction_status == "running", table.c.extracted_at < cutoff)
        .values(extraction_status="pending")
    )
    db.session.commit()
    return result.rowcount


class _Worker:
    _lock = threading.Lock()

    def __init__(self, app: Flask) -> None:
        self.app = app
        self.event = threading.Event()
        self.thread = threading.Thread(target=self._run, name="docflow-extraction", daemon=True)
        self.thread.start()

    @classmethod
    def for_app(cls, app: Flask) -> _Worker:
        with cls._lock:
            worker = app.extensions.get("docflow_extraction_worker")
            if worker is None or not worker.thread.is_alive():
                worker = cls(app)
                app.extensions["docflow_extraction_worker"] = worker
            return worker

    def wake(self) -> None:
        self.event.set()

    def _run(self) -> None:
        with self.app.app_context():
            requeue_stale()
            _previews_missing()
        while True:
            self.event.wait(timeout=60)
            self.event.clear()
            try:
                with self.app.app_context():
                    process_pending()
                    db.session.remove()
            except Exception:
                log.exception("extraction worker loop failed")
