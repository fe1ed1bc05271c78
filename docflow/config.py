"""Deployment configuration: defaults here, then ``instance/config.py``, then ``DOCFLOW_*``.

Office settings (terms, journals, calendar overrides) are not here: they come from the loaded
profile and live in the database (``docflow.core.settings``).
"""

from __future__ import annotations

import json
import os
import secrets
from pathlib import Path
from typing import Any

from flask import Flask

ENV_PREFIX = "DOCFLOW_"


class DefaultConfig:
    SECRET_KEY: str | None = None  # generated into the instance folder when not configured
    SQLALCHEMY_DATABASE_URI: str | None = None  # SQLite in the instance folder by default
    SQLALCHEMY_ENGINE_OPTIONS: dict[str, Any] = {}
    SQLITE_BUSY_TIMEOUT_MS = 15000
    MAX_CONTENT_LENGTH = 50 * 1024 * 1024
    BABEL_DEFAULT_LOCALE = "kk"
    BABEL_DEFAULT_TIMEZONE = "Asia/Almaty"
    LANGUAGES = ("kk", "ru", "en")
    TIMEZONE = "Asia/Almaty"
    SESSION_COOKIE_HTTPONLY = True
    SESSION_COOKIE_SAMESITE = "Lax"
    # None: Secure exactly when the request came over HTTPS (behind a proxy: with PROXY_FIX).
    SESSION_COOKIE_SECURE: bool | None = None
    PROXY_FIX = False
    WTF_CSRF_TIME_LIMIT = 8 * 3600
    LOGIN_THROTTLE_ATTEMPTS = 5
    LOGIN_THROTTLE_WINDOW_SECONDS = 15 * 60
    SERVER_TIMING = False
    # SMTP for e-mailing signed letters (docflow.outgoing.dispatch_mail); without SMTP_HOST the
    # reminders' MAIL_* settings are used.
    SMTP_HOST: str | None = None
    SMTP_PORT = 25
    SMTP_USER: str | None = None
    SMTP_PASSWORD: str | None = None
    SMTP_FROM: str | None = None
    SMTP_STARTTLS = False
    SMTP_TIMEOUT = 15
    # analytics: how long a computed list of emerging problems may be reused after new writes
    ANALYTICS_PROBLEMS_MAX_AGE = 300


def _parse_env_value(raw: str) -> Any:
    """Environment values are JSON when they parse as JSON (numbers, booleans), else strings."""
    try:
        return json.loads(raw)
    except ValueError:
        return raw


def load_config(app: Flask, test_config: dict[str, Any] | None = None) -> None:
    app.config.from_object(DefaultConfig)
    if test_config is None:
        app.config.from_pyfile("config.py", silent=True)
    else:
        app.config.from_mapping(test_config)
    for key, raw in os.environ.items():
        if not key.startswith(ENV_PREFIX) or key == ENV_PREFIX + "INSTANCE_PATH":
            continue
        name = key[len(ENV_PREFIX) :]
        if name == "DATABASE_URL":
            name = "SQLALCHEMY_DATABASE_URI"
        if test_config is not None and name in test_config:
            continue  # an explicit test setting wins over the environment
        app.config[name] = _parse_env_value(raw) if name != "SECRET_KEY" else raw

    instance = Path(app.instance_path)
    instance.mkdir(parents=True, exist_ok=True)
    if not app.config.get("SQLALCHEMY_DATABASE_URI"):
        app.config["SQLALCHEMY_DATABASE_URI"] = f"sqlite:///{instance / 'docflow.sqlite3'}"
    if not app.config.get("SECRET_KEY"):
        app.config["SECRET_KEY"] = _instance_secret(instance / "secret_key")


def _instance_secret(path: Path) -> str:
    if path.exists():
        return path.read_text().strip()
    key = secrets.token_urlsafe(48)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:  # another process created it first: use theirs
        return path.read_text().strip()
    with os.fdopen(fd, "w") as fh:
        fh.write(key)
    return key
