"""Organisation structure and the people in it."""

from __future__ import annotations

import datetime as dt
import secrets
from collections.abc import Iterable

from flask_babel import get_locale
from flask_login import UserMixin
from sqlalchemy import Boolean, ForeignKey, Integer, String, UniqueConstraint, select
from sqlalchemy.orm import Mapped, mapped_column, relationship

from docflow.core.db import JSONType, UTCDateTime, utcnow
from docflow.extensions import db

SUBDIVISION_KINDS = ("apparatus", "department", "district", "other")


def localized(names: dict[str, str] | None, lang: str | None = None) -> str:
    """Pick a name in the UI language, falling back ru → kk → en → anything."""
    if not names:
        return ""
    if lang is None:
        try:
            lang = str(get_locale() or "kk")
        except (RuntimeError, AttributeError):
            lang = "kk"
    for candidate in (lang, "ru", "kk", "en"):
        if names.get(candidate):
            return names[candidate]
    return next(iter(names.values()), "")


class Organisation(db.Model):
    __tablename__ = "organisation"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    code: Mapped[str] = mapped_column(String(64), unique=True, nullable=False)
    names: Mapped[dict[str, str]] = mapped_column(JSONType, nullable=False)

    @property
    def name(self) -> str:
        return localized(self.names)


class Subdivision(db.Model):
    """A structural subdivision: department, the akim's apparatus unit, a district akimat."""

    __tablename__ = "subdivision"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisation.id"), nullable=False)
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("subdivision.id"), nullable=True)
    code: Mapped[str] = mapped_column(String(64), unique=True, nullable=False)
    kind: Mapped[str] = mapped_column(String(32), nullable=False)
    names: Mapped[dict[str, str]] = mapped_column(JSONType, nullable=False)
    head_name: Mapped[str | None] = mapped_column(String(200), nullable=True)
    topics: Mapped[list[str] | None] = mapped_column(JSONType, nullable=True)
    supervisor_code: Mapped[str | None] = mapped_column(String(64), nullable=True)
    active: Mapped[bool] = mapped_column(Boolean, nullable=False, default=True)

    parent: Mapped[Subdivision | None] = relationship(remote_side="Subdivision.id")
    employees: Mapped[list[Employee]] = relationship(back_populates="subdivision")

    @property
    def name(self) -> str:
        return localized(self.names)

    def __repr__(self) -> str:
        return f"<Subdivision {self.code}>"


class Official(db.Model):
    """An official of the body (akim, deputies, head of the apparatus) who receives citizens."""

    __tablename__ = "official"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisation.id"), nullable=False)
    code: Mapped[str] = mapped_column(String(64), unique=True, nullable=False)
    full_name: Mapped[str] = mapped_column(String(200), nullable=False)
    positions: Mapped[dict[str, str]] = mapped_column(JSONType, nullable=False)
    supervises: Mapped[list[str] | None] = mapped_column(JSONType, nullable=True)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"), nullable=True)

    @property
    def position(self) -> str:
        return localized(self.positions)


class Employee(db.Model):
    __tablename__ = "employee"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    subdivision_id: Mapped[int] = mapped_column(ForeignKey("subdivision.id"), nullable=False)
    full_name: Mapped[str] = mapped_column(String(200), nullable=False)
    positions: Mapped[dict[str, str] | None] = mapped_column(JSONType, nullable=True)
    is_head: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False)
    active: Mapped[bool] = mapped_column(Boolean, nullable=False, default=True)
    user_id: Mapped[int | None] = mapped_column(
        ForeignKey("user_account.id"), nullable=True, unique=True
    )
    # Who a person named by IIN in an imported case is (docflow.exchange).
    iin: Mapped[str | None] = mapped_column(
        String(12), nullable=True, unique=True, info={"audit": "mask"}
    )

    subdivision: Mapped[Subdivision] = relationship(back_populates="employees")
    user: Mapped[User | None] = relationship(back_populates="employee")

    @property
    def position(self) -> str:
        return localized(self.positions)


class User(UserMixin, db.Model):
    __tablename__ = "user_account"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    username: Mapped[str] = mapped_column(String(64), unique=True, nullable=False)
    full_name: Mapped[str] = mapped_column(String(200), nullable=False)
    email: Mapped[str | None] = mapped_column(String(200), nullable=True)
    password_hash: Mapped[str] = mapped_column(String(255), nullable=False, info={"audit": "mask"})
    # Rotated on logout and password change: every cookie issued before stops working.
    session_token: Mapped[str] = mapped_column(
        String(64),
        unique=True,
        nullable=False,
        default=lambda: secrets.token_hex(32),
        info={"audit": "skip"},
    )
    locale: Mapped[str | None] = mapped_column(String(8), nullable=True)
    active: Mapped[bool] = mapped_column(Boolean, nullable=False, default=True)
    api_token_hash: Mapped[str | None] = mapped_column(
        String(128), nullable=True, info={"audit": "mask"}
    )
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, nullable=False, default=utcnow)
    password_changed_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime, nullable=True)

    grants: Mapped[list[RoleGrant]] = relationship(
        back_populates="user", cascade="all, delete-orphan", lazy="selectin"
    )
    employee: Mapped[Employee | None] = relationship(back_populates="user")

    # --- Flask-Login ---
    @property
    def is_active(self) -> bool:  # type: ignore[override]
        return self.active

    def get_id(self) -> str:
        return self.session_token

    # --- docflow.core.security.Principal ---
    def role_grants(self) -> Iterable[tuple[str, str | None]]:
        own = [(g.role, g.subdivision.code if g.subdivision else None) for g in self.grants]
        # R-ANS-2: on the days of a substitution, the substitute holds the head's head roles.
        from docflow.org.substitutes import substitute_grants

        return own + [grant for grant in substitute_grants(self.id) if grant not in own]

    @property
    def display_name(self) -> str:
        return self.full_name or self.username

    def __repr__(self) -> str:
        return f"<User {self.username}>"


class RoleGrant(db.Model):
    """A role held globally (no subdivision) or locally, for one subdivision."""

    __tablename__ = "role_grant"
    __table_args__ = (UniqueConstraint("user_id", "role", "subdivision_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(
        ForeignKey("user_account.id", ondelete="CASCADE"), nullable=False, index=True
    )
    role: Mapped[str] = mapped_column(String(32), nullable=False)
    subdivision_id: Mapped[int | None] = mapped_column(ForeignKey("subdivision.id"), nullable=True)

    user: Mapped[User] = relationship(back_populates="grants")
    subdivision: Mapped[Subdivision | None] = relationship(lazy="joined")


class LoginFailure(db.Model):
    """Failed logins, for throttling (the audit trail has them too)."""

    __tablename__ = "login_failure"
    __audit__ = False

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    username: Mapped[str] = mapped_column(String(64), nullable=False, index=True)
    remote_addr: Mapped[str | None] = mapped_column(String(64), nullable=True)
    at: Mapped[dt.datetime] = mapped_column(UTCDateTime, nullable=False, default=utcnow)


def subdivision_by_code(code: str) -> Subdivision | None:
    return db.session.scalar(select(Subdivision).where(Subdivision.code == code))


def user_by_username(username: str) -> User | None:
    return db.session.scalar(select(User).where(User.username == username))
