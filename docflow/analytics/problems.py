"""Emerging problems: an unusual number of similar appeals from one district in a short window.

For every district and topic (the office's topic, or a group of similar wording when no topic
covers the appeals) the densest window of ``window_days`` inside the period is compared with that
district's usual rate for the same topic: the cases of the ``baseline_days`` before the window.

**Significance** is the Poisson surprise of the window: with the usual rate λ = W·(b + ½)/B
(b cases in the B baseline days — fewer when the office's history is shorter — and half a case of
prior so a topic never seen before is not infinitely surprising), the probability of seeing at
least k cases in W days by chance, times the number of windows the period holds (the densest one
was picked: a Bonferroni bound of the scan), is p.
A cell is a problem when k ≥ ``min_count`` and p ≤ ``alpha``; problems are listed most
significant first (smallest p, i.e. largest −log₁₀ p), ties by count. Settings:
``analytics.problems`` = {"window_days": 14, "baseline_days": 182, "min_count": 4,
"alpha": 0.001}.
"""

from __future__ import annotations

import copy
import datetime as dt
import math
import threading
import time
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import func, select

from docflow.analytics.models import CaseFact, DailyAggregate
from docflow.analytics.topics import group_label, group_similar
from docflow.core.settings import get_setting
from docflow.extensions import db
from docflow.registry.models import IncomingItem

DEFAULTS = {"window_days": 14, "baseline_days": 182, "min_count": 4, "alpha": 0.001}


def settings() -> dict[str, Any]:
    conf = dict(DEFAULTS)
    conf.update((get_setting("analytics") or {}).get("problems") or {})
    return conf


def poisson_tail(k: int, lam: float) -> float:
    """P(X ≥ k) for X ~ Poisson(lam)."""
    if k <= 0:
        return 1.0
    term = math.exp(-lam)
    below = term
    for i in range(1, k):
        term *= lam / i
        below += term
    return max(0.0, 1.0 - below) if below < 1.0 - 1e-12 else _tail_direct(k, lam)


def _tail_direct(k: int, lam: float) -> float:
    # Summing the upper tail directly keeps precision when it is tiny.
    term = math.exp(-lam + k * math.log(lam) - math.lgamma(k + 1)) if lam > 0 else 0.0
    total, i = 0.0, k
    while term > 1e-300 and i < k + 1000:
        total += term
        i += 1
        term *= lam / i
    return total


@dataclass
class Problem:
    district: str
    topic: str
    topic_code: str | None
    count: int
    first: dt.date
    last: dt.date
    expected: float
    p_value: float
    item_ids: list[int] = field(default_factory=list)
    subdivision: str | None = None
    reg_numbers: list[str] = field(default_factory=list)
    public_ids: list[str] = field(default_factory=list)

    @property
    def significance(self) -> float:
        return -math.log10(max(self.p_value, 1e-300))

    def to_json(self) -> dict[str, Any]:
        return {
            "district": self.district,
            "subdivision": self.subdivision,
            "topic": self.topic,
            "count": self.count,
            "from": self.first.isoformat(),
            "to": self.last.isoformat(),
            "reg_numbers": self.reg_numbers,
            "expected": round(self.expected, 2),
            "significance": round(self.significance, 2),
        }


def _densest(days: list[tuple[dt.date, int]], window: int) -> tuple[dt.date, dt.date, int]:
    """(first day, last day, cases) of the ``window``-day stretch holding most cases; ``days``
    are (day, cases that day), sorted."""
    best = (days[0][0], days[0][0], 0)
    j, total = 0, 0
    for day, n in days:
        total += n
        while day - days[j][0] >= dt.timedelta(days=window):
            total -= days[j][1]
            j += 1
        if total > best[2]:
            best = (days[j][0], day, total)
    return best


Cell = tuple[str, str]  # (district, topic code or "~groupN")


Burst = tuple[Cell, dt.date, dt.date, int, int]  # cell, first and last day, cases, cases before


def _bursts(
    cells: dict[Cell, dict[dt.date, int]], date_from: dt.date, date_to: dt.date, conf: dict
) -> list[Burst]:
    """Each cell's densest window inside the period, and the period's cases before it."""
    out: list[Burst] = []
    for key, per_day in cells.items():
        in_period = sorted((d, n) for d, n in per_day.items() if date_from <= d <= date_to)
        if sum(n for _d, n in in_period) < int(conf["min_count"]):
            continue
        first, last, k = _densest(in_period, int(conf["window_days"]))
        out.append((key, first, last, k, sum(n for d, n in in_period if d < first)))
    return out


