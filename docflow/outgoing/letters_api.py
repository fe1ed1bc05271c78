"""Outgoing letters on the REST API (fixed paths: integrations and acceptance tests use them).

- ``POST /api/v1/items/{id}/letters`` ``{"kind", "final", "language", "decision", "body",
  "legal_basis", "complaint"?}`` → 201 the letter
- ``POST /api/v1/letters/{id}/submit`` | ``approve`` | ``return`` ``{"comment"}``
- ``POST /api/v1/letters/{id}/signing`` ``{"certificate"?: base64}`` → ``{"session", "digest"
  (base64), "digest_algorithm"}``; ``POST /api/v1/letters/{id}/signing/{session}`` ``{"cms":
  base64 DER}`` → the signed letter, or 422 ``{"error": "signature_rejected", "message"}``
- ``POST /api/v1/letters/{id}/sign`` ``{"passphrase"}`` (the server keystore)
- ``GET /api/v1/letters/{id}``, ``GET /api/v1/letters/{id}/pdf``
"""

from __future__ import annotations

import base64
import binascii
from typing import Any

from flask import Response, g, jsonify
from flask_babel import lazy_gettext as _l

from docflow.api import ApiError, api_auth, bp, json_body
from docflow.core.security import Permission, has_permission
from docflow.extensions import db
from docflow.outgoing import approval, letter_signing, letters
from docflow.outgoing.letter_models import Letter, letter_by_public_id
from docflow.outgoing.letter_pdf import render_letter
from docflow.registry.api import _item


def letter_json(letter: Letter) -> dict[str, Any]:
    return {
        "id": letter.public_id,
        "item": letter.item.public_id,
        "state": letter.state,
        "kind": letter.kind,
        "final": letter.final,
        "language": letter.language,
        "decision": letter.decision,
        "body": letter.body,
        "legal_basis": letter.legal_basis,
        "complaint": letter.complaint,
        "subdivision": letter.subdivision.code if letter.subdivision else None,
        "author": letter.author.username if letter.author else None,
        "approved_by": letter.approved_by.username if letter.approved_by else None,
        "return_comment": letter.return_comment,
        "approval_sheet": approval.sheet_json(letter),
        "versions": len(letters.versions(letter)),
        "reg_number": letter.reg_number,
        "registered_on": letter.registered_on.isoformat() if letter.registered_on else None,
        "signed_by": letter.signed_by.username if letter.signed_by else None,
        "signed_at": letter.signed_at.isoformat() if letter.signed_at else None,
        "signed_sha256": letter.signed_sha256,
    }


def _letter(public_id: str) -> Letter:
    letter = letter_by_public_id(public_id)
    if letter is None:
        raise ApiError(404, "not_found", _l("No such letter."))
    if not (
        has_permission(g.api_user, Permission.VIEW, letter) or approval.may_view(g.api_user, letter)
    ):
        raise ApiError(403, "forbidden", _l("You do not have permission to do this."))
    return letter


def _text(data: dict[str, Any], key: str) -> str | None:
    value = data.get(key)
    if value is not None and not isinstance(value, str):
        raise ApiError(422, "invalid", _l("The data is not valid."), fields={key: "string"})
    return value


def _done(letter: Letter, status: int = 200):
    db.session.commit()
    return jsonify(letter_json(letter)), status


@bp.route("/items/<public_id>/letters", methods=["POST"])
@api_auth
def create_letter(public_id: str):
    item, data = _item(public_id), json_body(required=True)
    final = data.get("final", False)
    if not isinstance(final, bool):
        raise ApiError(422, "invalid", _l("The data is not valid."), fields={"final": "boolean"})
    letter = letters.create_letter(
        item,
        g.api_user,
        kind=_text(data, "kind") or "answer",
        final=final,
        language=_text(data, "language"),
        decision=_text(data, "decision"),
        body=_text(data, "body") or "",
        legal_basis=_text(data, "legal_basis"),
        complaint=_text(data, "complaint"),
    )
    return _done(letter, 201)


@bp.route("/letters/<public_id>")
@api_auth
def get_letter(public_id: str):
    return jsonify(letter_json(_letter(public_id)))


@bp.route("/letters/<public_id>/pdf")
@api_auth
def letter_pdf(public_id: str):
    letter = _letter(public_id)
    if letter.signed_pdf is not None:
        pdf = letter.signed_pdf
    else:
        pdf, _ = render_letter(letter)
    name = (letter.reg_number or letter.public_id).replace("/", "-")
    return Response(
        pdf,
        mimetype="application/pdf",
        headers={"Content-Disposition": f'inline; filename="{name}.pdf"'},
    )


@bp.route("/letters/<public_id>/submit", methods=["POST"])
@api_auth
def submit_letter(public_id: str):
    letter, data = _letter(public_id), json_body()
    letters.submit(letter, g.api_user, comment=_text(data, "comment"))
    return _done(letter)


@bp.route("/letters/<public_id>/approve", methods=["POST"])
@api_auth
def approve_letter(public_id: str):
    letter, data = _letter(public_id), json_body()
    approval.approve(letter, g.api_user, comment=_text(data, "comment"))  # a step, or the head
    return _done(letter)


@bp.route("/letters/<public_id>/return", methods=["POST"])
@api_auth
def return_letter(public_id: str):
    letter, data = _letter(public_id), json_body()
    letters.return_for_revision(letter, g.api_user, _text(data, "comment") or "")
    return _done(letter)


def _b64(data: dict[str, Any], key: str, required: bool) -> bytes | None:
    value = data.get(key)
    if value is None and not required:
        return None
    try:
        return base64.b64decode(str(value or ""), validate=True)
    except (binascii.Error, ValueError):
        raise ApiError(
            422, "invalid", _l("The data is not valid."), fields={key: "base64"}
        ) from None


@bp.route("/letters/<public_id>/signing", methods=["POST"])
@api_auth
def start_signing(public_id: str):
    letter, data = _letter(public_id), json_body()
    out = letter_signing.start_signing(letter, g.api_user, _b64(data, "certificate", False))
    db.session.commit()
    return jsonify(out)


@bp.route("/letters/<public_id>/signing/<session>", methods=["POST"])
@api_auth
def finish_signing(public_id: str, session: str):
    letter, data = _letter(public_id), json_body(required=True)
    cms = _b64(data, "cms", True)
    letter_signing.finish_signing(letter, g.api_user, session, cms)
    return _done(letter)


@bp.route("/letters/<public_id>/sign", methods=["POST"])
@api_auth
def sign_letter(public_id: str):
    letter, data = _letter(public_id), json_body(required=True)
    letter_signing.sign_on_server(letter, g.api_user, _text(data, "passphrase") or "")
    return _done(letter)
