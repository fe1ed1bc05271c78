"""Concurrent registration through the API on SQLite: 8 processes × 200 registrations.

Prints the count, duplicate and missing numbers (both must be 0), registrations per second and
latency percentiles. The server is gunicorn with 4 worker processes on a fresh SQLite instance.
    .venv/bin/python benchmarks/registration_concurrency.py [--clients 8] [--per-client 200]
"""

from __future__ import annotations

import argparse
import http.client
import json
import multiprocessing
import sqlite3
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import BIN, ROOT, free_port, instance, percentile

PAYLOAD = {
    "kind": "statement",
    "channel": "eotinish",
    "language": "ru",
    "addressee": "Акиму города Алматы",
    "summary": "Нет горячей воды в доме по улице Абая, 10, третью неделю",
    "applicants": [
        {
            "full_name": "Серикбаев Нурлан Аскарович",
            "iin": "850315301235",
            "address": "Алматы, Абая 10",
        }
    ],
}


def client(port: int, token: str, count: int, worker: int, out: multiprocessing.Queue) -> None:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    latencies, numbers, errors = [], [], 0
    for i in range(count):
        body = json.dumps(PAYLOAD)
        start = time.perf_counter()
        conn.request(
            "POST",
            "/api/v1/items",
            body=body,
            headers={
                "Authorization": f"Bearer {token}",
                "Content-Type": "application/json",
                "Idempotency-Key": f"bench-{worker}-{i}",
            },
        )
        resp = conn.getresponse()
        data = resp.read()
        latencies.append(time.perf_counter() - start)
        if resp.status == 201:
            numbers.append(json.loads(data)["reg_number"])
        else:
            errors += 1
    out.put((latencies, numbers, errors))


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--clients", type=int, default=8)
    ap.add_argument("--per-client", type=int, default=200)
    ap.add_argument("--workers", type=int, default=4)
    args = ap.parse_args()

    path, env = instance("reg")
    token = subprocess.run(
        [str(BIN / "flask"), "--app", "docflow", "users", "token", "clerk"],
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    port = free_port()
    server = subprocess.Popen(
        [
            str(BIN / "gunicorn"),
            "-w",
            str(args.workers),
            "-b",
            f"127.0.0.1:{port}",
            "--log-level",
            "warning",
            "wsgi:app",
        ],
        env=env,
        cwd=ROOT,
    )
    try:
        for _ in range(100):
            try:
                http.client.HTTPConnection("127.0.0.1", port, timeout=1).request("GET", "/healthz")
                break
            except OSError:
                time.sleep(0.1)
        time.sleep(0.5)
        queue: multiprocessing.Queue = multiprocessing.Queue()
        procs = [
            multiprocessing.Process(target=client, args=(port, token, args.per_client, w, queue))
            for w in range(args.clients)
        ]
        start = time.perf_counter()
        for p in procs:
            p.start()
        results = [queue.get() for _ in procs]
        elapsed = time.perf_counter() - start
        for p in procs:
            p.join()
    finally:
        server.terminate()
        server.wait(timeout=10)

    latencies = [x for r in results for x in r[0]]
    numbers = [n for r in results for n in r[1]]
    errors = sum(r[2] for r in results)
    db = sqlite3.connect(path / "docflow.sqlite3")
    seqs = sorted(
        s for (s,) in db.execute("SELECT reg_seq FROM incoming_item WHERE journal = 'individuals'")
    )
    dupes = sum(c - 1 for c in Counter(numbers).values() if c > 1)
    gaps = (seqs[-1] - len(seqs)) if seqs else 0
    expected = args.clients * args.per_client
    print(f"registrations requested      {expected}")
    print(f"registered (201)             {len(numbers)}   errors: {errors}")
    print(f"rows in the journal          {len(seqs)}")
    print(f"duplicate numbers            {dupes}")
    print(f"gaps in the numbering        {gaps}")
    print(
        f"registrations/s              {len(numbers) / elapsed:.1f}  ({elapsed:.1f} s, {args.clients} clients, "
        f"gunicorn {args.workers} workers, SQLite WAL)"
    )
    ms = [x * 1000 for x in latencies]
    print(
        f"latency p50 / p95 / max      {percentile(ms, 50):.1f} / {percentile(ms, 95):.1f} / {max(ms):.1f} ms"
    )
    verify = subprocess.run(
        [str(BIN / "flask"), "--app", "docflow", "audit", "verify"],
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
    )
    print(f"audit chain                  {(verify.stdout or verify.stderr).strip()}")


if __name__ == "__main__":
    main()
