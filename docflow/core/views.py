"""What every write view does around its one operation: check, run, commit or roll back, redirect.

A write view loads its objects, checks the permission (``require``) and calls one operation
through ``run_write``: on success the transaction is committed and the success message
flashed; a refusal (any ``DomainError``) rolls everything back and flashes its message. A
refusal of *access* (``AccessDenied``, ``TransitionForbidden``) is not flashed but answered
403 by the app's error handler, so that every view refuses an action the same way.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask import abort, flash, redirect
from flask_login import current_user

from docflow.core.errors import DomainError
from docflow.core.security import AccessDenied, Permission, has_permission
from docflow.core.workflow import TransitionForbidden
from docflow.extensions import db

# What a view may give as the way back or the success message: a value, or a function of the
# operation's result (a message naming the number the operation gave).
Back = str | Callable[[Any], Any]
Message = Any | Callable[[Any], Any] | None


def require(permission: Permission | str, obj: Any = None) -> None:
    """403 unless the current user has ``permission`` (on ``obj``, when given)."""
    if not has_permission(current_user, permission, obj):
        abort(403)


def run_write(
    action: Callable[[], Any],
    *,
    success: Message,
    back: Back,
    failure: Callable[[DomainError], Any] | None = None,
):
    """Run ``action`` (one operation); commit and flash ``success``, or roll back and say why.

    ``back`` is the URL to return to (or a function of the result giving a URL or a whole
    response); ``failure`` answers a refusal differently (a form shown again with 422) instead
    of redirecting to ``back``.
    """
    try:
        result = action()
    except (AccessDenied, TransitionForbidden):
        raise  # not theirs to do: 403 from the app's error handler
    except DomainError as exc:
        db.session.rollback()
        flash(exc.readable(), "error")
        if failure is not None:
            return failure(exc)
        return _redirect(back, None)
    db.session.commit()
    message = success(result) if callable(success) else success
    if message:
        flash(str(message), "info")
    return _redirect(back, result)


def _redirect(back: Back, result: Any):
    target = back(result) if callable(back) else back
    if isinstance(target, str):
        return redirect(target), 303
    return target
