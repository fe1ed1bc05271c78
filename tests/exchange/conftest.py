"""Case exchange test helpers: a valid case record, importing lines, the sample file."""

from __future__ import annotations

import copy
import json
from pathlib import Path

import pytest

from docflow.extensions import db

# A copy of ../shared/samples/cases/history.jsonl (151 cases exported from e-Otinish).
SAMPLE = Path(__file__).parent / "data" / "history.jsonl"

APPLICANT = {
    "type": "individual",
    "iin": "900101300811",
    "full_name": "Сейткали Марат Ержанович",
    "address": "Алматы, Абая 5",
}
CASE = {
    "reg_number": "ЖТ-2026-90000001",
    "kind": "complaint",
    "channel": "eotinish",
    "language": "ru",
    "received_at": "2026-03-02T10:15:00+05:00",
    "registered_at": "2026-03-02T10:40:00+05:00",
    "start_date": "2026-03-02",
    "deadline": "2026-04-02",
    "applicants": [APPLICANT],
    "collective": False,
    "summary": "В доме по ул. Абая 5 нет горячей воды уже месяц",
    "district": "ALMALY",
    "topic": None,
    "from_reception": False,
    "is_duplicate_of": None,
    "parent_id": None,
    "has_been_hearing": False,
    "prolong_count": 0,
    "prolong_days": 0,
    "rating": 4,
    "status": "Исполнено",
    "events": [
        {
            "type": "distributed",
            "at": "2026-03-02T12:00:00+05:00",
            "subdivision": "ENERGY",
            "responsible": True,
            "by": {"login": "controller"},
        },
        {
            "type": "assigned",
            "at": "2026-03-03T09:30:00+05:00",
            "person": {"login": "exec.energy"},
            "subdivision": "ENERGY",
            "responsible": True,
            "by": {"login": "head.energy"},
        },
        {
            "type": "answered",
            "at": "2026-03-20T16:00:00+05:00",
            "final": True,
            "signed_by": {"login": "head.energy"},
            "outgoing_number": "ИХ-2026-000311",
            "character": "satisfied",
            "language": "ru",
        },
        {
            "type": "removed_from_control",
            "at": "2026-03-23T10:00:00+05:00",
            "by": {"login": "controller"},
        },
        {"type": "rated", "at": "2026-03-25T08:00:00+05:00", "rating": 4},
    ],
}


def case(**changes) -> dict:
    record = copy.deepcopy(CASE)
    record.update(changes)
    return record


def line(record: dict) -> str:
    return json.dumps(record, ensure_ascii=False) + "\n"


@pytest.fixture
def import_lines(app):
    """``import_lines([record or str, …], source=…, replace=…)`` → the report (committed)."""
    from docflow.exchange.importer import import_cases

    def run(rows, source="e-otinish", replace=False):
        lines = [r if isinstance(r, str) else line(r) for r in rows]
        try:
            report = import_cases(iter(lines), source, replace=replace)
        except Exception:
            db.session.rollback()
            raise
        db.session.commit()
        return report

    return run
