"""Routing pages: the routing panel of an item, its actions, and the control dashboards."""

from __future__ import annotations

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required
from sqlalchemy import select
from wtforms.fields.choices import SelectChoice

from docflow.core.calendar import get_calendar
from docflow.core.security import AccessDenied, Permission, has_permission
from docflow.core.views import run_write
from docflow.extensions import db
from docflow.i18n import format_date
from docflow.org.models import Subdivision
from docflow.registry.blueprint import ITEM_PANELS
from docflow.registry.models import IncomingItem, item_by_public_id
from docflow.registry.workflow import INCOMING
from docflow.routing import dashboards, operations
from docflow.routing.forms import (
    AnswerForm,
    AssignForm,
    CommentForm,
    DistributeForm,
    ExtendForm,
    ForwardForm,
)
from docflow.routing.models import Extension, Forwarding
from docflow.routing.terms import extension_note

bp = Blueprint("routing", __name__, url_prefix="/routing")


def _item(public_id: str) -> IncomingItem:
    item = item_by_public_id(public_id)
    if item is None:
        abort(404)
    if not has_permission(current_user, Permission.VIEW, item):
        abort(403)
    return item


def _item_url(item: IncomingItem) -> str:
    return url_for("registry.item", public_id=item.public_id) + "#routing"


def _back(item: IncomingItem):
    return redirect(_item_url(item)), 303


def _subdivision_choices() -> list[SelectChoice]:
    subs = db.session.scalars(
        select(Subdivision)
        .where(Subdivision.active.is_(True))
        .order_by(Subdivision.kind, Subdivision.code)
    )
    return [SelectChoice(s.code, f"{s.code} — {s.name}") for s in subs]


def routing_panel(item: IncomingItem, user):
    """The item page's routing section (registered with the registry's ITEM_PANELS)."""
    ctx: dict = {"item": item, "state": item.state}
    available = {t.id for t in INCOMING.available(item, user)}  # once: each call runs every guard
    can = {name: name in available for name in INCOMING.transitions}
    ctx["can"] = can
    ctx["distributions"] = operations.distributions(item)
    ctx["executors"] = operations.active_executors(item)
    ctx["answer"] = operations.current_answer(item)
    ctx["extensions"] = operations.extensions(item)
    ctx["forwardings"] = db.session.scalars(
        select(Forwarding).where(Forwarding.item_id == item.id)
    ).all()
    ctx["forward_deadline"] = operations.forwarding_deadline(item)
    ctx["can_notice"] = _may_mark_notice(user, item)
    if can["distribute"] or can["redistribute"]:
        form = DistributeForm()
        form.responsible.choices = _subdivision_choices()
        form.co_executors.choices = _subdivision_choices()
        ctx["distribute_form"] = form
        ctx["redistribute"] = not can["distribute"]  # already routed: the reason is required
        ctx["suggestions"] = _suggestions(item) if can["distribute"] else []
        if ctx["suggestions"] and not form.responsible.data:
            form.responsible.data = ctx["suggestions"][0].code  # the best suggestion, preselected
    if can["distribute"] or can["forward_part"]:
        ctx["forward_form"] = ForwardForm()
    if can["assign"] or can["reassign"] or can["add_co_executors"] or can["delegate"]:
        try:
            sub = operations._acting_subdivision(item, user)
        except AccessDenied:
            sub = None
        if sub is not None:
            form = AssignForm()
            ctx["candidates"] = operations.executor_candidates(item, sub)
            form.executors.choices = [
                SelectChoice(c.user.id, c.user.display_name) for c in ctx["candidates"]
            ]
            kinds = [
                k
                for k, t in (
                    ("assign", "assign"),
                    ("reassign", "reassign"),
                    ("add", "add_co_executors"),
                    ("delegate", "delegate"),
                )
                if can[t]
            ]
            titles = {
                "assign": _("Assign"),
                "reassign": _("Reassign"),
                "add": _("Add co-executors"),
                "delegate": _("Delegate"),
            }
            form.kind.choices = [SelectChoice(k, titles[k]) for k in kinds]
            ctx["assign_form"] = form
            ctx["assign_subdivision"] = sub
    from docflow.routing.repeat_views import repeat_panel

    repeat_panel(item, user, ctx, can)  # R-ROUTE-4: candidates to decide, no dead end
    if can["submit_answer"]:
        ctx["answer_form"] = AnswerForm()
    ctx["comment_form"] = CommentForm()
    if can["extend"]:
        form = ExtendForm()
        ctx["extend_form"] = form
        ctx["caps"] = {
            "letter": operations.extension_cap(item, "letter"),
            "decision": operations.extension_cap(item, "decision"),
        }
    return "routing/panel.html", ctx


