"""Error pages and JSON errors: a readable message in the user's language, never a traceback."""

from __future__ import annotations

import contextlib
from urllib.parse import urlsplit

from flask import Flask, current_app, g, jsonify, render_template, request
from flask_babel import lazy_gettext as _l
from flask_wtf.csrf import CSRFError
from markupsafe import escape
from sqlalchemy.exc import DataError, InterfaceError, OperationalError
from werkzeug.exceptions import HTTPException, InternalServerError

from docflow.api.safe_input import BadInput
from docflow.core.errors import DomainError
from docflow.extensions import db

MESSAGES = {
    400: _l("The request could not be understood. Check the form and try again."),
    401: _l("Please log in to open this page."),
    403: _l("You do not have permission to do this."),
    404: _l("This page does not exist or has been moved."),
    405: _l("This action is not possible here."),
    409: _l("This action conflicts with the current state of the document."),
    413: _l("The file is too large."),
    422: _l("The request breaks a rule of the office."),
    429: _l("Too many requests. Wait a little and try again."),
    500: _l("Something went wrong on our side. Your data is safe; please try again."),
    503: _l(
        "The database is not available at the moment. Nothing was saved; try again in a minute."
    ),
    507: _l("The server's disk is full. Nothing was saved; tell the administrator."),
}
# SQLite's OperationalError also means a bug (no such table…): only these are unavailability.
SQLITE_UNAVAILABLE = ("locked", "busy", "unable to open", "disk i/o")


def wants_json() -> bool:
    # A JSON request (the pages' fetch calls) is answered in JSON too.
    return (
        request.path.startswith("/api/")
        or request.accept_mimetypes.best == "application/json"
        or request.is_json
    )


def error_response(status: int, code: str, message: str, headers=None, **extra):
    if wants_json():
        return jsonify({"error": code, "message": message, **extra}), status, headers or {}
    try:
        body = render_template(
            "errors/error.html", status=status, message=message, back_url=_back_url()
        )
    except Exception:  # the page shell itself is broken (database down…): still say something
        with contextlib.suppress(Exception):
            db.session.rollback()
        body = f"<!doctype html><title>{status}</title><h1>{status}</h1><p>{escape(message)}</p>"
    return body, status, headers or {}


def _back_url() -> str | None:
    """The page the request came from, when it is one of ours: the way back after a refusal."""
    referrer = request.referrer or ""
    parts = urlsplit(referrer)
    if parts.netloc != request.host or parts.scheme not in ("http", "https"):
        return None
    return referrer


def too_large_message() -> str:
    limit = current_app.config.get("MAX_CONTENT_LENGTH") or 0
    if limit and (request.content_length or 0) > limit:
        return str(
            _l(
                "The upload is too large: at most %(mb).1f MB at once. Nothing was stored.",
                mb=limit / (1024 * 1024),
            )
        )
    return str(_l("A field of the form is too large, or the request has too many parts."))


def register_error_handlers(app: Flask) -> None:
    @app.errorhandler(BadInput)
    def _bad_input(exc: BadInput):
        extra = {"fields": exc.fields} if exc.fields else {}
        return error_response(exc.code or 400, exc.error, str(exc.description), **extra)

    @app.errorhandler(DataError)
    def _data_error(exc: DataError):
        # The database refused a value (too long for its column, out of range…) that no check
        # caught before: the client's input, so a 4xx with a message, not a 500.
        db.session.rollback()
        app.logger.warning("database refused a value: %s", exc.orig)
        return error_response(
            422, "invalid", str(_l("A value is too long or not valid. Check the data and retry."))
        )

    @app.errorhandler(OperationalError)
    @app.errorhandler(InterfaceError)
    def _database_unavailable(exc: OperationalError | InterfaceError):
        # The database is down, restarting or unreachable (or SQLite busy, or its disk full):
        # 503 with Retry-After, or 507, and a readable message, never a traceback. The pool
        # checks connections before use (pool_pre_ping), so service resumes by itself.
        with contextlib.suppress(Exception):
            db.session.rollback()
        # Nothing more may ask the database in this request: the user is anonymous from here.
        g._login_user = current_app.login_manager.anonymous_user()
        reason = str(exc.orig or exc).lower()
        if "database or disk is full" in reason:
            app.logger.error("database disk full: %s", exc.orig)
            return error_response(507, "storage_full", str(MESSAGES[507]))
        if db.engine.dialect.name == "sqlite" and not any(s in reason for s in SQLITE_UNAVAILABLE):
            return _unexpected(exc)
        app.logger.error("database unavailable: %s", exc.orig)
        return error_response(
            503, "database_unavailable", str(MESSAGES[503]), {"Retry-After": "30"}
        )

    @app.errorhandler(HTTPException)
    def _http(exc: HTTPException):
        status = exc.code or 500
        message = str(MESSAGES.get(status, exc.description or ""))
        if isinstance(exc, CSRFError):
            message = str(
                _l(
                    "The form has expired or was sent from elsewhere. Reload the page and try again."
                )
            )
            return error_response(400, "csrf", message)
        if status == 413:
            message = too_large_message()
        # Keep the exception's own headers (Allow on 405, Retry-After on 429…), not its body type.
        headers = [(k, v) for k, v in exc.get_headers() if k.lower() != "content-type"]
        return error_response(
            status, (exc.name or "error").lower().replace(" ", "_"), message, headers
        )

    @app.errorhandler(DomainError)
    def _domain(exc: DomainError):
        # Any refusal of an operation the view did not catch (workflow, access, input): one
        # shape, {"error": code, "message", "fields"} in JSON, the readable message on a page.
        db.session.rollback()
        if wants_json():
            body = exc.payload()
            return error_response(exc.status, body.pop("error"), body.pop("message"), **body)
        return error_response(exc.status, exc.code, exc.readable())

    @app.errorhandler(Exception)
    def _unexpected(exc: Exception):
        db.session.rollback()
        app.logger.exception("unhandled error", exc_info=exc)
        return error_response(500, "internal_error", str(MESSAGES[500]))

    # Keep InternalServerError from the generic handler above consistent.
    app.register_error_handler(
        InternalServerError, lambda e: error_response(500, "internal_error", str(MESSAGES[500]))
    )
