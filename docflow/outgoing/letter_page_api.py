"""Signing on the pages: NCALayer's two steps as page-level JSON (the login session and its CSRF
token, not API tokens), and the heads' "To sign" queue.

- ``POST /letters/<id>/signing`` → ``{"session", "digest" (base64), "digest_algorithm"}``: the
  PDF prepared with its outgoing number (``letter_signing.start_signing``); the page gives the
  digest to NCALayer (``static/js/ncalayer.js``).
- ``POST /letters/<id>/signing/<session>`` ``{"cms": base64 DER}`` → ``{"state": "signed",
  "reg_number", "message"}``, or 422 ``{"error": "signature_rejected", "message", "reason"}``
  and nothing changed (``letter_signing.finish_signing``).
- ``GET /letters/to-sign``: the approved letters the user signs (R-ANS-2: the head of the
  responsible subdivision, or whoever acts as the head that day). ``POST`` with several of them
  and the key file's passphrase typed once signs each in turn on the server, each in its own
  transaction: a refusal of one undoes none of the others, and the page sums up. With NCALayer
  the page signs them one after another (one NCALayer call per letter).
"""

from __future__ import annotations

import base64
import binascii
from dataclasses import dataclass
from typing import Any

from flask import Response, abort, flash, jsonify, render_template, request
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required
from sqlalchemy import select

from docflow.core.errors import DomainError
from docflow.core.security import Permission, has_permission
from docflow.core.workflow import InvalidParameters
from docflow.extensions import db
from docflow.outgoing import letter_signing
from docflow.outgoing.letter_models import Letter, SignerKeystore
from docflow.outgoing.letter_views import (
    bp,
    letter_or_404,
    may_sign,
    ncalayer_url,
    with_ncalayer_csp,
)


def _json() -> dict[str, Any]:
    data = request.get_json(silent=True)
    return data if isinstance(data, dict) else {}


def _b64(data: dict[str, Any], key: str, *, required: bool) -> bytes | None:
    value = data.get(key)
    if value is None and not required:
        return None
    try:
        return base64.b64decode(str(value or ""), validate=True)
    except (binascii.Error, ValueError):
        raise InvalidParameters(_l("The data is not valid."), fields={key: "base64"}) from None


@bp.route("/<public_id>/signing", methods=["POST"])
@login_required
def start_signing(public_id: str):
    letter = letter_or_404(public_id)
    out = letter_signing.start_signing(
        letter, current_user, _b64(_json(), "certificate", required=False)
    )
    db.session.commit()
    return jsonify(out)


@bp.route("/<public_id>/signing/<session>", methods=["POST"])
@login_required
def finish_signing(public_id: str, session: str):
    letter = letter_or_404(public_id)
    cms = _b64(_json(), "cms", required=True)
    letter_signing.finish_signing(letter, current_user, session, cms)
    db.session.commit()
    return jsonify(
        {
            "id": letter.public_id,
            "state": letter.state,
            "reg_number": letter.reg_number,
            "message": _(
                "The letter is signed and registered as %(number)s.", number=letter.reg_number
            ),
        }
    )


# --- the "To sign" queue ---------------------------------------------------------------------------


def to_sign(user: Any) -> list[Letter]:
    """The approved letters ``user`` signs (R-ANS-2), oldest first."""
    approved = db.session.scalars(
        select(Letter).where(Letter.state == "approved").order_by(Letter.id)
    )
    return [letter for letter in approved if may_sign(letter, user)]


@dataclass
class Outcome:
    letter: Letter
    signed: bool
    message: str


def sign_batch(selected: list[Letter], actor: Any, passphrase: str) -> list[Outcome]:
    """Sign each letter on the server in turn, each in its own transaction (committed or rolled
    back alone): a refusal of one leaves the others signed."""
    out = []
    for letter in selected:
        try:
            letter_signing.sign_on_server(letter, actor, passphrase)
        except DomainError as exc:  # a refused signature, or not this user's to sign
            db.session.rollback()
            out.append(Outcome(letter, False, exc.readable()))
            continue
        db.session.commit()
        out.append(Outcome(letter, True, letter.reg_number or ""))
    return out


def _queue_page(results: list[Outcome] | None = None, status: int = 200):
    user = current_user
    queue = to_sign(user)
    has_keystore = (
        db.session.scalar(select(SignerKeystore.id).where(SignerKeystore.user_id == user.id))
        is not None
    )
    body = render_template(
        "outgoing/sign_queue.html",
        letters=queue,
        results=results,
        has_keystore=has_keystore,
        signer_iin=letter_signing.signer_iin(user),
        ncalayer_url=ncalayer_url(),
    )
    return with_ncalayer_csp(Response(body, status=status))


def _require_signer() -> None:
    # Heads (and whoever acts as one) have a queue; for anyone else the page is not theirs.
    if not has_permission(current_user, Permission.APPROVE):
        abort(403)


@bp.route("/to-sign")
@login_required
def sign_queue():
    _require_signer()
    return _queue_page()


@bp.route("/to-sign", methods=["POST"])
@login_required
def sign_selected():
    _require_signer()
    wanted = set(request.form.getlist("letters"))
    selected = [letter for letter in to_sign(current_user) if letter.public_id in wanted]
    if not selected:
        flash(_("Choose the letters to sign."), "error")
        return _queue_page(status=422)
    results = sign_batch(selected, current_user, request.form.get("passphrase") or "")
    signed = sum(1 for r in results if r.signed)
    if signed:
        flash(_("Signed: %(signed)s of %(total)s.", signed=signed, total=len(results)), "info")
    if signed < len(results):
        flash(_("Not signed: %(count)s (see why below).", count=len(results) - signed), "error")
    return _queue_page(results, status=200 if signed else 422)
