"""Letter pages: the item page's letters and "Draft a letter" form, a letter's page (text,
state, kept versions, edit while a draft, submit / approve / return, the PDF, the approval
sheet, the signature check) and signing it on the server with the head's key file.

Signing in the browser with NCALayer and the heads' "To sign" queue are in
:mod:`docflow.outgoing.letter_page_api`. Views load → check → call one operation; a refusal
(R-ANS-1, R-ROUTE-4, a refused signature…) is shown on the page as a readable message with its
4xx status, a refusal of access is a 403.
"""

from __future__ import annotations

import difflib
from typing import Any

from flask import Blueprint, Response, abort, current_app, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required
from sqlalchemy import select

from docflow.core import access_log
from docflow.core.errors import DomainError
from docflow.core.security import AccessDenied, Permission, has_permission
from docflow.core.views import run_write
from docflow.core.workflow import history
from docflow.errors import error_response
from docflow.extensions import db
from docflow.org.models import User
from docflow.outgoing import approval, letter_signing, letters
from docflow.outgoing.letter_models import (
    DECISIONS,
    LETTER_KINDS,
    LETTER_LANGUAGES,
    Letter,
    LetterVersion,
    SignerKeystore,
    letter_by_public_id,
    letters_for_item,
)
from docflow.outgoing.letter_workflow import LETTER, r_ans_1_missing
from docflow.registry.blueprint import ITEM_PANELS
from docflow.registry.models import IncomingItem, item_by_public_id
from docflow.registry.workflow import INCOMING

bp = Blueprint("letters", __name__, url_prefix="/letters")

# Where NCALayer listens on the official's computer; ``NCALAYER_URL`` overrides (tests).
NCALAYER_URL = "wss://127.0.0.1:13579"
LANGUAGE_TITLES = {"kk": _l("Kazakh"), "ru": _l("Russian")}
KIND_TITLES = {"answer": _l("Answer")}
FIELD_TITLES = {
    "decision": _l("Decision"),
    "legal_basis": _l("Legal basis"),
    "complaint": _l("Right to complain"),
}


def ncalayer_url() -> str:
    return str(current_app.config.get("NCALAYER_URL") or NCALAYER_URL)


def with_ncalayer_csp(response):
    """The signing pages may open NCALayer's WebSocket (the site-wide CSP allows only 'self')."""
    from docflow.app_setup import SECURITY_HEADERS

    csp = SECURITY_HEADERS["Content-Security-Policy"]
    response.headers["Content-Security-Policy"] = f"{csp}; connect-src 'self' {ncalayer_url()}"
    return response


def kind_title(kind: str) -> str:
    from docflow.outgoing import letter_models

    titles = {**getattr(letter_models, "NOTICE_KINDS", {}), **KIND_TITLES}
    return str(titles.get(kind, kind))


def state_title(letter: Letter) -> str:
    st = LETTER.states.get(letter.state)
    return str(st.title) if st else letter.state


def letter_or_404(public_id: str) -> Letter:
    letter = letter_by_public_id(public_id)
    if letter is None:
        abort(404)
    if not may_view(letter, current_user):
        abort(403)
    return letter


def may_view(letter: Letter, user: Any) -> bool:
    """Readers of the case, and the approvers of its sheet (a lawyer of another subdivision)."""
    return has_permission(user, Permission.VIEW, letter) or approval.may_view(user, letter)


def _letter_url(letter: Letter) -> str:
    return url_for("letters.letter", public_id=letter.public_id)


def _may_write(item: IncomingItem, user: Any) -> bool:
    """The item's executor or the head (who may draft at all; R-ROUTE-4 is asked after)."""
    from docflow.routing.operations import require_executor_or_head

    try:
        require_executor_or_head(item, user)
    except AccessDenied:
        return False
    return True


@bp.app_context_processor
def _helpers() -> dict:
    return {"letter_kind_title": kind_title, "letter_state_title": state_title}


# --- the item page -------------------------------------------------------------------------------


def letters_panel(item: IncomingItem, user):
    """The item page's letters and the "Draft a letter" form (registered in ITEM_PANELS)."""
    from docflow.routing.handlers import executor_refusal

    rows = [x for x in letters_for_item(item.id) if may_view(x, user)]
    st = INCOMING.states.get(item.state)
    may_draft = not (st and st.final) and _may_write(item, user)
    if not rows and not may_draft:
        return None
    language = item.language if item.language in LETTER_LANGUAGES else "kk"
    ctx = {
        "item": item,
        "letters": rows,
        "may_draft": may_draft,
        "refusal": executor_refusal(item, user) if may_draft else None,
        "kinds": [(k, kind_title(k)) for k in LETTER_KINDS],
        "languages": LANGUAGE_TITLES,
        "language": language,
        "decisions": DECISIONS,
        "complaint": letters.complaint_paragraph(language),
    }
    return "outgoing/letter_panel.html", ctx