def _judge(
    bursts: list[Burst],
    before: dict[Cell, int],
    names: dict[Cell, str],
    history_start: dt.date,
    date_from: dt.date,
    date_to: dt.date,
    conf: dict[str, Any],
) -> list[Problem]:
    """The bursts that are problems. ``before``: each cell's cases in the baseline days before
    the period; the usual rate of a cell is what came before its densest window: the baseline
    days plus the period's days before the window."""
    window, baseline = int(conf["window_days"]), int(conf["baseline_days"])
    min_count, alpha = int(conf["min_count"]), float(conf["alpha"])
    # The densest of the period's windows is searched: its surprise is corrected for the number of
    # windows looked at (a scan-statistic Bonferroni bound).
    windows = max(1.0, ((date_to - date_from).days + 1) / window)
    # The history may be shorter than the baseline (a new office, an import of one year).
    since = min(max(date_from - dt.timedelta(days=baseline), history_start), date_from)
    problems: list[Problem] = []
    for key, first, last, k, earlier in bursts:
        if k < min_count:
            continue
        days = max((first - since).days, window)
        b = before.get(key, 0) + earlier
        lam = window * (b + 0.5) / days
        p = min(1.0, poisson_tail(k, lam) * windows)
        if p > alpha:
            continue
        group = key[1].startswith("~")
        problems.append(
            Problem(
                district=key[0],
                topic=names.get(key, key[1]),
                topic_code=None if group else key[1],
                count=k,
                first=first,
                last=last,
                expected=lam,
                p_value=p,
            )
        )
    problems.sort(key=lambda p: (p.p_value, -p.count, p.district, p.topic))
    return problems


def _split(
    by_day: dict[dt.date, int], date_from: dt.date, since: dt.date
) -> tuple[dict[dt.date, int], int]:
    period = {d: n for d, n in by_day.items() if d >= date_from}
    return period, sum(n for d, n in by_day.items() if since <= d < date_from)


def _groups(
    loose: dict[str, list[tuple[dt.date, int, str]]], min_count: int
) -> tuple[dict[Cell, list[tuple[dt.date, int]]], dict[Cell, str]]:
    """Appeals no topic covers, per district: groups of similar wording (cases by day)."""
    cells: dict[Cell, list[tuple[dt.date, int]]] = {}
    names: dict[Cell, str] = {}
    for district, entries in loose.items():
        entries.sort()
        groups = group_similar([w for _d, _i, w in entries])
        for n, group in enumerate(groups):
            if len(group) < min_count:
                continue
            key = (district, f"~group{n}")
            cells[key] = [(entries[i][0], entries[i][1]) for i in group]
            names[key] = group_label([entries[i][2] for i in group])
    return cells, names


def _by_day(cases: list[tuple[dt.date, int]]) -> dict[dt.date, int]:
    out: dict[dt.date, int] = defaultdict(int)
    for day, _id in cases:
        out[day] += 1
    return out


def _cell_of(p: Problem, names: dict[Cell, str]) -> Cell:
    if p.topic_code:
        return (p.district, p.topic_code)
    return next(k for k, v in names.items() if v == p.topic and k[0] == p.district)


def detect(rows, date_from: dt.date, date_to: dt.date, conf: dict[str, Any]) -> list[Problem]:
    """The problems in ``rows`` of (item id, day, district, topic or None, content words)."""
    cases: dict[Cell, list[tuple[dt.date, int]]] = defaultdict(list)
    loose: dict[str, list[tuple[dt.date, int, str]]] = defaultdict(list)
    for item_id, day, district, topic, words in rows:
        if topic:
            cases[(district, topic)].append((day, item_id))
        elif words:
            loose[district].append((day, item_id, words))
    grouped, names = _groups(loose, int(conf["min_count"]))
    cases.update(grouped)
    history_start = min((row[1] for row in rows), default=date_from)
    since = date_from - dt.timedelta(days=int(conf["baseline_days"]))
    cells, before = {}, {}
    for key, found in cases.items():
        cells[key], before[key] = _split(_by_day(found), date_from, since)
    bursts = _bursts(cells, date_from, date_to, conf)
    problems = _judge(bursts, before, names, history_start, date_from, date_to, conf)
    for p in problems:
        found = cases[_cell_of(p, names)]
        p.item_ids = [i for d, i in sorted(found) if p.first <= d <= p.last]
    return problems


# Appeals no topic covers are grouped by wording one by one: the most recent ones only.
LOOSE_LIMIT = 4000


_CACHE: dict[tuple, tuple[float, Any, list[Problem]]] = {}
_CACHE_LOCK = threading.Lock()


