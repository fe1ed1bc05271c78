"""Links between cases and repeat-candidate decisions (R-ROUTE-4, R-ROUTE-5).

A link says two items are one case (a repeat appeal, a complaint about the answer, an appeal
from a personal reception on the same question). Routing's R-ROUTE-4 reads them; every link and
every decision runs the registry's case hooks so routing can end an assignment it makes unlawful.
"""

from __future__ import annotations

from typing import Any

from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from docflow.core import audit
from docflow.core.security import AccessDenied, Permission, has_permission
from docflow.extensions import db
from docflow.registry import repeats
from docflow.registry.errors import RegistrationError
from docflow.registry.models import IncomingItem, ItemLink

LINK_KINDS = {
    "repeat": _l("Repeat appeal on the same question"),
    "complaint_about_answer": _l("Complaint about the answer"),
    "reception_same_question": _l("Appeal from a personal reception on the same question"),
    "related": _l("Related"),
}


def _link_targets(links: list[tuple[str, str]]) -> list[tuple[IncomingItem, str]]:
    from docflow.registry.models import item_by_public_id

    out = []
    for public_id, kind in links:
        target = item_by_public_id(public_id)
        if target is None:
            raise RegistrationError({"link_to": _l("The earlier case to link was not found.")})
        if kind not in LINK_KINDS:
            raise RegistrationError({"link_to": _l("Unknown kind of link.")})
        out.append((target, kind))
    return out


def _add_link(
    item: IncomingItem, target: IncomingItem, kind: str, actor: Any, note: str | None = None
) -> ItemLink:
    link = ItemLink(
        item_id=item.id,
        target_id=target.id,
        kind=kind,
        note=note,
        created_by_id=getattr(actor, "id", None),
    )
    db.session.add(link)
    db.session.flush()
    return link


def link_items(
    item: IncomingItem, target: IncomingItem, kind: str, actor: Any, note: str | None = None
) -> ItemLink:
    """Link an item to an earlier case (R-ROUTE-5; routing's R-ROUTE-4 uses these links)."""
    if not may_link(actor, item):
        raise AccessDenied()
    if kind not in LINK_KINDS:
        raise RegistrationError({"kind": _l("Unknown kind of link.")})
    if target.id == item.id:
        raise RegistrationError({"target": _l("An item cannot be linked to itself.")})
    exists = db.session.scalar(
        select(ItemLink).where(
            ItemLink.item_id == item.id, ItemLink.target_id == target.id, ItemLink.kind == kind
        )
    )
    if exists is not None:
        return exists
    link = _add_link(item, target, kind, actor, note)
    repeats.mark_linked(item, target, kind, actor)
    audit.record("link", item, summary={"item": target.reg_number, "kind": kind})
    repeats.case_changed(item, actor)  # routing ends an assignment the link makes unlawful
    return link


def may_link(actor: Any, item: IncomingItem) -> bool:
    """The records office and the controller (modify), and the head at assignment (assign)."""
    return has_permission(actor, Permission.MODIFY, item) or has_permission(
        actor, Permission.ASSIGN, item
    )


def decide_repeat(
    item: IncomingItem,
    earlier: IncomingItem,
    actor: Any,
    decision: str,
    *,
    kind: str | None = None,
    reason: str | None = None,
):
    """Decide a repeat candidate: ``link`` it (kind repeat | complaint | reception) or
    ``dismiss`` it as another question (with a reason). Audited; routing re-checks R-ROUTE-4."""
    if not may_link(actor, item):
        raise AccessDenied()
    row = repeats.candidate_row(item, earlier)
    if row is None:
        raise repeats.RepeatDecisionError(
            _l("This case is not a repeat candidate of the item."), 404
        )
    if decision == "dismiss":
        row = repeats.dismiss(item, earlier, actor, reason or "")
        repeats.case_changed(item, actor)
        return row
    if decision != "link":
        raise repeats.RepeatDecisionError(_l("The decision is “link” or “dismiss”."))
    link_kind = repeats.LINK_KIND_OF_DECISION.get(kind or "repeat")
    if link_kind is None:
        raise repeats.RepeatDecisionError(
            _l("The kind of link is “repeat”, “complaint” or “reception”.")
        )
    link_items(item, earlier, link_kind, actor, note=reason)
    return row


def linked_cases(item: IncomingItem) -> list[ItemLink]:
    return list(
        db.session.scalars(
            select(ItemLink).where(ItemLink.item_id == item.id).order_by(ItemLink.id)
        )
    )
