"""A day's mix under load: 50 concurrent users of every role on gunicorn + PostgreSQL (locust).

Clerks register appeals with a small PDF (``POST /api/v1/items``, multipart) and look things up
in the journal; controllers distribute registered items to a subdivision and search; heads open
the routing card, assign an executor the card offers (R-ROUTE-4: never a blocked one) and
approve submitted answers (numbered in the outgoing journal); executors open their item and
submit the answer with its document; journal readers search by words, filters and an IIN (in a
POST body, R-PD-1). Each user takes work that exists: items seeded in every state before the
run, then the items the others move on (``load_locustfile.py``). Heads and executors do not
search the whole journal: they have no such permission (their cards are their reading).

The script starts a throwaway PostgreSQL (``scripts/with-postgres.sh``; ``--url`` for a server
of your own, a superuser's URL: a new database is made on it; ``--sqlite`` for a quick smoke
run), migrates and loads the demo profile, creates the accounts and their API tokens, seeds
items, serves with gunicorn (2 × cores workers, as in production) and runs locust headless.
Prints per action p50/p95/max and requests/s, every error with its status and body (there must
be none) and the tracebacks of the gunicorn log, then the numbering check of the incoming and
outgoing journals (0 duplicates, 0 gaps) and ``flask audit verify``.

    .venv/bin/python benchmarks/load_day.py [--users 50] [--duration 120] [--sqlite]
    .venv/bin/python benchmarks/load_day.py --url postgresql+psycopg://docflow@127.0.0.1:5432/postgres
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import BIN, PYTHON, ROOT, free_port, instance, percentile

HERE = Path(__file__).resolve().parent
# The subdivisions that take the day's post, each with a head and executors made for the run.
SUBDIVISIONS = ["ENERGY", "HOUSING", "MOBILITY", "EDU", "SOCIAL", "COMFORT"]
EXECUTORS_PER_SUBDIVISION = 4
CLERKS, CONTROLLERS = 10, 4
PASSWORD = "load-day-password"  # noqa: S105 (throwaway accounts of a throwaway database)
SEED = {"registered": 40, "distributed": 40, "assigned": 40, "answered": 20}
SEARCH_WORDS = ["горячей воды", "мусор", "дорогу", "освещение", "площадку", "крыша", "Абая"]
SEARCH_FILTERS = [
    {"state": "registered"},
    {"state": "in_work", "kind": "statement"},
    {"subdivision": "ENERGY"},
    {"channel": "eotinish", "per_page": 20},
]
PER_CLIENT = 1000  # applicant numbers per registering client (``registration_concurrency``)


# --- shared with the locustfile: what a request sends --------------------------------------


def registration_body(client: int, i: int) -> dict:
    """The ``i``-th appeal of registering client ``client``: a new applicant, now and then one
    writing again on the same question (``registration_concurrency.payload``)."""
    from registration_concurrency import payload

    return payload(client, i % PER_CLIENT, PER_CLIENT)


def pdf_bytes() -> bytes:
    """A small one-page PDF letter with a text layer (a scanned-in appeal's stand-in)."""
    path = Path(os.environ.get("LOAD_DAY_PDF") or "")
    if path.is_file():
        return path.read_bytes()
    from fpdf import FPDF

    pdf = FPDF()
    pdf.add_page()
    pdf.set_font("Helvetica", size=12)
    for line in (
        "To the Akim of Almaty city",
        "Statement",
        "There has been no hot water in our building for three weeks.",
        "Please take measures and answer in writing.",
    ):
        pdf.cell(0, 10, line, new_x="LMARGIN", new_y="NEXT")
    return bytes(pdf.output())


def multipart_registration(client: int, i: int, pdf: bytes) -> tuple[dict, list]:
    return (
        {"data": json.dumps(registration_body(client, i), ensure_ascii=False)},
        [("files", ("appeal.pdf", pdf, "application/pdf"))],
    )


def multipart_answer(pdf: bytes) -> tuple[dict, list]:
    body = {"summary": "Горячая вода подана, заявителю разъяснено.", "final": True}
    return {"data": json.dumps(body, ensure_ascii=False)}, [
        ("file", ("answer.pdf", pdf, "application/pdf"))
    ]


def free_executor(routing: dict, executors: dict) -> str | None:
    """The first executor the routing card offers who may take the item (R-ROUTE-4)."""
    for c in routing.get("executor_candidates", []):
        if not c["blocked"] and c["username"] in executors:
            return c["username"]
    return None


# --- accounts (run inside the instance's app) ----------------------------------------------


def _accounts() -> None:
    """Create the run's accounts with ``org.operations.create_user`` and print their tokens."""
    from docflow import create_app
    from docflow.api import issue_token
    from docflow.cli import _as_cli_actor
    from docflow.extensions import db
    from docflow.org.operations import create_user

    app = create_app()
    out: dict = {"clerks": [], "controllers": [], "heads": {}, "executors": {}}
    with app.app_context():
        _as_cli_actor()

        def user(name: str, full: str, roles: list) -> str:
            return issue_token(create_user(name, full, PASSWORD, roles))

        for n in range(CLERKS):
            out["clerks"].append(user(f"load.clerk{n}", f"Регистратор {n}", [("registrar", None)]))
        for n in range(CONTROLLERS):
            out["controllers"].append(
                user(f"load.control{n}", f"Контролёр {n}", [("controller", None)])
            )
        for code in SUBDIVISIONS:
            low = code.lower()
            out["heads"][code] = user(f"load.head.{low}", f"Руководитель {code}", [("head", code)])
            for n in range(EXECUTORS_PER_SUBDIVISION):
                name = f"load.exec{n}.{low}"
                out["executors"][name] = user(name, f"Исполнитель {n} {code}", [("executor", code)])
        db.session.commit()
    print(json.dumps(out))


# --- the run --------------------------------------------------------------------------------


def _database(url: str) -> str:
    """A new empty database on the server of ``url`` (a superuser's)."""
    import psycopg

    base, _, _ = url.rpartition("/")
    name = f"load_day_{os.getpid()}"
    with psycopg.connect(
        url.replace("postgresql+psycopg://", "postgresql://"), autocommit=True
    ) as conn:
        conn.execute(f"CREATE DATABASE {name}")
    return f"{base}/{name}"


def _serve(env: dict, workers: int, log: Path) -> tuple[subprocess.Popen, str]:
    import requests

    port = free_port()
    server = subprocess.Popen(
        [
            *(str(BIN / "gunicorn"), "-w", str(workers), "-b", f"127.0.0.1:{port}"),
            *("--log-level", "warning", "--error-logfile", str(log), "wsgi:app"),
        ],
        env=env,
        cwd=ROOT,
        stderr=subprocess.STDOUT,
        stdout=log.open("ab"),
    )
    host = f"http://127.0.0.1:{port}"
    for _ in range(600):
        try:
            if requests.get(f"{host}/healthz", timeout=2).status_code == 200:
                return server, host
        except requests.RequestException:
            pass
        if server.poll() is not None:
            break
        time.sleep(0.1)
    server.terminate()
    raise SystemExit(f"gunicorn did not start; see {log}")


def _seed(host: str, accounts: dict, pdf: bytes, threads: int) -> dict:
    """Items in every state before the run, through the API (the way the users move them):
    each item's steps in order, ``threads`` items at a time."""
    from concurrent.futures import ThreadPoolExecutor

    import requests

    def call(token: str, method: str, path: str, **kw) -> dict:
        headers = {"Authorization": f"Bearer {token}"}
        r = requests.request(method, host + path, headers=headers, timeout=120, **kw)
        if r.status_code >= 300:
            raise SystemExit(f"seeding: {method} {path} → {r.status_code} {r.text[:500]}")
        return r.json()

    stages = [k for k, count in SEED.items() for _ in range(count)]

    def one(i: int) -> tuple[str, list] | None:
        data, files = multipart_registration(900, i, pdf)  # client 900: the seed's applicants
        item = call(accounts["clerks"][0], "POST", "/api/v1/items", data=data, files=files)["id"]
        if stages[i] == "registered":
            return "registered", item
        sub = SUBDIVISIONS[i % len(SUBDIVISIONS)]
        call(accounts["controllers"][0], "POST", f"/api/v1/items/{item}/routing/distribute",
             json={"subdivisions": [sub]})  # fmt: skip
        if stages[i] == "distributed":
            return "distributed", [item, sub]
        head = accounts["heads"][sub]
        executor = free_executor(
            call(head, "GET", f"/api/v1/items/{item}/routing"), accounts["executors"]
        )
        if executor is None:
            return None
        call(head, "POST", f"/api/v1/items/{item}/routing/assign", json={"executors": [executor]})
        if stages[i] == "assigned":
            return "assigned", [item, executor, sub]
        data, files = multipart_answer(pdf)
        token = accounts["executors"][executor]
        call(token, "POST", f"/api/v1/items/{item}/routing/answer", data=data, files=files)
        return "answered", [item, sub]

    state: dict[str, list] = {k: [] for k in SEED}
    with ThreadPoolExecutor(threads) as pool:
        for done in pool.map(one, range(len(stages))):
            if done is not None:
                state[done[0]].append(done[1])
    return state


def _cpu(server: subprocess.Popen, database: str | None) -> dict[str, dict[int, float]]:
    """CPU seconds so far of the gunicorn workers and of the database's server processes (by pid):
    a figure the shared machine's other load changes less than the latencies."""
    import psutil

    def seconds(p) -> float:
        t = p.cpu_times()
        return t.user + t.system

    out: dict[str, dict[int, float]] = {"gunicorn": {}, "postgres": {}}
    for p in psutil.Process(server.pid).children():
        out["gunicorn"][p.pid] = seconds(p)
    if database:
        for p in psutil.process_iter(["cmdline"]):
            if f" {database} " in " ".join(p.info["cmdline"] or []):
                out["postgres"][p.pid] = seconds(p)
    return out


class _Backends:
    """Samples ``pg_stat_activity`` of the database twice a second during the run: how many of
    its backends are busy, idle inside a transaction, or waiting for a lock (and on what)."""

    def __init__(self, url: str) -> None:
        import threading

        self.url, self.samples, self.waits = url, Counter(), Counter()
        self.n, self.stop = 0, threading.Event()
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.thread.start()

    def _run(self) -> None:
        import psycopg

        sql = (
            "SELECT state, wait_event_type, wait_event, left(query, 60) FROM pg_stat_activity"
            " WHERE datname = current_database() AND pid <> pg_backend_pid()"
        )
        dsn = self.url.replace("postgresql+psycopg://", "postgresql://")
        with psycopg.connect(dsn, autocommit=True) as conn:
            while not self.stop.wait(0.5):
                self.n += 1
                for state, wtype, wevent, query in conn.execute(sql).fetchall():
                    self.samples[state or "?"] += 1
                    if wtype == "Lock":
                        self.samples["waiting on a lock"] += 1
                        self.waits[f"{wevent}: {' '.join(query.split())}"] += 1

    def report(self) -> str:
        self.stop.set()
        self.thread.join(timeout=10)
        n = self.n or 1
        busy = ", ".join(f"{k} {v / n:.1f}" for k, v in sorted(self.samples.items()))
        lines = [f"PostgreSQL backends          mean of {self.n} samples: {busy or '-'}"]
        for what, count in self.waits.most_common(3):
            lines.append(f"  lock wait {count / n:.2f}: {what}")
        return "\n".join(lines)


def _cpu_used(before: dict, after: dict) -> dict[str, float]:
    return {k: sum(v - before[k].get(pid, 0.0) for pid, v in after[k].items()) for k in after}


def _locust(args, host: str, state_path: Path, out_path: Path, env: dict) -> float:
    """Run locust headless; returns the CPU seconds it used (the load's own cost)."""
    import resource

    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    cmd = [str(BIN / "locust"), "-f", str(HERE / "load_locustfile.py"), "--headless"]
    cmd += ["-u", str(args.users), "-r", str(args.spawn_rate), "-t", f"{args.duration}s"]
    cmd += ["--host", host, "--only-summary", "--loglevel", "WARNING", "--stop-timeout", "30"]
    run_env = {**env, "LOAD_DAY_STATE": str(state_path), "LOAD_DAY_OUT": str(out_path)}
    run_env["LOAD_DAY_WAIT"] = args.wait
    with (out_path.parent / "locust.log").open("wb") as log:  # its own summary: not ours
        subprocess.run(cmd, env=run_env, cwd=HERE, stdout=log, stderr=log)
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime


def _numbering(url: str | None, sqlite_path: Path) -> list[str]:
    from registration_concurrency import _grouped, _query

    lines = []
    for title, sql in (
        ("incoming", "SELECT journal, reg_year, reg_seq FROM incoming_item"),
        ("outgoing", "SELECT reg_journal, reg_year, reg_seq FROM letter WHERE reg_seq IS NOT NULL"),
    ):
        seqs = _grouped(_query(url, sqlite_path, sql))
        count = sum(len(v) for v in seqs.values())
        dupes = sum(len(v) - len(set(v)) for v in seqs.values())
        gaps = sum(max(v) - len(set(v)) for v in seqs.values() if v)
        lines.append(
            f"{title + ' numbers':<28} {count} in {len(seqs)} journal(s): "
            f"{dupes} duplicates, {gaps} gaps"
        )
    return lines


def _report(result: dict, args, log: Path) -> int:
    samples: dict[str, list[float]] = result["samples"]
    elapsed = result["elapsed"]
    total = sum(len(v) for v in samples.values())
    print(f"{'action':<34} {'n':>6} {'p50 ms':>8} {'p95 ms':>8} {'max ms':>8} {'req/s':>7}")
    for name in sorted(samples):
        ms = samples[name]
        print(
            f"{name:<34} {len(ms):>6} {percentile(ms, 50):>8.0f} {percentile(ms, 95):>8.0f} "
            f"{max(ms):>8.0f} {len(ms) / elapsed:>7.1f}"
        )
    every = [x for v in samples.values() for x in v]
    print(
        f"{'all':<34} {total:>6} {percentile(every, 50):>8.0f} {percentile(every, 95):>8.0f} "
        f"{max(every, default=0):>8.0f} {total / elapsed:>7.1f}"
    )
    moved = ", ".join(f"{k} {v}" for k, v in sorted(result["done"].items()))
    print(f"work done                    {moved}")
    if result["idle"]:
        idle = ", ".join(f"{k} {v}" for k, v in sorted(result["idle"].items()))
        print(f"found no work (waited)       {idle}")
    failures = result["failures"]
    print(f"errors                       {len(failures)}")
    for f in failures[:20]:
        print(f"  {f['name']}: {f['status']} {f['body']}")
    text = log.read_text(errors="replace") if log.exists() else ""
    tracebacks = text.count("Traceback (most recent call last)")
    worker_timeouts = text.count("WORKER TIMEOUT")
    print(
        f"gunicorn log                 {tracebacks} tracebacks, {worker_timeouts} worker timeouts"
    )
    if tracebacks:
        start = text.index("Traceback (most recent call last)")
        print(text[max(0, start - 300) : start + 4000])
    return len(failures) + tracebacks


def main() -> None:
    if sys.argv[1:2] == ["_accounts"]:
        return _accounts()
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--users", type=int, default=50, help="concurrent users (default 50)")
    ap.add_argument("--spawn-rate", type=float, default=10, help="users started per second")
    ap.add_argument("--duration", type=int, default=120, help="seconds of load (default 120)")
    ap.add_argument("--url", help="PostgreSQL server (a superuser's URL): a new database on it")
    ap.add_argument("--sqlite", action="store_true", help="SQLite instead (a quick smoke run)")
    ap.add_argument("--workers", type=int, default=2 * (os.cpu_count() or 1), help="gunicorn")
    ap.add_argument("--wait", default="1,3", help="a user's think time: MIN,MAX seconds")
    ap.add_argument(
        "--extraction", choices=["thread", "off"], default="thread", help="text extraction"
    )
    ap.add_argument("--pg-started", action="store_true", help=argparse.SUPPRESS)
    args = ap.parse_args()
    if not (BIN / "locust").exists():
        raise SystemExit("locust is not installed: .venv/bin/pip install -e '.[bench]'")
    url = args.url
    if not args.sqlite and not url:
        if not args.pg_started:  # a throwaway PostgreSQL around this same command
            script = ROOT / "scripts" / "with-postgres.sh"
            argv = ["bash", str(script), PYTHON, __file__, *sys.argv[1:], "--pg-started"]
            os.execvp("bash", argv)  # noqa: S606 (argv, no shell)
        url = os.environ["DOCFLOW_TEST_DATABASE_URL"]
    db_url = _database(url) if url else None
    path, env = instance("load", db_url)
    env["DOCFLOW_EXTRACTION_MODE"] = json.dumps(args.extraction)
    accounts = json.loads(
        subprocess.run(
            [PYTHON, __file__, "_accounts"], env=env, cwd=ROOT, check=True, capture_output=True
        ).stdout
    )
    pdf_path = path / "appeal.pdf"
    pdf_path.write_bytes(pdf_bytes())
    env["LOAD_DAY_PDF"] = str(pdf_path)
    pdf = pdf_path.read_bytes()
    log = path / "gunicorn.log"
    backend = "PostgreSQL" if url else "SQLite WAL"
    print(
        f"{args.users} users for {args.duration} s, gunicorn {args.workers} workers, {backend}, "
        f"extraction {args.extraction}, think time {args.wait} s, "
        f"{os.cpu_count()} cores, load average {os.getloadavg()[0]:.1f}"
    )
    server, host = _serve(env, args.workers, log)
    try:
        t = time.perf_counter()
        state = _seed(host, accounts, pdf, args.workers)
        seeded = Counter({k: len(v) for k, v in state.items()})
        print(f"seeded in {time.perf_counter() - t:.0f} s: {dict(seeded)}")
        state_path, out_path = path / "state.json", path / "result.json"
        state_path.write_text(json.dumps({"accounts": accounts, "items": state}))
        cpu_before = _cpu(server, db_url and db_url.rpartition("/")[2])
        backends = _Backends(db_url) if db_url else None
        locust_cpu = _locust(args, host, state_path, out_path, env)
        if backends is not None:
            backends.stop.set()
        cpu = _cpu_used(cpu_before, _cpu(server, db_url and db_url.rpartition("/")[2]))
    finally:
        server.terminate()
        server.wait(timeout=60)
    print(f"load average after           {os.getloadavg()[0]:.1f}")
    if not out_path.exists():
        print((path / "locust.log").read_text(errors="replace")[-4000:])
        raise SystemExit("locust left no result")
    result = json.loads(out_path.read_text())
    bad = _report(result, args, log)
    requests_done = sum(len(v) for v in result["samples"].values()) or 1
    print(
        f"server CPU per request       gunicorn {cpu['gunicorn'] / requests_done * 1000:.0f} ms"
        + (f", PostgreSQL {cpu['postgres'] / requests_done * 1000:.0f} ms" if url else "")
        + f"  ({cpu['gunicorn']:.0f} s + {cpu['postgres']:.0f} s of CPU in {result['elapsed']:.0f} s;"
        f" locust itself {locust_cpu:.0f} s)"
    )
    if backends is not None:
        print(backends.report())
    for line in _numbering(db_url, path / "docflow.sqlite3"):
        print(line)
    verify = subprocess.run(
        [str(BIN / "flask"), "--app", "docflow", "audit", "verify"],
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
    )
    print(f"audit verify                 {(verify.stdout or verify.stderr).strip()}")
    print(f"instance                     {path}")
    sys.exit(1 if bad or verify.returncode else 0)


if __name__ == "__main__":
    main()