def find_problems(
    date_from: dt.date,
    date_to: dt.date,
    *,
    subdivisions: list[str] | None = None,
    districts: list[str] | None = None,
) -> list[Problem]:
    """The period's emerging problems, most significant first (the facts must be fresh).

    A result is kept in this process while the aggregates are unchanged (``facts.version()``),
    and in the database for every process (:mod:`docflow.analytics.problem_store`): reused while
    no drain happened since it was computed, and for up to ``ANALYTICS_PROBLEMS_MAX_AGE``
    seconds (default 300) after one did — a problem is a matter of days, not of the last
    registration.
    """
    from flask import current_app

    from docflow.analytics import problem_store
    from docflow.analytics.facts import version

    conf = settings()
    scope = (tuple(subdivisions or ()), tuple(districts or ()))
    key = (
        id(current_app._get_current_object()),
        str(db.engine.url),
        date_from,
        date_to,
        scope,
        repr(sorted(conf.items())),
    )
    max_age = float(current_app.config.get("ANALYTICS_PROBLEMS_MAX_AGE", 300))
    now, current = time.monotonic(), version()
    found = _CACHE.get(key)
    if found is not None and (found[1] == current or now - found[0] < max_age):
        return [copy.copy(p) for p in found[2]]
    stored_key = problem_store.key_of(date_from, date_to, scope, conf)
    drains = current[1]
    problems = problem_store.load(stored_key, drains, max_age)
    if problems is None:
        problems = _find_problems(date_from, date_to, subdivisions, districts)
        problem_store.save(stored_key, drains, problems)
    with _CACHE_LOCK:
        if len(_CACHE) > 64:
            _CACHE.clear()
        _CACHE[key] = (now, current, problems)
    return [copy.copy(p) for p in problems]


def _find_problems(
    date_from: dt.date,
    date_to: dt.date,
    subdivisions: list[str] | None,
    districts: list[str] | None,
) -> list[Problem]:
    """The scan itself (see :func:`find_problems`).

    Cases with a topic are counted per district, topic and day from the daily aggregates (the
    period by day, the baseline as one sum per cell: grouped queries, whatever the number of
    cases); only appeals no topic covers are read one by one (the latest ``LOOSE_LIMIT``), to
    group them by wording."""
    from docflow.analytics.queries import Filters, densest_windows, district_topic_totals

    conf = settings()
    since = date_from - dt.timedelta(days=int(conf["baseline_days"]))
    where = list(districts or [])
    period = Filters(date_from, date_to, districts=where)
    bursts = list(densest_windows(period, int(conf["window_days"]), int(conf["min_count"])))
    before: dict[Cell, int] = dict(
        district_topic_totals(Filters(since, date_from - dt.timedelta(days=1), districts=where))
    )
    loose_query = (
        select(CaseFact.day, CaseFact.item_id, CaseFact.district, CaseFact.words)
        .where(
            CaseFact.day >= since,
            CaseFact.day <= date_to,
            CaseFact.district.is_not(None),
            CaseFact.topic.is_(None),
            CaseFact.words.is_not(None),
        )
        .order_by(CaseFact.day.desc())
        .limit(LOOSE_LIMIT)
    )
    if districts:
        loose_query = loose_query.where(CaseFact.district.in_(districts))
    loose: dict[str, list[tuple[dt.date, int, str]]] = defaultdict(list)
    for day, item_id, district, words in db.session.execute(loose_query):
        loose[district].append((day, item_id, words))
    grouped, names = _groups(loose, int(conf["min_count"]))
    group_cells: dict[Cell, dict[dt.date, int]] = {}
    for key, found in grouped.items():
        group_cells[key], before[key] = _split(_by_day(found), date_from, since)
    bursts += _bursts(group_cells, date_from, date_to, conf)
    history_start = (
        db.session.scalar(select(func.min(DailyAggregate.day)).where(DailyAggregate.dim == "all"))
        or date_from
    )
    problems = _judge(bursts, before, names, history_start, date_from, date_to, conf)
    for p in problems:
        if p.topic_code:
            p.item_ids = list(
                db.session.scalars(
                    select(CaseFact.item_id)
                    .where(
                        CaseFact.district == p.district,
                        CaseFact.topic == p.topic_code,
                        CaseFact.day >= p.first,
                        CaseFact.day <= p.last,
                    )
                    .order_by(CaseFact.day, CaseFact.item_id)
                )
            )
        else:
            found = grouped[_cell_of(p, names)]
            p.item_ids = [i for d, i in sorted(found) if p.first <= d <= p.last]
    _describe(problems)
    if subdivisions:
        problems = [p for p in problems if p.subdivision in subdivisions]
    return problems


def _describe(problems: list[Problem]) -> None:
    ids = [i for p in problems for i in p.item_ids]
    if not ids:
        return
    info = {
        item_id: (reg, sub, public_id)
        for item_id, reg, sub, public_id in db.session.execute(
            select(
                IncomingItem.id,
                IncomingItem.reg_number,
                CaseFact.subdivision,
                IncomingItem.public_id,
            )
            .join(CaseFact, CaseFact.item_id == IncomingItem.id)
            .where(IncomingItem.id.in_(ids))
        )
    }
    for p in problems:
        p.reg_numbers = [info[i][0] for i in p.item_ids if i in info]
        p.public_ids = [info[i][2] for i in p.item_ids if i in info]
        subs = Counter(info[i][1] for i in p.item_ids if i in info and info[i][1])
        if subs:
            p.subdivision = subs.most_common(1)[0][0]
        elif p.topic_code:
            from docflow.analytics.topics import topic_map

            p.subdivision = topic_map().subdivision(p.topic_code)
