"""Outgoing letters (answers and notices), their kept versions, and the signing records.

A :class:`Letter` is drafted by the executor, submitted, approved and signed by the head of the
responsible subdivision (R-ANS-2) — every state change through the ``letter`` workflow
(:mod:`docflow.outgoing.letter_workflow`). At signing it gets its gapless outgoing number and its
signed PDF; from then on it never changes (``_signed_letters_never_change``).

Keystores are the heads' PKCS#12 files stored as given (encrypted by their own passphrase, which
is asked at signing and never stored); trusted roots are the office's CA certificates (NCA RK's).
"""

from __future__ import annotations

import datetime as dt

from flask_babel import lazy_gettext as _l
from sqlalchemy import (
    Boolean,
    ForeignKey,
    Integer,
    LargeBinary,
    String,
    Text,
    UniqueConstraint,
    event,
    select,
)
from sqlalchemy.orm import Mapped, Session, mapped_column, relationship

from docflow.core.db import UTCDateTime, utcnow
from docflow.core.workflow import WorkflowMixin
from docflow.extensions import db
from docflow.org.models import Subdivision, User
from docflow.registry.models import IncomingItem, new_public_id

LETTER_KINDS = ("answer", "notice")
DECISIONS = {
    "explained": _l("Explained"),
    "satisfied": _l("Satisfied"),
    "partly": _l("Partly satisfied"),
    "refused": _l("Refused"),
}
LETTER_LANGUAGES = ("kk", "ru")
# What a signed letter keeps as it was signed (a correction is a new letter).
FROZEN = frozenset(
    {
        "item_id",
        "kind",
        "final",
        "language",
        "decision",
        "body",
        "legal_basis",
        "complaint",
        "reg_journal",
        "reg_year",
        "reg_seq",
        "reg_number",
        "registered_on",
        "signed_pdf",
        "signed_sha256",
        "signed_by_id",
        "signed_at",
        "content_hash",
    }
)


class Letter(WorkflowMixin, db.Model):
    __tablename__ = "letter"
    __workflow__ = "letter"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    public_id: Mapped[str] = mapped_column(
        String(32), unique=True, nullable=False, default=new_public_id
    )
    item_id: Mapped[int] = mapped_column(ForeignKey("incoming_item.id"), nullable=False, index=True)
    subdivision_id: Mapped[int] = mapped_column(ForeignKey("subdivision.id"), nullable=False)
    kind: Mapped[str] = mapped_column(String(16), nullable=False, default="answer")
    final: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False)
    language: Mapped[str] = mapped_column(String(8), nullable=False, default="kk")
    decision: Mapped[str | None] = mapped_column(String(16), nullable=True)
    body: Mapped[str] = mapped_column(Text, nullable=False, default="")
    legal_basis: Mapped[str | None] = mapped_column(Text, nullable=True)
    # R-ANS-1: the right to complain, filled in from the profile and editable.
    complaint: Mapped[str | None] = mapped_column(Text, nullable=True)
    author_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"), nullable=True)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, nullable=False, default=utcnow)
    return_comment: Mapped[str | None] = mapped_column(Text, nullable=True)
    approved_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"), nullable=True)
    approved_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime, nullable=True)
    # outgoing registration, given at signing (R-REG-4: gapless per journal and year)
    reg_journal: Mapped[str | None] = mapped_column(String(64), nullable=True)
    reg_year: Mapped[int | None] = mapped_column(Integer, nullable=True)
    reg_seq: Mapped[int | None] = mapped_column(Integer, nullable=True)
    reg_number: Mapped[str | None] = mapped_column(String(64), unique=True, nullable=True)
    registered_on: Mapped[dt.date | None] = mapped_column(db.Date, nullable=True)
    signed_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"), nullable=True)
    signed_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime, nullable=True)
    signed_pdf: Mapped[bytes | None] = mapped_column(
        LargeBinary, nullable=True, info={"audit": "skip"}
    )
    signed_sha256: Mapped[str | None] = mapped_column(String(64), nullable=True)
    # the hash in the QR code: of the letter's text and registration, no personal data
    content_hash: Mapped[str | None] = mapped_column(String(64), nullable=True)

    item: Mapped[IncomingItem] = relationship()
    subdivision: Mapped[Subdivision] = relationship()
    author: Mapped[User | None] = relationship(foreign_keys=[author_id])
    approved_by: Mapped[User | None] = relationship(foreign_keys=[approved_by_id])
    signed_by: Mapped[User | None] = relationship(foreign_keys=[signed_by_id])

    __table_args__ = (UniqueConstraint("reg_journal", "reg_year", "reg_seq"),)

    def local_role_subdivisions(self) -> list[str]:
        """The responsible subdivision's heads and executors have their local roles here."""
        return [self.subdivision.code] if self.subdivision else []


