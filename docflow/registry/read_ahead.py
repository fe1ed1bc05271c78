"""What a registration looks up before it takes the SQLite write lock, caught up under it.

A registration looks at other registrations twice: for a likely duplicate (``duplicates``) and
for the applicant's earlier cases (``repeats``, R-ROUTE-4). Under the write lock those reads took
about half of the time the lock was held, and SQLite writers take turns on it (issue 13: the
lock's time is the office's registrations per second). So the API reads them first, in its
read transaction, and notes the newest item id it saw (the *horizon*). Under the lock the
registration asks only whether items were registered since (``moved``) and looks at those alone:
on SQLite writers commit one at a time and take ids in that order, so every item the reads
missed has an id above the horizon, and the result is the one a read under the lock gives.

On PostgreSQL ids come from a sequence ahead of the commit (a later commit can hold a lower id),
so a horizon would not tell what the reads missed: there ``read()`` gives None and the
registration reads under its locks, as every other path does.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from types import SimpleNamespace
from typing import Any

from sqlalchemy import func, select

from docflow.core.security import Permission, has_permission
from docflow.extensions import db
from docflow.registry import duplicates, repeats
from docflow.registry.models import IncomingItem


@dataclass
class ReadAhead:
    horizon: int  # the newest item id the reads saw
    arrived: dt.datetime  # the arrival time they were made for (the item's, unless given)
    duplicate: IncomingItem | None = None  # a likely duplicate the user confirmed
    candidates: list[repeats.Candidate] = field(default_factory=list)
    summary: str = ""
    moved: bool = True  # items registered since the reads (until ``catch_up`` says otherwise)

    def catch_up(self) -> None:
        """Under the write lock: were items registered since the reads?"""
        newest = db.session.scalar(select(func.max(IncomingItem.id))) or 0
        self.moved = newest > self.horizon

    def candidates_of(self, item: IncomingItem) -> list[repeats.Candidate]:
        """The item's candidates: those read ahead and, if items were registered since, theirs
        (the same order and number as ``repeats.find_candidates`` gives under the lock)."""
        if item.summary != self.summary:  # not the registration read for: read it all again
            return repeats.find_candidates(
                item.applicants, item.summary, exclude_id=item.id, before=item
            )
        found = {c.item.id: c for c in self.candidates}
        if self.moved:
            for c in repeats.find_candidates(
                item.applicants,
                item.summary,
                exclude_id=item.id,
                before=item,
                newer_than=self.horizon,
            ):
                found[c.item.id] = c
        return sorted(found.values(), key=lambda c: (-c.score, -c.item.id))[:CANDIDATES]


CANDIDATES = 10  # as ``repeats.find_candidates``


def read(data: Any, actor: Any) -> ReadAhead | None:
    """The registration's lookups of other items, before the write lock (SQLite only; None:
    read them under the lock). Raises ``duplicates.LikelyDuplicate`` as the registration would."""
    if db.session.get_bind().dialect.name != "sqlite":
        return None
    if not has_permission(actor, Permission.REGISTER):
        return None  # the registration refuses (nothing of other items is looked at)
    key = data.idempotency_key
    if key and db.session.scalar(
        select(IncomingItem.id).where(IncomingItem.idempotency_key == key)
    ):
        return None  # sent again: the registration answers with the first (no duplicate asked)
    horizon = db.session.scalar(select(func.max(IncomingItem.id))) or 0
    arrived = data.arrived_at or dt.datetime.now(dt.UTC)
    summary = (data.summary or "").strip()
    ahead = ReadAhead(horizon=horizon, arrived=arrived, summary=summary)
    ahead.duplicate = duplicates.check(data, actor)
    if not data.imported:
        before = SimpleNamespace(arrived_at=arrived, id=horizon + 1)  # the item, to come
        ahead.candidates = repeats.find_candidates(
            data.applicants, summary, limit=CANDIDATES, before=before
        )
    return ahead
