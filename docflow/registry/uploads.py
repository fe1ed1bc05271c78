"""Files of the registry: stored first, then named by an attachment row.

A file never changes once stored (a replacement is a new version, R-AUDIT-3). Storage is
content-addressed and written before the row that names it commits, so a committed row never
lacks its file; a row that never commits leaves an orphan for ``flask storage orphans``.
"""

from __future__ import annotations

import mimetypes
import re
from dataclasses import dataclass
from typing import Any, BinaryIO

from flask import current_app
from flask_babel import lazy_gettext as _l
from sqlalchemy import inspect as sa_inspect

from docflow.core.security import AccessDenied, Permission, has_permission
from docflow.core.storage import FileTooLarge, StorageFull, StoredFile, get_storage
from docflow.extensions import db
from docflow.registry.errors import FileNotStored, RegistrationError
from docflow.registry.models import Attachment, IncomingItem


@dataclass(frozen=True)
class Upload:
    """A file already in storage, not yet named by a row (``store_upload``)."""

    filename: str
    content_type: str
    stored: StoredFile


def store_upload(filename: str, stream: BinaryIO, content_type: str | None = None) -> Upload:
    """Put a file in storage, before (and outside) the transaction that names it.

    Storage is content-addressed and written before the row that names it commits, so a write
    request can store its files before it takes the write lock (issue 13); a row that never
    commits leaves an orphan for ``flask storage orphans``. Refusals as ``attach``'s.
    """
    limit = (
        current_app.config.get("MAX_ATTACHMENT_BYTES") or current_app.config["MAX_CONTENT_LENGTH"]
    )
    try:
        stored = get_storage().save(stream, max_bytes=limit)
    except FileTooLarge:
        raise RegistrationError({"file": _l("The file is too large.")}) from None
    except StorageFull as exc:  # nothing of the file kept; a refused file like the one above
        raise FileNotStored({"file": exc.message}) from None
    name = safe_filename(filename)
    if stored.size == 0:
        raise RegistrationError({"file": _l("The file “%(name)s” is empty.", name=name)})
    kind = content_type or mimetypes.guess_type(name)[0] or "application/octet-stream"
    return Upload(name, kind, stored)


def attach(
    item: IncomingItem | None,
    filename: str,
    stream: BinaryIO,
    actor: Any,
    *,
    replaces: Attachment | None = None,
    source: str = "upload",
    content_type: str | None = None,
    check_permission: bool = True,
) -> Attachment:
    """Store a file for an item (never modified; a replacement is a new version).

    ``check_permission=False`` is for callers that checked their own, narrower right (an
    executor attaching the answer has no right to modify the registration).
    """
    if check_permission and item is not None and not has_permission(actor, Permission.MODIFY, item):
        raise AccessDenied()
    upload = store_upload(filename, stream, content_type)
    return attach_stored(
        item, upload, actor, replaces=replaces, source=source, check_permission=False
    )


def attach_stored(
    item: IncomingItem | None,
    upload: Upload,
    actor: Any,
    *,
    replaces: Attachment | None = None,
    source: str = "upload",
    check_permission: bool = True,
) -> Attachment:
    """Name a stored file (``store_upload``) as an item's attachment."""
    if check_permission and item is not None and not has_permission(actor, Permission.MODIFY, item):
        raise AccessDenied()
    stored = upload.stored
    attachment = Attachment(
        item_id=item.id if item is not None else None,
        filename=upload.filename,
        content_type=upload.content_type,
        size=stored.size,
        sha256=stored.sha256,
        storage_key=stored.key,
        replaces_id=replaces.id if replaces is not None else None,
        uploaded_by_id=getattr(actor, "id", None),
        source=source,
    )
    db.session.add(attachment)
    if item is not None and "attachments" in sa_inspect(item).dict:
        item.attachments.append(attachment)  # a list already loaded stays true
    db.session.flush()
    return attachment


def safe_filename(name: str) -> str:
    name = (name or "").replace("\\", "/").rsplit("/", 1)[-1]
    name = re.sub(r"[\x00-\x1f<>:\"|?*]", "_", name).strip(" .")
    return (name or "file")[:200]
