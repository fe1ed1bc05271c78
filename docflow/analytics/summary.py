"""``flask analytics summary``: the period's figures and its emerging problems, as JSON."""

from __future__ import annotations

import datetime as dt
from typing import Any

from docflow.analytics.problems import find_problems
from docflow.analytics.queries import Filters, breakdown


def _counts(rows: list[dict[str, Any]], *, skip_empty: bool) -> dict[str, int]:
    return {r["value"]: r["n"] for r in rows if r["value"] or not skip_empty}


def summary(
    date_from: dt.date,
    date_to: dt.date,
    *,
    subdivisions: list[str] | None = None,
    districts: list[str] | None = None,
) -> dict[str, Any]:
    """``{"total", "by_kind", "by_subdivision", "by_district", "by_channel", "rating_mean",
    "problems"}`` — native and imported cases alike; a case without a responsible subdivision
    (or district) is not counted under ``by_subdivision`` (``by_district``)."""
    filters = Filters(date_from, date_to, list(subdivisions or []), list(districts or []))
    by_subdivision = breakdown(filters, "subdivision")
    return {
        "total": sum(r["n"] for r in breakdown(filters, "kind")),
        "by_kind": _counts(breakdown(filters, "kind"), skip_empty=False),
        "by_subdivision": _counts(by_subdivision, skip_empty=True),
        "by_district": _counts(breakdown(filters, "district"), skip_empty=True),
        "by_channel": _counts(breakdown(filters, "channel"), skip_empty=False),
        "rating_mean": {
            r["value"]: r["rating_mean"]
            for r in by_subdivision
            if r["value"] and r["rating_mean"] is not None
        },
        "problems": [
            p.to_json()
            for p in find_problems(
                date_from, date_to, subdivisions=subdivisions, districts=districts
            )
        ],
    }
