"""Error pages and JSON errors: a readable message in the user's language, never a traceback."""

from __future__ import annotations

from flask import Flask, jsonify, render_template, request
from flask_babel import lazy_gettext as _l
from flask_wtf.csrf import CSRFError
from markupsafe import escape
from werkzeug.exceptions import HTTPException, InternalServerError

from docflow.core.security import AccessDenied
from docflow.core.workflow import WorkflowError
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
}


def wants_json() -> bool:
    return request.path.startswith("/api/") or (request.accept_mimetypes.best == "application/json")


def error_response(status: int, code: str, message: str, headers=None):
    if wants_json():
        return jsonify({"error": code, "message": message}), status, headers or {}
    try:
        body = render_template("errors/error.html", status=status, message=message)
    except Exception:  # the page shell itself is broken (database down…): still say something
        db.session.rollback()
        body = f"<!doctype html><title>{status}</title><h1>{status}</h1><p>{escape(message)}</p>"
    return body, status, headers or {}


def register_error_handlers(app: Flask) -> None:
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
        # Keep the exception's own headers (Allow on 405, Retry-After on 429…), not its body type.
        headers = [(k, v) for k, v in exc.get_headers() if k.lower() != "content-type"]
        return error_response(
            status, (exc.name or "error").lower().replace(" ", "_"), message, headers
        )

    @app.errorhandler(AccessDenied)
    def _denied(exc: AccessDenied):
        db.session.rollback()
        return error_response(403, "forbidden", exc.message)

    @app.errorhandler(WorkflowError)
    def _workflow(exc: WorkflowError):
        db.session.rollback()
        return error_response(exc.status, exc.code, exc.message)

    @app.errorhandler(Exception)
    def _unexpected(exc: Exception):
        db.session.rollback()
        app.logger.exception("unhandled error", exc_info=exc)
        return error_response(500, "internal_error", str(MESSAGES[500]))

    # Keep InternalServerError from the generic handler above consistent.
    app.register_error_handler(
        InternalServerError, lambda e: error_response(500, "internal_error", str(MESSAGES[500]))
    )
