"""Routing's sentences in the readable history (docflow.core.history_text)."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l

from docflow.core import history_text as ht
from docflow.extensions import db

GROUP = "routing"


def subdivision_name(sub_id) -> str:
    from docflow.org.models import Subdivision, localized

    if sub_id is None:
        return "—"
    sub = db.session.get(Subdivision, int(sub_id))
    return localized(sub.names) or sub.code if sub is not None else str(sub_id)


def _row_fields(row: dict, ctx: ht.Context) -> dict:
    out = {"item": ctx.label("incoming_item", row.get("item_id"))}
    if "subdivision_id" in row:
        out["subdivision"] = subdivision_name(row.get("subdivision_id"))
    if "user_id" in row:
        out["user"] = ctx.user(row.get("user_id"))
    return out


def _executors(summary: dict, ctx: ht.Context) -> dict:
    return {"executors": ", ".join(map(str, summary.get("executors") or [])) or "—"}


def register() -> None:
    from docflow.routing import resolution

    ht.register_group(GROUP, _l("Distribution and control"))
    resolution.register_texts()  # the head's resolutions
    ht.register_object(
        "distribution",
        _l("distribution"),
        group=GROUP,
        created=_l("%(actor)s sent %(item)s to %(subdivision)s"),
        fields=_row_fields,
        values={"subdivision_id": subdivision_name},
    )
    ht.register_object(
        "executor_assignment",
        _l("executor assignment"),
        group=GROUP,
        created=_l("%(actor)s assigned %(user)s to %(item)s"),
        fields=_row_fields,
        values={"subdivision_id": subdivision_name},
    )
    ht.register_object(
        "extension",
        _l("extension"),
        group=GROUP,
        created=_l("%(actor)s extended the term of %(item)s from %(old_due)s to %(new_due)s"),
        fields=_row_fields,
    )
    ht.register_object(
        "answer",
        _l("answer"),
        group=GROUP,
        created=_l("%(actor)s submitted an answer to %(item)s"),
        fields=_row_fields,
    )
    ht.register_object(
        "forwarding",
        _l("forwarding"),
        group=GROUP,
        created=_l("%(actor)s forwarded %(item)s to %(body)s"),
        fields=_row_fields,
    )
    ht.register_object("notification", _l("reminder"), group=GROUP)
    ht.register_object("routing_example", _l("routing example"), group=GROUP)
    ht.register_action(
        "auto_assign_skipped",
        _l("The executor was not assigned to %(object)s automatically: %(reason)s"),
        group=GROUP,
    )
    ht.register_action(
        "assignment_ended_r_route_4",
        _l(
            "Executors removed from %(object)s: they handled the earlier case "
            "(R-ROUTE-4): %(executors)s"
        ),
        group=GROUP,
        fields=_executors,
    )
    steps = {
        "distribute": _l("%(actor)s sent the item to the subdivision"),
        "redistribute": _l("%(actor)s sent the item to another subdivision"),
        "assign": _l("%(actor)s assigned the executor"),
        "reassign": _l("%(actor)s reassigned the item"),
        "delegate": _l("%(actor)s delegated the item"),
        "add_co_executors": _l("%(actor)s added co-executors"),
        "assign_outside": _l("%(actor)s assigned an employee of another subdivision"),
        "release_executor": _l("The executor was removed: they handled the earlier case"),
        "submit_answer": _l("%(actor)s submitted the answer for approval"),
        "approve_answer": _l("%(actor)s approved the answer"),
        "return_answer": _l("%(actor)s returned the answer to the executor"),
        "close": _l("%(actor)s removed the item from control"),
        "rework": _l("%(actor)s sent the answer back for rework"),
        "extend": _l("%(actor)s extended the term"),
        "forward": _l("%(actor)s forwarded the appeal to the competent body"),
        "forward_part": _l("%(actor)s forwarded part of the appeal to the competent body"),
        "terminate": _l("%(actor)s terminated the consideration (repeat appeal)"),
    }
    for transition, text in steps.items():
        ht.register_transition("incoming", transition, text, group=GROUP)
    ht.register_workflow("answer", group=GROUP)
    ht.register_transition("answer", "create", _l("%(actor)s wrote the answer"))
    ht.register_transition("answer", "approve", _l("%(actor)s approved the answer"))
    ht.register_transition("answer", "return", _l("%(actor)s returned the answer to the executor"))
    ht.register_transition("answer", "rework", _l("%(actor)s sent the answer back for rework"))
    ht.register_field_titles(
        {
            "new_due": _l("new due date"),
            "old_due": _l("old due date"),
            "basis": _l("basis"),
            "executors": _l("executors"),
            "user": _l("user"),
        }
    )
