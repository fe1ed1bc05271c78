"""Concurrent registration through the API against the bare stack, in the same run.

First a bare Flask app (``bare_registration_app.py``: a counter row, the item row and a
hash-chained audit row in one ``BEGIN IMMEDIATE`` transaction, or ``SELECT … FOR UPDATE`` on
PostgreSQL), then docflow's ``POST /api/v1/items`` on a fresh instance — both under the same
gunicorn settings, the same clients (8 processes × 200 registrations by default) and the same
payloads: a different applicant per registration (names, valid IINs), with a small share of
repeat applicants writing again on their question (so repeat detection sees a real history, not
one person's ever-growing one). Prints, for each, the count, duplicate and missing numbers (both
must be 0), registrations per second and latency p50/p95/max, then the ratio docflow/bare.

    .venv/bin/python benchmarks/registration_concurrency.py [--clients 8] [--per-client 200]
    bash scripts/with-postgres.sh .venv/bin/python benchmarks/registration_concurrency.py \\
        --url "$DOCFLOW_TEST_DATABASE_URL"
"""

from __future__ import annotations

import argparse
import datetime as dt
import http.client
import json
import multiprocessing
import os
import sqlite3
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import BIN, ROOT, free_port, instance, percentile

SURNAMES = ["Серикбаев", "Ахметов", "Жумабеков", "Искаков", "Нурланов", "Тулегенов", "Касымов"]
NAMES = ["Нурлан", "Ерлан", "Асхат", "Данияр", "Марат", "Бауыржан", "Тимур", "Арман", "Айдос"]
PATRONYMICS = ["Аскарович", "Серикович", "Маратович", "Канатович", "Болатович", "Ержанович"]
STREETS = ["Абая", "Сейфуллина", "Жандосова", "Толе би", "Розыбакиева", "Гагарина", "Саина"]
TOPICS = [
    "Нет горячей воды в доме по улице {street}, {house}, третью неделю",
    "Не вывозят мусор во дворе дома по улице {street}, {house}",
    "Прошу отремонтировать дорогу возле дома {house} по улице {street}",
    "Не работает уличное освещение на улице {street} у дома {house}",
    "Прошу установить детскую площадку во дворе дома {house}, улица {street}",
    "Протекает крыша в подъезде дома {house} по улице {street}",
]
REPEAT_EVERY = 10  # one registration in ten is an applicant writing again (R-ROUTE-4)


def fake_iin(n: int) -> str:
    """A valid IIN (R-REG-9) for applicant ``n`` (as ``tests/conftest.py`` makes them)."""
    sys.path.insert(0, str(ROOT))
    from docflow.core.identifiers import check_digit

    for serial in range(n % 9000, 10000):
        born = dt.date(1960, 1, 1) + dt.timedelta(days=n % 15000)
        first11 = born.strftime("%y%m%d") + "3" + f"{serial:04d}"
        digit = check_digit(first11)
        if digit is not None:
            return first11 + str(digit)
    raise AssertionError("no IIN")


