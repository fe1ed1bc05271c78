"""Registered incoming items, their applicants, attachments, links and annotations."""

from __future__ import annotations

import datetime as dt
import secrets
from typing import Any

from sqlalchemy import (
    Boolean,
    Date,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    select,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from docflow.core.db import JSONType, UTCDateTime, utcnow
from docflow.core.workflow import WorkflowMixin
from docflow.extensions import db
from docflow.org.models import Subdivision, User

# Other domains register functions item -> subdivision codes (routing: co-executors).
LOCAL_ROLE_PROVIDERS: list = []


def new_public_id() -> str:
    # Opaque, unguessable id for URLs and the API: no enumerable ids, no IINs in URLs (R-PD-1).
    return secrets.token_hex(10)


# The code on the receipt slip that, with the number, opens the public status page (never the
# IIN): no 0/O, 1/I/L, so it is read and typed without doubt (docflow.registry.public_status).
STATUS_CODE_ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"
STATUS_CODE_LENGTH = 8


def new_status_code() -> str:
    return "".join(secrets.choice(STATUS_CODE_ALPHABET) for _ in range(STATUS_CODE_LENGTH))


class IncomingItem(WorkflowMixin, db.Model):
    __tablename__ = "incoming_item"
    __workflow__ = "incoming"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    public_id: Mapped[str] = mapped_column(
        String(32), unique=True, nullable=False, default=new_public_id
    )
    kind: Mapped[str] = mapped_column(String(32), nullable=False, index=True)
    channel: Mapped[str] = mapped_column(String(32), nullable=False, index=True)
    journal: Mapped[str] = mapped_column(String(64), nullable=False)
    reg_year: Mapped[int] = mapped_column(Integer, nullable=False)
    reg_seq: Mapped[int] = mapped_column(Integer, nullable=False)
    reg_number: Mapped[str] = mapped_column(String(64), unique=True, nullable=False)
    arrived_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, nullable=False)
    registered_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, nullable=False, default=utcnow)
    registration_date: Mapped[dt.date] = mapped_column(Date, nullable=False, index=True)
    due_date: Mapped[dt.date | None] = mapped_column(Date, nullable=True, index=True)
    # Why a document that arrived on an earlier day is registered only now (registry.arrival).
    arrival_reason: Mapped[str | None] = mapped_column(String(1000), nullable=True)
    term_days: Mapped[int | None] = mapped_column(Integer, nullable=True)
    term_unit: Mapped[str | None] = mapped_column(String(16), nullable=True)
    registered_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("user_account.id"), nullable=True
    )
    addressee: Mapped[str | None] = mapped_column(String(300), nullable=True)
    summary: Mapped[str] = mapped_column(Text, nullable=False, default="")
    language: Mapped[str | None] = mapped_column(String(8), nullable=True)
    external_number: Mapped[str | None] = mapped_column(String(100), nullable=True)
    external_date: Mapped[dt.date | None] = mapped_column(Date, nullable=True)
    page_count: Mapped[int | None] = mapped_column(Integer, nullable=True)
    signed: Mapped[bool] = mapped_column(Boolean, nullable=False, default=True)
    from_reception: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False, index=True)
    # handed in at a reporting meeting of an official with the population (R-AUDIT-2): counted
    # apart, like reception appeals
    from_meeting: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False)
    anonymous: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False)
    collective: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False)
    # A historical case brought in by an import: an earlier case for new items' repeat
    # detection (R-ROUTE-4), never itself searched for candidates.
    imported: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False)
    # Completeness (R-REG-5): what is missing, until when it may be supplied, what we told.
    missing_details: Mapped[list[str] | None] = mapped_column(JSONType, nullable=True)
    correction_due: Mapped[dt.date | None] = mapped_column(Date, nullable=True)
    notice_text: Mapped[str | None] = mapped_column(Text, nullable=True)
    # Routing fills these in; local roles (head/executor) come from them.
    subdivision_id: Mapped[int | None] = mapped_column(
        ForeignKey("subdivision.id"), nullable=True, index=True
    )
    idempotency_key: Mapped[str | None] = mapped_column(String(160), unique=True, nullable=True)
    # Given at registration on every path (the column default); kept out of the audit trail.
    status_code: Mapped[str | None] = mapped_column(
        String(16), nullable=True, default=new_status_code, info={"audit": "skip"}
    )

    applicants: Mapped[list[Applicant]] = relationship(
        back_populates="item",
        cascade="all, delete-orphan",
        order_by="Applicant.position",
        lazy="selectin",
    )
    attachments: Mapped[list[Attachment]] = relationship(
        back_populates="item", order_by="Attachment.id", lazy="selectin"
    )
    registered_by: Mapped[User | None] = relationship()
    subdivision: Mapped[Subdivision | None] = relationship()

    __table_args__ = (UniqueConstraint("journal", "reg_year", "reg_seq"),)

    def local_role_subdivisions(self) -> list[str]:
        """Subdivisions whose heads and executors have their local roles on this item."""
        codes = [self.subdivision.code] if self.subdivision else []
        for provider in LOCAL_ROLE_PROVIDERS:  # e.g. routing adds co-executor subdivisions
            codes += [c for c in provider(self) if c not in codes]
        return codes

    @property
    def applicant_names(self) -> str:
        return "; ".join(a.display_name for a in self.applicants)

    @property
    def current_attachments(self) -> list[Attachment]:
        # neither replaced nor removed (R-AUDIT-3: both are versions, docflow.registry.file_versions)
        from docflow.registry.file_versions import current_files

        return current_files(self)


