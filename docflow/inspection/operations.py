"""Inspections of office work (R-AUDIT-1): create, run the automatic checks, record the
inspector's own findings, remarks and proposals, close.

A run stores what the checks found at run time — code, rule, severity, evidence and facts — so
that a later change of the profile (terms, calendar) or of a case does not rewrite a past result.
A run also records the audit trail's integrity (``docflow.core.audit.verify``) and, for every
earlier finding of the inspection not yet accepted, whether it is still found (``still_open``).
Inspectors change no case: every write here is to the inspection's own records, under the
``inspect`` permission, through the ``inspection`` workflow.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable
from typing import Any

from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select

from docflow.core import audit
from docflow.core.calendar import get_calendar
from docflow.core.db import atomic
from docflow.core.errors import DomainError
from docflow.core.security import Permission, Principal, require_permission
from docflow.extensions import db
from docflow.inspection.models import (
    MANUAL_CODE,
    SEVERITIES,
    Inspection,
    InspectionFinding,
    InspectionRun,
)
from docflow.inspection.workflow import INSPECTION
from docflow.org.models import Subdivision
from docflow.registry.models import item_by_number

P = Permission
# What runs the automatic checks: docflow.inspection.checks.run_checks's signature.
CheckRunner = Callable[..., Any]


class InspectionError(DomainError):
    code = "inspection_invalid"


class InspectionClosed(InspectionError):
    status = 409
    code = "inspection_closed"

    def __init__(self) -> None:
        super().__init__(_l("The inspection is closed: nothing more can be recorded in it."))


def require_open(inspection: Inspection, actor: Principal) -> None:
    """403 unless the actor inspects; 409 once the inspection is closed."""
    require_permission(actor, P.INSPECT)
    if inspection.state == "closed":
        raise InspectionClosed()
    require_permission(actor, P.INSPECT, inspection)


def _check_scope(subdivisions: Iterable[str], districts: Iterable[str]) -> tuple[list, list]:
    subs, dists = sorted(set(subdivisions)), sorted(set(districts))
    known = {
        s.code: s.kind
        for s in db.session.scalars(select(Subdivision).where(Subdivision.code.in_(subs + dists)))
    }
    unknown = [c for c in subs + dists if c not in known]
    if unknown:
        raise InspectionError(
            fields={"subdivisions": _l("Unknown subdivision: %(codes)s.", codes=", ".join(unknown))}
        )
    not_districts = [c for c in dists if known[c] != "district"]
    if not_districts:
        raise InspectionError(
            fields={"districts": _l("Not a district: %(codes)s.", codes=", ".join(not_districts))}
        )
    return subs, dists


@atomic
def create_inspection(
    actor: Principal,
    *,
    title: str,
    date_from: dt.date,
    date_to: dt.date,
    as_of: dt.date | None = None,
    subdivisions: Iterable[str] = (),
    districts: Iterable[str] = (),
) -> Inspection:
    """A new inspection in draft; ``as_of`` defaults to the period's last day. No scope: the whole
    office."""
    require_permission(actor, P.INSPECT)
    title = (title or "").strip()
    if not title:
        raise InspectionError(fields={"title": _l("Give the inspection a title.")})
    if date_to < date_from:
        raise InspectionError(fields={"date_to": _l("The period ends before it begins.")})
    as_of = as_of or date_to
    if as_of < date_to:
        raise InspectionError(
            fields={"as_of": _l("The as-of date cannot be before the period's last day.")}
        )
    subs, dists = _check_scope(subdivisions, districts)
    inspection = Inspection(
        title=title[:300],
        subdivisions=subs,
        districts=dists,
        date_from=date_from,
        date_to=date_to,
        as_of=as_of,
        created_by_id=actor.id,
    )
    db.session.add(inspection)
    INSPECTION.initialize(inspection, actor)
    db.session.flush()
    return inspection


def _default_runner() -> CheckRunner:
    from docflow.inspection.checks import run_checks

    return run_checks


def _rule_text(rule: Any) -> str:
    if isinstance(rule, list | tuple | set | frozenset):
        return ", ".join(str(r) for r in rule)
    return str(rule or "")


def audit_for_period(date_from: dt.date, as_of: dt.date) -> dict[str, Any]:
    """The audit trail's integrity (the whole chain verified: a break anywhere breaks the
    period's trail too) and how many entries fall within the period up to the as-of date."""
    result = audit.verify()
    tz = get_calendar().tz
    start = dt.datetime.combine(date_from, dt.time.min, tzinfo=tz)
    end = dt.datetime.combine(as_of + dt.timedelta(days=1), dt.time.min, tzinfo=tz)
    in_period = db.session.scalar(
        select(func.count())
        .select_from(audit.AuditEntry)
        .where(audit.AuditEntry.at >= start, audit.AuditEntry.at < end)
    )
    return {
        "ok": result.ok,
        "checked": result.checked,
        "broken_seq": result.broken_seq,
        "reason": result.reason,
        "period_entries": int(in_period or 0),
    }


