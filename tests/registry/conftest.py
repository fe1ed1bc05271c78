"""Registry test helpers: ``almaty()`` builds Asia/Almaty times; fixtures live in tests/conftest.py."""

from __future__ import annotations

import datetime as dt

ALMATY = dt.timezone(dt.timedelta(hours=5))


def almaty(*args) -> dt.datetime:
    return dt.datetime(*args, tzinfo=ALMATY)
