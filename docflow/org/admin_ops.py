"""The administrator's writes from the admin pages: users, roles, IIN, subdivisions, heads,
terms, the calendar and journals. Each is one small operation that checks, changes and audits
(a named entry besides the row changes the audit hook records); the views never write.

Terms and calendar days change *from a date*: :mod:`docflow.org.admin_schedule` (re-exported
here, so the views call one module).
"""

from __future__ import annotations

import re
import secrets
from collections.abc import Iterable, Mapping
from typing import Any

from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select

from docflow.core import audit
from docflow.core.db import atomic
from docflow.core.identifiers import InvalidIdentifier, validate_iin
from docflow.core.security import LOCAL_ROLES, Role
from docflow.core.settings import get_setting, set_setting
from docflow.extensions import db
from docflow.org import operations
from docflow.org.admin_schedule import (  # noqa: F401  (the terms and calendar operations)
    MAX_TERM_DAYS,
    AdminError,
    apply_due_changes,
    apply_due_changes_now,
    cancel_change,
    change_calendar_day,
    change_term,
    office_today,
    pending_changes,
    recent_changes,
)
from docflow.org.models import (
    SUBDIVISION_KINDS,
    Employee,
    RoleGrant,
    Subdivision,
    User,
    user_by_username,
)

USERNAME_RE = re.compile(r"^[a-z0-9][a-z0-9._-]{1,63}$")
LANGS = ("kk", "ru", "en")


def temporary_password() -> str:
    """A one-time password the administrator hands over (shown once, never stored in clear)."""
    return secrets.token_urlsafe(12)


# --- users -----------------------------------------------------------------------------------


def _check_grant(role: str, subdivision: Subdivision | None) -> Role:
    try:
        r = Role(role)
    except ValueError:
        raise AdminError(_l("Unknown role %(role)s.", role=role)) from None
    if r in LOCAL_ROLES and subdivision is None:
        raise AdminError(
            _l("The role %(role)s is held for a subdivision: choose the subdivision.", role=role)
        )
    return r


@atomic
def create_account(
    username: str,
    full_name: str,
    *,
    email: str | None = None,
    password: str | None = None,
    grants: Iterable[tuple[str, Subdivision | None]] = (),
) -> tuple[User, str | None]:
    """Create a user with roles (global, or local for a subdivision). Without a password a
    temporary one is made and returned (to show once); otherwise None is returned."""
    username = (username or "").strip().lower()
    full_name = (full_name or "").strip()
    if not USERNAME_RE.match(username):
        raise AdminError(
            _l(
                "The username must be 2 to 64 characters: Latin letters, digits, dot, dash or "
                "underscore."
            )
        )
    if user_by_username(username) is not None:
        raise AdminError(_l("The username %(username)s is taken.", username=username))
    if not full_name:
        raise AdminError(_l("Give the user's full name."))
    checked = [(_check_grant(role, sub), sub) for role, sub in grants]
    temporary = None
    if not password:
        password = temporary = temporary_password()
    user = operations.create_user(username, full_name, password, (), (email or "").strip() or None)
    for role, sub in dict.fromkeys(checked):
        user.grants.append(RoleGrant(role=role.value, subdivision=sub))
    db.session.flush()
    audit.record("create_user", user, summary={"username": username, "roles": _grant_names(user)})
    return user, temporary


def _grant_names(user: User) -> list[str]:
    return sorted(
        f"{g.role}@{g.subdivision.code}" if g.subdivision else g.role for g in user.grants
    )


@atomic
def add_grant(user: User, role: str, subdivision: Subdivision | None) -> RoleGrant:
    """Give ``user`` a role, globally or for one subdivision (head and executor need one)."""
    r = _check_grant(role, subdivision)
    sub_id = subdivision.id if subdivision is not None else None
    if any(g.role == r.value and g.subdivision_id == sub_id for g in user.grants):
        raise AdminError(_l("%(username)s already holds this role.", username=user.username))
    grant = RoleGrant(role=r.value, subdivision=subdivision)
    user.grants.append(grant)
    db.session.flush()
    audit.record(
        "grant_role",
        user,
        summary={"username": user.username, "role": r.value, "subdivision": _code(subdivision)},
    )
    return grant