def _may_mark_notice(user, item: IncomingItem) -> bool:
    return (
        has_permission(user, Permission.DISTRIBUTE)
        or has_permission(user, Permission.CONTROL)
        or has_permission(user, Permission.APPROVE, item)
    )


def _suggestions(item: IncomingItem):
    try:
        from docflow.routing.suggest import suggest_for_text
    except ImportError:  # pragma: no cover - suggestions are a help, never a blocker
        return []
    text = " ".join(
        filter(None, [item.summary] + [a.text or "" for a in item.current_attachments])
    )[:20000]
    try:
        return suggest_for_text(text, k=3)
    except (OSError, LookupError, TypeError, ValueError):
        # A broken competence map in the settings or an unreadable trained model: the panel
        # still opens (the controller chooses by hand), and the office's log says what broke.
        current_app.logger.exception("routing suggestions failed for item %s", item.public_id)
        return []


ITEM_PANELS.append(routing_panel)
from docflow.routing import resolution_views  # noqa: E402  (its panel after this one, its routes)


@bp.route("/<public_id>/distribute", methods=["POST"])
@login_required
def distribute(public_id: str):
    item = _item(public_id)
    form = DistributeForm()
    form.responsible.choices = form.co_executors.choices = _subdivision_choices()
    if not form.validate_on_submit():
        flash(_("Choose the responsible subdivision."), "error")
        return _back(item)
    codes = [form.responsible.data] + [
        c for c in form.co_executors.data or [] if c != form.responsible.data
    ]
    redistribute = item.state != "registered"
    return run_write(
        lambda: operations.distribute(
            item, current_user, codes, form.comment.data or None, redistribute=redistribute
        ),
        success=_("Sent to %(code)s.", code=codes[0]),
        back=_item_url(item),
    )


@bp.route("/<public_id>/assign", methods=["POST"])
@login_required
def assign(public_id: str):
    item = _item(public_id)
    ids = [int(x) for x in request.form.getlist("executors") if x.isdigit()]
    kind = request.form.get("kind", "assign")
    if kind not in ("assign", "reassign", "add", "delegate"):
        abort(400)
    CommentForm().validate()  # the CSRF token
    reason = (request.form.get("reason") or "").strip() or None
    form = AssignForm()  # the resolution's fields only (the choices are the panel's)
    if not (form.term.validate(form) and form.instruction.validate(form)):
        flash(_("Give the executors' term as a date and the resolution in at most 1000 characters."), "error")  # fmt: skip
        return _back(item)
    return run_write(
        lambda: operations.assign_executors(
            item,
            current_user,
            ids,
            kind=kind,
            reason=reason,
            instruction=form.instruction.data,
            term=form.term.data,
        ),
        success=lambda _rows: resolution_views.assigned_message(item, form.term.data is not None),
        back=_item_url(item),
    )


@bp.route("/<public_id>/answer", methods=["POST"])
@login_required
def answer(public_id: str):
    item = _item(public_id)
    form = AnswerForm()
    if not form.validate_on_submit():
        flash(_("Attach the answer document and summarise the answer."), "error")
        return _back(item)
    f = form.file.data
    return run_write(
        lambda: operations.submit_answer(
            item,
            current_user,
            summary=form.summary.data,
            filename=f.filename,
            stream=f.stream,
            final=bool(form.final.data),
        ),
        success=_("The answer is sent to the head for approval."),
        back=_item_url(item),
    )


ACTIONS = {
    "approve": (
        lambda item, c: operations.approve_answer(item, current_user, c),
        _l("The answer is approved."),
    ),
    "return": (
        lambda item, c: operations.return_answer(item, current_user, c),
        _l("The answer is returned to the executor."),
    ),
    "close": (lambda item, c: operations.close(item, current_user, c), _l("Removed from control.")),
    "rework": (
        lambda item, c: operations.send_back_for_rework(item, current_user, c),
        _l("Sent back for rework."),
    ),
    "terminate": (
        lambda item, c: operations.terminate(item, current_user, c),
        _l("Consideration terminated."),
    ),
}


