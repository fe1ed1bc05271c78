"""The item page's resolution panel (registered in the registry's ITEM_PANELS, after routing's)
and the printed resolution card (``/routing/<id>/resolution.pdf``)."""

from __future__ import annotations

import io

from flask import abort, send_file
from flask_babel import gettext as _
from flask_login import login_required

from docflow.core import access_log
from docflow.extensions import db
from docflow.i18n import format_date
from docflow.org.models import Organisation
from docflow.registry.blueprint import ITEM_PANELS
from docflow.routing import resolution
from docflow.routing.blueprint import _item, bp


def resolution_panel(item, user):
    """The head's resolutions on the item, the latest first; nothing before the first one."""
    found = resolution.resolutions(item)
    if not found:
        return None
    notes = {r.id: resolution.term_note(r, item.due_date) for r in found}
    return "routing/_resolution.html", {"item": item, "resolutions": found, "notes": notes}


ITEM_PANELS.append(resolution_panel)


def assigned_message(item, with_term: bool) -> str:
    """The assignment's message; with the resolution's real term, and why it moved if it did."""
    message = _("Executors assigned.")
    given = resolution.current(item) if with_term else None
    if given is None or given.term is None:
        return message
    text = _("The executors' term: %(date)s.", date=format_date(given.term))
    return " ".join(filter(None, [message, text, resolution.term_note(given, item.due_date)]))


def _line(r: resolution.Resolution) -> str:
    """An earlier resolution in one line of the card (the card's dates: dd.mm.yyyy, Almaty)."""
    from docflow.registry.slips import format_local

    names = ", ".join(u.display_name for u in r.executors)
    term = r.term.strftime("%d.%m.%Y") if r.term else "—"
    return f"{format_local(r.given_at, '%d.%m.%Y')} — {names}: {r.text or '—'} ({term})"


@bp.route("/<public_id>/resolution.pdf")
@login_required
def resolution_card(public_id: str):
    from docflow.routing.resolution_print import ResolutionCard, render_resolution_card

    item = _item(public_id)  # 404 / 403 for those who may not view it
    found = resolution.resolutions(item)
    if not found:
        abort(404)
    access_log.record("print", item)
    latest = found[0]
    org = db.session.scalar(db.select(Organisation).order_by(Organisation.id).limit(1))
    card = ResolutionCard(
        organisation=org.names if org is not None else {},
        reg_number=item.reg_number,
        registered_on=item.registration_date,
        due_date=item.due_date,
        summary=item.summary,
        instruction=latest.text,
        term=latest.term,
        executors=[u.display_name for u in latest.executors],
        given_by=latest.given_by.display_name if latest.given_by else "—",
        given_at=latest.given_at,
        earlier=[_line(r) for r in found[1:]],
    )
    return send_file(
        io.BytesIO(render_resolution_card(card)),
        mimetype="application/pdf",
        download_name=f"resolution-{item.reg_number}.pdf",
    )