def _code(sub: Subdivision | None) -> str | None:
    return sub.code if sub is not None else None


def _active_admins() -> int:
    return db.session.scalar(
        select(func.count(func.distinct(User.id)))
        .join(RoleGrant, RoleGrant.user_id == User.id)
        .where(RoleGrant.role == Role.ADMIN.value, User.active.is_(True))
    )


@atomic
def remove_grant(user: User, grant: RoleGrant) -> None:
    """Take a role away. The last active administrator keeps theirs."""
    if grant.user_id != user.id:
        raise AdminError(_l("This role is not the user's."))
    if grant.role == Role.ADMIN.value and user.active and _active_admins() <= 1:
        raise AdminError(
            _l(
                "%(username)s is the last active administrator: make another user an "
                "administrator first.",
                username=user.username,
            )
        )
    summary = {
        "username": user.username,
        "role": grant.role,
        "subdivision": _code(grant.subdivision),
    }
    user.grants.remove(grant)
    db.session.flush()
    audit.record("revoke_role", user, summary=summary)


@atomic
def set_iin(user: User, iin: str) -> Employee:
    """The IIN on record for ``user`` (what a signature of theirs must carry), as
    ``flask users set --iin``. The trail names the user, never the IIN (R-PD-1)."""
    try:
        iin = validate_iin((iin or "").strip())
    except InvalidIdentifier as exc:
        raise AdminError(exc.message) from None
    other = db.session.scalar(select(Employee).where(Employee.iin == iin))
    if other is not None and other.user_id != user.id:
        raise AdminError(_l("This IIN is already another employee's."))
    employee = user.employee
    if employee is None:
        grant = next((g for g in user.grants if g.subdivision_id), None)
        if grant is None:
            raise AdminError(
                _l(
                    "%(username)s works in no subdivision: give them a role in one first.",
                    username=user.username,
                )
            )
        employee = Employee(subdivision_id=grant.subdivision_id, full_name=user.full_name)
        employee.user = user
        db.session.add(employee)
    employee.iin = iin
    db.session.flush()
    audit.record("set_iin", user, summary={"username": user.username})
    return employee


@atomic
def reset_password(user: User) -> str:
    """A new temporary password (returned once, to hand over); every session of the user ends."""
    if not user.active:
        raise AdminError(
            _l("%(username)s is deactivated: reactivate the account first.", username=user.username)
        )
    password = temporary_password()
    operations.set_password(user, password)
    audit.record("reset_password", user, summary={"username": user.username})
    return password


@atomic
def issue_api_token(user: User) -> str:
    """A new API token (returned once; the previous one stops working), as ``flask users
    token``. Refused for a deactivated account."""
    from docflow.api import issue_token

    if not user.active:
        raise AdminError(
            _l("%(username)s is deactivated: reactivate the account first.", username=user.username)
        )
    token = issue_token(user)
    audit.record("issue_api_token", user, summary={"username": user.username})
    return token


@atomic
def deactivate(user: User) -> bool:
    return operations.deactivate_user(user)


@atomic
def reactivate(user: User) -> bool:
    return operations.reactivate_user(user)


# --- subdivisions and heads ----------------------------------------------------------------------


@atomic
def update_subdivision(
    sub: Subdivision, names: Mapping[str, str], kind: str, active: bool
) -> Subdivision:
    """Names (kk and ru required, en optional), kind and whether it is in use."""
    clean = {lang: (names.get(lang) or "").strip() for lang in LANGS}
    if not clean["kk"] or not clean["ru"]:
        raise AdminError(_l("Give the name in Kazakh and in Russian."))
    if kind not in SUBDIVISION_KINDS:
        raise AdminError(_l("Unknown kind of subdivision %(kind)s.", kind=kind))
    new_names = {lang: value for lang, value in clean.items() if value}
    before = {"names": sub.names, "kind": sub.kind, "active": sub.active}
    if sub.names != new_names:
        sub.names = new_names
    if sub.kind != kind:
        sub.kind = kind
    if sub.active != active:
        sub.active = active
    db.session.flush()
    after = {"names": sub.names, "kind": sub.kind, "active": sub.active}
    if after != before:
        audit.record(
            "update_subdivision", sub, summary={"code": sub.code, "before": before, "after": after}
        )
    return sub


