"""Routing actions on the REST API: 403 forbidden actor, 409 wrong state, 422 rule violation."""

from __future__ import annotations

import datetime as dt
from typing import Any

from flask import g, jsonify, request
from flask_babel import lazy_gettext as _l

from docflow.api import ApiError, api_auth, bp, json_body, list_field, text_field
from docflow.core.security import AccessDenied
from docflow.extensions import db
from docflow.org.models import user_by_username
from docflow.registry.api import _item, item_json
from docflow.routing import operations as ops
from docflow.routing import resolution


def _assignment_json(item) -> dict[str, Any]:
    """Who may be made executor in the responsible subdivision (R-ROUTE-4), and — when nobody
    may — the lawful ways out: never an empty list as the end of the road."""
    if item.subdivision is None or item.state not in ("distributed", "in_work"):
        return {}
    candidates = ops.executor_candidates(item, item.subdivision)
    blocked_all = bool(candidates) and all(c.blocked for c in candidates)
    return {
        "executor_candidates": [
            {"username": c.user.username, "name": c.user.display_name, "blocked": c.blocked}
            for c in candidates
        ],
        "all_blocked": blocked_all,
        "ways_out": ops.ways_out(item, item.subdivision) if blocked_all else [],
    }


def routing_json(item) -> dict[str, Any]:
    from docflow.outgoing.paper import paper_answer_number

    answer = ops.current_answer(item)
    return {
        **_assignment_json(item),
        "state": item.state,
        "due_date": item.due_date.isoformat() if item.due_date else None,
        "subdivisions": [
            {"code": d.subdivision.code, "responsible": d.responsible}
            for d in ops.distributions(item)
        ],
        "executors": [
            {
                "username": a.user.username,
                "name": a.user.display_name,
                "responsible": a.responsible,
                "subdivision": a.subdivision.code,
            }
            for a in ops.active_executors(item)
        ],
        "answer": None
        if answer is None
        else {
            "summary": answer.summary,
            "status": answer.status,
            "final": answer.final,
            "reg_number": paper_answer_number(answer),  # outgoing number once approved
        },
        "extensions": [
            {
                "old_due": e.old_due.isoformat(),
                "new_due": e.new_due.isoformat(),
                "basis": e.basis,
                "reason": e.reason,
                "notice_due": e.notice_due.isoformat(),
                "notice_sent": e.notice_sent_at is not None,
            }
            for e in ops.extensions(item)
        ],
        "resolution": resolution.resolution_json(item),
    }


def _payload() -> dict[str, Any]:
    return json_body()  # parsed safely: depth, lone surrogates, control characters


def _users(usernames: Any) -> list[int]:
    if not isinstance(usernames, list) or not usernames:
        raise ApiError(
            422,
            "invalid",
            _l("The data is not valid."),
            fields={"executors": str(_l("A list of usernames is expected."))},
        )
    ids = []
    for name in usernames:
        user = user_by_username(str(name))
        if user is None:
            raise ApiError(
                422,
                "invalid",
                _l("The data is not valid."),
                fields={"executors": str(_l("Unknown user %(name)s.", name=name))},
            )
        ids.append(user.id)
    return ids


def _date(value: Any) -> dt.date:
    try:
        return dt.date.fromisoformat(str(value))
    except ValueError:
        raise ApiError(
            422,
            "invalid",
            _l("The data is not valid."),
            fields={"new_due": str(_l("Use a date like 2026-11-20."))},
        ) from None


@bp.route("/items/<public_id>/routing")
@api_auth
def get_routing(public_id: str):
    return jsonify(routing_json(_item(public_id)))


