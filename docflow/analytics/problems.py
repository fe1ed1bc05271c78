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

import datetime as dt
import math
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select

from docflow.analytics.models import CaseFact
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


def _densest(days: list[tuple[dt.date, int]], window: int) -> list[tuple[dt.date, int]]:
    """The cases (sorted by day) of the window of ``window`` days holding most of them."""
    best: list[tuple[dt.date, int]] = []
    j = 0
    for i in range(len(days)):
        while days[i][0] - days[j][0] >= dt.timedelta(days=window):
            j += 1
        if i - j + 1 > len(best):
            best = days[j : i + 1]
    return best


def find_problems(
    date_from: dt.date,
    date_to: dt.date,
    *,
    subdivisions: list[str] | None = None,
    districts: list[str] | None = None,
) -> list[Problem]:
    """The period's emerging problems, most significant first (the facts must be fresh)."""
    conf = settings()
    start = date_from - dt.timedelta(days=int(conf["baseline_days"]) + int(conf["window_days"]))
    query = select(
        CaseFact.item_id, CaseFact.day, CaseFact.district, CaseFact.topic, CaseFact.words
    ).where(CaseFact.day >= start, CaseFact.day <= date_to, CaseFact.district.is_not(None))
    if districts:
        query = query.where(CaseFact.district.in_(districts))
    problems = detect(db.session.execute(query).all(), date_from, date_to, conf)
    _describe(problems)
    if subdivisions:
        problems = [p for p in problems if p.subdivision in subdivisions]
    return problems


def detect(rows, date_from: dt.date, date_to: dt.date, conf: dict[str, Any]) -> list[Problem]:
    """The problems in ``rows`` of (item id, day, district, topic or None, content words)."""
    window, baseline = int(conf["window_days"]), int(conf["baseline_days"])
    min_count, alpha = int(conf["min_count"]), float(conf["alpha"])
    cells: dict[tuple[str, str], list[tuple[dt.date, int]]] = defaultdict(list)
    loose: dict[str, list[tuple[dt.date, int, str]]] = defaultdict(list)
    for item_id, day, district, topic, words in rows:
        if topic:
            cells[(district, topic)].append((day, item_id))
        elif words:
            loose[district].append((day, item_id, words))
    # the topic code of a cell, or (no topic) the group's most frequent words
    codes: dict[tuple[str, str], str | None] = {key: key[1] for key in cells}
    names: dict[tuple[str, str], str] = {key: key[1] for key in cells}
    for district, entries in loose.items():
        entries.sort()
        groups = group_similar([w for _d, _i, w in entries])
        for n, group in enumerate(groups):
            if len(group) < min_count:
                continue
            key = (district, f"~group{n}")
            cells[key] = [(entries[i][0], entries[i][1]) for i in group]
            codes[key] = None
            names[key] = group_label([entries[i][2] for i in group])

    # The history may be shorter than the baseline (a new office, an import of one year).
    history_start = min((row[1] for row in rows), default=date_from)
    # The densest of the period's windows is searched: its surprise is corrected for the number of
    # windows looked at (a scan-statistic Bonferroni bound).
    windows = max(1.0, ((date_to - date_from).days + 1) / window)
    problems: list[Problem] = []
    for key, cases in cells.items():
        cases.sort()
        in_period = [c for c in cases if date_from <= c[0] <= date_to]
        if len(in_period) < min_count:
            continue
        burst = _densest(in_period, window)
        k = len(burst)
        if k < min_count:
            continue
        begin = burst[0][0]
        since = max(begin - dt.timedelta(days=baseline), history_start)
        days = max((begin - since).days, window)
        b = sum(1 for d, _i in cases if since <= d < begin)
        lam = window * (b + 0.5) / days
        p = min(1.0, poisson_tail(k, lam) * windows)
        if p > alpha:
            continue
        problems.append(
            Problem(
                district=key[0],
                topic=names[key],
                topic_code=codes[key],
                count=k,
                first=burst[0][0],
                last=burst[-1][0],
                expected=lam,
                p_value=p,
                item_ids=[i for _d, i in burst],
            )
        )
    problems.sort(key=lambda p: (p.p_value, -p.count, p.district, p.topic))
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