def heads_of(sub: Subdivision) -> list[User]:
    """The holders of the head role of ``sub`` on record (not the substitutes)."""
    return list(
        db.session.scalars(
            select(User)
            .join(RoleGrant, RoleGrant.user_id == User.id)
            .where(RoleGrant.subdivision_id == sub.id, RoleGrant.role == Role.HEAD.value)
            .order_by(User.full_name)
        )
    )


@atomic
def add_head(sub: Subdivision, user: User) -> RoleGrant:
    """Make ``user`` a head of ``sub`` (the local head role); the subdivision's head name on
    record becomes theirs."""
    if user is None:
        raise AdminError(_l("Choose the user."))
    if not user.active:
        raise AdminError(
            _l("%(username)s is deactivated: reactivate the account first.", username=user.username)
        )
    if user in heads_of(sub):
        raise AdminError(
            _l("%(username)s already heads %(code)s.", username=user.username, code=sub.code)
        )
    grant = RoleGrant(role=Role.HEAD.value, subdivision=sub)
    user.grants.append(grant)
    sub.head_name = user.full_name  # the name minutes and approval sheets know the head by
    db.session.flush()
    audit.record("set_head", sub, summary={"code": sub.code, "username": user.username})
    return grant


@atomic
def remove_head(sub: Subdivision, user: User) -> None:
    grant = next(
        (g for g in user.grants if g.role == Role.HEAD.value and g.subdivision_id == sub.id), None
    )
    if grant is None:
        raise AdminError(
            _l("%(username)s does not head %(code)s.", username=user.username, code=sub.code)
        )
    user.grants.remove(grant)
    db.session.flush()
    if sub.head_name == user.full_name:
        left = heads_of(sub)
        sub.head_name = left[0].full_name if left else None
    db.session.flush()
    audit.record("remove_head", sub, summary={"code": sub.code, "username": user.username})


# --- journals ------------------------------------------------------------------------------------


@atomic
def update_journal(code: str, names: Mapping[str, str], prefix: str) -> dict[str, Any]:
    """A journal's names and number prefix (next numbers carry it; given numbers stay)."""
    journals = [dict(j) for j in get_setting("journals") or []]
    journal = next((j for j in journals if j.get("code") == code), None)
    if journal is None:
        raise AdminError(_l("Unknown journal %(code)s.", code=code))
    prefix = (prefix or "").strip()
    if not prefix or len(prefix) > 8 or not re.fullmatch(r"[\w.-]+", prefix):
        raise AdminError(_l("The prefix is 1 to 8 letters or digits."))
    if any(j.get("prefix") == prefix and j.get("code") != code for j in journals):
        raise AdminError(_l("Another journal has the prefix %(prefix)s.", prefix=prefix))
    clean = {lang: (names.get(lang) or "").strip() for lang in LANGS}
    if not clean["kk"] or not clean["ru"]:
        raise AdminError(_l("Give the name in Kazakh and in Russian."))
    before = {"names": journal.get("names"), "prefix": journal.get("prefix")}
    journal["names"] = {lang: v for lang, v in clean.items() if v}
    journal["prefix"] = prefix
    set_setting("journals", journals)
    audit.record(
        "update_journal",
        object_type="setting",
        object_id="journals",
        summary={
            "code": code,
            "before": before,
            "after": {"names": journal["names"], "prefix": prefix},
        },
    )
    return journal


# --- the whole profile ---------------------------------------------------------------------------


@atomic
def load_profile_json(raw: bytes) -> dict[str, dict[str, int]]:
    """Load (or re-load) an office profile, as ``flask profile load``: records are matched by
    code and username and updated; existing users keep their passwords. Returns what was
    created and updated. Terms and calendar in it take effect today."""
    import json

    from docflow.org.profile import ProfileError, load_profile

    try:
        data = json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise AdminError(_l("The file is not a JSON profile: %(error)s", error=str(exc))) from None
    if not isinstance(data, dict):
        raise AdminError(_l("The file is not a JSON profile: %(error)s", error="not an object"))
    try:
        report = load_profile(data)
    except ProfileError as exc:
        raise AdminError(str(exc)) from None
    summary = {"created": report.created, "updated": report.updated}
    audit.record("load_profile", object_type="setting", object_id="profile", summary=summary)
    return summary
