"""Inspection test helpers: imported cases built event by event, and running the checks.

``imported(number, kind=…, received=…, events=[ev("assigned", "2026-03-03 09:30", …)])`` makes
a case-exchange record; ``import_cases([record, …])`` imports it through docflow.exchange's
importer; ``checks(date_from, date_to, as_of)`` runs the checks and gives the findings by
(reg_number, code). The shared fixtures (``users``, ``make_item``, ``routed``) come from
tests/fixtures.py and tests/conftest.py.
"""

from __future__ import annotations

import json
from typing import Any

import pytest

from docflow.extensions import db
from tests.protocols.conftest import akim_official, controller, make_request

# Reception fixtures for the native sign-up cases (``users``, ``make_item``, ``routed``: shared).
__all__ = ["akim_official", "controller", "make_request"]

TZ = "+05:00"
HEAD = {"login": "head.energy"}
EXEC = {"login": "exec.energy"}
EXEC2 = {"login": "exec2.energy"}
CONTROLLER = {"login": "controller"}


def at(text: str) -> str:
    """'2026-03-02 10:15' → an ISO time with the office's offset; a bare date → 12:00."""
    if len(text) == 10:
        text += " 12:00"
    return text.replace(" ", "T") + ":00" + TZ


def ev(etype: str, when: str, **fields: Any) -> dict[str, Any]:
    return {"type": etype, "at": at(when), **fields}


def answered(when: str, *, final=True, signed_by=HEAD, language="ru", character="satisfied"):
    return ev(
        "answered",
        when,
        final=final,
        signed_by=signed_by,
        outgoing_number="ИХ-" + when[:10],
        character=character,
        language=language,
    )


def notice(kind: str, when: str) -> dict[str, Any]:
    return ev("notice_sent", when, notice=kind, channel="post")


def extended(when: str, old: str, new: str, basis: str = "letter") -> dict[str, Any]:
    return ev("extended", when, basis=basis, old_due=old, new_due=new, by=HEAD, reason="сложный")


def imported(
    number: str,
    *,
    kind: str = "statement",
    received: str = "2026-03-02 10:15",
    registered: str | None = None,
    language: str = "ru",
    events: list[dict[str, Any]] | None = None,
    assign: bool = True,
    **fields: Any,
) -> dict[str, Any]:
    """A case as e-Otinish would export it: distributed to ENERGY, assigned to exec.energy."""
    base = [
        ev(
            "distributed",
            received[:10] + " 12:00",
            subdivision="ENERGY",
            responsible=True,
            by=CONTROLLER,
        )
    ]
    if assign:
        base.append(
            ev(
                "assigned",
                received[:10] + " 12:30",
                person=EXEC,
                subdivision="ENERGY",
                responsible=True,
                by=HEAD,
            )
        )
    record = {
        "reg_number": number,
        "kind": kind,
        "channel": "eotinish",
        "language": language,
        "received_at": at(received),
        "registered_at": at(registered or received),
        "applicants": [
            {
                "type": "individual",
                "iin": "900101300811",
                "full_name": "Серикбаев Нурлан",
                "address": "Алматы",
            }
        ],
        "summary": "Нет отопления",
        "district": "ALMALY",
        "events": sorted(base + list(events or []), key=lambda e: e["at"]),
    }
    record.update(fields)
    return record


@pytest.fixture
def import_cases(app):
    """Import records through docflow.exchange's importer (committed); returns the report."""
    from docflow.exchange.importer import import_cases as run

    def do(records: list[dict[str, Any]] | list[str], source: str = "e-otinish"):
        lines = [r if isinstance(r, str) else json.dumps(r, ensure_ascii=False) for r in records]
        report = run(iter(lines), source)
        db.session.commit()
        return report

    return do


@pytest.fixture
def checks(app):
    """``checks(from, to, as_of=None, …)`` → (the run, {(reg_number, code): finding})."""
    import datetime as dt

    from docflow.inspection.checks import run_checks

    def do(date_from: str, date_to: str, as_of: str | None = None, **kw):
        run = run_checks(
            date_from=dt.date.fromisoformat(date_from),
            date_to=dt.date.fromisoformat(date_to),
            as_of=dt.date.fromisoformat(as_of) if as_of else None,
            **kw,
        )
        return run, {(f.reg_number, f.check): f for f in run.findings}

    return do


# The fixtures of the inspections, reports and remediation tests (tests/inspection/inspect_world.py).
from tests.inspection.inspect_world import energy_items, inspection  # noqa: E402, F401
