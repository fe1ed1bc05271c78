"""Analytics dashboards at scale: N cases (default 1,000,000) on SQLite, or PostgreSQL with --url.

Generates N incoming items and their analytics facts straight into a fresh, migrated database
(bulk SQL; three years, eight districts, the office's topics, realistic timeliness), builds the
daily aggregates with ``facts.rebuild_aggregates`` (what the app keeps up to date write by write),
then times the dashboard's own queries (``docflow.analytics.queries``, ``find_problems``) for a
quarter and for a year. Beside each, the same figure computed the bare way — a GROUP BY over the
facts table, no aggregates — in the same run, as a ratio. Target: p95 < 200 ms per query.

    .venv/bin/python benchmarks/analytics.py [--cases 1000000] [--runs 30]
    .venv/bin/python benchmarks/analytics.py --url postgresql+psycopg://…/bench_analytics
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import random
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import percentile, summary

TODAY = dt.date(2026, 11, 30)
DAYS = 3 * 365
DISTRICTS = ["ALATAU", "ALMALY", "AUEZOV", "BOSTANDYK", "ZHETYSU", "MEDEU", "NAURYZBAY", "TURKSIB"]
KINDS = ["statement"] * 6 + ["complaint"] * 2 + ["request", "proposal", "petition"]
CHANNELS = ["eotinish"] * 5 + ["post"] * 2 + ["by_hand", "egov", "email", "reception"]
BATCH = 20000


def build(url: str, n: int) -> None:
    from flask_migrate import upgrade
    from sqlalchemy import insert, text

    from docflow import create_app
    from docflow.analytics import facts
    from docflow.analytics.models import CaseFact
    from docflow.analytics.topics import default_topics
    from docflow.extensions import db
    from docflow.org.profile import DEMO_PROFILE, load_profile, read_profile
    from docflow.registry.models import IncomingItem

    app = create_app({"SQLALCHEMY_DATABASE_URI": url, "SECRET_KEY": "bench"})
    topics = list(default_topics())
    with app.app_context():
        upgrade()
        load_profile(read_profile(DEMO_PROFILE))
        db.session.commit()
        subs = [r[0] for r in db.session.execute(text("SELECT code FROM subdivision"))]
        sub_ids = dict(db.session.execute(text("SELECT code, id FROM subdivision")).all())
        rng = random.Random(42)
        start = TODAY - dt.timedelta(days=DAYS)
        t0 = time.perf_counter()
        session = db.session
        session.info["analytics_draining"] = True  # bulk load: no dirty queue
        for first in range(1, n + 1, BATCH):
            items, rows = [], []
            for i in range(first, min(first + BATCH, n + 1)):
                day = start + dt.timedelta(days=DAYS * i // n)
                kind = rng.choice(KINDS)
                sub = rng.choice(subs) if rng.random() < 0.9 else None
                due = day + dt.timedelta(days=21)
                age = (TODAY - day).days
                if age < 25 and rng.random() < 0.8:
                    timeliness, answered = "open", None
                else:
                    late = rng.random() < 0.07
                    answered = due + dt.timedelta(
                        days=rng.randint(1, 9) if late else -rng.randint(0, 15)
                    )
                    timeliness = "late" if late else "on_time"
                items.append(
                    {
                        "id": i,
                        "public_id": f"a{i:019d}",
                        "kind": kind,
                        "channel": rng.choice(CHANNELS),
                        "journal": "individuals",
                        "reg_year": day.year,
                        "reg_seq": i,
                        "reg_number": f"АН-{day.year}-{i:08d}",
                        "arrived_at": dt.datetime.combine(day, dt.time(4), tzinfo=dt.UTC),
                        "registered_at": dt.datetime.combine(day, dt.time(4), tzinfo=dt.UTC),
                        "registration_date": day,
                        "due_date": due,
                        "summary": "",
                        "signed": True,
                        "from_reception": False,
                        "from_meeting": False,
                        "anonymous": False,
                        "collective": False,
                        "imported": False,
                        "subdivision_id": sub_ids.get(sub),
                        "state": "closed" if timeliness != "open" else "in_work",
                    }
                )
                rows.append(
                    {
                        "item_id": i,
                        "day": day,
                        "kind": kind,
                        "channel": items[-1]["channel"],
                        "language": rng.choice(["kk", "ru"]),
                        "subdivision": sub,
                        "district": rng.choice(DISTRICTS) if rng.random() < 0.8 else None,
                        "topic": rng.choice(topics) if rng.random() < 0.85 else None,
                        "words": None,
                        "source": "native" if rng.random() < 0.7 else "imported",
                        "from_reception": rng.random() < 0.05,
                        "from_meeting": rng.random() < 0.02,
                        "status": "closed" if timeliness != "open" else "open",
                        "timeliness": timeliness,
                        "due_date": due,
                        "answered_on": answered,
                        "extended": rng.random() < 0.04,
                        "repeat": rng.random() < 0.06,
                        "rating": float(rng.randint(1, 5)) if rng.random() < 0.3 else None,
                        "refreshed_at": dt.datetime.now(dt.UTC),
                    }
                )
            session.execute(insert(IncomingItem), items)
            session.execute(insert(CaseFact), rows)
            session.commit()
            done = min(first + BATCH - 1, n)
            if done % 200000 == 0 or done == n:
                print(
                    f"  generated {done:>9} cases ({time.perf_counter() - t0:6.0f} s)", flush=True
                )
        t1 = time.perf_counter()
        facts.rebuild_aggregates()
        session.commit()
        count = session.scalar(text("SELECT count(*) FROM analytics_daily"))
        print(f"  aggregates: {count} rows in {time.perf_counter() - t1:.1f} s", flush=True)
        if db.engine.dialect.name == "sqlite":
            session.execute(text("ANALYZE"))
        else:
            session.execute(text("ANALYZE analytics_case"))
            session.execute(text("ANALYZE analytics_daily"))
        session.commit()


def reaggregate(url: str) -> None:
    from flask_migrate import upgrade
    from sqlalchemy import func, select

    from docflow import create_app
    from docflow.analytics import facts
    from docflow.analytics.models import DailyAggregate
    from docflow.extensions import db

    app = create_app({"SQLALCHEMY_DATABASE_URI": url, "SECRET_KEY": "bench"})
    with app.app_context():
        upgrade()
        t = time.perf_counter()
        facts.rebuild_aggregates()
        db.session.commit()
        count = db.session.scalar(select(func.count()).select_from(DailyAggregate))
        print(f"  aggregates: {count} rows in {time.perf_counter() - t:.1f} s", flush=True)


def measure(url: str, runs: int) -> None:
    from sqlalchemy import func, select

    from docflow import create_app
    from docflow.analytics import queries as q
    from docflow.analytics.models import CaseFact
    from docflow.analytics.problem_store import forget_all
    from docflow.analytics.problems import _CACHE, find_problems
    from docflow.extensions import db

    app = create_app({"SQLALCHEMY_DATABASE_URI": url, "SECRET_KEY": "bench"})
    periods = {
        "quarter": q.Filters(TODAY - dt.timedelta(days=89), TODAY),
        "year": q.Filters(TODAY - dt.timedelta(days=364), TODAY),
    }

    def bare_breakdown(filters, column):
        # the same figure without the aggregates: a GROUP BY over one row per case
        return db.session.execute(
            select(column, func.count())
            .where(CaseFact.day >= filters.date_from, CaseFact.day <= filters.date_to)
            .group_by(column)
        ).all()

    with app.app_context():
        for label, filters in periods.items():
            cases = {
                "totals": (lambda f=filters: q.totals(f), None),
                "by subdivision": (
                    lambda f=filters: q.breakdown(f, "subdivision"),
                    lambda f=filters: bare_breakdown(f, CaseFact.subdivision),
                ),
                "by district": (
                    lambda f=filters: q.breakdown(f, "district"),
                    lambda f=filters: bare_breakdown(f, CaseFact.district),
                ),
                "by kind": (
                    lambda f=filters: q.breakdown(f, "kind"),
                    lambda f=filters: bare_breakdown(f, CaseFact.kind),
                ),
                "over time": (lambda f=filters: q.series(f, "week"), None),
                "heat map district × topic": (lambda f=filters: q.heatmap(f), None),
                "emerging problems (first scan, nothing stored)": (
                    lambda f=filters: (
                        _CACHE.clear(),
                        forget_all(),
                        find_problems(f.date_from, f.date_to),
                    ),
                    None,
                ),
                "emerging problems (stored scan, a new process)": (
                    lambda f=filters: (_CACHE.clear(), find_problems(f.date_from, f.date_to)),
                    None,
                ),
                "emerging problems (reused in the process)": (
                    lambda f=filters: find_problems(f.date_from, f.date_to),
                    None,
                ),
                "cases behind a number (page 1)": (
                    lambda f=filters: q.cases(f, district="MEDEU", measure="late", limit=100),
                    None,
                ),
            }
            for name, (run, bare) in cases.items():
                seconds, bare_seconds = [], []
                for _ in range(runs):
                    t = time.perf_counter()
                    run()
                    seconds.append(time.perf_counter() - t)
                    db.session.rollback()
                    if bare is not None:
                        t = time.perf_counter()
                        bare()
                        bare_seconds.append(time.perf_counter() - t)
                        db.session.rollback()
                line = summary(f"{label}: {name}", seconds)
                if bare_seconds:
                    ratio = percentile(bare_seconds, 95) / max(percentile(seconds, 95), 1e-9)
                    line += f"  bare GROUP BY p95={percentile(bare_seconds, 95) * 1000:8.1f} ms ({ratio:5.1f}× slower)"
                print(line, flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--cases", type=int, default=1_000_000)
    parser.add_argument("--runs", type=int, default=30)
    parser.add_argument("--url", help="a database URL (empty database); default: SQLite in /tmp")
    parser.add_argument(
        "--reuse",
        metavar="URL",
        help="measure a database an earlier run generated (its aggregates rebuilt first)",
    )
    args = parser.parse_args()
    if args.reuse:
        reaggregate(args.reuse)
        measure(args.reuse, args.runs)
        return
    url = args.url
    if not url:
        folder = Path(tempfile.mkdtemp(prefix="docflow-bench-analytics-"))
        os.environ["DOCFLOW_INSTANCE_PATH"] = str(folder)
        url = f"sqlite:///{folder / 'analytics.db'}"
    print(f"analytics dashboards: {args.cases} cases on {url.split(':')[0]}", flush=True)
    build(url, args.cases)
    measure(url, args.runs)


if __name__ == "__main__":
    main()
