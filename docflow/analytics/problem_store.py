"""Emerging-problems scans kept in the database, shared by every process.

A scan reads every cell-day of the district × topic rollup in the period — about 130,000 rows for
a year of a million cases, half a second to a second and a half — so its result is
*materialised*: stored under the period, filters and settings with the drains counter
(``facts.DRAIN_LOCK``) it was computed at. Any web process or worker reuses a stored scan while
no drain happened since, and for up to ``ANALYTICS_PROBLEMS_MAX_AGE`` seconds after one did (a
problem is a matter of days, not of the last registration). The task ``analytics.warm_problems``
(Celery beat, every five minutes; ``flask analytics warm`` by hand or from cron) keeps the
dashboard's own periods computed, so the department head never waits for a scan; a period
chosen by hand is scanned at its first view.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.exc import IntegrityError

from docflow.analytics.models import ProblemScan
from docflow.core.db import utcnow
from docflow.extensions import db

# Periods kept computed, in days ending today: the dashboard's default (analytics.views
# DEFAULT_DAYS) and a year.
WARM_PERIOD_DAYS = (90, 365)


def key_of(date_from: dt.date, date_to: dt.date, scope: tuple, conf: dict[str, Any]) -> str:
    raw = repr((date_from.isoformat(), date_to.isoformat(), scope, sorted(conf.items())))
    return hashlib.sha256(raw.encode()).hexdigest()


def _to_json(p) -> dict[str, Any]:
    return {
        "district": p.district,
        "topic": p.topic,
        "topic_code": p.topic_code,
        "count": p.count,
        "first": p.first.isoformat(),
        "last": p.last.isoformat(),
        "expected": p.expected,
        "p_value": p.p_value,
        "item_ids": p.item_ids,
        "subdivision": p.subdivision,
        "reg_numbers": p.reg_numbers,
        "public_ids": p.public_ids,
    }


def _from_json(d: dict[str, Any]):
    from docflow.analytics.problems import Problem

    return Problem(
        district=d["district"],
        topic=d["topic"],
        topic_code=d["topic_code"],
        count=int(d["count"]),
        first=dt.date.fromisoformat(d["first"]),
        last=dt.date.fromisoformat(d["last"]),
        expected=float(d["expected"]),
        p_value=float(d["p_value"]),
        item_ids=list(d["item_ids"]),
        subdivision=d["subdivision"],
        reg_numbers=list(d["reg_numbers"]),
        public_ids=list(d["public_ids"]),
    )


def load(key: str, drains: int, max_age: float) -> list | None:
    """The stored scan under ``key`` if still good: no drain since, or younger than
    ``max_age`` seconds."""
    row = db.session.scalar(select(ProblemScan).where(ProblemScan.key == key))
    if row is None:
        return None
    computed = row.computed_at
    if computed.tzinfo is None:
        computed = computed.replace(tzinfo=dt.UTC)
    if row.drains != drains and (utcnow() - computed).total_seconds() >= max_age:
        return None
    return [_from_json(d) for d in row.result]


def save(key: str, drains: int, problems: list) -> None:
    """Store a scan (replacing the older one under the key) and commit; a scan another process
    stored at the same moment wins, silently."""
    result = [_to_json(p) for p in problems]
    try:
        with db.session.begin_nested():
            row = db.session.scalar(select(ProblemScan).where(ProblemScan.key == key))
            if row is None:
                db.session.add(ProblemScan(key=key, drains=drains, result=result))
            else:
                row.drains, row.computed_at, row.result = drains, utcnow(), result
        db.session.commit()
    except IntegrityError:
        db.session.rollback()


def forget_all() -> None:
    """Drop every stored scan (after the aggregates were rebuilt)."""
    db.session.execute(delete(ProblemScan))


def warm(today: dt.date) -> int:
    """Compute (or confirm) the scans of ``WARM_PERIOD_DAYS`` ending ``today``; returns how
    many periods were looked at."""
    from docflow.analytics.problems import find_problems

    for days in WARM_PERIOD_DAYS:
        find_problems(today - dt.timedelta(days=days - 1), today)
    return len(WARM_PERIOD_DAYS)