def payload(worker: int, i: int, per_client: int) -> dict:
    """The ``i``-th registration of client ``worker``: a new applicant, or now and then one of
    this client's earlier applicants writing again (the same question, another letter)."""
    again = i >= REPEAT_EVERY and i % REPEAT_EVERY == 0
    n = worker * per_client + (i - REPEAT_EVERY // 2 if again else i)
    street, house = STREETS[n % len(STREETS)], 1 + n % 97
    summary = TOPICS[n % len(TOPICS)].format(street=street, house=house)
    if again:  # a repeat: the same question, and the earlier letter's date (not a duplicate)
        summary = f"Повторно, {summary.lower()}; первое обращение от {1 + n % 28}.11.2026"
    return {
        "kind": "statement",
        "channel": "eotinish",
        "language": "ru",
        "addressee": "Акиму города Алматы",
        "summary": summary,
        "applicants": [
            {
                "full_name": f"{SURNAMES[n % 7]} {NAMES[(n // 7) % 9]} {PATRONYMICS[(n // 63) % 6]}",
                "iin": fake_iin(n),
                "address": f"Алматы, {street} {house}, кв. {1 + n % 120}",
            }
        ],
    }


def client(port: int, path: str, headers: dict, count: int, worker: int, bodies: list, out) -> None:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
    latencies, numbers, statuses = [], [], Counter()
    for i, body in enumerate(bodies):
        start = time.perf_counter()
        conn.request(
            "POST",
            path,
            body=json.dumps(body),
            headers={**headers, "Idempotency-Key": f"bench-{worker}-{i}"},
        )
        resp = conn.getresponse()
        data = resp.read()
        latencies.append(time.perf_counter() - start)
        statuses[resp.status] += 1
        if resp.status == 201:
            numbers.append(json.loads(data)["reg_number"])
    out.put((latencies, numbers, statuses))


def serve(app: str, env: dict, workers: int, extra: list[str]) -> tuple[subprocess.Popen, int]:
    port = free_port()
    server = subprocess.Popen(
        [
            str(BIN / "gunicorn"),
            *("-w", str(workers), "-b", f"127.0.0.1:{port}", "--log-level", "warning"),
            *("--pythonpath", str(ROOT / "benchmarks"), *extra, app),
        ],
        env=env,
        cwd=ROOT,
    )
    for _ in range(300):
        try:
            c = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
            c.request("GET", "/healthz")
            if c.getresponse().status == 200:
                break
        except OSError:
            time.sleep(0.1)
    return server, port


def run(server_port: int, path: str, headers: dict, args) -> dict:
    # Warm up every worker (imports, caches) with a few registrations of their own, untimed.
    for k in range(args.workers * 2):
        c = http.client.HTTPConnection("127.0.0.1", server_port, timeout=120)
        body = payload(args.clients + 1, k, args.per_client)
        c.request("POST", path, json.dumps(body), {**headers, "Idempotency-Key": f"warm-{k}"})
        c.getresponse().read()
    queue: multiprocessing.Queue = multiprocessing.Queue()
    procs = [
        multiprocessing.Process(
            target=client,
            args=(
                server_port,
                path,
                headers,
                args.per_client,
                w,
                [payload(w, i, args.per_client) for i in range(args.per_client)],
                queue,
            ),
        )
        for w in range(args.clients)
    ]
    start = time.perf_counter()
    for p in procs:
        p.start()
    results = [queue.get() for _ in procs]
    elapsed = time.perf_counter() - start
    for p in procs:
        p.join()
    statuses: Counter = Counter()
    for r in results:
        statuses.update(r[2])
    return {
        "latencies": [x * 1000 for r in results for x in r[0]],
        "numbers": [n for r in results for n in r[1]],
        "statuses": statuses,
        "elapsed": elapsed,
    }


def numbering(result: dict, seqs_by_journal: dict[tuple, list[int]]) -> tuple[int, int]:
    """(duplicates, gaps): numbers answered twice or stored twice; numbers missing in 1..max."""
    dupes = sum(c - 1 for c in Counter(result["numbers"]).values() if c > 1)
    gaps = 0
    for seqs in seqs_by_journal.values():
        dupes += len(seqs) - len(set(seqs))
        gaps += max(seqs) - len(set(seqs)) if seqs else 0
    return dupes, gaps


def report(name: str, result: dict, dupes: int, gaps: int, args) -> None:
    ms, ok = result["latencies"], len(result["numbers"])
    statuses = ", ".join(f"{k}: {v}" for k, v in sorted(result["statuses"].items()))
    print(f"--- {name}")
    print(f"registered (201)             {ok} of {args.clients * args.per_client}   ({statuses})")
    print(f"duplicate numbers            {dupes}")
    print(f"gaps in the numbering        {gaps}")
    print(f"registrations/s              {ok / result['elapsed']:.1f}  ({result['elapsed']:.1f} s)")
    print(
        f"latency p50 / p95 / max      {percentile(ms, 50):.1f} / {percentile(ms, 95):.1f} / "
        f"{max(ms):.1f} ms"
    )


def _query(url: str | None, sqlite_path: Path | None, sql: str) -> list[tuple]:
    if url:
        import psycopg

        with psycopg.connect(url.replace("postgresql+psycopg://", "postgresql://")) as conn:
            return conn.execute(sql).fetchall()
    db = sqlite3.connect(sqlite_path)
    try:
        return db.execute(sql).fetchall()
    finally:
        db.close()


def _grouped(rows: list[tuple]) -> dict[tuple, list[int]]:
    out: dict[tuple, list[int]] = {}
    for *key, seq in rows:
        out.setdefault(tuple(key), []).append(int(seq))
    return out


def _databases(url: str) -> tuple[str, str]:
    """Two empty databases on the server of ``url`` (a superuser's): docflow's and the bare app's."""
    import psycopg

    base, _, _ = url.rpartition("/")
    suffix = os.getpid()
    with psycopg.connect(
        url.replace("postgresql+psycopg://", "postgresql://"), autocommit=True
    ) as conn:
        for name in (f"bench_reg_{suffix}", f"bench_bare_{suffix}"):
            conn.execute(f"CREATE DATABASE {name}")
    return f"{base}/bench_reg_{suffix}", f"{base}/bench_bare_{suffix}"


def bench_bare(args, url: str | None) -> dict:
    from bare_registration_app import create_schema

    sqlite_path = None
    if not url:
        sqlite_path = Path(tempfile.mkdtemp(prefix="docflow-bench-bare-")) / "bare.sqlite3"
    create_schema(url or str(sqlite_path))
    env = {**os.environ, "BARE_DATABASE": url or str(sqlite_path)}
    server, port = serve("bare_registration_app:app", env, args.workers, args.gunicorn)
    try:
        result = run(port, "/items", {"Content-Type": "application/json"}, args)
    finally:
        server.terminate()
        server.wait(timeout=30)
    rows = _query(url, sqlite_path, "SELECT 'individuals', reg_seq FROM item")
    (chain,) = _query(url, sqlite_path, "SELECT count(*) FROM audit")
    result["check"] = f"audit rows {chain[0]}"
    return {**result, "seqs": _grouped(rows)}


def bench_docflow(args, url: str | None) -> dict:
    path, env = instance("reg", url)
    token = subprocess.run(
        [str(BIN / "flask"), "--app", "docflow", "users", "token", "clerk"],
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    server, port = serve("wsgi:app", env, args.workers, args.gunicorn)
    headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
    try:
        result = run(port, "/api/v1/items", headers, args)
    finally:
        server.terminate()
        server.wait(timeout=30)
    rows = _query(
        url, path / "docflow.sqlite3", "SELECT journal, reg_year, reg_seq FROM incoming_item"
    )
    verify = subprocess.run(
        [str(BIN / "flask"), "--app", "docflow", "audit", "verify"],
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
    )
    result["check"] = (verify.stdout or verify.stderr).strip()
    return {**result, "seqs": _grouped(rows)}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--clients", type=int, default=8)
    ap.add_argument("--per-client", type=int, default=200)
    ap.add_argument("--workers", type=int, default=4, help="gunicorn workers (both apps)")
    ap.add_argument("--url", help="PostgreSQL (a superuser's URL): both apps on new databases")
    ap.add_argument("--only", choices=["bare", "docflow"], help="run one side only")
    ap.add_argument(
        "--gunicorn", nargs="*", default=[], help="more gunicorn settings, for both apps"
    )
    args = ap.parse_args()
    docflow_url = bare_url = None
    if args.url:
        docflow_url, bare_url = _databases(args.url)
    backend = "PostgreSQL" if args.url else "SQLite WAL"
    print(
        f"{args.clients} clients × {args.per_client} registrations, gunicorn {args.workers} "
        f"workers {' '.join(args.gunicorn)}, {backend}, load average {os.getloadavg()[0]:.1f}"
    )
    rates = {}
    for name, bench, url in (
        ("bare Flask + driver (3 writes)", bench_bare, bare_url),
        ("docflow POST /api/v1/items", bench_docflow, docflow_url),
    ):
        if args.only and not name.startswith(args.only):
            continue
        result = bench(args, url)
        dupes, gaps = numbering(result, result["seqs"])
        report(name, result, dupes, gaps, args)
        print(f"check                        {result['check']}")
        rates[name] = (len(result["numbers"]) / result["elapsed"], result["latencies"])
    if len(rates) == 2:
        (bare, bare_ms), (docflow, docflow_ms) = rates.values()
        print("---")
        print(
            f"ratio docflow / bare         {docflow / bare:.2f}  (registrations/s; p95 "
            f"{percentile(docflow_ms, 95):.0f} vs {percentile(bare_ms, 95):.0f} ms)"
        )


if __name__ == "__main__":
    main()
