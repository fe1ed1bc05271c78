"""Office settings loaded from the profile (terms, journals, calendar, working hours).

Stored as JSON values per key so an administrator (or a re-loaded profile) can change them
without a deployment; like Indico's ``SettingsProxy``, reads fall back to code defaults.
"""

from __future__ import annotations

from typing import Any

from flask import g, has_app_context
from sqlalchemy import String, select
from sqlalchemy.orm import Mapped, mapped_column

from docflow.core.db import JSONType, UTCDateTime, utcnow
from docflow.extensions import db


class Setting(db.Model):
    __tablename__ = "setting"

    key: Mapped[str] = mapped_column(String(100), primary_key=True)
    value: Mapped[Any] = mapped_column(JSONType, nullable=True)
    updated_at = mapped_column(UTCDateTime, nullable=False, default=utcnow, onupdate=utcnow)


class SettingVersion(db.Model):
    """Every value a setting has taken, from when: an inspection judges each case by the settings
    in force on its registration date (a later change of the profile does not rewrite it)."""

    __tablename__ = "setting_version"
    __audit__ = False  # the change itself is audited on ``setting``

    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(100), nullable=False, index=True)
    value: Mapped[Any] = mapped_column(JSONType, nullable=True)
    changed_at = mapped_column(UTCDateTime, nullable=False, default=utcnow)


_MISSING = object()  # (cached: no such setting)


def get_setting(key: str, default: Any = None) -> Any:
    cache = _cache()
    if cache is not None and key in cache:
        value = cache[key]
        return default if value is _MISSING else value
    value = db.session.execute(select(Setting.value).where(Setting.key == key)).scalar_one_or_none()
    if value is None:
        value = default
    if cache is not None:
        cache[key] = value
    return value


def preload_settings(*keys: str) -> None:
    """Read these settings for the request in one query (a request that will need them all)."""
    cache = _cache()
    if cache is None:
        return
    wanted = [k for k in keys if k not in cache]
    if not wanted:
        return
    found = dict(
        db.session.execute(select(Setting.key, Setting.value).where(Setting.key.in_(wanted))).all()
    )
    for key in wanted:
        value = found.get(key)
        cache[key] = _MISSING if value is None else value


def set_setting(key: str, value: Any) -> None:
    row = db.session.get(Setting, key)
    if row is None or row.value != value:
        db.session.add(SettingVersion(key=key, value=value))  # kept by date (inspections)
    if row is None:
        db.session.add(Setting(key=key, value=value))
    elif row.value != value:
        row.value = value
    cache = _cache()
    if cache is not None:
        cache.pop(key, None)
    db.session.flush()


def _cache() -> dict[str, Any] | None:
    # Per app-context (so per request) cache: settings change rarely, read often.
    if not has_app_context():
        return None
    if "_docflow_settings" not in g:
        g._docflow_settings = {}
    return g._docflow_settings