class Applicant(db.Model):
    __tablename__ = "applicant"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    item_id: Mapped[int] = mapped_column(ForeignKey("incoming_item.id"), nullable=False, index=True)
    position: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    type: Mapped[str] = mapped_column(String(16), nullable=False)
    full_name: Mapped[str | None] = mapped_column(String(300), nullable=True)
    iin: Mapped[str | None] = mapped_column(
        String(12), nullable=True, index=True, info={"audit": "mask"}
    )
    organisation_name: Mapped[str | None] = mapped_column(String(300), nullable=True)
    bin: Mapped[str | None] = mapped_column(String(12), nullable=True, index=True)
    representative: Mapped[str | None] = mapped_column(String(300), nullable=True)
    authority_document: Mapped[str | None] = mapped_column(String(300), nullable=True)
    address: Mapped[str | None] = mapped_column(String(500), nullable=True, info={"audit": "mask"})
    phone: Mapped[str | None] = mapped_column(String(50), nullable=True, info={"audit": "mask"})
    email: Mapped[str | None] = mapped_column(String(200), nullable=True, info={"audit": "mask"})
    country: Mapped[str | None] = mapped_column(String(100), nullable=True)
    needs_interpreter: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False)
    # Lower-cased "name|address" (Python folds Kazakh letters; SQLite's lower() does not): repeats.
    name_key: Mapped[str | None] = mapped_column(
        String(400), nullable=True, index=True, info={"audit": "skip"}
    )

    item: Mapped[IncomingItem] = relationship(back_populates="applicants")

    @property
    def display_name(self) -> str:
        if self.type == "legal":
            name = self.organisation_name or ""
            return f"{name} ({self.representative})" if self.representative else name
        return self.full_name or ""


class Attachment(db.Model):
    """A stored file of an item. Never modified: a replacement is a new row (R-AUDIT-3)."""

    __tablename__ = "attachment"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    public_id: Mapped[str] = mapped_column(
        String(32), unique=True, nullable=False, default=new_public_id
    )
    item_id: Mapped[int | None] = mapped_column(
        ForeignKey("incoming_item.id"), nullable=True, index=True
    )
    filename: Mapped[str] = mapped_column(String(255), nullable=False)
    content_type: Mapped[str | None] = mapped_column(String(100), nullable=True)
    size: Mapped[int] = mapped_column(Integer, nullable=False)
    sha256: Mapped[str] = mapped_column(String(64), nullable=False)
    storage_key: Mapped[str] = mapped_column(String(128), nullable=False)
    replaces_id: Mapped[int | None] = mapped_column(ForeignKey("attachment.id"), nullable=True)
    uploaded_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"), nullable=True)
    uploaded_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, nullable=False, default=utcnow)
    source: Mapped[str] = mapped_column(String(32), nullable=False, default="upload")
    # Extraction, done in the background: pending → running → done | failed | skipped.
    extraction_status: Mapped[str] = mapped_column(
        String(16), nullable=False, default="pending", index=True
    )
    extraction_error_code: Mapped[str | None] = mapped_column(String(32), nullable=True)
    extraction_error: Mapped[str | None] = mapped_column(Text, nullable=True)
    file_kind: Mapped[str | None] = mapped_column(String(16), nullable=True)
    page_count: Mapped[int | None] = mapped_column(Integer, nullable=True)
    ocr_pages: Mapped[int | None] = mapped_column(Integer, nullable=True)
    text: Mapped[str | None] = mapped_column(Text, nullable=True, info={"audit": "skip"})
    preview_key: Mapped[str | None] = mapped_column(String(128), nullable=True)
    extracted_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime, nullable=True)

    item: Mapped[IncomingItem | None] = relationship(back_populates="attachments")

    @property
    def preview_waiting(self) -> bool:
        """The text is there, the first-page preview still to come (a step of its own)."""
        from docflow.registry.extraction_previews import waiting

        return waiting(self)


