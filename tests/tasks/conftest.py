"""A real Redis and real Celery workers for the tests marked ``redis``.

``redis`` starts a throwaway ``redis-server`` (a Unix socket, no persistence) for the module;
``celery_world`` an app on a fresh database file whose files are on a shared folder, set up for
the Celery path, and a ``start_worker()`` that starts ``celery -A docflow.worker worker`` as a
separate process over the same database, storage and broker. Without ``redis-server`` the tests
are skipped — except under ``CI=true``, where they must run.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from docflow.extensions import db

ROOT = Path(__file__).resolve().parents[2]
CELERY = Path(sys.executable).with_name("celery")
TRANSPORT = {"visibility_timeout": 4, "unacked_restore_interval": 1, "unacked_restore_throttle": 1}


def _require(what: str, present: bool) -> None:
    if present:
        return
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail(f"{what} is required under CI=true (scripts/install-test-deps.sh)")
    pytest.skip(f"{what} is not installed")


@pytest.fixture(scope="module")
def redis(tmp_path_factory) -> Iterator[str]:
    """The URL of a throwaway Redis (killed at the end of the module)."""
    server = shutil.which("redis-server")
    _require("redis-server", server is not None)
    _require("celery", CELERY.exists())
    folder = tmp_path_factory.mktemp("redis")
    sock = folder / "redis.sock"
    proc = subprocess.Popen(
        [
            server,
            "--port",
            "0",
            "--unixsocket",
            str(sock),
            "--unixsocketperm",
            "700",
            "--save",
            "",
            "--appendonly",
            "no",
            "--dir",
            str(folder),
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 10
        while not sock.exists():
            if proc.poll() is not None or time.monotonic() > deadline:
                pytest.fail("redis-server did not start")
            time.sleep(0.05)
        yield f"redis+socket://{sock}"
    finally:
        proc.terminate()
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


@dataclass
class CeleryWorld:
    app: object
    config: dict
    tmp: Path
    workers: list[subprocess.Popen] = field(default_factory=list)

    def env(self) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if not k.startswith("DOCFLOW_")}
        env["PYTHONPATH"] = str(ROOT)
        env["DOCFLOW_INSTANCE_PATH"] = str(self.tmp / "worker-instance")
        env["DOCFLOW_DATABASE_URL"] = self.config["SQLALCHEMY_DATABASE_URI"]
        for key, value in self.config.items():
            if key != "SQLALCHEMY_DATABASE_URI":
                env["DOCFLOW_" + key] = value if isinstance(value, str) else json.dumps(value)
        return env

    def start_worker(self, name: str = "w1", pool: str = "solo") -> subprocess.Popen:
        log = self.tmp / f"{name}.log"
        out = log.open("wb")
        proc = subprocess.Popen(
            [
                str(CELERY),
                "-A",
                "docflow.worker",
                "worker",
                f"--pool={pool}",
                "-c",
                "1",
                "-n",
                f"{name}@%h",
                "-Q",
                "docflow",
                "--without-mingle",
                "--without-gossip",
                "--without-heartbeat",
                "--loglevel=INFO",
            ],
            cwd=ROOT,
            env=self.env(),
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # its own process group: killed as a whole
        )
        out.close()
        self.workers.append(proc)
        deadline = time.monotonic() + 60
        while b"ready." not in log.read_bytes():
            if proc.poll() is not None or time.monotonic() > deadline:
                pytest.fail(f"celery worker {name} did not start:\n{log.read_text()[-3000:]}")
            time.sleep(0.1)
        return proc

    def start_beat(self) -> subprocess.Popen:
        log = self.tmp / "wbeat.log"
        with log.open("wb") as out:
            proc = subprocess.Popen(
                [str(CELERY), "-A", "docflow.worker", "beat", "--loglevel=INFO",
                 "-s", str(self.tmp / "beat-schedule")],
                cwd=ROOT,
                env=self.env(),
                stdout=out,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )  # fmt: skip
        self.workers.append(proc)
        return proc

    def kill(self, proc: subprocess.Popen, sig: int = signal.SIGKILL) -> None:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, sig)
        proc.wait(30)

    def stop(self) -> None:
        for proc in self.workers:
            if proc.poll() is None:
                self.kill(proc, signal.SIGTERM)
        for log in sorted(self.tmp.glob("w*.log")):  # shown when the test failed
            print(f"--- {log.name}\n{log.read_text(errors='replace')[-5000:]}")


@pytest.fixture
def celery_world(redis, make_app, tmp_path) -> Iterator[CeleryWorld]:
    """An app (in its context) on the Celery path; ``start_worker()`` runs workers for it."""
    config = {
        "BROKER_URL": redis,
        "BROKER_TRANSPORT_OPTIONS": TRANSPORT,
        "STORAGE_BACKEND": "fs",
        "STORAGE_PATH": str(tmp_path / "shared-files"),
        "TASK_MODULES": ["tests.tasks.sample_tasks"],
        "TASK_LEASE_SECONDS": 2,
        "TASK_RETRY_BACKOFF": 0.2,
        "TEST_TASK_LOG": str(tmp_path / "effects.log"),
        "SECRET_KEY": "test-secret",
        "EXTRACTION_MODE": "off",  # nothing runs in the test process: only the workers
    }
    app = make_app("demo", **config)
    config["SQLALCHEMY_DATABASE_URI"] = app.config["SQLALCHEMY_DATABASE_URI"]
    world = CeleryWorld(app, config, tmp_path)
    _flush(redis)
    with app.app_context():
        try:
            yield world
        finally:
            world.stop()
            db.session.remove()


def _flush(url: str) -> None:
    import redis as redis_client

    redis_client.Redis(unix_socket_path=url.removeprefix("redis+socket://")).flushall()


def wait_for(check: Callable[[], object], timeout: float = 60, what: str = "") -> object:
    """Poll ``check`` (in a fresh transaction each time) until it returns something truthy."""
    from docflow.core.db import sqlite_begin_mode

    deadline = time.monotonic() + timeout
    while True:
        with sqlite_begin_mode("DEFERRED"):  # a reader: never the write lock the workers need
            value = check()
        if value:
            return value
        db.session.rollback()
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what or check}")
        time.sleep(0.1)
