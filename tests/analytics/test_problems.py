"""Emerging problems (R-AUDIT-2, seed 000 p.5(15)): an unusual number of similar appeals from one
district in a short window, compared with that district's usual rate.

Generated half-years: every district × topic has its own background rate; a few bursts are planted
in the last two months. Texts are generated appeals (kk and ru) classified by the topic map, so the
whole path from text to problem is measured; the held-out seeds use the held-out phrasings."""

from __future__ import annotations

import datetime as dt
import math
import random

import pytest

from docflow.analytics.problems import DEFAULTS, detect, poisson_tail
from docflow.analytics.topics import TopicMap, content_words, default_topics
from tests.analytics.appeal_bank import DISTRICTS, PHRASES, appeal

END = dt.date(2026, 10, 31)
DAYS = 240
PERIOD_FROM = END - dt.timedelta(days=89)


def _poisson(rng: random.Random, lam: float) -> int:
    k, p, limit = 0, 1.0, math.exp(-lam)
    while True:
        p *= rng.random()
        if p <= limit:
            return k
        k += 1


def _half_year(seed: int, split: str, topics: TopicMap):
    rng = random.Random(seed)
    rows, planted = [], []
    n = 0

    def add(day: dt.date, district: str, topic: str) -> None:
        nonlocal n
        n += 1
        text = appeal(rng, topic, rng.choice(["kk", "ru"]), split)
        words = " ".join(content_words(text))
        rows.append((n, day, district, topics.classify(text), words))

    for district in DISTRICTS:
        for topic in PHRASES:
            rate = rng.uniform(0.01, 0.25)
            for d in range(DAYS):
                for _ in range(_poisson(rng, rate)):
                    add(END - dt.timedelta(days=DAYS - 1 - d), district, topic)
    cells = rng.sample([(d, t) for d in DISTRICTS for t in PHRASES], 3)
    for district, topic in cells:
        length = rng.randint(4, 10)
        start = END - dt.timedelta(days=rng.randint(length, 55))
        for _ in range(rng.randint(8, 14)):
            add(start + dt.timedelta(days=rng.randrange(length)), district, topic)
        planted.append((district, topic, start, start + dt.timedelta(days=length)))
    return rows, planted


def _score(problems, planted) -> tuple[int, int]:
    found = 0
    for district, topic, start, end in planted:
        found += any(
            p.district == district and p.topic_code == topic and p.first <= end and p.last >= start
            for p in problems
        )
    false = sum(
        1
        for p in problems
        if not any(p.district == d and p.topic_code == t for d, t, _s, _e in planted)
    )
    return found, false


@pytest.fixture(scope="module")
def topics() -> TopicMap:
    return TopicMap(default_topics())


@pytest.mark.parametrize("split,seeds", [("dev", range(1, 11)), ("held_out", range(100, 110))])
def test_r_audit_2_planted_bursts_are_found_and_little_else(topics, split, seeds):
    found = false = planted_total = 0
    for seed in seeds:
        rows, planted = _half_year(seed, split, topics)
        problems = detect(rows, PERIOD_FROM, END, DEFAULTS)
        f, x = _score(problems, planted)
        found, false, planted_total = found + f, false + x, planted_total + len(planted)
    recall = found / planted_total
    precision = found / max(1, found + false)
    # measured: dev recall 0.967 precision 0.906; held-out recall 0.967 precision 0.784
    assert recall >= 0.85, (recall, precision)
    assert precision >= (0.85 if split == "dev" else 0.75), (recall, precision)


def test_r_audit_2_most_significant_first_and_the_usual_rate_is_no_problem(topics):
    day = dt.date(2026, 10, 1)
    rows = []
    # MEDEU: heating every few days for half a year (its usual rate) — then the same pace
    for i in range(60):
        rows.append((i, day - dt.timedelta(days=180 - 3 * i), "MEDEU", "heating", "жылу"))
    # AUEZOV: nothing for months, then 9 appeals on water in a week; TURKSIB: 6 on waste
    rows += [
        (100 + i, day + dt.timedelta(days=i % 7), "AUEZOV", "cold_water", "") for i in range(9)
    ]
    rows += [(200 + i, day + dt.timedelta(days=i % 5), "TURKSIB", "waste", "") for i in range(6)]
    problems = detect(rows, day, day + dt.timedelta(days=20), DEFAULTS)
    assert [(p.district, p.topic_code) for p in problems] == [
        ("AUEZOV", "cold_water"),
        ("TURKSIB", "waste"),
    ]
    assert problems[0].significance > problems[1].significance
    assert problems[0].count == 9 and problems[0].first == day


def test_r_audit_2_unmapped_appeals_form_a_problem_by_wording():
    day = dt.date(2026, 10, 1)
    texts = [
        "голуби на чердаке, просим убрать голубей из подъезда",
        "голуби загадили чердак и подъезд",
        "на чердаке голуби, подъезд грязный от голубей",
        "голуби живут на чердаке нашего подъезда",
        "просим выселить голубей с чердака",
    ]
    rows = [
        (i, day + dt.timedelta(days=i), "ALMALY", None, " ".join(content_words(t)))
        for i, t in enumerate(texts)
    ]
    problems = detect(rows, day, day + dt.timedelta(days=10), DEFAULTS)
    assert len(problems) == 1 and problems[0].topic_code is None
    assert "голуб" in problems[0].topic


def test_poisson_tail():
    assert poisson_tail(0, 3.0) == 1.0
    assert abs(poisson_tail(1, 2.0) - (1 - math.exp(-2))) < 1e-12
    assert 0 < poisson_tail(40, 1.0) < 1e-30