class LetterVersion(db.Model):
    """Every saved text of a letter (the executor edits; each version is kept)."""

    __tablename__ = "letter_version"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    letter_id: Mapped[int] = mapped_column(ForeignKey("letter.id"), nullable=False, index=True)
    number: Mapped[int] = mapped_column(Integer, nullable=False)
    body: Mapped[str] = mapped_column(Text, nullable=False)
    legal_basis: Mapped[str | None] = mapped_column(Text, nullable=True)
    complaint: Mapped[str | None] = mapped_column(Text, nullable=True)
    decision: Mapped[str | None] = mapped_column(String(16), nullable=True)
    author_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"), nullable=True)
    at: Mapped[dt.datetime] = mapped_column(UTCDateTime, nullable=False, default=utcnow)

    __table_args__ = (UniqueConstraint("letter_id", "number"),)


class SignerKeystore(db.Model):
    """A head's PKCS#12 file, stored as given (its passphrase is never stored)."""

    __tablename__ = "signer_keystore"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"), nullable=False, unique=True)
    pkcs12: Mapped[bytes] = mapped_column(LargeBinary, nullable=False, info={"audit": "skip"})
    subject: Mapped[str] = mapped_column(Text, nullable=False)
    not_after: Mapped[dt.datetime | None] = mapped_column(UTCDateTime, nullable=True)
    imported_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, nullable=False, default=utcnow)


class TrustedRoot(db.Model):
    """A CA certificate (PEM) that signatures must chain to (an office adds NCA RK's)."""

    __tablename__ = "trusted_root"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    sha256: Mapped[str] = mapped_column(String(64), unique=True, nullable=False)
    subject: Mapped[str] = mapped_column(Text, nullable=False)
    pem: Mapped[str] = mapped_column(Text, nullable=False)
    added_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, nullable=False, default=utcnow)


class SigningSession(db.Model):
    """An NCALayer signing in progress: the prepared PDF waiting for its CMS."""

    __tablename__ = "letter_signing_session"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    token: Mapped[str] = mapped_column(String(64), unique=True, nullable=False)
    letter_id: Mapped[int] = mapped_column(ForeignKey("letter.id"), nullable=False, index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"), nullable=False)
    # the number printed on the prepared PDF: taken for real only when the CMS comes back
    reg_year: Mapped[int] = mapped_column(Integer, nullable=False)
    reg_seq: Mapped[int] = mapped_column(Integer, nullable=False)
    registered_on: Mapped[dt.date] = mapped_column(db.Date, nullable=False)
    state_json: Mapped[str] = mapped_column(Text, nullable=False, info={"audit": "skip"})
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, nullable=False, default=utcnow)


def letter_by_public_id(public_id: str) -> Letter | None:
    if not public_id or len(public_id) > 32:
        return None
    return db.session.scalar(select(Letter).where(Letter.public_id == public_id))


def letters_for_item(item_id: int) -> list[Letter]:
    query = select(Letter).where(Letter.item_id == item_id).order_by(Letter.id)
    return list(db.session.scalars(query))


class SignedLetterChanged(RuntimeError):
    """Code tried to change a signed letter (a correction is a new letter)."""


@event.listens_for(Session, "before_flush")
def _signed_letters_never_change(session: Session, _ctx, _instances) -> None:
    for obj in session.dirty:
        if not isinstance(obj, Letter):
            continue
        state = db.inspect(obj)
        hist = state.attrs.signed_at.history
        before = (hist.deleted or hist.unchanged or [None])[0]
        if before is None:
            continue
        changed = {a.key for a in state.attrs if a.key in FROZEN and a.history.has_changes()}
        if changed:
            raise SignedLetterChanged(f"letter {obj.public_id} is signed: {sorted(changed)}")
