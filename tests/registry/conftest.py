"""Registry test helpers: ``almaty()`` builds Asia/Almaty times; fixtures live in tests/conftest.py."""

from __future__ import annotations

import datetime as dt

import pytest

ALMATY = dt.timezone(dt.timedelta(hours=5))


def almaty(*args) -> dt.datetime:
    return dt.datetime(*args, tzinfo=ALMATY)


@pytest.fixture
def on_arrival_day(monkeypatch):
    """Today is Friday 20 November 2026, the day these tests' documents arrive: registering
    them is on time (a later registration needs a reason: tests/registry/test_arrival_date.py)."""
    from docflow.core.calendar import WorkingCalendar

    monkeypatch.setattr(
        WorkingCalendar, "local_now", lambda self: dt.datetime(2026, 11, 20, 9, 0, tzinfo=self.tz)
    )
