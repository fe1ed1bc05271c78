"""Helpers of the inspection tests (inspections, reports, remediation): an inspection over cases
registered in November 2026, and a check runner that reports given findings (the automatic
checks themselves are tested in test_checks_*.py; here what matters is what a run stores)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

import pytest

from docflow.extensions import db
from docflow.inspection import operations as ops

PERIOD = (dt.date(2026, 11, 1), dt.date(2026, 11, 30))


@dataclass
class FakeFinding:
    check: str
    rule: str
    severity: str
    item_id: int | None
    reg_number: str | None
    item_public_id: str | None
    subdivision_code: str | None
    evidence: str
    facts: dict[str, Any] = field(default_factory=dict)


@dataclass
class FakeRun:
    checked: int
    not_judged: dict[str, int]
    findings: list[FakeFinding]


def finding(item, code: str = "ANSWER_LATE", severity: str = "high", **kw) -> FakeFinding:
    return FakeFinding(
        check=code,
        rule=kw.pop("rule", "R-DEADLINE-1, R-KIND-2"),
        severity=severity,
        item_id=item.id,
        reg_number=item.reg_number,
        item_public_id=item.public_id,
        subdivision_code=kw.pop("subdivision", item.subdivision.code if item.subdivision else None),
        evidence=kw.pop("evidence", f"{item.reg_number}: answered 2026-12-20, due 2026-12-15."),
        facts=kw.pop("facts", {"due": dt.date(2026, 12, 15), "answered": "2026-12-20"}),
    )


class Runner:
    """A check runner giving ``findings``; remembers what it was asked."""

    def __init__(self, findings: list[FakeFinding], checked: int = 10, not_judged=None) -> None:
        self.findings, self.checked = findings, checked
        self.not_judged = not_judged or {}
        self.calls: list[dict[str, Any]] = []

    def __call__(self, **kwargs: Any) -> FakeRun:
        self.calls.append(kwargs)
        return FakeRun(self.checked, dict(self.not_judged), list(self.findings))


@pytest.fixture
def inspection(users):
    """An inspection of ENERGY and EDU in November 2026, by the demo inspector."""
    i = ops.create_inspection(
        users["inspector"],
        title="ENERGY and EDU, November 2026",
        date_from=PERIOD[0],
        date_to=PERIOD[1],
        subdivisions=["ENERGY", "EDU"],
    )
    db.session.commit()
    return i


@pytest.fixture
def energy_items(make_item, users):
    """Three cases registered in November, sent to ENERGY; one sent to EDU."""
    from docflow.routing import operations as routing
    from tests.registry.conftest import almaty

    items = []
    for n, code in enumerate(["ENERGY", "ENERGY", "ENERGY", "EDU"]):
        item = make_item(arrived_at=almaty(2026, 11, 3 + n, 10, 0))
        routing.distribute(item, users["controller"], [code])
        items.append(item)
    db.session.commit()
    return items
