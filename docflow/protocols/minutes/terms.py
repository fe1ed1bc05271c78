"""Dates and terms: absolute dates and relative terms counted on the office calendar."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from typing import TYPE_CHECKING, Any

from docflow.core.calendar import add_months

if TYPE_CHECKING:
    from docflow.core.calendar import WorkingCalendar

from docflow.protocols.minutes.text import _squash, clean, fold1

# --- dates and terms ---------------------------------------------------------------------------

_RU_MONTH_RX = (
    r"(январ[ьяе]|феврал[ьяе]|марта|марте|март|апрел[ьяе]|ма[ияе]|июн[ьяе]|июл[ьяе]|августа|"
    r"августе|август|сентябр[ьяе]|октябр[ьяе]|ноябр[ьяе]|декабр[ьяе])(?![а-я])"
)
_RU_MONTHS = {
    "январ": 1,
    "феврал": 2,
    "март": 3,
    "апрел": 4,
    "ма": 5,
    "июн": 6,
    "июл": 7,
    "август": 8,
    "сентябр": 9,
    "октябр": 10,
    "ноябр": 11,
    "декабр": 12,
}
_KK_MONTHS = {
    "кантар": 1,
    "акпан": 2,
    "наурыз": 3,
    "сауир": 4,
    "мамыр": 5,
    "маусым": 6,
    "шилде": 7,
    "тамыз": 8,
    "кыркуиек": 9,
    "казан": 10,
    "караша": 11,
    "желтоксан": 12,
}
_KK_MONTH_RX = "(" + "|".join(_KK_MONTHS) + ")"
_KK_SUFFIX_RX = (
    r"(?:дагы|деги|тагы|теги|нан|нен|дан|ден|тан|тен|нын|нин|дын|дин|тын|тин|га|ге|ка|ке|да|"
    r"де|та|те|ы|и)?(?![а-я])"
)
_DAY_RX = r"«?\s*(\d{1,2})\s*»?"
_YEAR_SUFFIX_RX = r"(?:\s*(?:ж\.|жылгы|жылдын|жыл|г\.|года|год|гг\.|г(?![а-я])))?"
_DATE_PATTERNS = [
    (
        "kk_y",
        re.compile(
            rf"(?<!\d)(\d{{4}})\s*(?:ж\.|жылгы|жылдын|жыл)\s*{_DAY_RX}\s*{_KK_MONTH_RX}{_KK_SUFFIX_RX}"
        ),
    ),
    (
        "ru",
        re.compile(
            rf"(?<!\d){_DAY_RX}\s*{_RU_MONTH_RX}(?:\s*(\d{{4}})\s*(?:года|год|г\.|г(?![а-я]))?)?"
        ),
    ),
    (
        "kk",
        re.compile(
            rf"(?<!\d){_DAY_RX}\s*{_KK_MONTH_RX}{_KK_SUFFIX_RX}(?:\s*(\d{{4}}){_YEAR_SUFFIX_RX})?"
        ),
    ),
    ("num", re.compile(r"(?<![\d.])(\d{1,2})[./](\d{1,2})[./](\d{4}|\d{2})(?![\d])")),
    ("iso", re.compile(r"(?<!\d)(\d{4})-(\d{1,2})-(\d{1,2})(?!\d)")),
]


@dataclass
class _FoundDate:
    start: int
    end: int
    value: date | None
    has_year: bool


def find_dates(text: str, default_year: int | None = None) -> list[_FoundDate]:
    """Dates written in ``text`` (Russian, Kazakh, numeric), in order; invalid ones as None."""
    t = fold1(clean(text))
    found: list[_FoundDate] = []
    taken: list[tuple[int, int]] = []
    for kind, rx in _DATE_PATTERNS:
        for m in rx.finditer(t):
            if any(m.start() < e and s < m.end() for s, e in taken):
                continue
            year: int | None
            if kind == "kk_y":
                year, day, month = int(m.group(1)), int(m.group(2)), _KK_MONTHS[m.group(3)]
            elif kind == "ru":
                day = int(m.group(1))
                word = m.group(2)
                month = next(v for k, v in _RU_MONTHS.items() if word.startswith(k))
                year = int(m.group(3)) if m.group(3) else None
            elif kind == "kk":
                day, month = int(m.group(1)), _KK_MONTHS[m.group(2)]
                year = int(m.group(3)) if m.group(3) else None
            elif kind == "num":
                day, month, y = int(m.group(1)), int(m.group(2)), m.group(3)
                year = int(y) + 2000 if len(y) == 2 else int(y)
            else:
                year, month, day = int(m.group(1)), int(m.group(2)), int(m.group(3))
            has_year = year is not None
            if year is None:
                year = default_year
            value = None
            if year is not None:
                try:
                    value = date(year, month, day)
                except ValueError:
                    value = None
            found.append(_FoundDate(m.start(), m.end(), value, has_year))
            taken.append((m.start(), m.end()))
    found.sort(key=lambda f: f.start)
    return found


@dataclass
class Term:
    """A term as written and as understood. ``kind``: date | working_days | calendar_days |
    months | weeks | none (written as «—») | missing | unreadable."""

    raw: str
    due: date | None
    kind: str
    count: int | None = None
    problem: str | None = None
    warning: str | None = None

    @property
    def confidence(self) -> float:
        if self.due is None:
            return 0.0
        return 0.9 if self.warning else 1.0

    def to_dict(self) -> dict[str, Any]:
        return {
            "raw": self.raw,
            "due": self.due.isoformat() if self.due else None,
            "kind": self.kind,
            "count": self.count,
            "confidence": self.confidence,
            "problem": self.problem,
            "warning": self.warning,
        }


_NUM_WORDS = {
    "один": 1,
    "одного": 1,
    "одну": 1,
    "два": 2,
    "двух": 2,
    "три": 3,
    "трех": 3,
    "пять": 5,
    "пяти": 5,
    "семь": 7,
    "семи": 7,
    "десять": 10,
    "десяти": 10,
    "пятнадцать": 15,
    "пятнадцати": 15,
    "двадцать": 20,
    "двадцати": 20,
    "тридцать": 30,
    "тридцати": 30,
    "бир": 1,
    "еки": 2,
    "уш": 3,
    "бес": 5,
    "жети": 7,
    "он": 10,
    "он бес": 15,
    "жиырма": 20,
    "отыз": 30,
}
_ADJ_DAYS = {
    "одно": 1,
    "двух": 2,
    "трех": 3,
    "пяти": 5,
    "семи": 7,
    "десяти": 10,
    "пятнадцати": 15,
    "двадцати": 20,
    "тридцати": 30,
}
_N = (
    r"(\d{1,3}|он\s+бес|"
    + "|".join(sorted((k for k in _NUM_WORDS if " " not in k), key=len, reverse=True))
    + r")"
)
_P = r"(?:\s*\([^)]{0,40}\))?"
_TERM_PATTERNS: list[tuple[str, re.Pattern[str]]] = [
    (
        "working_days",
        re.compile(rf"\b{_N}{_P}(?:\s*-?\s*(?:ти|х|и|ми))?\s+рабоч\w*\s+(?:дн\w*|день)"),
    ),
    (
        "calendar_days",
        re.compile(rf"\b{_N}{_P}(?:\s*-?\s*(?:ти|х|и|ми))?\s+календарн\w*\s+(?:дн\w*|день)"),
    ),
    ("working_days", re.compile(rf"\b{_N}{_P}\s+жумыс\s+кун\w*")),
    ("calendar_days", re.compile(rf"\b{_N}{_P}\s+кунтизбелик\s+кун\w*")),
    (
        "days?",
        re.compile(
            rf"\bв\s+течени[еи]\s+{_N}{_P}(?:\s*-?\s*(?:ти|х|и|ми))?\s+(?:дн\w*|день|суток)"
        ),
    ),
    ("days?", re.compile(rf"\b{_N}{_P}\s+кун\w*\s+(?:ишинде|мерзимде|ишине|колеминде)")),
    ("days?", re.compile(r"\b(\d{1,3})\s*-?\s*(?:ти|х|и)?\s*-?\s*дневн\w*")),
    ("days?", re.compile(r"\b(" + "|".join(_ADJ_DAYS) + r")дневн\w*")),
    ("months", re.compile(r"\b(?:в\s+)?(месячн)\w*\s+срок")),
    ("months", re.compile(r"\b(двух|трех)\s*месячн\w*\s+срок")),
    ("months", re.compile(r"\bв\s+течени[еи]\s+(месяца)\b")),
    ("months", re.compile(rf"\bв\s+течени[еи]\s+{_N}{_P}\s+месяц\w*")),
    ("months", re.compile(rf"(?:\b{_N}\s+)?(?<![а-я])(аи)\s+(?:ишинде|мерзимде|ишине|колеминде)")),
    ("months", re.compile(r"\b(аилык)\s+мерзим\w*")),
    ("weeks", re.compile(rf"\bв\s+течени[еи]\s+(?:{_N}{_P}\s+)?недел\w*")),
    ("weeks", re.compile(r"\b(недельн)\w*\s+срок")),
    ("weeks", re.compile(rf"(?:\b{_N}\s+)?\b(апта)\s+(?:ишинде|мерзимде|колеминде)")),
]
_TERM_NEEDLES = [
    ("рабоч",),
    ("календар",),
    ("жумыс",),
    ("кунтизбелик",),
    ("дн", "ден", "сут"),
    ("кун",),
    ("дневн",),
    ("дневн",),
    ("месячн",),
    ("месячн",),
    ("месяц",),
    ("месяц",),
    ("аи",),
    ("аилык",),
    ("недел",),
    ("недельн",),
    ("апта",),
]
_TERM_HINT = re.compile("|".join(sorted({n for ns in _TERM_NEEDLES for n in ns})))
_NO_TERM = re.compile(
    r"^[\s\-–—.,]*(?:нет|жок|не\s+установлен\w*|белгиленбеген|без\s+срока)?[\s\-–—.]*$"
)
_NO_DATE_WORDS = re.compile(
    r"незамедлительно|немедленно|срочно|дереу|шугыл|постоянно|на\s+постоянн|туракты|ежемесячно|"
    r"ежеквартально|ежегодно|по\s+мере|по\s+необходимости|на\s+контроле"
)
_TERM_MARK_BEFORE = re.compile(
    r"(?:\bдо|\bне\s+позднее|\bне\s+позже|\bк|\bсрок\w*|\bмерзим\w*|\bдеиин)\s*[:\-–—]?\s*$"
)
_TERM_MARK_AFTER = re.compile(
    r"^\s*(?:ж\.|жылгы|жылга|жылдын|г\.|года)?\s*(?:дейин|деиин|деин|шеиин|шеин)"
)


def _number(word: str | None) -> int | None:
    if word is None:
        return 1
    word = re.sub(r"\s+", " ", word)
    if word.isdigit():
        return int(word)
    if word in ("месячн", "аи", "аилык", "месяца", "недельн", "апта"):
        return 1
    if word in _ADJ_DAYS:
        return _ADJ_DAYS[word]
    return _NUM_WORDS.get(word)


def _count(
    calendar: WorkingCalendar,
    start: date,
    unit: str,
    n: int,
    memo: dict[tuple[date, str, int], date],
) -> date:
    """Due date of an n-unit term from ``start`` (R-DEADLINE-1 convention for working days)."""
    key = (start, unit, n)
    due = memo.get(key)
    if due is None:
        if unit == "working_days":
            due = calendar.add_working_days(start, n)
        elif unit == "calendar_days":
            due = calendar.add_calendar_days(start, n)
        elif unit == "weeks":
            due = calendar.add_calendar_days(start, 7 * n)
        else:
            due = calendar.next_working_day(add_months(start, n), include_self=True)
        memo[key] = due
    return due


def parse_term(
    raw: str | None,
    start: date | None,
    calendar: WorkingCalendar,
    *,
    free: bool = False,
    memo: dict[tuple[date, str, int], date] | None = None,
) -> Term:
    """Read a term (R-PROT-3): absolute dates, or relative terms counted from ``start`` (the
    minutes date) by R-DEADLINE-1's convention. ``free``: ``raw`` is an assignment sentence,
    where a bare date is not a term unless marked («до …», «… дейін», «срок …»)."""
    text = _squash(clean(raw or ""))
    t = fold1(text)
    if not free and _NO_TERM.match(t):
        if text.strip(" .") and re.search(r"[-–—]|нет|жок", t):
            return Term(text, None, "none")
        return Term(text, None, "missing", problem="no term given")
    options: list[Term] = []
    for found in find_dates(text, start.year if start else None):
        fragment = text
        if free:
            before, after = t[max(0, found.start - 25) : found.start], t[found.end : found.end + 20]
            mark_before, mark_after = (
                _TERM_MARK_BEFORE.search(before),
                _TERM_MARK_AFTER.match(after),
            )
            if not (mark_before or mark_after):
                continue
            lo = found.start - (len(before) - mark_before.start()) if mark_before else found.start
            hi = found.end + (mark_after.end() if mark_after else 0)
            fragment = text[lo:hi].strip()
        if found.value is None:
            options.append(
                Term(
                    text[found.start : found.end],
                    None,
                    "unreadable",
                    problem="the date is not a valid calendar date",
                )
            )
            continue
        warning = None
        if not found.has_year:
            warning = "the year is not written; the year of the minutes is assumed"
        elif start and found.value < start:
            warning = "the date is before the minutes date"
        options.append(Term(fragment, found.value, "date", warning=warning))
    hinted = _TERM_HINT.search(t) is not None
    for (kind, rx), needles in zip(_TERM_PATTERNS, _TERM_NEEDLES, strict=True):
        if not hinted or not any(n in t for n in needles):
            continue
        for m in rx.finditer(t):
            n = _number(m.group(1) if m.groups() else None)
            if n is None or not 0 < n <= 366:
                continue
            warning = None
            unit = kind
            if kind == "days?":
                unit = "calendar_days"
                warning = "working or calendar days is not written; counted as calendar days"
            if start is None:
                options.append(
                    Term(
                        text,
                        None,
                        unit,
                        n,
                        problem="a relative term, but the minutes date is unknown",
                    )
                )
                continue
            due = _count(calendar, start, unit, n, memo if memo is not None else {})
            fragment = text[m.start() : m.end()] if free else text
            options.append(Term(fragment, due, unit, n, warning=warning))
    dated = [o for o in options if o.due is not None]
    if dated:
        dated.sort(key=lambda o: o.due or date.max)
        chosen = dated[0]
        if len({o.due for o in dated}) > 1:
            chosen.warning = "several terms are written; the earliest is taken"
        return chosen
    if options:
        return options[0]
    if free:
        return Term("", None, "missing", problem="no term found in the assignment")
    if _NO_DATE_WORDS.search(t):
        return Term(text, None, "unreadable", problem="the term has no date")
    return Term(text, None, "unreadable", problem="the term cannot be read")
