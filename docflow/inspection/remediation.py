"""Remediation of findings (R-AUDIT-1): a finding sent to its subdivision's head as a task with a
term, kept on control until the inspector accepts the head's report.

sent → reported (the head's report of what was done) → accepted, or returned (with the
inspector's reason) → reported … through the ``remediation`` workflow. The finding's status
follows its task (sent, remedied, accepted, returned). A task not reported by its term is
overdue; a later run of the inspection shows whether what was found is still there.
"""

from __future__ import annotations

import datetime as dt

from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from docflow.core.calendar import get_calendar
from docflow.core.db import atomic
from docflow.core.security import Permission, Principal, has_permission, require_permission
from docflow.extensions import db
from docflow.inspection.models import (
    TASK_STATUS,
    InspectionFinding,
    RemediationTask,
    task_for_finding,
)
from docflow.inspection.operations import InspectionError
from docflow.inspection.workflow import REMEDIATION
from docflow.org.models import RoleGrant, Subdivision, User

P = Permission
OPEN_STATES = ("sent", "returned")


def today() -> dt.date:
    return get_calendar().local_now().date()


def subdivision_head(subdivision: Subdivision) -> User | None:
    """The account holding the subdivision's head role (the first, when substitutes share it)."""
    return db.session.scalar(
        select(User)
        .join(RoleGrant, RoleGrant.user_id == User.id)
        .where(
            RoleGrant.subdivision_id == subdivision.id,
            RoleGrant.role == "head",
            User.active.is_(True),
        )
        .order_by(User.id)
        .limit(1)
    )


def _follow(task: RemediationTask) -> None:
    task.finding.status = TASK_STATUS[task.state]


@atomic
def send_for_remediation(
    finding: InspectionFinding, actor: Principal, *, term: dt.date, instruction: str = ""
) -> RemediationTask:
    """Send the finding to its subdivision's head, to be remedied by ``term``."""
    require_permission(actor, P.INSPECT)
    if task_for_finding(finding.id) is not None:
        raise InspectionError(
            _l("This finding has been sent for remediation already."),
            status=409,
            code="already_sent",
        )
    if not finding.subdivision_code:
        raise InspectionError(
            _l("The finding names no subdivision: there is no head to send it to.")
        )
    if term < today():
        raise InspectionError(fields={"term": _l("The term cannot be in the past.")})
    subdivision = db.session.scalar(
        select(Subdivision).where(Subdivision.code == finding.subdivision_code)
    )
    if subdivision is None:
        raise InspectionError(_l("Unknown subdivision."))
    task = RemediationTask(
        finding_id=finding.id,
        subdivision_id=subdivision.id,
        subdivision=subdivision,
        head_id=getattr(subdivision_head(subdivision), "id", None),
        term=term,
        instruction=(instruction or "").strip(),
        sent_by_id=actor.id,
        finding=finding,
    )
    db.session.add(task)
    REMEDIATION.initialize(task, actor)
    _follow(task)
    db.session.flush()
    return task


@atomic
def report_done(task: RemediationTask, actor: Principal, report: str) -> RemediationTask:
    """The head reports what was done (again, after a return); the report is required."""
    REMEDIATION.fire(task, "report", actor, comment=(report or "").strip() or None)
    task.report = report.strip()
    task.reported_at = dt.datetime.now(dt.UTC)
    task.reported_by_id = actor.id
    _follow(task)
    db.session.flush()
    return task


@atomic
def accept(task: RemediationTask, actor: Principal, comment: str = "") -> RemediationTask:
    REMEDIATION.fire(task, "accept", actor, comment=(comment or "").strip() or None)
    task.decided_at = dt.datetime.now(dt.UTC)
    task.decision_comment = (comment or "").strip() or None
    _follow(task)
    db.session.flush()
    return task


@atomic
def return_report(task: RemediationTask, actor: Principal, comment: str) -> RemediationTask:
    """Back to the head, with the inspector's reason (required)."""
    REMEDIATION.fire(task, "return", actor, comment=(comment or "").strip() or None)
    task.decided_at = dt.datetime.now(dt.UTC)
    task.decision_comment = comment.strip()
    _follow(task)
    db.session.flush()
    return task


# --- reading ----------------------------------------------------------------------------------


def tasks_for(user: Principal, *, overdue_only: bool = False) -> list[RemediationTask]:
    """The tasks the user may see: an inspector all, a head those of their subdivisions."""
    rows = db.session.scalars(
        select(RemediationTask).order_by(RemediationTask.term, RemediationTask.id)
    )
    visible = [t for t in rows if has_permission(user, P.VIEW, t)]
    if overdue_only:
        now = today()
        visible = [t for t in visible if t.is_overdue(now)]
    return visible


def actions_for(task: RemediationTask, user: Principal) -> set[str]:
    """The task's transitions the user could do now (the page shows their forms)."""
    return {t.id for t in REMEDIATION.available(task, user)}
