"""Holiday names in the reader's language (issue 14: one language at a time).

The working calendar (``docflow.core.calendar``) keeps the ``holidays`` package's en_US labels
("Nowruz Holiday (observed)", "Day off (substituted from 05/04/2024)"): the CLI prints them and
the term code only asks whether a day is a holiday. A page shows a day's name through
``holiday_name(day, name)``:

- **kk**: the package's own Kazakh label of that day ("Наурыз мейрамы (қайта белгіленген
  демалыс)"); the package writes its dates as 04.05.2024, the kk/ru format.
- **ru**: the package has no Russian, so ``RU_NAMES`` below (the names of the Law on holidays)
  translates each en_US label; a name it does not know is shown in Kazakh, the state language,
  never in English.
- **en**: the package's label, its MM/DD/YYYY date rewritten in the locale's one format.

A name that is not the package's label of that day is the office's own note on a profile day
(an administrator's text, shown as written) or one of the calendar's fixed labels ("Day off
(profile)", "Working day (day off moved to 2026-03-07)"), which are translated.
"""

from __future__ import annotations

import re
from datetime import date
from functools import lru_cache

import holidays
from flask_babel import force_locale, get_locale
from flask_babel import gettext as _

# en_US base name → Russian (Law of the RK "On holidays", art. 1–2).
RU_NAMES = {
    "New Year's Day": "Новый год",
    "Orthodox Christmas": "Православное Рождество",
    "International Women's Day": "Международный женский день",
    "Nowruz Holiday": "Наурыз мейрамы",
    "Kazakhstan's People Solidarity Holiday": "Праздник единства народа Казахстана",
    "Defender of the Fatherland Day": "День защитника Отечества",
    "Victory Day": "День Победы",
    "Capital Day": "День Столицы",
    "Eid al-Adha": "Курбан айт",
    "Constitution Day": "День Конституции Республики Казахстан",
    "Republic Day": "День Республики",
    "Independence Day": "День Независимости",
    "First President Day": "День Первого Президента Республики Казахстан",
}
RU_SUFFIXES = {"observed": "перенесённый выходной", "estimated": "ориентировочно"}

_SUFFIX_RE = re.compile(r"^(?P<base>.*?)(?: \((?P<suffix>observed|estimated)\))?$")
_SUBSTITUTED_RE = re.compile(r"^Day off \(substituted from (\d{1,2})/(\d{1,2})/(\d{4})\)$")
_MOVED_TO_RE = re.compile(r"^Working day \(day off moved to (\d{4})-(\d\d)-(\d\d)\)$")


@lru_cache(maxsize=64)
def _package_names(year: int, language: str) -> dict[date, str]:
    """The ``holidays`` package's KZ names of ``year`` in ``language`` (en_US or kk)."""
    return dict(holidays.country_holidays("KZ", years=year, language=language).items())


def _lang(lang: str | None) -> str:
    if lang:
        return lang
    try:
        return str(get_locale() or "kk")
    except (RuntimeError, AttributeError):
        return "kk"


def holiday_name(day: date, name: str | None, lang: str | None = None) -> str:
    """``name`` — the calendar's label of ``day`` — as the reader of ``lang`` (default: the
    page's locale) reads it; "" for no name."""
    if not name:
        return ""
    if lang is None:
        return _shown(day, name, _lang(None))
    with force_locale(lang):  # the messages and dates below follow ``lang`` too
        return _shown(day, name, lang)


def _shown(day: date, name: str, lang: str) -> str:
    if _package_names(day.year, "en_US").get(day) == name:
        return _statutory(day, name, lang)
    return _fixed_label(name)


def _statutory(day: date, name: str, lang: str) -> str:
    from docflow.i18n import format_date

    kazakh = _package_names(day.year, "kk").get(day, name)
    if lang == "kk":
        return kazakh
    moved = _SUBSTITUTED_RE.match(name)
    if moved:
        month, dom, year = (int(x) for x in moved.groups())
        return _("Day off (moved from %(date)s)", date=format_date(date(year, month, dom)))
    if lang != "ru":
        return name
    parts = []
    for part in name.split("; "):
        m = _SUFFIX_RE.match(part)
        base, suffix = m.group("base"), m.group("suffix")
        if base not in RU_NAMES:
            return kazakh
        parts.append(RU_NAMES[base] + (f" ({RU_SUFFIXES[suffix]})" if suffix else ""))
    return "; ".join(parts)


def _fixed_label(name: str) -> str:
    """The calendar's own English labels translated; an administrator's note as written."""
    from docflow.i18n import format_date

    if name == "Day off (profile)":
        return _("Day off (profile)")
    if name == "Working day":
        return _("Working day")
    moved = _MOVED_TO_RE.match(name)
    if moved:
        year, month, dom = (int(x) for x in moved.groups())
        return _(
            "Working day (day off moved to %(date)s)", date=format_date(date(year, month, dom))
        )
    return name
