"""Dispatch, delivery and call ratings of letters on the REST API.

- ``POST /api/v1/letters/{id}/dispatch`` ``{"channel": "email" | "post" | "eotinish" | "hand",
  …}`` — email: ``"to"`` (default: the applicant's e-mail); post: ``"address"`` (default: the
  applicant's), ``"recipient"``, ``"tracking"``; hand: ``"received_by"``, ``"at"``. 201 with the
  dispatch; an e-mail the server could not send is still 201, ``"status": "failed"`` with the
  ``"error"`` (post again to retry). 422 ``not_signed`` for a letter not signed yet.
  eotinish: ``"package": {"id", "sha256", "url"}``, the zip at
  ``GET /api/v1/letters/{id}/dispatches/{dispatch}/package``.
- ``GET /api/v1/letters/{id}/dispatches`` — every dispatch of the letter.
- ``POST /api/v1/letters/{id}/dispatches/{dispatch}/posted`` ``{"tracking"}`` — a letter waiting
  in the dispatch register went to the post.
- ``POST /api/v1/letters/{id}/dispatches/{dispatch}/delivered`` ``{"at"?, "received_by"?,
  "note"?}`` — delivery recorded.
- ``POST /api/v1/letters/{id}/rating`` ``{"score": 1–5, "source": "call", "comment"?}`` — the
  front office records the applicant's rating from a call (R-ANS-3).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from flask import Response, g, jsonify, url_for
from flask_babel import lazy_gettext as _l

from docflow.api import ApiError, api_auth, bp, json_body, text_field
from docflow.core.calendar import get_calendar
from docflow.extensions import db
from docflow.outgoing import dispatch, public
from docflow.outgoing.dispatch_models import (
    CHANNELS,
    LetterDispatch,
    dispatch_by_public_id,
    dispatches_of,
)
from docflow.outgoing.letters_api import _letter


def _time(moment: dt.datetime | None) -> str | None:
    if moment is None:
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=dt.UTC)
    return moment.astimezone(get_calendar().tz).isoformat(timespec="seconds")


def dispatch_json(d: LetterDispatch) -> dict[str, Any]:
    letter = d.letter
    out: dict[str, Any] = {
        "id": d.public_id,
        "letter": letter.public_id,
        "letter_state": letter.state,
        "channel": d.channel,
        "status": d.state,
        "recipient": d.recipient,
        "address": d.address,
        "tracking": d.tracking,
        "error": d.error,
        "at": _time(d.at),
        "by": d.by.username if d.by else None,
        "sent_at": _time(d.sent_at),
        "delivered_at": _time(d.delivered_at),
        "delivered_by": d.delivered_by.username if d.delivered_by else None,
        "received_by": d.received_by,
        "delivery_note": d.delivery_note,
        "package": None,
    }
    if d.package is not None:
        out["package"] = {
            "id": d.public_id,
            "sha256": d.package_sha256,
            "url": url_for(
                "api.dispatch_package", public_id=letter.public_id, dispatch_id=d.public_id
            ),
        }
    return out


def _moment(data: dict[str, Any], key: str) -> dt.datetime | None:
    value = data.get(key)
    if value in (None, ""):
        return None
    try:
        return dt.datetime.fromisoformat(str(value))
    except ValueError:
        raise ApiError(
            422,
            "invalid",
            _l("The data is not valid."),
            fields={key: _l("Use a date and time like 2026-11-20T10:30:00+05:00.")},
        ) from None


def _dispatch(letter, dispatch_id: str) -> LetterDispatch:
    d = dispatch_by_public_id(letter, dispatch_id)
    if d is None:
        raise ApiError(404, "not_found", _l("No such dispatch."))
    return d


def _done(d: LetterDispatch, status: int = 200):
    db.session.commit()
    return jsonify(dispatch_json(d)), status


@bp.route("/letters/<public_id>/dispatch", methods=["POST"])
@api_auth
def dispatch_letter(public_id: str):
    letter, data = _letter(public_id), json_body(required=True)
    channel = data.get("channel")
    if channel not in CHANNELS:
        raise ApiError(
            422, "invalid", _l("The data is not valid."), fields={"channel": " | ".join(CHANNELS)}
        )
    actor = g.api_user
    if channel == "email":
        d = dispatch.dispatch_email(letter, actor, to=text_field(data, "to"))
    elif channel == "post":
        d = dispatch.dispatch_post(
            letter,
            actor,
            address=text_field(data, "address"),
            tracking=text_field(data, "tracking"),
            recipient=text_field(data, "recipient"),
        )
    elif channel == "eotinish":
        d = dispatch.dispatch_eotinish(letter, actor)
    else:
        d = dispatch.dispatch_by_hand(
            letter, actor, text_field(data, "received_by") or "", at=_moment(data, "at")
        )
    return _done(d, 201)


@bp.route("/letters/<public_id>/dispatches")
@api_auth
def list_dispatches(public_id: str):
    letter = _letter(public_id)
    return jsonify({"dispatches": [dispatch_json(d) for d in dispatches_of(letter)]})


@bp.route("/letters/<public_id>/dispatches/<dispatch_id>/package")
@api_auth
def dispatch_package(public_id: str, dispatch_id: str):
    letter = _letter(public_id)
    d = _dispatch(letter, dispatch_id)
    if d.package is None:
        raise ApiError(404, "not_found", _l("This dispatch has no package."))
    name = (letter.reg_number or letter.public_id).replace("/", "-")
    return Response(
        d.package,
        mimetype="application/zip",
        headers={"Content-Disposition": f'attachment; filename="eotinish-{name}.zip"'},
    )


@bp.route("/letters/<public_id>/dispatches/<dispatch_id>/posted", methods=["POST"])
@api_auth
def dispatch_posted(public_id: str, dispatch_id: str):
    letter, data = _letter(public_id), json_body(required=True)
    d = _dispatch(letter, dispatch_id)
    dispatch.record_posted(d, g.api_user, text_field(data, "tracking") or "")
    return _done(d)


@bp.route("/letters/<public_id>/dispatches/<dispatch_id>/delivered", methods=["POST"])
@api_auth
def dispatch_delivered(public_id: str, dispatch_id: str):
    letter, data = _letter(public_id), json_body()
    d = _dispatch(letter, dispatch_id)
    dispatch.record_delivery(
        d,
        g.api_user,
        at=_moment(data, "at"),
        received_by=text_field(data, "received_by"),
        note=text_field(data, "note"),
    )
    return _done(d)


@bp.route("/letters/<public_id>/rating", methods=["POST"])
@api_auth
def rate_letter(public_id: str):
    letter, data = _letter(public_id), json_body(required=True)
    source = data.get("source", "call")
    if source != "call":
        raise ApiError(
            422,
            "invalid",
            _l("The data is not valid."),
            fields={"source": _l("Only a rating from a call is recorded here.")},
        )
    rating = public.record_call_rating(
        letter, g.api_user, data.get("score"), text_field(data, "comment")
    )
    db.session.commit()
    return jsonify(public.rating_json(rating)), 201
