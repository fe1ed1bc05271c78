"""The outgoing journal's pages: the journal, a letter or notice (texts, PDF, mark sent), the
item page's list of notices. Every row is a letter (one kind of document): the notices numbered
at once, the ones waiting for the head's signature, and the registered answers.

Clerks and controllers mark registered letters sent; inspectors and everyone who sees the
registry read.
"""

from __future__ import annotations

import io

from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    send_file,
    url_for,
)
from flask_babel import gettext as _
from flask_login import current_user, login_required
from sqlalchemy import select

from docflow.core import access_log
from docflow.core.calendar import get_calendar
from docflow.core.views import run_write
from docflow.extensions import db
from docflow.org.models import Organisation
from docflow.outgoing import operations
from docflow.outgoing.forms import JournalFilterForm, MarkSentForm
from docflow.outgoing.letter_models import Letter
from docflow.outgoing.letter_workflow import LETTER
from docflow.outgoing.models import CHANNELS, KINDS, notice_by_public_id, notices_for_item
from docflow.outgoing.printing import NoticePrint, render_notice_pdf
from docflow.registry.blueprint import ITEM_PANELS
from docflow.registry.models import IncomingItem

bp = Blueprint("outgoing", __name__, url_prefix="/outgoing")
PAGE_SIZE = 50
UNSIGNED = ("draft", "submitted", "approved")  # a letter on its way to the head's signature


def _today():
    return get_calendar().local_now().date()


def _require_read() -> None:
    if not operations.can_read(current_user):
        abort(403)


def _notice_or_404(public_id: str) -> Letter:
    _require_read()
    notice = notice_by_public_id(public_id)
    if notice is None:
        abort(404)
    return notice


@bp.app_context_processor
def _helpers() -> dict:
    def outgoing_notices(item_id: int | None, source: object = None) -> list[Letter]:
        """The item's notices (only for those who may read the journal); of one record if given."""
        if item_id is None or not operations.can_read(current_user):
            return []
        rows = notices_for_item(item_id)
        if source is not None:
            rows = [
                n
                for n in rows
                if n.source_type == source.__tablename__ and n.source_id == source.id
            ]
        return rows

    def outgoing_unsigned(item_id: int | None, source: object) -> bool:
        """Does a notice about ``source`` still wait for the head's signature (R-ANS-2)?"""
        return any(n.state in UNSIGNED for n in outgoing_notices(item_id, source))

    return {
        "outgoing_notices": outgoing_notices,
        "outgoing_unsigned": outgoing_unsigned,
        "outgoing_kinds": _kinds(),
    }


def _kinds() -> dict:
    """The journal's kinds: the notices and the answers (letters too)."""
    return {"answer": _("Answer"), **KINDS}


@bp.route("/")
@login_required
def journal():
    _require_read()
    form = JournalFilterForm(request.args)
    form.validate()
    today = _today()
    page = max(1, request.args.get("page", 1, type=int))
    query = operations.journal_query(
        not_sent=bool(form.not_sent.data),
        overdue_only=bool(form.overdue.data),
        kind=form.kind.data or None,
        today=today,
    )
    rows = list(db.session.scalars(query.limit(PAGE_SIZE + 1).offset((page - 1) * PAGE_SIZE)))
    items = {
        i.id: i
        for i in db.session.scalars(
            select(IncomingItem).where(IncomingItem.id.in_({n.item_id for n in rows}))
        )
    }
    args = {k: v for k, v in request.args.items() if k != "page"}
    return render_template(
        "outgoing/journal.html",
        form=form,
        notices=rows[:PAGE_SIZE],
        items=items,
        page=page,
        has_next=len(rows) > PAGE_SIZE,
        args=args,
        today=today,
        kinds=_kinds(),
        channels=CHANNELS,
        overdue_count=len(operations.overdue(today)),
        due_soon_count=len(operations.due_soon(today)),
    )


@bp.route("/<public_id>")
@login_required
def notice(public_id: str):
    n = _notice_or_404(public_id)
    item = db.session.get(IncomingItem, n.item_id)
    access_log.record("view", n, item=item)  # R-PD-1: the recipient's name and address
    can_manage = operations.can_manage(current_user)
    sendable = n.sent_on is None and n.state in operations.REGISTERED
    return render_template(
        "outgoing/notice.html",
        n=n,
        item=item,
        kinds=_kinds(),
        channels=CHANNELS,
        state_title=LETTER.states[n.state].title,
        letter_url=(
            url_for("letters.letter", public_id=n.public_id)
            if "letters.letter" in current_app.view_functions
            else None
        ),
        today=_today(),
        can_manage=can_manage,
        form=MarkSentForm() if can_manage and sendable else None,
    )


@bp.route("/<public_id>/notice.pdf")
@login_required
def pdf(public_id: str):
    n = _notice_or_404(public_id)
    lang = request.args.get("lang", "both")
    if lang not in ("kk", "ru", "both"):
        abort(400)
    item = db.session.get(IncomingItem, n.item_id)
    if n.signed_pdf is not None:  # a signed letter prints as it was signed
        access_log.record("print", n, item=item)
        return send_file(
            io.BytesIO(n.signed_pdf),
            mimetype="application/pdf",
            download_name=f"letter-{n.reg_number}.pdf",
        )
    org = db.session.scalar(select(Organisation).order_by(Organisation.id).limit(1))
    data = NoticePrint(
        reg_number=n.label,
        registered_at=n.registered_at or n.created_at,
        recipient=n.recipient or operations.recipient_of(item),
        item_number=item.reg_number,
        item_date=item.registration_date,
        organisation=dict(org.names) if org else {},
        text_kk=n.text_kk,
        text_ru=n.text_ru,
    )
    access_log.record("print", n, item=item)
    return send_file(
        io.BytesIO(render_notice_pdf(data, lang)),
        mimetype="application/pdf",
        download_name=f"notice-{n.reg_number or n.public_id}.pdf",
    )


@bp.route("/<public_id>/sent", methods=["POST"])
@login_required
def mark_sent(public_id: str):
    n = _notice_or_404(public_id)
    if not operations.can_manage(current_user):
        abort(403)
    target = url_for("outgoing.notice", public_id=n.public_id)
    form = MarkSentForm()
    if not form.validate_on_submit():
        flash(_("Choose how the notice was sent."), "error")
        return redirect(target), 303
    return run_write(
        lambda: operations.mark_sent(
            n, current_user, channel=form.channel.data, sent_on=form.sent_on.data
        ),
        success=_("The notice %(number)s is recorded as sent.", number=n.reg_number),
        back=target,
    )


def item_panel(item: IncomingItem, user):
    """The item page's list of its notices (registered with the registry's ITEM_PANELS)."""
    if not operations.can_read(user):
        return None
    notices = notices_for_item(item.id)
    if not notices:
        return None
    return "outgoing/_item_panel.html", {"notices": notices, "kinds": KINDS, "today": _today()}


ITEM_PANELS.append(item_panel)
