"""Repeat candidates and links on the REST API (R-ROUTE-4, R-ROUTE-5).

``POST /api/v1/items/{id}/repeat-candidates/{item}`` decides a candidate:
``{"decision": "link", "kind": "repeat" | "complaint" | "reception"}`` or
``{"decision": "dismiss", "reason": "…"}``; ``POST /api/v1/items/{id}/links`` ``{"item", "kind"}``
links directly. Both answer with the item as ``GET /api/v1/items/{id}`` does.
"""

from __future__ import annotations

from typing import Any

from flask import g, jsonify, request
from flask_babel import lazy_gettext as _l

from docflow.api import ApiError, api_auth, bp
from docflow.extensions import db
from docflow.registry import operations
from docflow.registry.api import _item, item_json
from docflow.registry.models import item_by_public_id

# The API's short kinds, and the registry's own names (accepted too).
LINK_KINDS = {
    "repeat": "repeat",
    "complaint": "complaint_about_answer",
    "reception": "reception_same_question",
    "related": "related",
    **{k: k for k in operations.LINK_KINDS},
}


def _body() -> dict[str, Any]:
    data = request.get_json(silent=True)
    if not isinstance(data, dict):
        raise ApiError(400, "bad_request", _l("The body must be a JSON object."))
    return data


def _other(public_id: Any) -> Any:
    other = item_by_public_id(str(public_id or ""))
    if other is None:
        raise ApiError(404, "not_found", _l("No such item."))
    return other


def _respond(item):
    db.session.commit()
    return jsonify(item_json(item))


@bp.route("/items/<public_id>/repeat-candidates/<other_id>", methods=["POST"])
@api_auth
def decide_repeat_candidate(public_id: str, other_id: str):
    item, data = _item(public_id), _body()
    other = _other(other_id)
    decision = str(data.get("decision") or "")
    operations.decide_repeat(  # a refusal: the API's DomainError handler
        item,
        other,
        g.api_user,
        {"link": "link", "dismiss": "dismiss"}.get(decision, decision),
        kind=str(data.get("kind") or "repeat"),
        reason=data.get("reason") if isinstance(data.get("reason"), str) else None,
    )
    return _respond(item)


@bp.route("/items/<public_id>/links", methods=["POST"])
@api_auth
def link_item(public_id: str):
    item, data = _item(public_id), _body()
    other = _other(data.get("item"))
    kind = LINK_KINDS.get(str(data.get("kind") or "repeat"))
    if kind is None:
        raise ApiError(
            422,
            "invalid",
            _l("The data is not valid."),
            fields={"kind": "repeat | complaint | reception | related"},
        )
    operations.link_items(item, other, kind, g.api_user, note=data.get("note"))
    return _respond(item)
