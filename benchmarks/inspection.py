"""Inspection at scale on SQLite (or PostgreSQL with --url): import N generated e-Otinish cases, then run the checks.

Writes N cases (default 200,000: a half-year of an office's appeals with planted violations,
tests/inspection/case_generator.py) as case-exchange JSON Lines, imports them into a fresh demo
instance through docflow.exchange's importer (all or nothing, one transaction), then runs every
automatic check of inspection.md over the half-year. Prints cases/s and peak memory of the
import, the seconds of the run (target: under a minute) and whether the run found exactly the
planted violations. Nothing is asserted.
    .venv/bin/python benchmarks/inspection.py [--cases 200000] [--seed 11] [--url URL]
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import resource
import sys
import tempfile
import time
import tracemalloc
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from _common import instance

BATCH = 10_000  # cases generated (and sorted) at a time; each batch its own number range


def write_cases(path: Path, cases: int, seed: int) -> set[tuple[str, str]]:
    from tests.inspection.case_generator import generate

    planted: set[tuple[str, str]] = set()
    with path.open("w", encoding="utf-8") as out:
        done, batch = 0, 0
        while done < cases:
            size = min(BATCH, cases - done)
            plants = max(1, size // 500)
            lines, found = generate(
                seed + batch, cases=size, plants_each=plants, prefix=f"{batch:02d}"
            )
            out.write("\n".join(lines) + "\n")
            planted |= found
            done += len(lines)
            batch += 1
    return planted


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--cases", type=int, default=200_000)
    parser.add_argument("--seed", type=int, default=11)
    parser.add_argument(
        "--tracemalloc", action="store_true", help="also trace Python allocations (slower import)"
    )
    parser.add_argument("--url", help="an empty PostgreSQL database (default: SQLite)")
    args = parser.parse_args()

    path, env = instance("inspection", args.url)
    os.environ.update({k: v for k, v in env.items() if k.startswith("DOCFLOW_")})
    data = Path(tempfile.mkdtemp(prefix="docflow-bench-cases-")) / "cases.jsonl"
    started = time.perf_counter()
    planted = write_cases(data, args.cases, args.seed)
    size = data.stat().st_size
    print(
        f"generated {args.cases} cases ({size / 2**20:.0f} MB) in {time.perf_counter() - started:.1f} s"
    )

    from docflow import create_app
    from docflow.exchange.importer import import_cases
    from docflow.extensions import db
    from docflow.inspection.checks import run_checks

    app = create_app()
    with app.app_context():
        rss0 = peak_rss_mb()
        if args.tracemalloc:
            tracemalloc.start()
        started = time.perf_counter()
        with data.open(encoding="utf-8") as lines:
            report = import_cases(lines, "bench")
        db.session.commit()
        seconds = time.perf_counter() - started
        traced = ""
        if args.tracemalloc:
            traced = f"peak traced {tracemalloc.get_traced_memory()[1] / 2**20:.0f} MB, "
            tracemalloc.stop()
        print(
            f"import: {report.created} cases in {seconds:.1f} s = {report.created / seconds:.0f} cases/s; "
            f"{traced}peak RSS {peak_rss_mb():.0f} MB (was {rss0:.0f} MB before)"
        )
    # a new app context: the run reads from the database, not from the import's session
    with app.app_context():
        started = time.perf_counter()
        run = run_checks(
            date_from=dt.date(2026, 1, 1), date_to=dt.date(2026, 6, 30), as_of=dt.date(2026, 7, 31)
        )
        seconds = time.perf_counter() - started
        got = {(f.reg_number, f.check) for f in run.findings}
        print(
            f"inspection run: {run.checked} cases checked in {seconds:.1f} s "
            f"({run.checked / seconds:.0f} cases/s; target under 60 s), {len(run.findings)} findings, "
            f"peak RSS {peak_rss_mb():.0f} MB"
        )
        tp = len(got & planted)
        print(
            f"planted {len(planted)}: precision {tp / max(len(got), 1):.3f}, recall {tp / max(len(planted), 1):.3f}"
        )
    print(f"instance: {path}")


if __name__ == "__main__":
    main()