ITEM_PANELS.append(letters_panel)


def _form_text(name: str) -> str | None:
    value = request.form.get(name)
    return value if value is None else value.replace("\r\n", "\n")


@bp.route("/item/<public_id>", methods=["POST"])
@login_required
def create(public_id: str):
    item = item_by_public_id(public_id)
    if item is None:
        abort(404)
    if not has_permission(current_user, Permission.VIEW, item):
        abort(403)
    language = request.form.get("language") or None
    complaint = _form_text("complaint")
    if complaint is not None and language:
        # the paragraph pre-filled in another language, left as it was: the chosen language's
        defaults = {letters.complaint_paragraph(lang) for lang in LETTER_LANGUAGES}
        if complaint.strip() in defaults:
            complaint = None
    return run_write(
        lambda: letters.create_letter(
            item,
            current_user,
            kind=request.form.get("kind") or "answer",
            final=request.form.get("final") in ("y", "1", "on", "true"),
            language=language,
            decision=request.form.get("decision") or None,
            body=_form_text("body") or "",
            legal_basis=_form_text("legal_basis"),
            complaint=complaint,
        ),
        success=_("The letter is drafted."),
        back=_letter_url,
        failure=lambda exc: error_response(exc.status, exc.code, exc.readable()),
    )


# --- the letter page -----------------------------------------------------------------------------


def _signature_check(letter: Letter) -> dict[str, Any] | None:
    """The signed PDF checked again now: signer (name, IIN — staff see it here), time, valid."""
    if letter.signed_pdf is None:
        return None
    from docflow.signing import verify_pdf

    result = verify_pdf(
        letter.signed_pdf,
        letter_signing.trust_settings(),
        expected_iin=letter_signing.signer_iin(letter.signed_by) if letter.signed_by else None,
        expected_bin=letter_signing.organisation_bin(),
    )
    return {
        "valid": result.valid,
        "intact": result.intact,
        "failures": [str(f.message) for f in result.failures],
        "signatures": result.signatures,
        "notes": [str(n) for n in result.notes],
    }


def _actions(letter: Letter, user: Any) -> list:
    """(the page's action, its transition) the user may do now; an approver's step of the
    sheet (``endorse``) is the page's "approve", as on the API."""
    available = {t.id for t in LETTER.available(letter, user)}  # once: each runs every guard
    if "endorse" in available:
        available.add("approve")
    out = []
    for action in ACTIONS:
        shown = "endorse" if action == "approve" and "endorse" in available else action
        if action in available:
            out.append((action, LETTER.transitions[shown]))
    return out


def _why_not_submit(letter: Letter, user: Any) -> list[str]:
    """What keeps a draft from being submitted, for the page (the operation says it again)."""
    from docflow.routing.handlers import executor_refusal

    refusal = executor_refusal(letter.item, user)
    if refusal is not None:
        return [str(refusal)]
    out = []
    if not letter.body.strip():
        out.append(_("Write the text of the letter first."))
    missing = r_ans_1_missing(letter)
    if missing:
        names = ", ".join(str(FIELD_TITLES[m]) for m in missing)
        out.append(_("A final answer needs (R-ANS-1): %(fields)s.", fields=names))
    return out


def may_sign(letter: Letter, user: Any) -> bool:
    """R-ANS-2: an approved letter, and the user signs for its subdivision that day (its head,
    or the head's substitute recorded for the day)."""
    return (
        letter.state == "approved"
        and has_permission(user, Permission.APPROVE, letter)
        and approval.signer_refusal(letter, user) is None
    )


def render_letter_page(letter: Letter, status: int = 200):
    item = letter.item
    user = current_user
    can_edit = (
        letter.state == "draft"
        and has_permission(user, Permission.ANSWER, letter)
        and _may_write(item, user)
    )
    actions = _actions(letter, user)
    signing = may_sign(letter, user)
    kept = letters.versions(letter)
    ids = {v.author_id for v in kept if v.author_id}
    ctx = {
        "letter": letter,
        "item": item,
        "versions": kept,
        "authors": {u.id: u for u in db.session.scalars(select(User).where(User.id.in_(ids)))},
        "transition_titles": {"create": _("Drafted")}
        | {t.id: str(t.title) for t in LETTER.transitions.values()},
        "history": history(letter),
        "can_edit": can_edit,
        "actions": actions,
        "why_not_submit": _why_not_submit(letter, user)
        if can_edit and "submit" not in {a for a, _t in actions}
        else [],
        "decisions": DECISIONS,
        "languages": LANGUAGE_TITLES,
        "may_sign": signing,
        "has_keystore": signing
        and db.session.scalar(select(SignerKeystore.id).where(SignerKeystore.user_id == user.id))
        is not None,
        "signer_iin": letter_signing.signer_iin(user) if signing else None,
        "ncalayer_url": ncalayer_url(),
        "check": _signature_check(letter),
        "approval_rows": approval.sheet(letter),
    }
    response = Response(render_template("outgoing/letter.html", **ctx), status=status)
    return with_ncalayer_csp(response) if signing else response


