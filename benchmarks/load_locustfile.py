"""The users of ``load_day.py``: clerks, controllers, heads, executors and journal readers.

Each role takes work that exists — the items ``load_day.py`` seeded in every state, then those
the other users move on (one process: the queues below are shared by all its users) — and does
what its role does with it through the REST API. Every response that is not 2xx is an error,
recorded with its status and body; every request's time is kept under the action's name.
``LOAD_DAY_STATE`` names the accounts and seeded items, ``LOAD_DAY_OUT`` the result file.
"""

from __future__ import annotations

import itertools
import json
import os
import random
import sys
import time
from collections import Counter, deque
from pathlib import Path

from locust import HttpUser, between, events, task

sys.path.insert(0, str(Path(__file__).resolve().parent))
from load_day import (
    SEARCH_FILTERS,
    SEARCH_WORDS,
    free_executor,
    multipart_answer,
    multipart_registration,
    pdf_bytes,
    registration_body,
)

# Without LOAD_DAY_STATE (run directly, as `make bench` runs every script): nothing to do.
_STATE_PATH = os.environ.get("LOAD_DAY_STATE")
STATE = json.loads(Path(_STATE_PATH).read_text()) if _STATE_PATH else {
    "accounts": {"clerks": [], "controllers": [], "heads": {}, "executors": {}},
    "items": {"registered": [], "distributed": [], "assigned": [], "answered": []},
}  # fmt: skip
ACCOUNTS = STATE["accounts"]
ITEMS = STATE["items"]
REGISTERED: deque = deque(ITEMS["registered"])  # id
DISTRIBUTED: deque = deque(tuple(x) for x in ITEMS["distributed"])  # (id, subdivision)
ASSIGNED: deque = deque(tuple(x) for x in ITEMS["assigned"])  # (id, executor, subdivision)
ANSWERED: deque = deque(tuple(x) for x in ITEMS["answered"])  # (id, subdivision)
SUBDIVISIONS = sorted(ACCOUNTS["heads"])
PDF = pdf_bytes() if _STATE_PATH else b""
WAIT = [float(x) for x in os.environ.get("LOAD_DAY_WAIT", "1,3").split(",")]

SAMPLES: dict[str, list[float]] = {}
FAILURES: list[dict] = []
DONE: Counter = Counter()
IDLE: Counter = Counter()
CLIENTS = itertools.count()  # a registering client's number: its own applicants
SPAN: dict[str, float] = {}


@events.request.add_listener
def _record(name, response_time, exception, response=None, **_kw) -> None:
    SAMPLES.setdefault(name, []).append(response_time)
    if exception is not None:
        status = getattr(response, "status_code", None)
        body = (getattr(response, "text", "") or str(exception))[:500]
        FAILURES.append({"name": name, "status": status, "body": body})


@events.user_error.add_listener
def _user_error(user_instance, exception, tb, **_kw) -> None:
    FAILURES.append({"name": f"{type(user_instance).__name__} task", "status": None,
                     "body": repr(exception)[:500]})  # fmt: skip


@events.test_start.add_listener
def _start(**_kw) -> None:
    SPAN["start"] = time.perf_counter()


@events.test_stop.add_listener
def _stop(**_kw) -> None:
    elapsed = time.perf_counter() - SPAN.get("start", time.perf_counter())
    out = {"samples": SAMPLES, "failures": FAILURES, "done": DONE, "idle": IDLE}
    Path(os.environ["LOAD_DAY_OUT"]).write_text(json.dumps({**out, "elapsed": elapsed}))


class Office(HttpUser):
    """A user of the office: an API token and the journal searches its role may make."""

    abstract = True
    wait_time = between(*WAIT)

    def headers(self, token: str | None = None) -> dict:
        return {"Authorization": f"Bearer {token or self.token}"}

    def post(self, name: str, path: str, token: str | None = None, **kw):
        return self.client.post(path, name=name, headers=self.headers(token), **kw)

    def get(self, name: str, path: str, token: str | None = None, **kw):
        return self.client.get(path, name=name, headers=self.headers(token), **kw)

    def search_words(self) -> None:
        self.get("search ?q=words", "/api/v1/items", params={"q": random.choice(SEARCH_WORDS)})

    def search_filters(self) -> None:
        self.get("search ?filters", "/api/v1/items", params=random.choice(SEARCH_FILTERS))

    def search_iin(self) -> None:
        # R-PD-1: an IIN travels in a POST body, never in the URL.
        body = registration_body(random.randrange(100), random.randrange(50))
        iin = body["applicants"][0]["iin"]
        self.post("search POST iin", "/api/v1/items/search", json={"q": iin})


