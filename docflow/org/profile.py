"""Profiles: a data file describing one office, loaded like a Plone GenericSetup profile.

A profile holds the organisation (subdivisions, officials), employees, users with their roles,
and the office settings: journals, answer terms (R-KIND-2), calendar overrides (R-DEADLINE-3)
and working hours (R-REG-3). Loading is idempotent: records are matched by their codes and
usernames and updated; an existing user's password is never reset by a reload.
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from flask import current_app
from sqlalchemy import select
from werkzeug.security import generate_password_hash

from docflow.core.security import LOCAL_ROLES, Role
from docflow.core.settings import set_setting
from docflow.extensions import db
from docflow.org.models import (
    SUBDIVISION_KINDS,
    Employee,
    Official,
    Organisation,
    RoleGrant,
    Subdivision,
    User,
)

DEMO_PROFILE = Path(__file__).resolve().parent.parent / "profiles" / "almaty-city.json"
SETTING_KEYS = (
    "journals",
    "terms",
    "correction_term",
    "calendar",
    "work_hours",
    "competence",
    "reminders",
    "reception",
    "auto_assign",  # {SUBDIVISION: username}: the head's standing instruction
    # {"complaint": {"body": {kk, ru}, "term": {kk, ru}}, "bin": …} (R-ANS-1),
    # "signature_required": ["final_answer", "refusal", "extension"] (R-ANS-2: who signs what)
    "letters",
    "duplicate_window_minutes",  # a likely duplicate registration asks first (registry.duplicates)
)
TERM_UNITS = ("working", "calendar")


class ProfileError(ValueError):
    """The profile is not usable; the message names the offending entry."""


@dataclass
class LoadReport:
    created: dict[str, int] = field(default_factory=dict)
    updated: dict[str, int] = field(default_factory=dict)
    users: list[dict[str, Any]] = field(default_factory=list)

    def count(self, kind: str, created: bool) -> None:
        target = self.created if created else self.updated
        target[kind] = target.get(kind, 0) + 1


def read_profile(path: str | Path) -> dict[str, Any]:
    try:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
    except OSError as exc:
        raise ProfileError(f"cannot read profile {path}: {exc.strerror}") from None
    except json.JSONDecodeError as exc:
        raise ProfileError(f"profile {path} is not valid JSON: {exc}") from None
    if not isinstance(data, dict):
        raise ProfileError(f"profile {path} must be a JSON object")
    return data


def load_profile(data: dict[str, Any]) -> LoadReport:
    """Validate, then upsert everything in one transaction (the caller commits)."""
    validate_profile(data)
    report = LoadReport()
    org = _upsert_org(data["organization"], report)
    subs = _upsert_subdivisions(org, data.get("subdivisions", []), report)
    officials = _upsert_officials(org, data.get("officials", []), report)
    for off in data.get("officials", []):
        for code in off.get("supervises", []) or []:
            subs[code].supervisor_code = off["code"]
    users = _upsert_users(data.get("users", []), subs, officials, report)
    _upsert_employees(data, subs, users, report)
    for key in SETTING_KEYS:
        if key in data:
            set_setting(key, data[key])
    set_setting("profile", {"name": data.get("profile"), "title": data.get("title")})
    db.session.flush()
    return report


# --- validation ---------------------------------------------------------------------------


def _need(cond: bool, message: str) -> None:
    if not cond:
        raise ProfileError(message)


def _names(value: Any, where: str) -> None:
    _need(
        isinstance(value, dict) and any(isinstance(v, str) and v for v in value.values()),
        f'{where}: names must be an object like {{"kk": …, "ru": …}}',
    )


def _entries(data: dict[str, Any], key: str, where: str | None = None) -> list[Any]:
    # Shape first, so a hand-edited file gets a message naming the entry, not a traceback.
    where = where or key
    items = data.get(key, [])
    _need(isinstance(items, list), f"{where} must be a list")
    for i, item in enumerate(items):
        _need(isinstance(item, dict), f"{where}[{i}] must be an object")
    return items


def validate_profile(data: dict[str, Any]) -> None:
    for key in ("subdivisions", "officials", "users", "employees"):
        _entries(data, key)
    if data.get("journals") is not None:
        _entries(data, "journals")
    _need(isinstance(data.get("terms") or {}, dict), "terms must be an object")
    org = data.get("organization")
    _need(isinstance(org, dict) and org.get("code"), "organization.code is required")
    _names(org.get("name"), "organization")
    codes: set[str] = set()
    for i, sub in enumerate(data.get("subdivisions", [])):
        where = f"subdivisions[{i}]"
        _need(isinstance(sub, dict) and sub.get("code"), f"{where}: code is required")
        _need(sub["code"] not in codes, f"{where}: duplicate code {sub['code']}")
        _need(
            sub.get("kind") in SUBDIVISION_KINDS,
            f"{where}: kind must be one of {SUBDIVISION_KINDS}",
        )
        _names(sub.get("name"), where)
        codes.add(sub["code"])
    for i, sub in enumerate(data.get("subdivisions", [])):
        parent = sub.get("parent")
        _need(parent is None or parent in codes, f"subdivisions[{i}]: unknown parent {parent}")
    off_codes = set()
    supervised: dict[str, str] = {}
    for i, off in enumerate(data.get("officials", [])):
        where = f"officials[{i}]"
        _need(off.get("code") and off.get("name"), f"{where}: code and name are required")
        _names(off.get("position"), where)
        for code in off.get("supervises", []) or []:
            _need(code in codes, f"{where}: supervises unknown subdivision {code}")
            _need(
                code not in supervised,
                f"{where}: {code} is already supervised by {supervised.get(code)}",
            )
            supervised[code] = off["code"]
        off_codes.add(off["code"])
    usernames = set()
    for i, user in enumerate(data.get("users", [])):
        where = f"users[{i}]"
        _need(
            user.get("username") and user.get("full_name"),
            f"{where}: username and full_name are required",
        )
        _need(user["username"] not in usernames, f"{where}: duplicate username {user['username']}")
        usernames.add(user["username"])
        for role in _entries(user, "roles", f"{where}.roles"):
            _need(
                role.get("role") in {r.value for r in Role},
                f"{where}: unknown role {role.get('role')}",
            )
            sub = role.get("subdivision")
            if role["role"] in LOCAL_ROLES:
                _need(sub in codes, f"{where}: role {role['role']} needs a known subdivision")
            else:
                _need(sub is None or sub in codes, f"{where}: unknown subdivision {sub}")
        _need(
            user.get("official") is None or user["official"] in off_codes,
            f"{where}: unknown official {user.get('official')}",
        )
    employee_users: set[str] = set()
    for i, emp in enumerate(data.get("employees", [])):
        where = f"employees[{i}]"
        _need(
            emp.get("name") and emp.get("subdivision") in codes,
            f"{where}: name and a known subdivision are required",
        )
        _need(
            emp.get("user") is None or emp["user"] in usernames,
            f"{where}: unknown user {emp.get('user')}",
        )
        # Employee.user_id is unique: one employee record per user account.
        _need(
            emp.get("user") is None or emp["user"] not in employee_users,
            f"{where}: user {emp.get('user')} is already another employee",
        )
        if emp.get("user"):
            employee_users.add(emp["user"])
    for kind, term in (data.get("terms") or {}).items():
        _need(
            isinstance(term, dict)
            and isinstance(term.get("days"), int)
            and term["days"] > 0
            and term.get("unit") in TERM_UNITS,
            f'terms.{kind}: must be {{"days": N > 0, "unit": "working"|"calendar"}}',
        )
    for i, journal in enumerate(data.get("journals", []) or []):
        _need(
            journal.get("code")
            and journal.get("prefix")
            and "{number" in journal.get("format", ""),
            f"journals[{i}]: code, prefix and a format with {{number}} are required",
        )
    cal = data.get("calendar") or {}
    for key in ("days_off", "working_days"):
        for value in cal.get(key, []) or []:
            try:
                dt.date.fromisoformat(value)
            except (TypeError, ValueError):
                raise ProfileError(f"calendar.{key}: {value!r} is not a date YYYY-MM-DD") from None
    hours = data.get("work_hours") or {}
    for key in ("start", "end"):
        if key in hours:
            try:
                dt.time.fromisoformat(hours[key])
            except (TypeError, ValueError):
                raise ProfileError(
                    f"work_hours.{key}: {hours[key]!r} is not a time HH:MM"
                ) from None


# --- upserts ------------------------------------------------------------------------------


def _upsert_org(data: dict[str, Any], report: LoadReport) -> Organisation:
    org = db.session.scalar(select(Organisation).where(Organisation.code == data["code"]))
    report.count("organisation", org is None)
    if org is None:
        org = Organisation(code=data["code"], names=data["name"])
        db.session.add(org)
    elif org.names != data["name"]:
        org.names = data["name"]
    db.session.flush()
    return org


def _assign(obj: Any, **values: Any) -> None:
    # Only touch changed attributes, so a reload writes (and audits) nothing when nothing changed.
    for key, value in values.items():
        if getattr(obj, key) != value:
            setattr(obj, key, value)


def _upsert_subdivisions(
    org: Organisation, items: list[dict[str, Any]], report: LoadReport
) -> dict[str, Subdivision]:
    existing = {s.code: s for s in db.session.scalars(select(Subdivision))}
    for item in items:
        sub = existing.get(item["code"])
        report.count("subdivision", sub is None)
        if sub is None:
            sub = Subdivision(code=item["code"], organisation_id=org.id)
            db.session.add(sub)
            existing[item["code"]] = sub
        _assign(
            sub,
            kind=item["kind"],
            names=item["name"],
            head_name=item.get("head"),
            topics=item.get("topics"),
        )
    db.session.flush()
    for item in items:
        parent = existing[item["parent"]] if item.get("parent") else None
        _assign(existing[item["code"]], parent_id=parent.id if parent else None)
    return existing


def _upsert_officials(
    org: Organisation, items: list[dict[str, Any]], report: LoadReport
) -> dict[str, Official]:
    existing = {o.code: o for o in db.session.scalars(select(Official))}
    for item in items:
        off = existing.get(item["code"])
        report.count("official", off is None)
        if off is None:
            off = Official(code=item["code"], organisation_id=org.id)
            db.session.add(off)
            existing[item["code"]] = off
        _assign(
            off,
            full_name=item["name"],
            positions=item["position"],
            supervises=item.get("supervises"),
        )
    db.session.flush()
    return existing


def hash_password(password: str) -> str:
    return generate_password_hash(password, method=current_app.config["PASSWORD_HASH_METHOD"])


def _upsert_users(
    items: list[dict[str, Any]],
    subs: dict[str, Subdivision],
    officials: dict[str, Official],
    report: LoadReport,
) -> dict[str, User]:
    existing = {u.username: u for u in db.session.scalars(select(User))}
    for item in items:
        user = existing.get(item["username"])
        report.count("user", user is None)
        if user is None:
            user = User(
                username=item["username"],
                full_name=item["full_name"],
                password_hash=hash_password(item.get("password") or _random_password()),
                password_changed_at=dt.datetime.now(dt.UTC),
            )
            db.session.add(user)
            existing[item["username"]] = user
        _assign(
            user, full_name=item["full_name"], email=item.get("email"), locale=item.get("locale")
        )
        wanted = {(r["role"], r.get("subdivision")) for r in item.get("roles", [])}
        have = {(g.role, g.subdivision.code if g.subdivision else None): g for g in user.grants}
        for key, grant in have.items():
            if key not in wanted:
                user.grants.remove(grant)
        for role, sub in wanted - have.keys():
            user.grants.append(RoleGrant(role=role, subdivision=subs[sub] if sub else None))
        report.users.append(
            {
                "username": item["username"],
                "password": item.get("password"),
                "roles": sorted(f"{r}@{s}" if s else r for r, s in wanted),
            }
        )
    db.session.flush()
    for item in items:
        if item.get("official"):
            _assign(officials[item["official"]], user_id=existing[item["username"]].id)
    return existing


def _random_password() -> str:
    import secrets

    return secrets.token_urlsafe(24)


def _upsert_employees(
    data: dict[str, Any], subs: dict[str, Subdivision], users: dict[str, User], report: LoadReport
) -> None:
    existing = {(e.subdivision_id, e.full_name): e for e in db.session.scalars(select(Employee))}
    wanted: list[dict[str, Any]] = []
    # Every subdivision head named in the organisation is an employee too.
    for sub in data.get("subdivisions", []):
        if sub.get("head"):
            wanted.append({"name": sub["head"], "subdivision": sub["code"], "head": True})
    by_key = {(w["subdivision"], w["name"]): w for w in wanted}
    for emp in data.get("employees", []):
        by_key[(emp["subdivision"], emp["name"])] = {
            **by_key.get((emp["subdivision"], emp["name"]), {}),
            **emp,
        }
    for item in by_key.values():
        sub = subs[item["subdivision"]]
        emp = existing.get((sub.id, item["name"]))
        report.count("employee", emp is None)
        if emp is None:
            emp = Employee(subdivision_id=sub.id, full_name=item["name"])
            db.session.add(emp)
        positions = item.get("position")
        if positions is None and item.get("head"):
            positions = {"kk": "Басшы", "ru": "Руководитель", "en": "Head"}
        user = users.get(item["user"]) if item.get("user") else None
        _assign(
            emp,
            positions=positions,
            is_head=bool(item.get("head")),
            user_id=user.id if user else emp.user_id,
        )
    db.session.flush()