@bp.route("/<public_id>/do/<action>", methods=["POST"])
@login_required
def act(public_id: str, action: str):
    item = _item(public_id)
    if action not in ACTIONS:
        abort(404)
    form = CommentForm()
    form.validate()
    fn, message = ACTIONS[action]
    comment = (form.comment.data or "").strip() or None
    return run_write(
        lambda: fn(item, comment),
        success=str(message),
        back=_item_url(item),
    )


@bp.route("/<public_id>/extend", methods=["POST"])
@login_required
def extend(public_id: str):
    item = _item(public_id)
    form = ExtendForm()
    if not form.validate_on_submit():
        flash(_("Give the new due date and the reason."), "error")
        return _back(item)
    return run_write(
        lambda: operations.extend(
            item,
            current_user,
            basis=form.basis.data,
            new_due=form.new_due.data,
            reason=form.reason.data,
        ),
        success=lambda ext: " ".join(  # the real term, and why it is not the date asked
            filter(
                None,
                [
                    _(
                        "The term is extended to %(date)s. Notify the applicant within 3 working days.",
                        date=format_date(ext.new_due),
                    ),
                    extension_note(item, ext.basis, form.new_due.data),
                ],
            )
        ),
        back=_item_url(item),
    )


@bp.route("/<public_id>/forward", methods=["POST"])
@login_required
def forward(public_id: str):
    item = _item(public_id)
    form = ForwardForm()
    if not form.validate_on_submit():
        flash(_("Name the body the appeal is forwarded to."), "error")
        return _back(item)
    return run_write(
        lambda: operations.forward(
            item,
            current_user,
            body=form.body.data,
            partial=bool(form.partial.data),
            reason=form.reason.data or None,
        ),
        success=_("Forwarded. Notify the applicant at the same time (R-ROUTE-2)."),
        back=_item_url(item),
    )


@bp.route("/notice/<kind>/<int:record_id>", methods=["POST"])
@login_required
def notice_sent(kind: str, record_id: int):
    model = {"extension": Extension, "forwarding": Forwarding}.get(kind)
    if model is None:
        abort(404)
    record = db.session.get(model, record_id)
    if record is None:
        abort(404)
    item = _item(db.session.get(IncomingItem, record.item_id).public_id)
    if not _may_mark_notice(current_user, item):
        abort(403)
    CommentForm().validate()
    return run_write(
        lambda: operations.mark_notice_sent(record, current_user),
        success=_("The notice to the applicant is recorded as sent."),
        back=_item_url(item),
    )


@bp.route("/")
@login_required
def dashboard():
    today = get_calendar().local_now().date()
    data = dashboards.for_user(current_user, today)
    return render_template("routing/dashboard.html", today=today, **data)


@bp.route("/notifications/<int:notification_id>/read", methods=["POST"])
@login_required
def read_notification(notification_id: int):
    from docflow.routing.models import Notification

    n = db.session.get(Notification, notification_id)
    if n is None or n.user_id != current_user.id:
        abort(404)
    CommentForm().validate()
    operations.mark_read(n, current_user)
    db.session.commit()
    return redirect(
        request.referrer
        if request.referrer and request.referrer.startswith(request.host_url)
        else url_for("routing.dashboard")
    ), 303


@bp.route("/bulk-assign", methods=["POST"])
@login_required
def bulk_assign():
    """The head assigns one executor to several items of the subdivision at once."""
    if not has_permission(current_user, Permission.ASSIGN):  # a head of some subdivision
        abort(403)
    CommentForm().validate()
    items = [
        i for i in (item_by_public_id(x) for x in request.form.getlist("items")) if i is not None
    ]
    user_ids = [int(x) for x in request.form.getlist("executors") if x.isdigit()]
    if not items or not user_ids:
        flash(_("Choose the items and the executor."), "error")
        return redirect(url_for("routing.dashboard")), 303
    results = operations.bulk_assign(
        items, current_user, user_ids, reason=request.form.get("reason") or None
    )
    db.session.commit()
    done = [r for r in results if r.ok]
    if done:
        flash(
            _("Assigned: %(numbers)s.", numbers=", ".join(r.item.reg_number for r in done)), "info"
        )
    for r in results:
        if not r.ok:  # the number only of an item the head may view
            flash(f"{r.reg_number or _('(an item not open to you)')}: {r.message}", "error")
    return redirect(url_for("routing.dashboard")), 303
