"""Stored values in words, for the readable history (docflow.core.history_text).

Summary keys get readable names (``register_field_titles``: "due_date" → "due date", in the
reader's language); values read as a person writes them: dates in the locale's one format,
yes/no, lists joined, rule ids as the law's article — never JSON syntax.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any

from flask_babel import gettext as _

from docflow.core.rules_text import rule_words_text

MAX_VALUE = 80  # characters of one value in a sentence

_field_titles: dict[str, Any] = {}


def register_field_titles(titles: Mapping[str, Any]) -> None:
    """Readable names of summary/column keys, for generic sentences ("due_date" → "due date")."""
    _field_titles.update(titles)


def field_title(key: str) -> str:
    title = _field_titles.get(key)
    return str(title) if title is not None else key.replace("_", " ")


def value_text(value: Any) -> str:
    """A summary value as a reader sees it: dates in the locale's format, no JSON syntax."""
    from docflow.i18n import format_date, format_datetime

    if value is None or value == "":
        return "—"
    if isinstance(value, bool):
        return _("yes") if value else _("no")
    if isinstance(value, dt.datetime):
        return format_datetime(value)
    if isinstance(value, dt.date):
        return format_date(value)
    if isinstance(value, str):
        parsed = _parse_moment(value)
        if parsed is not None:
            return (
                format_datetime(parsed) if isinstance(parsed, dt.datetime) else format_date(parsed)
            )
        text = rule_words_text(value)
        return text if len(text) <= MAX_VALUE else text[: MAX_VALUE - 1].rstrip() + "…"
    if isinstance(value, list | tuple):
        return ", ".join(value_text(v) for v in value) if value else "—"
    if isinstance(value, dict):
        return "; ".join(f"{field_title(str(k))}: {value_text(v)}" for k, v in value.items())
    return str(value)


def _parse_moment(text: str) -> dt.date | dt.datetime | None:
    if len(text) == 10 and text[4] == "-" and text[7] == "-":
        try:
            return dt.date.fromisoformat(text)
        except ValueError:
            return None
    if 19 <= len(text) <= 40 and text[4] == "-" and text[10] in "T ":
        try:
            moment = dt.datetime.fromisoformat(text.replace("Z", "+00:00"))
        except ValueError:
            return None
        return moment if moment.tzinfo else moment.replace(tzinfo=dt.UTC)
    return None
