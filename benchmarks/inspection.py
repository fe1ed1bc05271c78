"""Inspection at scale on SQLite (or PostgreSQL with --url): import N generated e-Otinish cases, then run the checks.

Writes N cases (default 200,000: a half-year of an office's appeals with planted violations,
tests/inspection/case_generator.py) as case-exchange JSON Lines, imports them into a fresh demo
instance through docflow.exchange's importer (all or nothing, one transaction), then runs every
automatic check of inspection.md over the half-year. Prints cases/s and peak memory of the
import, the seconds of the run (target: under a minute) and whether the run found exactly the
planted violations. Nothing is asserted.
    .venv/bin/python benchmarks/inspection.py [--cases 200000] [--seed 11] [--url URL] [--file PATH]
On PostgreSQL: bash scripts/with-postgres.sh .venv/bin/python benchmarks/inspection.py \
    --url "$DOCFLOW_TEST_DATABASE_URL". ``--file``: keep the generated cases there (and the planted
violations next to it, PATH.planted.json) and use them again in a later run of the same size.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
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


def cases_file(path: Path, cases: int, seed: int) -> set[tuple[str, str]]:
    """The generated cases in ``path`` (made again unless kept from a run of the same size)."""
    planted_path = path.with_name(path.name + ".planted.json")
    if path.exists() and planted_path.exists():
        kept = json.loads(planted_path.read_text())
        if kept["cases"] == cases and kept["seed"] == seed:
            return {tuple(p) for p in kept["planted"]}
    planted = write_cases(path, cases, seed)
    planted_path.write_text(json.dumps({"cases": cases, "seed": seed, "planted": sorted(planted)}))
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
    parser.add_argument("--file", type=Path, help="keep the generated cases here, for another run")
    args = parser.parse_args()

    path, env = instance("inspection", args.url)
    os.environ.update({k: v for k, v in env.items() if k.startswith("DOCFLOW_")})
    data = args.file or Path(tempfile.mkdtemp(prefix="docflow-bench-cases-")) / "cases.jsonl"
    started = time.perf_counter()
    kept = data.stat().st_mtime if data.exists() else None
    planted = cases_file(data, args.cases, args.seed)
    made = f"generated in {time.perf_counter() - started:.1f} s"
    if kept == data.stat().st_mtime:
        made = f"kept from an earlier run in {data}"
    print(f"{args.cases} cases ({data.stat().st_size / 2**20:.0f} MB), {made}")

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
