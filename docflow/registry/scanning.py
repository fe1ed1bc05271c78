"""Batch scanning: a multi-page scan split at registration QR labels (R-REG-7 scans).

The clerk scans a stack of paper at once. Pages that carry a registration label start a new
document, which is attached to the registered item with that number; pages before the first
label, or after a label whose number is not registered, go to the "unmatched scans" queue that
a clerk resolves by hand. The original scan is kept as received; every part is a new file.
"""

from __future__ import annotations

import datetime as dt
import io
import logging
import tempfile
from pathlib import Path
from typing import Any, BinaryIO

from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from docflow.core import audit
from docflow.core.security import AccessDenied, Permission, has_permission
from docflow.core.storage import get_storage
from docflow.extensions import db
from docflow.registry import operations
from docflow.registry.batch import split_scan, write_segment
from docflow.registry.models import IncomingItem, ScanBatch, UnmatchedScan, item_by_number

log = logging.getLogger(__name__)


def upload_batch(filename: str, stream: BinaryIO, actor: Any) -> ScanBatch:
    """Store the scan and queue it for splitting (the split runs in the background worker)."""
    if not has_permission(actor, Permission.REGISTER):
        raise AccessDenied()
    from flask import current_app

    stored = get_storage().save(stream, max_bytes=current_app.config["MAX_CONTENT_LENGTH"])
    batch = ScanBatch(
        filename=operations.safe_filename(filename),
        storage_key=stored.key,
        sha256=stored.sha256,
        uploaded_by_id=getattr(actor, "id", None),
        status="pending",
    )
    db.session.add(batch)
    db.session.flush()
    return batch


def process_batch(batch_id: int) -> ScanBatch:
    """Split one pending batch; a failure is recorded on the batch, never raised."""
    batch = db.session.get(ScanBatch, batch_id)
    uploader = db.session.get(_user_model(), batch.uploaded_by_id) if batch.uploaded_by_id else None
    storage = get_storage()
    summary: dict[str, Any] = {"attached": [], "unmatched": 0}
    try:
        with storage.local_path(batch.storage_key) as path, tempfile.TemporaryDirectory() as tmp:
            segments = split_scan(path, is_known=lambda n: item_by_number(n) is not None)
            for n, segment in enumerate(segments, start=1):
                out = Path(tmp) / f"part-{n}.pdf"
                write_segment(path, segment.pages, out)
                item = item_by_number(segment.reg_number) if segment.reg_number else None
                pages = f"{segment.pages[0] + 1}-{segment.pages[-1] + 1}"
                name = f"{Path(batch.filename).stem}-p{pages}.pdf"
                with out.open("rb") as fh:
                    if item is not None:
                        attachment = operations.attach(
                            item, name, fh, uploader, source="batch", content_type="application/pdf"
                        )
                    else:
                        attachment = _attach_unowned(name, fh, uploader)
                if item is not None:
                    summary["attached"].append(item.reg_number)
                    operations.search.reindex(item)
                else:
                    db.session.add(
                        UnmatchedScan(
                            batch_id=batch.id,
                            attachment_id=attachment.id,
                            label=segment.reg_number or getattr(segment, "unknown_label", None),
                            pages=segment.pages,
                        )
                    )
                    summary["unmatched"] += 1
        batch.status = "done"
    except ValueError as exc:  # the splitter's readable refusals (too many pages, not a scan)
        db.session.rollback()
        batch = db.session.get(ScanBatch, batch_id)
        batch.status, batch.error = "failed", str(exc)[:1000]
    except Exception as exc:
        log.exception("batch %s failed", batch_id)
        db.session.rollback()
        batch = db.session.get(ScanBatch, batch_id)
        batch.status, batch.error = "failed", f"internal error: {type(exc).__name__}"
    batch.summary = summary if batch.status == "done" else None
    db.session.commit()
    return batch


def _user_model():
    from docflow.org.models import User

    return User


def _attach_unowned(name: str, fh: BinaryIO, uploader: Any):
    # Unmatched parts belong to no item yet: stored as attachments without an item.
    stored = get_storage().save(fh)
    from docflow.registry.models import Attachment

    att = Attachment(
        item_id=None,
        filename=name,
        content_type="application/pdf",
        size=stored.size,
        sha256=stored.sha256,
        storage_key=stored.key,
        uploaded_by_id=getattr(uploader, "id", None),
        source="batch",
        extraction_status="pending",
    )
    db.session.add(att)
    db.session.flush()
    return att


def process_pending_batches(limit: int | None = None) -> int:
    done = 0
    while limit is None or done < limit:
        batch_id = db.session.scalar(
            select(ScanBatch.id)
            .where(ScanBatch.status == "pending")
            .order_by(ScanBatch.id)
            .limit(1)
        )
        if batch_id is None:
            db.session.rollback()
            break
        batch = db.session.get(ScanBatch, batch_id)
        batch.status = "running"
        db.session.commit()
        process_batch(batch_id)
        done += 1
    return done


def unmatched_queue() -> list[UnmatchedScan]:
    return list(
        db.session.scalars(
            select(UnmatchedScan)
            .where(UnmatchedScan.resolved_item_id.is_(None))
            .order_by(UnmatchedScan.id)
        )
    )


def resolve(unmatched: UnmatchedScan, item: IncomingItem, actor: Any) -> None:
    """A clerk says which registered item the unmatched pages belong to."""
    if not has_permission(actor, Permission.MODIFY, item):
        raise AccessDenied()
    if unmatched.resolved_item_id is not None:
        raise operations.RegistrationError({"scan": _l("These pages are already attached.")})
    unmatched.attachment.item_id = item.id
    unmatched.resolved_item_id = item.id
    unmatched.resolved_by_id = getattr(actor, "id", None)
    unmatched.resolved_at = dt.datetime.now(dt.UTC)
    audit.record("attach_scan", item, summary={"attachment": unmatched.attachment.public_id})
    db.session.flush()
    operations.search.reindex(item)


def watch_folder(folder: Path, actor: Any) -> list[str]:
    """One pass over a watched scanner folder: each file becomes a batch; moved when taken."""
    taken = []
    processed = folder / "processed"
    processed.mkdir(exist_ok=True)
    for path in sorted(folder.iterdir()):
        if not path.is_file() or path.name.startswith("."):
            continue
        if path.suffix.lower() not in (".pdf", ".tif", ".tiff"):
            continue
        with path.open("rb") as fh:
            batch = upload_batch(path.name, io.BufferedReader(fh), actor)
        db.session.commit()
        path.rename(processed / f"{batch.id}-{path.name}")
        taken.append(path.name)
    return taken
