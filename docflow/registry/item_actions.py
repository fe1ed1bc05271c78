"""Records-office actions on an item: slip, hand-made transitions, links, corrections (on the registry blueprint)."""

from __future__ import annotations

import io

from flask import (
    abort,
    flash,
    redirect,
    request,
    send_file,
    url_for,
)
from flask_babel import gettext as _
from flask_login import current_user, login_required

from docflow.core import access_log
from docflow.core.security import Permission
from docflow.core.views import require, run_write
from docflow.registry import operations
from docflow.registry.blueprint import INCOMING, MANUAL_TRANSITIONS, _item_or_404, bp
from docflow.registry.forms import AnnotateForm, LinkForm, SupplyForm, TransitionForm
from docflow.registry.models import item_by_number, item_by_public_id


@bp.route("/<public_id>/slip.pdf")
@login_required
def slip(public_id: str):
    from docflow.registry.printing import label_pdf, slip_pdf

    item = _item_or_404(public_id)
    access_log.record("print", item)
    data = label_pdf(item) if request.args.get("label") else slip_pdf(item)
    name = f"{'label' if request.args.get('label') else 'slip'}-{item.reg_number}.pdf"
    return send_file(io.BytesIO(data), mimetype="application/pdf", download_name=name)


@bp.route("/<public_id>/do/<transition_id>", methods=["POST"])
@login_required
def transition(public_id: str, transition_id: str):
    item = _item_or_404(public_id)
    if transition_id not in MANUAL_TRANSITIONS:
        abort(404)
    form = TransitionForm()
    form.validate()
    comment = (form.comment.data or "").strip() or None
    return run_write(
        lambda: operations.end_by_hand(item, transition_id, current_user, comment=comment),
        success=_("Done: %(action)s.", action=INCOMING.transitions[transition_id].title),
        back=url_for("registry.item", public_id=public_id),
    )


@bp.route("/<public_id>/link", methods=["POST"])
@login_required
def link(public_id: str):
    item = _item_or_404(public_id)
    if not operations.may_link(current_user, item):
        abort(403)
    form = LinkForm()
    target = None
    if form.validate_on_submit():
        target = item_by_number(form.reg_number.data.strip()) or item_by_public_id(
            form.reg_number.data.strip()
        )
    if target is None:
        flash(_("No registered item with that number."), "error")
        return redirect(url_for("registry.item", public_id=public_id)), 303
    return run_write(
        lambda: operations.link_items(item, target, form.kind.data, current_user, form.note.data),
        success=_("Linked to %(number)s.", number=target.reg_number),
        back=url_for("registry.item", public_id=public_id),
    )


@bp.route("/<public_id>/annotate", methods=["POST"])
@login_required
def annotate(public_id: str):
    item = _item_or_404(public_id)
    require(Permission.MODIFY, item)
    form = AnnotateForm()
    if not form.validate_on_submit():
        flash(_("Say why the detail is corrected."), "error")
        return redirect(url_for("registry.item", public_id=public_id)), 303
    value: object = form.value.data
    if form.field.data == "page_count":
        try:
            value = int(form.value.data)
        except (TypeError, ValueError):
            flash(_("The number of pages must be a number."), "error")
            return redirect(url_for("registry.item", public_id=public_id)), 303
    return run_write(
        lambda: operations.annotate(item, form.field.data, value, form.reason.data, current_user),
        success=_("The correction is recorded; the previous value is kept."),
        back=url_for("registry.item", public_id=public_id),
    )


@bp.route("/<public_id>/supply", methods=["POST"])
@login_required
def supply(public_id: str):
    item = _item_or_404(public_id)
    require(Permission.MODIFY, item)  # the applicant's details change: the office only
    form = SupplyForm()
    if not form.validate_on_submit():
        flash(_("Say how the details arrived."), "error")
        return redirect(url_for("registry.item", public_id=public_id)), 303
    details = {
        name: getattr(form, name).data
        for name in (
            "full_name",
            "address",
            "organisation_name",
            "bin",
            "authority_document",
            "addressee",
            "summary",
        )
        if (getattr(form, name).data or "").strip()
    }
    if form.signed.data:
        details["signed"] = True
    return run_write(
        lambda: operations.supply_missing(item, current_user, reason=form.reason.data, **details),
        success=_("The details are recorded."),
        back=url_for("registry.item", public_id=public_id),
    )
