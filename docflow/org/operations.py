"""Writes on users and accounts. Views and the CLI call these; they never write themselves."""

from __future__ import annotations

import datetime as dt
import secrets
from collections.abc import Iterable

from flask import current_app
from flask_babel import lazy_gettext as _l
from sqlalchemy import delete, func, select
from werkzeug.security import check_password_hash

from docflow.core import audit
from docflow.core.errors import DomainError
from docflow.core.security import LOCAL_ROLES, Role
from docflow.extensions import db
from docflow.org.models import LoginFailure, RoleGrant, User, subdivision_by_code, user_by_username
from docflow.org.profile import hash_password

MIN_PASSWORD_LENGTH = 10


class AccountError(DomainError, ValueError):
    """A password or account change refused (400); the message says why."""

    status = 400
    code = "invalid"


def validate_new_password(password: str) -> None:
    if len(password) < MIN_PASSWORD_LENGTH:
        raise AccountError(
            _l("The password must have at least %(n)d characters.", n=MIN_PASSWORD_LENGTH)
        )


def create_user(
    username: str,
    full_name: str,
    password: str,
    roles: Iterable[tuple[str, str | None]] = (),
    email: str | None = None,
) -> User:
    if user_by_username(username) is not None:
        raise AccountError(f"user {username} already exists")
    validate_new_password(password)
    user = User(
        username=username,
        full_name=full_name,
        email=email,
        password_hash=hash_password(password),
        password_changed_at=dt.datetime.now(dt.UTC),
    )
    for role, code in roles:
        user.grants.append(_grant(role, code))
    db.session.add(user)
    db.session.flush()
    return user


def _grant(role: str, code: str | None) -> RoleGrant:
    try:
        r = Role(role)
    except ValueError:
        raise AccountError(f"unknown role {role}; known: {', '.join(Role)}") from None
    if r in LOCAL_ROLES and not code:
        raise AccountError(f"role {role} is held for a subdivision: give ROLE@SUBDIVISION")
    sub = None
    if code:
        sub = subdivision_by_code(code)
        if sub is None:
            raise AccountError(f"unknown subdivision {code}")
    return RoleGrant(role=r.value, subdivision=sub)


def is_throttled(username: str, remote_addr: str | None = None) -> bool:
    """Too many recent failures for this username from this address, or from this address at all.

    Keyed by (username, address) so that a stranger cannot lock a colleague out from elsewhere;
    the per-address cap (4× the per-user one) stops guessing one password over many usernames.
    """
    cfg = current_app.config
    since = dt.datetime.now(dt.UTC) - dt.timedelta(seconds=cfg["LOGIN_THROTTLE_WINDOW_SECONDS"])
    recent = select(func.count()).select_from(LoginFailure).where(LoginFailure.at >= since)
    same_user = db.session.scalar(
        recent.where(
            LoginFailure.username == username.lower(), LoginFailure.remote_addr == remote_addr
        )
    )
    if same_user >= cfg["LOGIN_THROTTLE_ATTEMPTS"]:
        return True
    same_addr = db.session.scalar(recent.where(LoginFailure.remote_addr == remote_addr))
    return same_addr >= 4 * cfg["LOGIN_THROTTLE_ATTEMPTS"]


def authenticate(username: str, password: str, remote_addr: str | None) -> User | None:
    """Check credentials; record the attempt. Throttling is checked by the caller first."""
    user = user_by_username(username)
    # Always pay for one hash check, so response time does not tell whether the user exists.
    stored = user.password_hash if user is not None else _dummy_hash()
    password_ok = check_password_hash(stored, password)
    ok = user is not None and user.active and password_ok
    if not ok:
        db.session.add(LoginFailure(username=username.lower()[:64], remote_addr=remote_addr))
        audit.record(
            "login",
            object_type="user_account",
            object_id=user.id if user else None,
            summary={"username": username[:64]},
            outcome="failed",
        )
        return None
    db.session.execute(delete(LoginFailure).where(LoginFailure.username == username.lower()))
    audit.record("login", user, actor=audit.Actor(user.id, user.display_name))
    return user


_DUMMY_HASHES: dict[str, str] = {}


def _dummy_hash() -> str:
    method = current_app.config["PASSWORD_HASH_METHOD"]
    if method not in _DUMMY_HASHES:
        _DUMMY_HASHES[method] = hash_password(secrets.token_urlsafe(16))
    return _DUMMY_HASHES[method]


def end_sessions(user: User) -> None:
    """Invalidate every session cookie issued for the user (logout, password change)."""
    user.session_token = secrets.token_hex(32)


def logout(user: User) -> None:
    end_sessions(user)
    audit.record("logout", user)


def change_password(user: User, current: str, new: str) -> None:
    if not check_password_hash(user.password_hash, current):
        raise AccountError(_l("The current password is wrong."))
    validate_new_password(new)
    set_password(user, new)


def set_password(user: User, new: str) -> None:
    user.password_hash = hash_password(new)
    user.password_changed_at = dt.datetime.now(dt.UTC)
    end_sessions(user)


def _active_admins() -> int:
    return db.session.scalar(
        select(func.count(func.distinct(User.id)))
        .join(RoleGrant, RoleGrant.user_id == User.id)
        .where(RoleGrant.role == Role.ADMIN.value, User.active.is_(True))
    )


def deactivate_user(user: User) -> bool:
    """Lock the account out at once; False when it already was.

    The web session and the API token are revoked as well as ``active`` turned off, so that a
    later reactivation does not bring old cookies or a possibly leaked token back to life.
    """
    if not user.active:
        return False
    if any(g.role == Role.ADMIN.value for g in user.grants) and _active_admins() <= 1:
        raise AccountError(
            _l(
                "%(username)s is the last active administrator: make another user an "
                "administrator first.",
                username=user.username,
            )
        )
    user.active = False
    end_sessions(user)
    user.api_token_hash = None
    audit.record("deactivate_user", user, summary={"username": user.username})
    return True


def reactivate_user(user: User) -> bool:
    """Let the user log in again; False when already active. API tokens stay revoked."""
    if user.active:
        return False
    user.active = True
    audit.record("reactivate_user", user, summary={"username": user.username})
    return True