@atomic
def run_inspection(
    inspection: Inspection, actor: Principal, *, runner: CheckRunner | None = None
) -> InspectionRun:
    """Run the automatic checks over the inspection's scope and store the findings as found."""
    require_open(inspection, actor)
    INSPECTION.fire(inspection, "run", actor)
    check_run = (runner or _default_runner())(
        date_from=inspection.date_from,
        date_to=inspection.date_to,
        as_of=inspection.as_of,
        subdivisions=list(inspection.subdivisions) or None,
        districts=list(inspection.districts) or None,
    )
    number = (
        db.session.scalar(
            select(func.max(InspectionRun.number)).where(
                InspectionRun.inspection_id == inspection.id
            )
        )
        or 0
    ) + 1
    trail = audit_for_period(inspection.date_from, inspection.as_of)
    run = InspectionRun(
        inspection=inspection,  # in inspection.runs at once, loaded or not
        number=number,
        by_id=actor.id,
        as_of=inspection.as_of,
        checked=int(check_run.checked),
        not_judged={str(k): int(v) for k, v in dict(check_run.not_judged).items()},
        finding_count=len(check_run.findings),
        audit_ok=trail["ok"],
        audit_checked=trail["checked"],
        audit_period_entries=trail["period_entries"],
        audit_broken_seq=trail["broken_seq"],
        audit_reason=trail["reason"],
    )
    db.session.add(run)
    db.session.flush()
    earlier = _earlier_findings(inspection, run)
    found_keys = set()
    for f in check_run.findings:
        row = InspectionFinding(
            inspection_id=inspection.id,
            run_id=run.id,
            code=str(f.check),
            rule=_rule_text(f.rule),
            severity=str(f.severity or "medium"),
            item_id=f.item_id,
            reg_number=f.reg_number,
            item_public_id=f.item_public_id,
            subdivision_code=f.subdivision_code,
            evidence=str(f.evidence or ""),
            facts=_jsonable(dict(f.facts or {})),
        )
        previous = earlier.get((row.code, row.reg_number))
        if previous is not None:
            row.earlier_id = previous.id
        found_keys.add((row.code, row.reg_number))
        db.session.add(row)
    # A later run tells which still-open findings remain (overdue cases, missing notices…).
    for key, previous in earlier.items():
        previous.still_open = key in found_keys
        previous.rechecked_run_id = run.id
    db.session.flush()
    return run


def _earlier_findings(
    inspection: Inspection, run: InspectionRun
) -> dict[tuple[str, str | None], InspectionFinding]:
    """The latest earlier automatic finding per (check, case) not yet accepted."""
    rows = db.session.scalars(
        select(InspectionFinding)
        .where(
            InspectionFinding.inspection_id == inspection.id,
            InspectionFinding.run_id.is_not(None),
            InspectionFinding.run_id != run.id,
            InspectionFinding.status != "accepted",
        )
        .order_by(InspectionFinding.id)
    )
    return {f.key: f for f in rows}


def _jsonable(value: Any) -> Any:
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple | set | frozenset):
        return [_jsonable(v) for v in value]
    if isinstance(value, dt.date | dt.datetime):
        return value.isoformat()
    if isinstance(value, str | int | float | bool) or value is None:
        return value
    return str(value)


