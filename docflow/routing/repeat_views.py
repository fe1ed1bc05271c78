"""Routing pages for R-ROUTE-4: deciding repeat candidates, and the way out of a dead end.

The routing panel shows the item's repeat candidates to whoever may link (the records office,
the controller at distribution, the head at assignment): *link* them as the same case or
*dismiss* them as another question. When every employee of the subdivision handled the earlier
case, the panel says so and offers the lawful ways out; the controller's is a consented
assignment of another subdivision's employee.
"""

from __future__ import annotations

from typing import Any

from flask import flash, request
from flask_babel import gettext as _
from flask_login import current_user, login_required
from sqlalchemy import select

from docflow.core.security import AccessDenied, Permission, Role, has_permission
from docflow.core.views import run_write
from docflow.extensions import db
from docflow.org.models import RoleGrant, User, user_by_username
from docflow.registry import operations as registry_ops
from docflow.registry import repeats
from docflow.registry.models import IncomingItem, item_by_public_id
from docflow.routing import handlers, operations
from docflow.routing.blueprint import _back, _item, _item_url, bp


def repeat_panel(item: IncomingItem, user: Any, ctx: dict[str, Any], can: dict[str, bool]) -> None:
    """Add the repeat candidates, the dead-end note and the consent form to the panel context."""
    if registry_ops.may_link(user, item):
        ctx["repeat_candidates"] = repeats.candidates_of(item)
        ctx["reason_text"] = repeats.reason_text
    candidates = ctx.get("candidates")
    if candidates is not None and candidates and all(c.blocked for c in candidates):
        ctx["all_blocked"] = True
        ctx["ways_out"] = handlers.ways_out(item, ctx["assign_subdivision"])
    elif item.subdivision is not None and item.state in ("distributed", "in_work"):
        staff = operations.subdivision_staff(item.subdivision)
        blocked = operations.prior_handlers(item)
        if staff and all(u.id in blocked for u in staff):
            ctx["all_blocked"] = True
            ctx["ways_out"] = handlers.ways_out(item, item.subdivision)
    if ctx.get("all_blocked") and can.get("assign_outside"):
        ctx["outside_choices"] = outside_choices(item)


def outside_choices(item: IncomingItem) -> list[tuple[User, str]]:
    """Employees of other subdivisions who did not handle the earlier case."""
    blocked = operations.prior_handlers(item)
    rows = db.session.execute(
        select(User, RoleGrant)
        .join(RoleGrant, RoleGrant.user_id == User.id)
        .where(
            RoleGrant.role.in_([Role.HEAD.value, Role.EXECUTOR.value]),
            RoleGrant.subdivision_id.is_not(None),
            RoleGrant.subdivision_id != item.subdivision_id,
            User.active.is_(True),
        )
        .order_by(RoleGrant.subdivision_id, User.full_name)
    ).all()
    seen, out = set(), []
    for user, grant in rows:
        if user.id in blocked or user.id in seen:
            continue
        seen.add(user.id)
        out.append((user, grant.subdivision.code))
    return out


@bp.route("/<public_id>/repeat/<other_id>", methods=["POST"])
@login_required
def decide_repeat(public_id: str, other_id: str):
    item = _item(public_id)
    if not registry_ops.may_link(current_user, item):
        raise AccessDenied()
    other = item_by_public_id(other_id)
    if other is None:
        flash(_("The earlier case was not found."), "error")
        return _back(item)
    decision = request.form.get("decision", "")
    success = (
        _("Linked as the same case.") if decision == "link" else _("Dismissed as another question.")
    )
    return run_write(
        lambda: registry_ops.decide_repeat(
            item,
            other,
            current_user,
            decision,
            kind=request.form.get("kind") or "repeat",
            reason=request.form.get("reason"),
        ),
        success=success,
        back=_item_url(item),
    )


@bp.route("/<public_id>/assign-outside", methods=["POST"])
@login_required
def assign_outside(public_id: str):
    item = _item(public_id)
    if not has_permission(current_user, Permission.DISTRIBUTE, item):
        raise AccessDenied(_("Only the appeals-control department can consent to this."))
    user = user_by_username(request.form.get("user", ""))
    if user is None:
        flash(_("Choose the employee."), "error")
        return _back(item)
    return run_write(
        lambda: operations.assign_from_other_subdivision(
            item, current_user, user.id, request.form.get("reason", "")
        ),
        success=_("The executor is assigned."),
        back=_item_url(item),
    )