def test_r_audit_2_the_database_scan_finds_what_the_python_scan_finds(app, backend):
    """find_problems (the daily rollup's cell-days packed per cell, on SQLite and PostgreSQL
    alike) against detect (the same rule in Python) on one generated history."""
    import json

    from sqlalchemy import select

    from docflow.analytics import facts
    from docflow.analytics.models import CaseFact
    from docflow.analytics.problems import find_problems, settings
    from docflow.exchange.importer import import_cases
    from docflow.extensions import db

    rng = random.Random(5)
    lines, n = [], 0
    for back in range(0, 200):
        day = END - dt.timedelta(days=back)
        for district in ("MEDEU", "AUEZOV"):
            for topic, rate in (("heating", 0.15), ("waste", 0.08)):
                burst = district == "AUEZOV" and topic == "waste" and 10 <= back < 16
                for _ in range(_poisson(rng, rate + (1.5 if burst else 0))):
                    n += 1
                    at = f"{day.isoformat()}T10:00:00+05:00"
                    lines.append(
                        json.dumps(
                            {
                                "reg_number": f"ЖТ-SCAN-{n:05d}",
                                "kind": "statement",
                                "received_at": at,
                                "registered_at": at,
                                "applicants": [{"type": "individual", "full_name": f"А {n}"}],
                                "summary": appeal(rng, topic, "ru"),
                                "district": district,
                                "topic": topic,
                                "events": [],
                            },
                            ensure_ascii=False,
                        )
                    )
    import_cases(lines, "gen")
    db.session.commit()
    facts.drain()
    rows = db.session.execute(
        select(CaseFact.item_id, CaseFact.day, CaseFact.district, CaseFact.topic, CaseFact.words)
    ).all()
    shape = lambda ps: [(p.district, p.topic_code, p.count, p.first, p.last) for p in ps]  # noqa: E731
    python = detect(rows, PERIOD_FROM, END, settings())
    database = find_problems(PERIOD_FROM, END)
    assert shape(database) == shape(python)
    assert ("AUEZOV", "waste") in {(p.district, p.topic_code) for p in database}
    assert all(
        sorted(p.item_ids) == sorted(q.item_ids) for p, q in zip(database, python, strict=True)
    )


def test_r_audit_2_problems_are_reused_until_the_data_changes(app, make_item):
    from docflow.analytics import facts
    from docflow.analytics import problems as module
    from docflow.extensions import db

    calls = []
    real = module._find_problems

    def counting(*args):
        calls.append(args)
        return real(*args)

    module._find_problems = counting
    try:
        day = dt.date(2026, 11, 1)
        module.find_problems(day, END)
        module.find_problems(day, END)
        assert len(calls) == 1  # nothing changed: the first scan is reused
        make_item(summary="Медеу ауданы: пәтерде жылу жоқ")
        db.session.commit()
        facts.drain()
        module.find_problems(day, END)
        assert len(calls) == 2  # the aggregates changed (and tests allow no staleness)
        # another process drained the queue (its counter row moved): not reused either
        from docflow.core.numbering import next_number

        next_number(facts.DRAIN_LOCK, 0)
        db.session.commit()
        module.find_problems(day, END)
        assert len(calls) == 3
    finally:
        module._find_problems = real


def test_r_audit_2_a_stored_scan_serves_every_process_until_stale(app, make_item):
    """The scan is materialised in the database: a process without it in memory reuses it;
    after a drain it is recomputed once older than ANALYTICS_PROBLEMS_MAX_AGE; a rebuild of the
    aggregates forgets it; the warm task stores the dashboard's periods."""
    from sqlalchemy import func, select

    from docflow.analytics import facts, problem_store
    from docflow.analytics import problems as module
    from docflow.analytics.models import ProblemScan
    from docflow.core.numbering import next_number
    from docflow.extensions import db

    calls = []
    real = module._find_problems

    def counting(*args):
        calls.append(args)
        return real(*args)

    def another_process():
        module._CACHE.clear()

    module._find_problems = counting
    try:
        day = dt.date(2026, 11, 1)
        make_item(summary="Медеу ауданы: пәтерде жылу жоқ")
        db.session.commit()
        first = module.find_problems(day, END)
        another_process()
        again = module.find_problems(day, END)
        assert len(calls) == 1  # read back from the database
        assert [p.to_json() for p in again] == [p.to_json() for p in first]
        next_number(facts.DRAIN_LOCK, 0)  # some process drained: the stored scan is stale
        db.session.commit()
        app.config["ANALYTICS_PROBLEMS_MAX_AGE"] = 3600
        another_process()
        module.find_problems(day, END)
        assert len(calls) == 1  # younger than the allowed age: still served
        app.config["ANALYTICS_PROBLEMS_MAX_AGE"] = 0
        another_process()
        module.find_problems(day, END)
        assert len(calls) == 2
        facts.rebuild_aggregates()
        db.session.commit()
        assert db.session.scalar(select(func.count()).select_from(ProblemScan)) == 0
        assert problem_store.warm(END) == len(problem_store.WARM_PERIOD_DAYS)
        assert db.session.scalar(select(func.count()).select_from(ProblemScan)) == len(
            problem_store.WARM_PERIOD_DAYS
        )
    finally:
        module._find_problems = real
        app.config["ANALYTICS_PROBLEMS_MAX_AGE"] = 0


def test_the_dashboards_default_period_is_kept_computed():
    from docflow.analytics import problem_store, views

    assert views.DEFAULT_DAYS in problem_store.WARM_PERIOD_DAYS
