"""Outgoing letters — one kind of document for everything that goes out — their kept versions,
and the signing records.

A :class:`Letter` is a final or interim answer (kind ``answer``) or one of the notices the law
requires (:data:`NOTICE_KINDS`: R-REG-5, -6, R-ROUTE-2, -5, R-DEADLINE-2, R-RECV-8, -11, -12).
A letter whose kind needs a head's signature (the profile's ``letters.signature_required``,
:func:`docflow.outgoing.operations.needs_signature`) is drafted, submitted, approved and signed by
the head of the responsible subdivision (R-ANS-2); at signing it gets its gapless outgoing number
and its signed PDF. A notice that needs no signature is registered — numbered from the same
journal (R-REG-4) — at the act that requires it. Every state change goes through the ``letter``
workflow (:mod:`docflow.outgoing.letter_workflow`); once registered a letter's text and number
never change (``_registered_letters_never_change``; a correction is a new letter). Its "sent"
state (``sent_on``, ``channel``, ``sent_by``) is the one other domains ask about
(:mod:`docflow.outgoing.notices`).

Keystores are the heads' PKCS#12 files stored as given (encrypted by their own passphrase, which
is asked at signing and never stored); trusted roots are the office's CA certificates (NCA RK's).
"""

from __future__ import annotations

import datetime as dt

from flask_babel import lazy_gettext as _l
from sqlalchemy import (
    JSON,
    Boolean,
    Date,
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
from docflow.core.rules_text import lazy_rule_words
from docflow.core.workflow import WorkflowMixin
from docflow.extensions import db
from docflow.org.models import Subdivision, User
from docflow.registry.models import IncomingItem, new_public_id

# What a notice tells the applicant, and the rule that requires it.
NOTICE_KINDS = {
    "correction": _l("Request to supply missing details (R-REG-5)"),
    "left_without_consideration": _l("Request left without consideration (R-REG-6)"),
    "forwarding": _l("Appeal forwarded to another body (R-ROUTE-2)"),
    "extension": _l("Term of consideration extended (R-DEADLINE-2)"),
    "termination": _l("Consideration of a repeat appeal terminated (R-ROUTE-5)"),
    "signup_inclusion": _l("Included in the reception list (R-RECV-11)"),
    "signup_time": _l("Date and time of the reception (R-RECV-11)"),
    "hearing_draft": _l("Draft refusal of reception for a hearing (R-RECV-12)"),
    "reception_cancelled": _l("Reception will not take place (R-RECV-8)"),
}
# A user reads the law's article, not the rule id (issue 14).
NOTICE_KINDS = {kind: lazy_rule_words(title) for kind, title in NOTICE_KINDS.items()}
LETTER_KINDS = ("answer", *NOTICE_KINDS)
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
        "texts",
        "recipient",
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
    # None only for a notice registered before the item reached a subdivision (R-REG-5, -6).
    subdivision_id: Mapped[int | None] = mapped_column(ForeignKey("subdivision.id"), nullable=True)
    kind: Mapped[str] = mapped_column(String(32), nullable=False, default="answer")
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
    # --- what notices need (any letter may have them) ---
    # The day by which it must go out (R-REG-5, R-ROUTE-2, R-DEADLINE-2, R-RECV-8, -11, -12).
    due_on: Mapped[dt.date | None] = mapped_column(Date, nullable=True, index=True)
    # Each applicant's name and postal address, as it was when the letter was made.
    recipient: Mapped[str | None] = mapped_column(Text, nullable=True, info={"audit": "mask"})
    # The pre-filled texts, {"kk": …, "ru": …} (R-RECV-10: the applicant may get either); the
    # letter's own language is ``body`` (what is edited and signed).
    texts: Mapped[dict | None] = mapped_column(JSON, nullable=True)
    # The record the letter is about (extension, forwarding, signup, reception_session), if any.
    source_type: Mapped[str | None] = mapped_column(String(32), nullable=True)
    source_id: Mapped[int | None] = mapped_column(Integer, nullable=True)
    # One notice per (kind, item, due date[, source record]): hooks may run twice, never two.
    dedup_key: Mapped[str | None] = mapped_column(
        String(200), unique=True, nullable=True, info={"audit": "skip"}
    )
    # the "sent" state: when, how and by whom it went out (channel None: recorded elsewhere)
    sent_on: Mapped[dt.date | None] = mapped_column(Date, nullable=True, index=True)
    channel: Mapped[str | None] = mapped_column(String(16), nullable=True)
    sent_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"), nullable=True)

    item: Mapped[IncomingItem] = relationship()
    subdivision: Mapped[Subdivision | None] = relationship()
    author: Mapped[User | None] = relationship(foreign_keys=[author_id])
    approved_by: Mapped[User | None] = relationship(foreign_keys=[approved_by_id])
    signed_by: Mapped[User | None] = relationship(foreign_keys=[signed_by_id])
    sent_by: Mapped[User | None] = relationship(foreign_keys=[sent_by_id])

    __table_args__ = (
        UniqueConstraint("reg_journal", "reg_year", "reg_seq"),
        db.Index("ix_letter_source", "source_type", "source_id"),
    )

    def local_role_subdivisions(self) -> list[str]:
        """The responsible subdivision's heads and executors have their local roles here."""
        return [self.subdivision.code] if self.subdivision else []

    @property
    def is_notice(self) -> bool:
        return self.kind in NOTICE_KINDS

    def _text(self, language: str) -> str:
        if language == self.language:
            return self.body
        return (self.texts or {}).get(language) or ""

    @property
    def text_kk(self) -> str:
        return self._text("kk")

    @property
    def text_ru(self) -> str:
        return self._text("ru")

    @property
    def text(self) -> str:
        """The text in the applicant's language (the one signed, for a signed letter)."""
        return self.body

    # The notices journal's names for the author and the registration.
    @property
    def journal(self) -> str | None:
        return self.reg_journal

    @property
    def registered_by_id(self) -> int | None:
        return self.signed_by_id or self.author_id

    @property
    def registered_by(self) -> User | None:
        return self.signed_by or self.author

    @property
    def registered_at(self) -> dt.datetime | None:
        """The moment of registration: the signing, or the making of a notice numbered at once."""
        if self.reg_number is None:
            return None
        return self.signed_at or self.created_at

    @property
    def label(self) -> str:
        """Its outgoing number, or "draft" words while it has none."""
        return self.reg_number or str(_l("not registered yet"))

    def is_overdue(self, today: dt.date) -> bool:
        return self.sent_on is None and self.due_on is not None and self.due_on < today


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
    """Code tried to change a registered letter (a correction is a new letter)."""


@event.listens_for(Session, "before_flush")
def _registered_letters_never_change(session: Session, _ctx, _instances) -> None:
    """A registered letter (signed, or a notice numbered at once) keeps its text and number
    (R-AUDIT-3); only its workflow state and "sent" record change."""
    for obj in session.dirty:
        if not isinstance(obj, Letter):
            continue
        state = db.inspect(obj)
        hist = state.attrs.reg_number.history
        before = (hist.deleted or hist.unchanged or [None])[0]
        if before is None:
            continue
        changed = {a.key for a in state.attrs if a.key in FROZEN and a.history.has_changes()}
        if changed:
            raise SignedLetterChanged(f"letter {obj.public_id} is registered: {sorted(changed)}")
