"""Versions of an item's files and of its applicants' details (R-AUDIT-3).

Nothing registered is destroyed. A file is *replaced* by storing the new file as a new
``Attachment`` (``replaces_id`` names the one before) and *removed* by a ``FileChange`` that
says so; in both cases the old file stays in storage, is listed in the file's version history
(who, when, why, SHA-256) and may still be opened by those who see the registry
(``may_see_history``). The item's current files (``current_files``) are the versions neither
replaced nor removed; the extracted text and the search index follow them.

Who and when: the office (the ``MODIFY`` permission of the item's state: registrar and
controller) while the item is in one of ``FILES_OPEN_STATES`` — registered, awaiting
correction, sent to the subdivision, in work, answer awaiting approval. Once the answer is
given (answered, on control check) or consideration has ended (closed, forwarded, terminated,
returned, left without consideration, withdrawn) the files stay as the case was answered on.
An answer document (``source="answer"``) and the minutes (``"minutes"``) belong to their own
workflows and are not changed here.

An applicant's name, IIN/BIN and address are corrected the same way (docflow.registry.
applicant_versions): each correction is an ``ApplicantVersion`` with the reason, the registered
values are kept as version 1, and the ``Applicant`` row holds the current version, so repeat
detection (R-ROUTE-4) and search see the corrected details.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any, BinaryIO

from flask_babel import lazy_gettext as _l
from sqlalchemy import ForeignKey, Integer, String, Text, UniqueConstraint, select
from sqlalchemy.orm import Mapped, mapped_column, relationship

from docflow.core.db import UTCDateTime, atomic, utcnow
from docflow.core.errors import DomainError
from docflow.core.security import AccessDenied, Permission, has_permission
from docflow.extensions import db
from docflow.org.models import User
from docflow.registry import operations, search
from docflow.registry.errors import RegistrationError
from docflow.registry.models import Attachment, IncomingItem

FILES_OPEN_STATES = frozenset(
    {"registered", "awaiting_correction", "distributed", "in_work", "answer_review"}
)
LOCKED_SOURCES = frozenset({"answer", "minutes"})
REASON_MAX = 2000


class FileChange(db.Model):
    """A file of an item stopped being current: replaced by a new version, or removed."""

    __tablename__ = "file_change"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    item_id: Mapped[int] = mapped_column(ForeignKey("incoming_item.id"), nullable=False, index=True)
    action: Mapped[str] = mapped_column(String(16), nullable=False)  # replace | remove
    # the version that stopped being current, and (replace) the version that took its place
    attachment_id: Mapped[int] = mapped_column(
        ForeignKey("attachment.id"), nullable=False, index=True
    )
    new_attachment_id: Mapped[int | None] = mapped_column(
        ForeignKey("attachment.id"), nullable=True, unique=True
    )
    reason: Mapped[str] = mapped_column(Text, nullable=False)
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"), nullable=True)
    at: Mapped[dt.datetime] = mapped_column(UTCDateTime, nullable=False, default=utcnow)

    actor: Mapped[User | None] = relationship()
    attachment: Mapped[Attachment] = relationship(foreign_keys=[attachment_id])
    new_attachment: Mapped[Attachment | None] = relationship(foreign_keys=[new_attachment_id])


class ApplicantVersion(db.Model):
    """One version of an applicant's identifying details; version 1 is as registered."""

    __tablename__ = "applicant_version"
    __table_args__ = (UniqueConstraint("applicant_id", "version"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    applicant_id: Mapped[int] = mapped_column(
        ForeignKey("applicant.id"), nullable=False, index=True
    )
    item_id: Mapped[int] = mapped_column(ForeignKey("incoming_item.id"), nullable=False, index=True)
    version: Mapped[int] = mapped_column(Integer, nullable=False)
    full_name: Mapped[str | None] = mapped_column(String(300), nullable=True)
    iin: Mapped[str | None] = mapped_column(String(12), nullable=True, info={"audit": "mask"})
    organisation_name: Mapped[str | None] = mapped_column(String(300), nullable=True)
    bin: Mapped[str | None] = mapped_column(String(12), nullable=True)
    address: Mapped[str | None] = mapped_column(String(500), nullable=True, info={"audit": "mask"})
    reason: Mapped[str | None] = mapped_column(Text, nullable=True)  # None: as registered
    author_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"), nullable=True)
    at: Mapped[dt.datetime] = mapped_column(UTCDateTime, nullable=False, default=utcnow)

    author: Mapped[User | None] = relationship()


class FilesLocked(DomainError):
    """The item's files can no longer change (wrong state: 409)."""

    status = 409
    code = "conflict"


# --- reading -----------------------------------------------------------------------------------


def removed_ids(item: IncomingItem) -> set[int]:
    if item.id is None:
        return set()
    return set(
        db.session.scalars(
            select(FileChange.attachment_id).where(
                FileChange.item_id == item.id, FileChange.action == "remove"
            )
        )
    )


def _attachments(item: IncomingItem) -> list[Attachment]:
    # Read from the session, not the loaded collection: a file attached earlier in the same
    # transaction is not in ``item.attachments`` until the item is reloaded.
    if item.id is None:
        return list(item.attachments)
    return list(
        db.session.scalars(
            select(Attachment).where(Attachment.item_id == item.id).order_by(Attachment.id)
        )
    )


def current_files(item: IncomingItem) -> list[Attachment]:
    """The item's files as they are now: versions neither replaced nor removed."""
    attachments = _attachments(item)
    replaced = {a.replaces_id for a in attachments if a.replaces_id}
    removed = removed_ids(item) if attachments else set()
    return [a for a in attachments if a.id not in replaced and a.id not in removed]


def is_current(item: IncomingItem, attachment: Attachment) -> bool:
    return any(a.id == attachment.id for a in current_files(item))


def may_see_history(user: Any, item: IncomingItem) -> bool:
    """Earlier and removed versions: the registry's readers (office, inspectors, admin)."""
    return has_permission(user, Permission.VIEW_REGISTRY) or has_permission(
        user, Permission.READ_AUDIT
    )


@dataclass
class Version:
    attachment: Attachment
    number: int
    reason: str | None = None  # why it replaced the version before (None: the first)
    current: bool = False

    @property
    def uploader(self) -> User | None:
        uid = self.attachment.uploaded_by_id
        return db.session.get(User, uid) if uid is not None else None


@dataclass
class FileHistory:
    """One file's chain of versions, first to last, and its removal if it was removed."""

    versions: list[Version] = field(default_factory=list)
    removal: FileChange | None = None

    @property
    def last(self) -> Attachment:
        return self.versions[-1].attachment

    @property
    def changed(self) -> bool:
        return self.removal is not None or len(self.versions) > 1


def file_histories(item: IncomingItem) -> list[FileHistory]:
    """Every file of the item with its versions (current and removed files alike)."""
    attachments = _attachments(item)
    by_id = {a.id: a for a in attachments}
    changes = (
        list(db.session.scalars(select(FileChange).where(FileChange.item_id == item.id)))
        if item.id is not None
        else []
    )
    reasons = {c.new_attachment_id: c.reason for c in changes if c.new_attachment_id}
    removals = {c.attachment_id: c for c in changes if c.action == "remove"}
    successor = {a.replaces_id: a for a in attachments if a.replaces_id in by_id}
    histories = []
    for root in attachments:
        if root.replaces_id in by_id:
            continue  # not the first version of its file
        history = FileHistory()
        att: Attachment | None = root
        while att is not None:
            history.versions.append(Version(att, len(history.versions) + 1, reasons.get(att.id)))
            att = successor.get(att.id)
        history.removal = removals.get(history.last.id)
        history.versions[-1].current = history.removal is None
        histories.append(history)
    return histories


# --- writing -----------------------------------------------------------------------------------


def _reason(reason: str | None, message: Any) -> str:
    reason = (reason or "").strip()
    if not reason:
        raise RegistrationError({"reason": message})
    return reason[:REASON_MAX]


def check_may_change(item: IncomingItem, attachment: Attachment, actor: Any) -> None:
    """Refuse unless ``actor`` may replace or remove ``attachment`` of ``item`` now."""
    if item.state not in FILES_OPEN_STATES:
        raise FilesLocked(
            _l(
                "The files of an answered or closed item are kept as they were: they cannot be replaced or removed."
            )
        )
    if not has_permission(actor, Permission.MODIFY, item):
        raise AccessDenied()
    if attachment.item_id != item.id:
        raise DomainError(
            _l("This file does not belong to the item."), status=404, code="not_found"
        )
    if attachment.source in LOCKED_SOURCES:
        raise FilesLocked(
            _l("An answer or the minutes are changed in their own workflow, not among the files.")
        )
    if not is_current(item, attachment):
        raise FilesLocked(_l("This is not the current version of the file."))


@atomic
def replace_file(
    item: IncomingItem,
    old: Attachment,
    filename: str,
    stream: BinaryIO,
    actor: Any,
    *,
    reason: str,
    content_type: str | None = None,
) -> Attachment:
    """A new version of a file (R-AUDIT-3): the old one stays in storage and in the history."""
    check_may_change(item, old, actor)
    why = _reason(reason, _l("Say why the file is replaced."))
    new = operations.attach(item, filename, stream, actor, replaces=old, content_type=content_type)
    db.session.add(
        FileChange(
            item_id=item.id,
            action="replace",
            attachment_id=old.id,
            new_attachment_id=new.id,
            reason=why,
            actor_id=getattr(actor, "id", None),
        )
    )
    db.session.flush()
    search.reindex(item)  # the old version's text leaves the index; the new one's follows
    return new


@atomic
def remove_file(
    item: IncomingItem, attachment: Attachment, actor: Any, *, reason: str
) -> FileChange:
    """Take a file out of the item's current files (R-AUDIT-3): kept in storage and history."""
    check_may_change(item, attachment, actor)
    why = _reason(reason, _l("Say why the file is removed."))
    change = FileChange(
        item_id=item.id,
        action="remove",
        attachment_id=attachment.id,
        reason=why,
        actor_id=getattr(actor, "id", None),
    )
    db.session.add(change)
    db.session.flush()
    search.reindex(item)
    return change


# --- the readable history (docflow.core.history_text) -------------------------------------------


def _file_name(attachment_id: Any) -> str:
    att = db.session.get(Attachment, int(attachment_id)) if attachment_id else None
    return att.filename if att is not None else "—"


def _change_fields(row: dict, ctx: Any) -> dict:
    values = {
        "old_file": _file_name(row.get("attachment_id")),
        "new_file": _file_name(row.get("new_attachment_id")),
        "reason": row.get("reason") or "—",
    }
    if row.get("action") == "remove":
        what = _l("the file “%(old_file)s” removed (reason: %(reason)s)")
    else:
        what = _l("the file “%(old_file)s” replaced by “%(new_file)s” (reason: %(reason)s)")
    return {"what": str(what) % values}


def _item_of(model: Any):
    def label(object_id: str) -> str | None:
        row = db.session.get(model, int(object_id))
        item = db.session.get(IncomingItem, row.item_id) if row is not None else None
        return item.reg_number if item is not None else None

    return label


def register_texts() -> None:
    """The audit trail's sentences for file versions and applicant versions (R-AUDIT-3)."""
    from docflow.core import history_text as ht

    ht.register_object(
        "file_change",
        _l("file version"),
        group="registration",
        label=_item_of(FileChange),
        created=_l("%(actor)s: %(what)s in %(object)s"),
        fields=_change_fields,
    )
    ht.register_object(
        "applicant_version",
        _l("version of the applicant's details"),
        group="registration",
        label=_item_of(ApplicantVersion),
        created=_l(
            "%(actor)s recorded version %(version)s of the applicant's details in %(object)s"
        ),
    )