def refused_on_page(letter: Letter):
    """A refusal answered with the letter page again, with its 4xx status and its message
    (flashed by ``run_write``, shown by this very page)."""

    def failure(exc: DomainError):
        return render_letter_page(letter, status=exc.status)

    return failure


@bp.route("/<public_id>", endpoint="letter")
@login_required
def show(public_id: str):
    letter = letter_or_404(public_id)
    access_log.record("view", letter, item=letter.item)  # R-PD-1: the applicant's data
    return render_letter_page(letter)


def _diff(old: str, new: str) -> list[tuple[str, str]]:
    """Line by line: ("same" | "added" | "removed", line)."""
    out = []
    for line in difflib.ndiff(old.splitlines(), new.splitlines()):
        tag, text = line[:2], line[2:]
        if tag == "? ":
            continue
        out.append(({"+ ": "added", "- ": "removed"}.get(tag, "same"), text))
    return out


@bp.route("/<public_id>/versions/<int:number>")
@login_required
def version(public_id: str, number: int):
    letter = letter_or_404(public_id)
    kept = {v.number: v for v in letters.versions(letter)}
    v: LetterVersion | None = kept.get(number)
    if v is None:
        abort(404)
    previous = kept.get(number - 1)
    access_log.record("view", letter, item=letter.item)
    return render_template(
        "outgoing/letter_version.html",
        letter=letter,
        version=v,
        previous=previous,
        diff=_diff(previous.body, v.body) if previous else None,
        decisions=DECISIONS,
        last=max(kept),
    )


@bp.route("/<public_id>/letter.pdf")
@login_required
def pdf(public_id: str):
    """The signed PDF as signed; before signing a draft PDF marked unsigned, with no number."""
    letter = letter_or_404(public_id)
    from docflow.outgoing.letter_pdf import render_letter

    data = letter.signed_pdf if letter.signed_pdf is not None else render_letter(letter)[0]
    access_log.record("print", letter, item=letter.item)
    name = (letter.reg_number or f"draft-{letter.public_id}").replace("/", "-")
    return Response(
        data,
        mimetype="application/pdf",
        headers={"Content-Disposition": f'attachment; filename="{name}.pdf"'},
    )


@bp.route("/<public_id>/edit", methods=["POST"])
@login_required
def edit(public_id: str):
    letter = letter_or_404(public_id)
    changes = {k: _form_text(k) for k in letters.EDITABLE if k in request.form}
    if "decision" in changes:
        changes["decision"] = changes["decision"] or None
    return run_write(
        lambda: letters.edit_letter(letter, current_user, **changes),
        success=lambda v: _("Saved as version %(number)s.", number=v.number),
        back=_letter_url(letter),
        failure=refused_on_page(letter),
    )


ACTIONS = {
    "submit": (
        lambda letter, c: letters.submit(letter, current_user, comment=c),
        _l("The letter is sent for approval."),
    ),
    "approve": (
        lambda letter, c: approval.approve(letter, current_user, comment=c),  # a step, or the head
        _l("The letter is approved."),
    ),
    "return": (
        lambda letter, c: letters.return_for_revision(letter, current_user, c or ""),
        _l("The letter is returned for revision."),
    ),
}


@bp.route("/<public_id>/do/<action>", methods=["POST"])
@login_required
def act(public_id: str, action: str):
    letter = letter_or_404(public_id)
    if action not in ACTIONS:
        abort(404)
    fn, message = ACTIONS[action]
    comment = (request.form.get("comment") or "").strip() or None
    return run_write(
        lambda: fn(letter, comment),
        success=str(message),
        back=_letter_url(letter),
        failure=refused_on_page(letter),
    )


@bp.route("/<public_id>/sign", methods=["POST"])
@login_required
def sign(public_id: str):
    """Sign on the server with the head's stored key file (the passphrase is never stored)."""
    letter = letter_or_404(public_id)
    passphrase = request.form.get("passphrase") or ""
    return run_write(
        lambda: letter_signing.sign_on_server(letter, current_user, passphrase),
        success=lambda done: _(
            "The letter is signed and registered as %(number)s.", number=done.reg_number
        ),
        back=_letter_url(letter),
        failure=refused_on_page(letter),
    )


import docflow.outgoing.letter_page_api  # noqa: E402, F401  (its routes are on this blueprint)
