"""REST API v1 for integrations (e-Otinish, scanners): bearer tokens, JSON errors, OpenAPI.

Sessions and cookies are not accepted here (so no CSRF): every request carries
``Authorization: Bearer <token>``; tokens are issued with ``flask users token USERNAME``.
Errors are ``{"error": code, "message": text, "fields": {...}}`` with a 4xx status (any
``docflow.core.errors.DomainError`` an operation raises). Request bodies are read by
:func:`json_body` (parsed safely by ``docflow.api.safe_input``).
"""

from __future__ import annotations

import hashlib
import secrets
from functools import wraps
from typing import Any

from flask import Blueprint, g, jsonify, request
from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from docflow.core import audit
from docflow.core.db import set_sqlite_begin_mode
from docflow.core.errors import DomainError
from docflow.extensions import csrf, db

bp = Blueprint("api", __name__, url_prefix="/api/v1")
csrf.exempt(bp)


class ApiError(DomainError):
    """A refusal of the API itself (bad request, no token…); ``extra`` goes into the body."""

    def __init__(self, status: int, code: str, message: Any, **extra: Any) -> None:
        super().__init__(message, status=status, code=code, fields=extra.pop("fields", None))
        self.extra = extra

    def payload(self) -> dict[str, Any]:
        return {**super().payload(), **self.extra}


@bp.errorhandler(DomainError)
def _domain_error(exc: DomainError):
    # Every refusal of an operation (workflow, access, input) in one shape, in one place.
    db.session.rollback()
    return jsonify(exc.payload()), exc.status


def json_body(*, required: bool = False) -> dict[str, Any]:
    """The request's JSON object: the body, or the ``data`` part of a multipart request.

    No body (or ``null``) is ``{}`` unless ``required``; anything else that is not a JSON
    object is a 400 with a message, never silently ignored. Too deep nesting, lone surrogates
    and over-long strings are refused, control characters removed (``safe_input.loads``).
    """
    from docflow.api.safe_input import loads

    payload: Any = None
    if request.mimetype == "multipart/form-data":
        text = request.form.get("data") or ""
        try:
            payload = loads(text) if text.strip() else None
        except ValueError:
            raise ApiError(400, "bad_request", _l("The “data” part must be JSON.")) from None
    elif request.get_data(cache=True).strip():
        if not request.is_json:
            raise ApiError(400, "bad_request", SEND_JSON)
        try:
            payload = loads(request.get_data(cache=True))
        except ValueError:  # malformed, not UTF-8, NaN…
            raise ApiError(400, "bad_request", _l("The body is not valid JSON.")) from None
    if payload is None:
        if required:
            raise ApiError(400, "bad_request", SEND_JSON)
        return {}
    if not isinstance(payload, dict):
        raise ApiError(400, "bad_request", _l("The body must be a JSON object."))
    return payload


SEND_JSON = _l("Send JSON (Content-Type: application/json) or multipart with a “data” part.")


def invalid_field(field: str, message: Any) -> ApiError:
    return ApiError(422, "invalid", _l("The data is not valid."), fields={field: str(message)})


def text_field(payload: dict[str, Any], name: str) -> str | None:
    """``payload[name]`` as text or None; any other JSON type is a 422 naming the field."""
    value = payload.get(name)
    if value is None or isinstance(value, str):
        return value
    raise invalid_field(name, _l("Text is expected."))


def list_field(payload: dict[str, Any], name: str) -> list[Any]:
    """``payload[name]`` as a list (missing: empty); any other JSON type is a 422."""
    value = payload.get(name)
    if value is None:
        return []
    if isinstance(value, list):
        return value
    raise invalid_field(name, _l("A list is expected."))


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def issue_token(user: Any) -> str:
    """A new token for the user (the previous one stops working); shown once, stored hashed."""
    token = "dft_" + secrets.token_urlsafe(32)
    user.api_token_hash = token_hash(token)
    return token


def _authenticate() -> Any:
    from docflow.org.models import User

    header = request.headers.get("Authorization", "")
    if not header.startswith("Bearer "):
        raise ApiError(401, "unauthorized", _l("Send an API token: Authorization: Bearer <token>."))
    token = header[7:].strip()
    if not token or len(token) > 200:
        raise ApiError(401, "unauthorized", _l("The API token is not valid."))
    user = db.session.scalar(
        select(User).where(User.api_token_hash == token_hash(token), User.active)
    )
    if user is None:
        raise ApiError(401, "unauthorized", _l("The API token is not valid."))
    return user


def reads_first(view):
    """Mark a write view that reads before it writes: its request begins with a DEFERRED
    transaction (authentication included), and the view calls ``core.db.begin_writes()``
    before its first write, so the SQLite write lock is held only while it writes."""
    view.api_reads_first = True
    return view


def api_auth(view):
    @wraps(view)
    def wrapper(*args, **kwargs):
        if getattr(view, "api_reads_first", False):
            # A before-request check's reads (the settings' scheduled changes) end here too.
            db.session.rollback()
            set_sqlite_begin_mode("DEFERRED")
        user = _authenticate()
        g.api_user = user
        audit.set_actor(audit.Actor(user.id, user.display_name))
        return view(*args, **kwargs)

    return wrapper


@bp.route("/openapi.json")
def openapi():
    from docflow.api.openapi import spec

    return jsonify(spec())
