"""Inspections of office work (R-AUDIT-1): the inspection, its runs and their stored findings,
the sample read by hand, and the remediation tasks sent to subdivision heads.

A run's findings are stored as the automatic checks gave them at run time (code, rule, severity,
evidence, facts): a later change of the profile or of a case does not rewrite them. A later run
of the same inspection marks each earlier unaccepted finding ``still_open`` (found again) or not;
the new run's row for the same check and case points back to the earlier one (``earlier_id``).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from flask_babel import lazy_gettext as _l
from sqlalchemy import Boolean, Date, ForeignKey, Integer, String, Text, UniqueConstraint, select
from sqlalchemy.orm import Mapped, mapped_column, relationship

from docflow.core.db import JSONType, UTCDateTime, utcnow
from docflow.core.workflow import WorkflowMixin
from docflow.extensions import db
from docflow.org.models import Subdivision, User
from docflow.registry.models import IncomingItem, new_public_id

SEVERITIES = {"high": _l("high"), "medium": _l("medium"), "low": _l("low")}

# A finding's status follows its remediation task (open: none sent yet).
FINDING_STATUSES = {
    "open": _l("open"),
    "sent": _l("sent for remediation"),
    "remedied": _l("remedied, awaiting acceptance"),
    "accepted": _l("accepted"),
    "returned": _l("returned to the head"),
}
TASK_STATUS = {
    "sent": "sent",
    "reported": "remedied",
    "accepted": "accepted",
    "returned": "returned",
}

# The checklist of a case read by hand: R-ANS-1 (motivated, legislation, right to complain)
# and R-RECV-10 (language). Each answer: yes, no, or not applicable (no answer to read).
CHECKLIST = {
    "answer_motivated": (_l("The answer is motivated"), "R-ANS-1"),
    "legislation_cited": (_l("The answer cites the legislation"), "R-ANS-1"),
    "complaint_explained": (_l("The right to complain is explained"), "R-ANS-1"),
    "language_ok": (
        _l("The answer is in the appeal's language or the state language"),
        "R-RECV-10",
    ),
}
CHECKLIST_ANSWERS = {"yes": _l("yes"), "no": _l("no"), "na": _l("not applicable")}

# The code of a finding the inspector records by hand (not one of the automatic checks).
MANUAL_CODE = "INSPECTOR"


class Inspection(WorkflowMixin, db.Model):
    """An inspection: its scope (subdivisions, districts), period and as-of date."""

    __tablename__ = "inspection"
    __workflow__ = "inspection"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    public_id: Mapped[str] = mapped_column(
        String(32), unique=True, nullable=False, default=new_public_id
    )
    title: Mapped[str] = mapped_column(String(300), nullable=False)
    subdivisions: Mapped[list[str]] = mapped_column(JSONType, nullable=False, default=list)
    districts: Mapped[list[str]] = mapped_column(JSONType, nullable=False, default=list)
    date_from: Mapped[dt.date] = mapped_column(Date, nullable=False)
    date_to: Mapped[dt.date] = mapped_column(Date, nullable=False)
    as_of: Mapped[dt.date] = mapped_column(Date, nullable=False)
    created_by_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"), nullable=False)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, nullable=False, default=utcnow)
    sample_seed: Mapped[int | None] = mapped_column(Integer, nullable=True)
    sample_size: Mapped[int | None] = mapped_column(Integer, nullable=True)
    remarks: Mapped[str] = mapped_column(Text, nullable=False, default="")
    proposals: Mapped[str] = mapped_column(Text, nullable=False, default="")
    closed_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime, nullable=True)

    created_by: Mapped[User] = relationship()
    runs: Mapped[list[InspectionRun]] = relationship(
        back_populates="inspection", order_by="InspectionRun.number"
    )

    @property
    def last_run(self) -> InspectionRun | None:
        return self.runs[-1] if self.runs else None

    @property
    def scope_codes(self) -> list[str]:
        return [*self.subdivisions, *self.districts]


class InspectionRun(db.Model):
    """One run of the automatic checks: when, by whom, what was counted, the audit trail's state."""

    __tablename__ = "inspection_run"
    __table_args__ = (UniqueConstraint("inspection_id", "number"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    inspection_id: Mapped[int] = mapped_column(
        ForeignKey("inspection.id"), nullable=False, index=True
    )
    number: Mapped[int] = mapped_column(Integer, nullable=False)
    at: Mapped[dt.datetime] = mapped_column(UTCDateTime, nullable=False, default=utcnow)
    by_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"), nullable=False)
    as_of: Mapped[dt.date] = mapped_column(Date, nullable=False)
    checked: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    not_judged: Mapped[dict[str, int]] = mapped_column(JSONType, nullable=False, default=dict)
    finding_count: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    # The audit trail's integrity when the run was made (docflow.core.audit.verify).
    audit_ok: Mapped[bool] = mapped_column(Boolean, nullable=False, default=True)
    audit_checked: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    audit_period_entries: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    audit_broken_seq: Mapped[int | None] = mapped_column(Integer, nullable=True)
    audit_reason: Mapped[str | None] = mapped_column(Text, nullable=True)

    inspection: Mapped[Inspection] = relationship(back_populates="runs")
    by: Mapped[User] = relationship()


class InspectionFinding(db.Model):
    """A finding: of an automatic check in a run, or recorded by the inspector (``run_id`` None)."""

    __tablename__ = "inspection_finding"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    public_id: Mapped[str] = mapped_column(
        String(32), unique=True, nullable=False, default=new_public_id
    )
    inspection_id: Mapped[int] = mapped_column(
        ForeignKey("inspection.id"), nullable=False, index=True
    )
    run_id: Mapped[int | None] = mapped_column(
        ForeignKey("inspection_run.id"), nullable=True, index=True
    )
    code: Mapped[str] = mapped_column(String(64), nullable=False, index=True)
    rule: Mapped[str] = mapped_column(String(200), nullable=False, default="")
    severity: Mapped[str] = mapped_column(String(16), nullable=False, default="medium")
    item_id: Mapped[int | None] = mapped_column(ForeignKey("incoming_item.id"), nullable=True)
    reg_number: Mapped[str | None] = mapped_column(String(64), nullable=True)
    item_public_id: Mapped[str | None] = mapped_column(String(32), nullable=True)
    subdivision_code: Mapped[str | None] = mapped_column(String(64), nullable=True, index=True)
    evidence: Mapped[str] = mapped_column(Text, nullable=False, default="")
    facts: Mapped[dict[str, Any]] = mapped_column(JSONType, nullable=False, default=dict)
    status: Mapped[str] = mapped_column(String(16), nullable=False, default="open", index=True)
    # Set by a later run: found again (True) or not any more (False), and by which run.
    still_open: Mapped[bool | None] = mapped_column(Boolean, nullable=True)
    rechecked_run_id: Mapped[int | None] = mapped_column(
        ForeignKey("inspection_run.id"), nullable=True
    )
    earlier_id: Mapped[int | None] = mapped_column(
        ForeignKey("inspection_finding.id"), nullable=True
    )
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"), nullable=True)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, nullable=False, default=utcnow)

    inspection: Mapped[Inspection] = relationship()
    run: Mapped[InspectionRun | None] = relationship(foreign_keys=[run_id])
    rechecked_run: Mapped[InspectionRun | None] = relationship(foreign_keys=[rechecked_run_id])
    earlier: Mapped[InspectionFinding | None] = relationship(remote_side="InspectionFinding.id")
    item: Mapped[IncomingItem | None] = relationship()

    @property
    def manual(self) -> bool:
        return self.run_id is None

    @property
    def key(self) -> tuple[str, str | None]:
        """What makes two runs' findings the same: the check and the case."""
        return self.code, self.reg_number


class InspectionSample(db.Model):
    """A case of the random sample and the inspector's checklist for it (None: not read yet)."""

    __tablename__ = "inspection_sample"
    __table_args__ = (UniqueConstraint("inspection_id", "item_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    inspection_id: Mapped[int] = mapped_column(
        ForeignKey("inspection.id"), nullable=False, index=True
    )
    position: Mapped[int] = mapped_column(Integer, nullable=False)
    item_id: Mapped[int] = mapped_column(ForeignKey("incoming_item.id"), nullable=False)
    answer_motivated: Mapped[str | None] = mapped_column(String(8), nullable=True)
    legislation_cited: Mapped[str | None] = mapped_column(String(8), nullable=True)
    complaint_explained: Mapped[str | None] = mapped_column(String(8), nullable=True)
    language_ok: Mapped[str | None] = mapped_column(String(8), nullable=True)
    remarks: Mapped[str] = mapped_column(Text, nullable=False, default="")
    checked_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"), nullable=True)
    checked_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime, nullable=True)

    item: Mapped[IncomingItem] = relationship()

    @property
    def checked(self) -> bool:
        return self.checked_at is not None

    def answers(self) -> dict[str, str | None]:
        return {name: getattr(self, name) for name in CHECKLIST}


class RemediationTask(WorkflowMixin, db.Model):
    """A finding sent to the subdivision's head with a term, kept on control (R-AUDIT-1)."""

    __tablename__ = "remediation_task"
    __workflow__ = "remediation"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    public_id: Mapped[str] = mapped_column(
        String(32), unique=True, nullable=False, default=new_public_id
    )
    finding_id: Mapped[int] = mapped_column(
        ForeignKey("inspection_finding.id"), nullable=False, unique=True
    )
    subdivision_id: Mapped[int] = mapped_column(
        ForeignKey("subdivision.id"), nullable=False, index=True
    )
    head_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"), nullable=True)
    term: Mapped[dt.date] = mapped_column(Date, nullable=False, index=True)
    instruction: Mapped[str] = mapped_column(Text, nullable=False, default="")
    sent_by_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"), nullable=False)
    sent_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, nullable=False, default=utcnow)
    report: Mapped[str | None] = mapped_column(Text, nullable=True)
    reported_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime, nullable=True)
    reported_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"), nullable=True)
    decided_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime, nullable=True)
    decision_comment: Mapped[str | None] = mapped_column(Text, nullable=True)

    finding: Mapped[InspectionFinding] = relationship()
    subdivision: Mapped[Subdivision] = relationship()
    head: Mapped[User | None] = relationship(foreign_keys=[head_id])
    sent_by: Mapped[User] = relationship(foreign_keys=[sent_by_id])
    reported_by: Mapped[User | None] = relationship(foreign_keys=[reported_by_id])

    def local_role_subdivisions(self) -> list[str]:
        """The subdivision's head has their local role on the task (docflow.core.security)."""
        return [self.subdivision.code]

    def is_overdue(self, today: dt.date) -> bool:
        """Not reported (or returned) and the term has passed."""
        return self.state in ("sent", "returned") and self.term < today


def inspection_by_public_id(public_id: str) -> Inspection | None:
    if not public_id or len(public_id) > 32:
        return None
    return db.session.scalar(select(Inspection).where(Inspection.public_id == public_id))


def finding_by_public_id(public_id: str) -> InspectionFinding | None:
    if not public_id or len(public_id) > 32:
        return None
    return db.session.scalar(
        select(InspectionFinding).where(InspectionFinding.public_id == public_id)
    )


def task_by_public_id(public_id: str) -> RemediationTask | None:
    if not public_id or len(public_id) > 32:
        return None
    return db.session.scalar(select(RemediationTask).where(RemediationTask.public_id == public_id))


def task_for_finding(finding_id: int) -> RemediationTask | None:
    return db.session.scalar(
        select(RemediationTask).where(RemediationTask.finding_id == finding_id)
    )
