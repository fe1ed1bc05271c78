"""Control dashboards: my items, my subdivision's, due soon, overdue, awaiting distribution and
notices, late forwardings (R-ROUTE-2) and timeliness per subdivision (R-CTRL-3)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from sqlalchemy import and_, case, func, select

from docflow.core.calendar import get_calendar
from docflow.core.security import Permission, Role, has_permission
from docflow.core.workflow import WorkflowHistory
from docflow.extensions import db
from docflow.org.models import Subdivision
from docflow.outgoing import notices as outgoing
from docflow.registry.models import IncomingItem
from docflow.registry.queries import active_states
from docflow.routing.models import (
    Distribution,
    ExecutorAssignment,
    Extension,
    Forwarding,
    Notification,
)

LIMIT = 100
DUE_SOON_DAYS = 3
LATE_BATCH = 500


def _local_subdivision_ids(user: Any, role: Role) -> list[int]:
    codes = [code for r, code in user.role_grants() if r == role.value and code]
    if not codes:
        return []
    return list(db.session.scalars(select(Subdivision.id).where(Subdivision.code.in_(codes))))


def visible_active(user: Any):
    """Active items the user may see on dashboards."""
    query = select(IncomingItem).where(IncomingItem.state.in_(active_states()))
    if has_permission(user, Permission.VIEW_REGISTRY):
        return query
    heads = _local_subdivision_ids(user, Role.HEAD)
    mine = select(ExecutorAssignment.item_id).where(
        ExecutorAssignment.user_id == user.id, ExecutorAssignment.active.is_(True)
    )
    conditions = [IncomingItem.id.in_(mine)]
    if heads:
        conditions.append(
            IncomingItem.id.in_(
                select(Distribution.item_id).where(
                    Distribution.subdivision_id.in_(heads), Distribution.active.is_(True)
                )
            )
        )
    executors = _local_subdivision_ids(user, Role.EXECUTOR)
    if executors:
        conditions.append(
            IncomingItem.id.in_(
                select(Distribution.item_id).where(
                    Distribution.subdivision_id.in_(executors), Distribution.active.is_(True)
                )
            )
        )
    from sqlalchemy import or_

    return query.where(or_(*conditions))


def _list(query) -> list[IncomingItem]:
    return list(
        db.session.scalars(query.order_by(IncomingItem.due_date, IncomingItem.id).limit(LIMIT))
    )


def for_user(user: Any, today: dt.date) -> dict[str, Any]:
    cal = get_calendar()
    soon = cal.add_working_days(today, DUE_SOON_DAYS)
    visible = visible_active(user)
    mine = select(ExecutorAssignment.item_id).where(
        ExecutorAssignment.user_id == user.id, ExecutorAssignment.active.is_(True)
    )
    data: dict[str, Any] = {
        "my_items": _list(
            select(IncomingItem).where(
                IncomingItem.id.in_(mine), IncomingItem.state.in_(active_states())
            )
        ),
        "due_soon": _list(
            visible.where(IncomingItem.due_date >= today, IncomingItem.due_date <= soon)
        ),
        "overdue": _list(visible.where(IncomingItem.due_date < today)),
        "notifications": list(
            db.session.scalars(
                select(Notification)
                .where(Notification.user_id == user.id, Notification.read_at.is_(None))
                .order_by(Notification.id.desc())
                .limit(50)
            )
        ),
        "is_controller": has_permission(user, Permission.DISTRIBUTE),
        "is_head": bool(_local_subdivision_ids(user, Role.HEAD)),
    }
    if data["is_head"]:
        heads = _local_subdivision_ids(user, Role.HEAD)
        from docflow.routing.operations import subdivision_staff

        data["staff"] = [
            u
            for sub in db.session.scalars(select(Subdivision).where(Subdivision.id.in_(heads)))
            for u in subdivision_staff(sub)
        ]
        data["subdivision_items"] = _list(
            select(IncomingItem).where(
                IncomingItem.state.in_(active_states()),
                IncomingItem.id.in_(
                    select(Distribution.item_id).where(
                        Distribution.subdivision_id.in_(heads), Distribution.active.is_(True)
                    )
                ),
            )
        )
    if data["is_controller"]:
        data["awaiting_distribution"] = _list(
            select(IncomingItem).where(IncomingItem.state == "registered")
        )
        data["awaiting_forward_notice"] = list(
            db.session.scalars(
                select(Forwarding)
                .where(Forwarding.id.not_in(outgoing.sent_source_ids("forwarding")))
                .order_by(Forwarding.deadline)
            )
        )
        data["awaiting_extension_notice"] = list(
            db.session.scalars(
                select(Extension)
                .where(Extension.id.not_in(outgoing.sent_source_ids("extension")))
                .order_by(Extension.notice_due)
            )
        )
        # R-ROUTE-5: the termination notice has no routing record of its own: the journal's.
        data["awaiting_termination_notice"] = outgoing.awaiting("termination", LIMIT)
    if has_permission(user, Permission.VIEW_REGISTRY):
        data["late_forwardings"] = late_forwardings()
        data["per_subdivision"] = timeliness(today)
    item_ids = (
        [f.item_id for f in data.get("awaiting_forward_notice", [])]
        + [e.item_id for e in data.get("awaiting_extension_notice", [])]
        + [n.item_id for n in data.get("awaiting_termination_notice", [])]
        + [lf.forwarding.item_id for lf in data.get("late_forwardings", [])]
    )
    data["items_by_id"] = (
        {
            i.id: i
            for i in db.session.scalars(select(IncomingItem).where(IncomingItem.id.in_(item_ids)))
        }
        if item_ids
        else {}
    )
    return data


@dataclass(frozen=True)
class LateForwarding:
    """R-ROUTE-2: forwarded after its deadline (3 working days from arrival)."""

    forwarding: Forwarding
    forwarded_on: dt.date  # local date
    days_late: int  # working days after the deadline (at least 1)


def days_late(fwd: Forwarding) -> int:
    """Working days the forwarding came after its deadline; 0 when it was in time (R-ROUTE-2)."""
    cal = get_calendar()
    on = cal.to_local(fwd.forwarded_at).date()
    if on <= fwd.deadline:
        return 0
    # Forwarded on a day off right after the deadline is still late: one day at least.
    return max(1, cal.working_days_between(fwd.deadline + dt.timedelta(days=1), on))


def late_forwardings(limit: int = LIMIT) -> list[LateForwarding]:
    """The latest forwardings made after their deadline, most recent first (R-ROUTE-2).

    ``forwarded_at > deadline`` (UTC moment against the deadline's midnight) lets through every
    late one whatever the office's time zone, and those of the deadline day itself; the local
    date decides.
    """
    cal = get_calendar()
    query = (
        select(Forwarding)
        .where(Forwarding.forwarded_at > Forwarding.deadline)
        .order_by(Forwarding.forwarded_at.desc(), Forwarding.id.desc())
    )
    out: list[LateForwarding] = []
    offset = 0
    while len(out) < limit:
        rows = list(db.session.scalars(query.limit(LATE_BATCH).offset(offset)))
        for fwd in rows:
            late = days_late(fwd)
            if late and len(out) < limit:
                out.append(LateForwarding(fwd, cal.to_local(fwd.forwarded_at).date(), late))
        if len(rows) < LATE_BATCH:
            break
        offset += LATE_BATCH
    return out


def timeliness(today: dt.date) -> list[dict[str, Any]]:
    """Per subdivision: active, overdue, closed on time and closed late."""
    active = active_states()
    rows = db.session.execute(
        select(
            Subdivision.code,
            func.sum(case((IncomingItem.state.in_(active), 1), else_=0)),
            func.sum(
                case(
                    (and_(IncomingItem.state.in_(active), IncomingItem.due_date < today), 1),
                    else_=0,
                )
            ),
        )
        .join(IncomingItem, IncomingItem.subdivision_id == Subdivision.id)
        .group_by(Subdivision.code)
        .order_by(Subdivision.code)
    ).all()
    closed = db.session.execute(
        select(Subdivision.code, IncomingItem.due_date, WorkflowHistory.at)
        .join(IncomingItem, IncomingItem.subdivision_id == Subdivision.id)
        .join(
            WorkflowHistory,
            and_(
                WorkflowHistory.object_type == "incoming_item",
                WorkflowHistory.object_id == func.cast(IncomingItem.id, db.String),
                WorkflowHistory.transition == "close",
            ),
        )
    ).all()
    tz = get_calendar().tz
    stats = {
        code: {"code": code, "active": int(a or 0), "overdue": int(o or 0), "on_time": 0, "late": 0}
        for code, a, o in rows
    }
    for code, due, at in closed:
        entry = stats.setdefault(
            code, {"code": code, "active": 0, "overdue": 0, "on_time": 0, "late": 0}
        )
        if due is None or at.astimezone(tz).date() <= due:
            entry["on_time"] += 1
        else:
            entry["late"] += 1
    return sorted(stats.values(), key=lambda s: (-s["overdue"], s["code"]))


def work_counts(user: Any, today: dt.date) -> dict[str, int]:
    """The numbers on the home page: what waits for this user today."""
    count = lambda q: db.session.scalar(select(func.count()).select_from(q.subquery())) or 0  # noqa: E731
    visible = visible_active(user)
    mine = select(ExecutorAssignment.item_id).where(
        ExecutorAssignment.user_id == user.id, ExecutorAssignment.active.is_(True)
    )
    out = {
        "my_items": count(
            select(IncomingItem.id).where(
                IncomingItem.id.in_(mine), IncomingItem.state.in_(active_states())
            )
        ),
        "overdue": count(visible.where(IncomingItem.due_date < today)),
        "unread": count(
            select(Notification.id).where(
                Notification.user_id == user.id, Notification.read_at.is_(None)
            )
        ),
    }
    if has_permission(user, Permission.DISTRIBUTE):
        out["awaiting_distribution"] = count(
            select(IncomingItem.id).where(IncomingItem.state == "registered")
        )
    if has_permission(user, Permission.REGISTER):
        out["registered_today"] = count(
            select(IncomingItem.id).where(IncomingItem.registration_date == today)
        )
        out["awaiting_correction"] = count(
            select(IncomingItem.id).where(IncomingItem.state == "awaiting_correction")
        )
    return out