@atomic
def add_finding(
    inspection: Inspection,
    actor: Principal,
    *,
    evidence: str,
    rule: str = "",
    severity: str = "medium",
    reg_number: str | None = None,
    subdivision_code: str | None = None,
) -> InspectionFinding:
    """The inspector's own finding (from reading a case, or about the office as a whole)."""
    require_open(inspection, actor)
    evidence = (evidence or "").strip()
    if not evidence:
        raise InspectionError(fields={"evidence": _l("Describe what was found.")})
    if severity not in SEVERITIES:
        raise InspectionError(fields={"severity": _l("Choose a severity.")})
    item = None
    if reg_number:
        item = item_by_number(reg_number.strip())
        if item is None:
            raise InspectionError(
                fields={"reg_number": _l("No case with the number %(n)s.", n=reg_number)}
            )
    if item is not None and not subdivision_code and item.subdivision is not None:
        subdivision_code = item.subdivision.code
    if (
        subdivision_code
        and db.session.scalar(select(Subdivision.id).where(Subdivision.code == subdivision_code))
        is None
    ):
        raise InspectionError(fields={"subdivision_code": _l("Unknown subdivision.")})
    finding = InspectionFinding(
        inspection_id=inspection.id,
        run_id=None,
        code=MANUAL_CODE,
        rule=(rule or "").strip()[:200],
        severity=severity,
        item_id=item.id if item else None,
        reg_number=item.reg_number if item else None,
        item_public_id=item.public_id if item else None,
        subdivision_code=subdivision_code or None,
        evidence=evidence,
        facts={},
        created_by_id=actor.id,
    )
    db.session.add(finding)
    db.session.flush()
    return finding


@atomic
def save_texts(inspection: Inspection, actor: Principal, *, remarks: str, proposals: str) -> None:
    """The inspector's remarks and proposals (e.g. disciplinary measures, R-AUDIT-1)."""
    require_open(inspection, actor)
    inspection.remarks = (remarks or "").strip()
    inspection.proposals = (proposals or "").strip()
    db.session.flush()


@atomic
def close_inspection(inspection: Inspection, actor: Principal) -> None:
    """Closed: nothing more is recorded; remediation tasks already sent go on."""
    require_open(inspection, actor)
    INSPECTION.fire(inspection, "close", actor)
    inspection.closed_at = dt.datetime.now(dt.UTC)
    db.session.flush()


# --- reading ----------------------------------------------------------------------------------


def list_inspections() -> list[Inspection]:
    return list(db.session.scalars(select(Inspection).order_by(Inspection.id.desc())))


def run_by_number(inspection: Inspection, number: int) -> InspectionRun | None:
    return db.session.scalar(
        select(InspectionRun).where(
            InspectionRun.inspection_id == inspection.id, InspectionRun.number == number
        )
    )


def rechecked_by(run: InspectionRun) -> dict[bool, int]:
    """Of the earlier findings this run checked again: how many it still found (True), how
    many not any more (False)."""
    rows = db.session.execute(
        select(InspectionFinding.still_open, func.count())
        .where(InspectionFinding.rechecked_run_id == run.id)
        .group_by(InspectionFinding.still_open)
    )
    out = {True: 0, False: 0}
    for still_open, n in rows:
        out[bool(still_open)] = int(n)
    return out


def findings_of(
    inspection: Inspection,
    run: InspectionRun | None,
    *,
    code: str | None = None,
    subdivision: str | None = None,
    severity: str | None = None,
    status: str | None = None,
    manual: bool = False,
) -> list[InspectionFinding]:
    """A run's findings (or the inspector's own, ``manual``), filtered, by code and subdivision."""
    q = select(InspectionFinding).where(InspectionFinding.inspection_id == inspection.id)
    if manual:
        q = q.where(InspectionFinding.run_id.is_(None))
    else:
        q = q.where(InspectionFinding.run_id == (run.id if run else -1))
    for column, value in (
        (InspectionFinding.code, code),
        (InspectionFinding.subdivision_code, subdivision),
        (InspectionFinding.severity, severity),
        (InspectionFinding.status, status),
    ):
        if value:
            q = q.where(column == value)
    q = q.order_by(InspectionFinding.code, InspectionFinding.subdivision_code, InspectionFinding.id)
    return list(db.session.scalars(q))


def scope_item_ids(inspection: Inspection) -> list[int]:
    """The cases the inspection covers — exactly those its automatic checks judge (registered in
    the period, in its subdivisions or districts; no scope: the whole office), sorted by id."""
    from docflow.inspection.checks import iter_cases

    cases = iter_cases(
        inspection.date_from,
        inspection.date_to,
        inspection.as_of,
        list(inspection.subdivisions) or None,
        list(inspection.districts) or None,
    )
    return sorted(case.h.item_id for case in cases)