class ItemLink(db.Model):
    """A link from an item to an earlier case (repeat appeal, complaint about an answer, …)."""

    __tablename__ = "item_link"
    __table_args__ = (UniqueConstraint("item_id", "target_id", "kind"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    item_id: Mapped[int] = mapped_column(ForeignKey("incoming_item.id"), nullable=False, index=True)
    target_id: Mapped[int] = mapped_column(
        ForeignKey("incoming_item.id"), nullable=False, index=True
    )
    kind: Mapped[str] = mapped_column(String(32), nullable=False)
    note: Mapped[str | None] = mapped_column(Text, nullable=True)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"), nullable=True)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, nullable=False, default=utcnow)

    item: Mapped[IncomingItem] = relationship(foreign_keys=[item_id])
    target: Mapped[IncomingItem] = relationship(foreign_keys=[target_id])


class RepeatCandidate(db.Model):
    """An earlier case of the same applicant on a similar question, found at registration.

    Undecided (``decision`` None), its handlers count as prior handlers of the new item
    (R-ROUTE-4, the safe default); "linked" made an ``ItemLink``; "dismissed" (with a reason)
    says it is another question.
    """

    __tablename__ = "repeat_candidate"
    __table_args__ = (UniqueConstraint("item_id", "candidate_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    item_id: Mapped[int] = mapped_column(ForeignKey("incoming_item.id"), nullable=False, index=True)
    candidate_id: Mapped[int] = mapped_column(
        ForeignKey("incoming_item.id"), nullable=False, index=True
    )
    similarity: Mapped[float] = mapped_column(Float, nullable=False)
    reason: Mapped[str] = mapped_column(String(32), nullable=False)  # iin | bin | name_address
    decision: Mapped[str | None] = mapped_column(String(16), nullable=True)
    link_kind: Mapped[str | None] = mapped_column(String(32), nullable=True)
    dismiss_reason: Mapped[str | None] = mapped_column(Text, nullable=True)
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"), nullable=True)
    decided_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime, nullable=True)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, nullable=False, default=utcnow)

    item: Mapped[IncomingItem] = relationship(foreign_keys=[item_id])
    candidate: Mapped[IncomingItem] = relationship(foreign_keys=[candidate_id])


class Annotation(db.Model):
    """A correction of registration data: the registered record itself is never rewritten."""

    __tablename__ = "annotation"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    item_id: Mapped[int] = mapped_column(ForeignKey("incoming_item.id"), nullable=False, index=True)
    field: Mapped[str] = mapped_column(String(64), nullable=False)
    old_value: Mapped[Any] = mapped_column(JSONType, nullable=True)
    new_value: Mapped[Any] = mapped_column(JSONType, nullable=True)
    reason: Mapped[str] = mapped_column(Text, nullable=False)
    author_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"), nullable=True)
    at: Mapped[dt.datetime] = mapped_column(UTCDateTime, nullable=False, default=utcnow)

    author: Mapped[User | None] = relationship()


class ScanBatch(db.Model):
    """A multi-page scan split by registration QR labels (batch scanning)."""

    __tablename__ = "scan_batch"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    filename: Mapped[str] = mapped_column(String(255), nullable=False)
    storage_key: Mapped[str] = mapped_column(String(128), nullable=False)
    sha256: Mapped[str] = mapped_column(String(64), nullable=False)
    uploaded_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"), nullable=True)
    uploaded_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, nullable=False, default=utcnow)
    status: Mapped[str] = mapped_column(String(16), nullable=False, default="pending")
    error: Mapped[str | None] = mapped_column(Text, nullable=True)
    summary: Mapped[Any] = mapped_column(JSONType, nullable=True)


class UnmatchedScan(db.Model):
    """Pages of a batch scan with no known registration label, waiting for a clerk."""

    __tablename__ = "unmatched_scan"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    batch_id: Mapped[int] = mapped_column(ForeignKey("scan_batch.id"), nullable=False, index=True)
    attachment_id: Mapped[int] = mapped_column(ForeignKey("attachment.id"), nullable=False)
    label: Mapped[str | None] = mapped_column(String(200), nullable=True)
    pages: Mapped[Any] = mapped_column(JSONType, nullable=True)
    resolved_item_id: Mapped[int | None] = mapped_column(
        ForeignKey("incoming_item.id"), nullable=True
    )
    resolved_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"), nullable=True)
    resolved_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime, nullable=True)

    attachment: Mapped[Attachment] = relationship()
    batch: Mapped[ScanBatch] = relationship()


# Covering index for the control views: active states, overdue dates, per subdivision.
Index(
    "ix_incoming_item_state_due",
    IncomingItem.state,
    IncomingItem.due_date,
    IncomingItem.subdivision_id,
)
# The journal filtered by kind and period (a month of complaints): one range of one index.
Index("ix_incoming_item_kind_date", IncomingItem.kind, IncomingItem.registration_date)


def item_by_public_id(public_id: str) -> IncomingItem | None:
    if not public_id or len(public_id) > 32:
        return None
    return db.session.scalar(select(IncomingItem).where(IncomingItem.public_id == public_id))


def item_by_number(reg_number: str) -> IncomingItem | None:
    return db.session.scalar(select(IncomingItem).where(IncomingItem.reg_number == reg_number))