class Clerk(Office):
    weight = 14

    def on_start(self) -> None:
        self.client_no, self.n = next(CLIENTS), 0
        self.token = ACCOUNTS["clerks"][self.client_no % len(ACCOUNTS["clerks"])]

    @task(4)
    def register(self) -> None:
        data, files = multipart_registration(self.client_no, self.n, PDF)
        key = f"load-{self.client_no}-{self.n}"
        self.n += 1
        headers = {**self.headers(), "Idempotency-Key": key}
        r = self.client.post(
            "/api/v1/items", name="register + PDF", data=data, files=files, headers=headers
        )
        if r.status_code == 201:
            REGISTERED.append(r.json()["id"])
            DONE["registered"] += 1

    @task(1)
    def search(self) -> None:
        random.choice([self.search_words, self.search_filters, self.search_iin])()


class Controller(Office):
    weight = 6

    def on_start(self) -> None:
        self.token = random.choice(ACCOUNTS["controllers"])

    @task(4)
    def distribute(self) -> None:
        if not REGISTERED:
            IDLE["distribute"] += 1
            return
        item, sub = REGISTERED.popleft(), random.choice(SUBDIVISIONS)
        self.get("item card", f"/api/v1/items/{item}")
        r = self.post(
            "distribute", f"/api/v1/items/{item}/routing/distribute", json={"subdivisions": [sub]}
        )
        if r.ok:
            DISTRIBUTED.append((item, sub))
            DONE["distributed"] += 1

    @task(2)
    def search(self) -> None:
        random.choice([self.search_words, self.search_filters, self.search_iin])()


class Head(Office):
    weight = 8

    @task(3)
    def assign(self) -> None:
        if not DISTRIBUTED:
            IDLE["assign"] += 1
            return
        item, sub = DISTRIBUTED.popleft()
        token = ACCOUNTS["heads"][sub]
        r = self.get("routing card", f"/api/v1/items/{item}/routing", token)
        if not r.ok:
            return
        executor = free_executor(r.json(), ACCOUNTS["executors"])
        if executor is None:  # R-ROUTE-4 blocks them all: the controller's way out, not here
            IDLE["assign: all blocked"] += 1
            return
        r = self.post(
            "assign",
            f"/api/v1/items/{item}/routing/assign",
            token,
            json={"executors": [executor]},
        )
        if r.ok:
            ASSIGNED.append((item, executor, sub))
            DONE["assigned"] += 1

    @task(2)
    def approve(self) -> None:
        if not ANSWERED:
            IDLE["approve"] += 1
            return
        item, sub = ANSWERED.popleft()
        token = ACCOUNTS["heads"][sub]
        self.get("routing card", f"/api/v1/items/{item}/routing", token)
        r = self.post("approve", f"/api/v1/items/{item}/routing/approve", token, json={})
        if r.ok:
            DONE["approved"] += 1


class Executor(Office):
    weight = 14

    @task
    def answer(self) -> None:
        if not ASSIGNED:
            IDLE["answer"] += 1
            return
        item, executor, sub = ASSIGNED.popleft()
        token = ACCOUNTS["executors"][executor]
        self.get("item card", f"/api/v1/items/{item}", token)
        data, files = multipart_answer(PDF)
        r = self.post(
            "answer + PDF", f"/api/v1/items/{item}/routing/answer", token, data=data, files=files
        )
        if r.ok:
            ANSWERED.append((item, sub))
            DONE["answered"] += 1


class Reader(Office):
    """Someone looking things up in the journal all day (a controller's account)."""

    weight = 8

    def on_start(self) -> None:
        self.token = random.choice(ACCOUNTS["controllers"])

    @task(3)
    def words(self) -> None:
        self.search_words()

    @task(2)
    def filters(self) -> None:
        self.search_filters()

    @task(1)
    def iin(self) -> None:
        self.search_iin()


if __name__ == "__main__":
    print("the users of benchmarks/load_day.py, which runs them: locust -f load_locustfile.py")
