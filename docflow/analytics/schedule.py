"""Reports on a schedule: each configured report for the period that has just ended.

The setting ``analytics.schedule`` (default below) names which reports are made and how often;
``flask analytics scheduled`` (run daily by cron or a systemd timer) writes every report whose
period has ended and that is not there yet into the reports folder, in Kazakh and Russian, DOCX and
PDF. Running it twice writes nothing new; a missed day is caught up on the next run (the latest
ended period of each report is made).
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from docflow.analytics import reports
from docflow.core.settings import get_setting

DEFAULT_SCHEDULE = {
    "weekly_ratings": "weekly",
    "quarterly_petitions": "quarterly",
    "half_year_note": "half-year",
    "receptions_meetings": "quarterly",
}
EVERY = ("weekly", "monthly", "quarterly", "half-year")


def last_ended(every: str, today: dt.date) -> tuple[dt.date, dt.date]:
    """The latest whole period of that length ending before ``today``."""
    if every == "weekly":
        end = today - dt.timedelta(days=today.weekday() + 1)  # last Sunday
        return end - dt.timedelta(days=6), end
    months = {"monthly": 1, "quarterly": 3, "half-year": 6}[every]
    first_month = ((today.month - 1) // months) * months + 1
    current = today.replace(month=first_month, day=1)
    end = current - dt.timedelta(days=1)
    start_month = ((end.month - 1) // months) * months + 1
    return end.replace(month=start_month, day=1), end


def schedule() -> dict[str, str]:
    conf = (get_setting("analytics") or {}).get("schedule")
    chosen = conf if isinstance(conf, dict) else DEFAULT_SCHEDULE
    return {k: v for k, v in chosen.items() if k in reports.KINDS and v in EVERY}


def run(today: dt.date, folder: Path) -> list[Path]:
    folder.mkdir(parents=True, exist_ok=True)
    written: list[Path] = []
    for kind, every in schedule().items():
        start, end = last_ended(every, today)
        for lang in reports.LANGUAGES:
            built = None
            for fmt in reports.FORMATS:
                path = folder / f"{kind}-{start.isoformat()}-{end.isoformat()}-{lang}.{fmt}"
                if path.exists():
                    continue
                built = built or reports.build(kind, start, end, lang)
                data = reports.to_docx(built) if fmt == "docx" else reports.to_pdf(built)
                tmp = path.with_suffix(path.suffix + ".part")
                tmp.write_bytes(data)
                tmp.replace(path)  # never a half-written report under its real name
                written.append(path)
    return written