@bp.route("/items/<public_id>/routing/<action>", methods=["POST"])
@api_auth
def routing_action(public_id: str, action: str):
    item = _item(public_id)
    data = _payload()
    user = g.api_user
    comment = text_field(data, "comment")
    actions = {
        "distribute": lambda: ops.distribute(
            item,
            user,
            [str(c) for c in list_field(data, "subdivisions")],
            comment,
            redistribute=item.state != "registered",
        ),
        "assign": lambda: ops.assign_executors(
            item,
            user,
            _users(data.get("executors")),
            kind=str(data.get("kind") or "assign"),
            reason=data.get("reason"),
            # the head's resolution, optional (earlier calls without it work as before)
            instruction=resolution.instruction_from_json(data.get("instruction")),
            term=resolution.term_from_json(data.get("term")),
        ),
        "extend": lambda: ops.extend(
            item,
            user,
            basis=str(data.get("basis") or ""),
            new_due=_date(data.get("new_due")),
            reason=str(data.get("reason") or ""),
        ),
        "answer": lambda: _answer(item, user, data),
        "approve": lambda: ops.approve_answer(item, user, comment),
        "return": lambda: ops.return_answer(item, user, comment or ""),
        "close": lambda: ops.close(item, user, comment),
        "rework": lambda: ops.send_back_for_rework(item, user, comment or ""),
        "forward": lambda: ops.forward(
            item,
            user,
            body=str(data.get("body") or ""),
            partial=bool(data.get("partial")),
            reason=data.get("reason"),
        ),
        "terminate": lambda: ops.terminate(item, user, comment or ""),
        # No dead end (R-ROUTE-4): the controller's consented assignment outside the subdivision.
        "assign-outside": lambda: ops.assign_from_other_subdivision(
            item, user, _users([data.get("executor")])[0], str(data.get("reason") or "")
        ),
    }
    if action not in actions:
        raise ApiError(400, "unknown_action", _l("Unknown action “%(name)s”.", name=action))
    if action == "assign" and data.get("kind") not in (
        None,
        "assign",
        "reassign",
        "add",
        "delegate",
    ):
        raise ApiError(
            422,
            "invalid",
            _l("The data is not valid."),
            fields={"kind": "assign | reassign | add | delegate"},
        )
    actions[action]()  # a refusal: the API's DomainError handler
    db.session.commit()
    return jsonify({**item_json(item, full=False), "routing": routing_json(item)})


def _flag(value: Any) -> bool:
    # JSON true/false, or the strings a multipart form sends.
    if isinstance(value, str):
        return value.strip().lower() not in ("false", "0", "no", "")
    return bool(value)


def _answer(item, user, data):
    f = request.files.get("file")
    if f is None or not f.filename:
        raise ApiError(
            422,
            "invalid",
            _l("The data is not valid."),
            fields={"file": str(_l("Attach the answer document."))},
        )
    return ops.submit_answer(
        item,
        user,
        summary=str(data.get("summary") or ""),
        filename=f.filename,
        stream=f.stream,
        final=_flag(data.get("final", True)),
    )


@bp.route("/routing/bulk-assign", methods=["POST"])
@api_auth
def bulk_assign():
    """Assign the same executors to several items; per-item results (R-ROUTE-4 refusals named)."""
    from docflow.core.security import Permission, has_permission
    from docflow.registry.models import item_by_public_id

    if not has_permission(g.api_user, Permission.ASSIGN):  # a head of some subdivision
        raise ApiError(403, "forbidden", AccessDenied().message)
    data = _payload()
    ids = data.get("items")
    if not isinstance(ids, list) or not ids or len(ids) > 200:
        raise ApiError(
            422,
            "invalid",
            _l("The data is not valid."),
            fields={"items": str(_l("A list of 1 to 200 item ids is expected."))},
        )
    items = []
    for public_id in ids:
        item = item_by_public_id(str(public_id))
        if item is None:
            raise ApiError(404, "not_found", _l("No such item."))
        items.append(item)
    results = ops.bulk_assign(
        items, g.api_user, _users(data.get("executors")), reason=data.get("reason")
    )
    db.session.commit()
    return jsonify(
        results=[
            {
                "item": r.item.public_id,
                "reg_number": r.reg_number,  # null for an item the caller may not view
                "ok": r.ok,
                "message": r.message,
            }
            for r in results
        ]
    )
