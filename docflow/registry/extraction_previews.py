"""First-page previews of attachments: a step of its own, made after the text.

``extract()`` returns as soon as a file's text is there (rendering and compressing the first
page of a short letter cost more than its whole text); the preview — the first page of a PDF
or the first frame of an image as a PNG of at most 800 px — is made afterwards by
:func:`docflow.registry.extraction.make_preview`, in the same sandbox and under the same limits.
``Attachment.preview_key`` says where it stands:

- ``NULL``: not made yet (the text is stored first), or its last attempt failed in our own
  machinery (the storage): it is tried again;
- a storage key: the PNG, served by the item's files page;
- ``""`` (:data:`NO_PREVIEW`): none can be made (the file cannot be drawn); never tried again.

Who makes it: without a broker, the extraction worker
(:func:`docflow.registry.jobs.process_pending`) right after the texts of the files it took; with one, a task ``registry.preview`` per file
queued once its text is stored (idempotent: one run per attachment; retried on a storage
failure). Files missed by both (a worker that died in between) are taken up by the sweeps
(:func:`process_missing`, :func:`queue_missing`). A preview never touches the text, the item or
its registration: its failure leaves them as they are.
"""

from __future__ import annotations

import io
import logging
from collections.abc import Iterable

from flask import current_app
from sqlalchemy import or_, select, update

from docflow.core.storage import get_storage
from docflow.extensions import db
from docflow.registry.models import Attachment

log = logging.getLogger(__name__)

PREVIEW_KINDS = ("pdf", "png", "jpeg", "tiff")
NO_PREVIEW = ""  # preview_key of a file of which no preview can be made
#: A file whose text failed for these reasons may still have a first page to show (a scan
#: whose OCR failed, or that had too many pages to read in time).
PREVIEW_AFTER_FAILURE = ("ocr_failed", "timeout")
RECENT = 1000  # the sweeps look at this many newest attachments (a primary-key range)
MAX_ATTEMPTS = 5  # tries of one preview within a worker process (storage failures)

_failures: dict[int, int] = {}  # attachment id -> failed attempts (this process)


def _wanted():
    """The condition of an attachment that should get a preview and has none yet."""
    return (
        Attachment.preview_key.is_(None),
        Attachment.file_kind.in_(PREVIEW_KINDS),
        or_(
            Attachment.extraction_status == "done",
            (Attachment.extraction_status == "failed")
            & Attachment.extraction_error_code.in_(PREVIEW_AFTER_FAILURE),
        ),
    )


def waiting(att: Attachment) -> bool:
    """The attachment's text is there and its preview is still to come (the item's page polls
    until it is made, then shows it)."""
    return (
        att.preview_key is None
        and att.file_kind in PREVIEW_KINDS
        and (
            att.extraction_status == "done"
            or (
                att.extraction_status == "failed"
                and att.extraction_error_code in PREVIEW_AFTER_FAILURE
            )
        )
    )


def wanted_ids(ids: Iterable[int] | None = None) -> list[int]:
    """Of ``ids`` (default: the :data:`RECENT` newest attachments), those still waiting for a
    preview, oldest first."""
    query = select(Attachment.id).where(*_wanted()).order_by(Attachment.id)
    if ids is None:
        newest = db.session.scalar(select(Attachment.id).order_by(Attachment.id.desc()).limit(1))
        if newest is None:
            return []
        query = query.where(Attachment.id > newest - RECENT)
    else:
        ids = list(ids)
        if not ids:
            return []
        query = query.where(Attachment.id.in_(ids))
    found = list(db.session.scalars(query))
    db.session.rollback()
    return found


def make_one(attachment_id: int) -> str | None:
    """Make and store the preview of one attachment that still waits for it: the key stored
    (:data:`NO_PREVIEW` when none can be made), or None when there was nothing to do (made
    already, by another worker too, or not wanted). Safe to run twice. A failure of the storage
    raises (the caller tries again later); a bad file never does."""
    from docflow.registry.extraction import make_preview

    att = db.session.scalar(select(Attachment).where(Attachment.id == attachment_id, *_wanted()))
    if att is None:
        db.session.rollback()
        return None
    key, filename = att.storage_key, att.filename
    limits = current_app.config.get("EXTRACTION_LIMITS")
    db.session.rollback()  # no transaction (and no lock) while the child renders
    storage = get_storage()
    with storage.local_path(key) as path:
        result = (
            make_preview(path, limits=limits, filename=filename)
            if limits
            else make_preview(path, filename=filename)
        )
    if result.png is None:
        log.info("no preview of attachment %s: %s", attachment_id, result.error)
        preview_key = NO_PREVIEW
    else:
        preview_key = storage.save(io.BytesIO(result.png)).key
    table = Attachment.__table__
    stored = db.session.execute(
        update(table)
        .where(
            table.c.id == attachment_id,
            table.c.preview_key.is_(None),
            table.c.storage_key == key,
        )
        .values(preview_key=preview_key)
    ).rowcount
    db.session.commit()
    # Not stored: another worker was first. The PNG (content-addressed, maybe that worker's
    # too) is left to ``flask storage orphans``.
    return preview_key if stored else None


def process(ids: Iterable[int]) -> int:
    """Previews of ``ids`` (and of those whose last attempt in this process failed), one file
    after another; a failure is logged and tried again at the next call. Returns how many were
    stored."""
    done = 0
    for attachment_id in wanted_ids([*ids, *_failures]):
        try:
            made = make_one(attachment_id)
        except Exception:
            db.session.rollback()
            tries = _failures.get(attachment_id, 0) + 1
            log.exception("preview of attachment %s failed (attempt %s)", attachment_id, tries)
            if tries >= MAX_ATTEMPTS:
                _failures.pop(attachment_id, None)
            else:
                _failures[attachment_id] = tries
            continue
        _failures.pop(attachment_id, None)
        done += made is not None
    return done


def process_missing() -> int:
    """The sweep of the embedded worker (at its start): previews of recent files left without
    one (the text stored, then the worker stopped)."""
    return process(wanted_ids())


def queue(attachment_id: int) -> bool:
    """With a broker: queue the preview task of one attachment if it waits for a preview (one
    run per attachment: a second call does nothing)."""
    from docflow.core import tasks

    if not wanted_ids([attachment_id]):
        return False
    tasks.enqueue("registry.preview", attachment_id, idempotency_key=f"preview:{attachment_id}")
    db.session.commit()
    return True


def queue_missing() -> int:
    """With a broker (the periodic sweep): queue the previews of recent files left without one."""
    return sum(queue(attachment_id) for attachment_id in wanted_ids())
