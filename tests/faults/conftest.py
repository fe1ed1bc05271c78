"""Fault tests (issue 13, point 6): a real gunicorn server on the test's database and storage.

``server(**env)`` starts ``gunicorn wsgi:app`` (one sync worker) on the test's fresh database
(SQLite file, or the PostgreSQL clone) with files on disk under the test's folder, and the
fault hook (``docflow.core.faults``) armed by ``DOCFLOW_FAULT_*`` in ``env``. The test keeps
its own app context on the same database to set up and to check what the crash left.
"""

from __future__ import annotations

import contextlib
import http.client
import json
import os
import signal
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from flask import has_app_context

from docflow.extensions import db

ROOT = Path(__file__).resolve().parents[2]
READY_TIMEOUT = 30.0


@pytest.fixture
def app(make_app, tmp_path):
    """The demo office with files on disk (the backend production uses), in an app context."""
    app = make_app("demo", STORAGE_BACKEND="fs", STORAGE_PATH=str(tmp_path / "files"))
    with app.app_context():
        yield app


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@dataclass
class Reply:
    status: int
    headers: dict[str, str]
    body: bytes

    def json(self) -> dict:
        return json.loads(self.body)

    @property
    def text(self) -> str:
        return self.body.decode("utf-8", "replace")


def multipart(data: dict | None, files: list[tuple[str, bytes]]) -> tuple[bytes, str]:
    """A ``data`` JSON part and ``files`` parts, as the API takes a registration with files."""
    boundary = uuid.uuid4().hex
    parts = []
    if data is not None:
        parts.append(
            f'--{boundary}\r\nContent-Disposition: form-data; name="data"\r\n'
            f"Content-Type: application/json\r\n\r\n".encode()
            + json.dumps(data).encode()
            + b"\r\n"
        )
    for name, content in files:
        parts.append(
            f'--{boundary}\r\nContent-Disposition: form-data; name="files"; filename="{name}"\r\n'
            f"Content-Type: text/plain\r\n\r\n".encode()
            + content
            + b"\r\n"
        )
    body = b"".join(parts) + f"--{boundary}--\r\n".encode()
    return body, f"multipart/form-data; boundary={boundary}"


def _no_control_socket() -> list[str]:
    """gunicorn ≥ 24 opens a control socket in $HOME: one per machine, not one per server."""
    from gunicorn.config import KNOWN_SETTINGS

    names = {setting.name for setting in KNOWN_SETTINGS}
    return ["--no-control-socket"] if "control_socket_disable" in names else []


class Server:
    """``gunicorn wsgi:app`` with one worker, started and stopped by the test."""

    def __init__(self, url: str, folder: Path, env: dict[str, str], before_request=None) -> None:
        # The test's own session must hold no lock while the server writes (SQLite: one writer).
        self.before_request = before_request or (lambda: None)
        self.port = free_port()
        self.folder = folder
        self.log = folder / "gunicorn.log"
        environ = {k: v for k, v in os.environ.items() if not k.startswith("DOCFLOW_")}
        environ.update(
            DOCFLOW_DATABASE_URL=url,
            DOCFLOW_SECRET_KEY="fault-test-secret",
            DOCFLOW_INSTANCE_PATH=str(folder / "instance"),
            DOCFLOW_STORAGE_BACKEND="fs",
            DOCFLOW_STORAGE_PATH=str(folder / "files"),
            DOCFLOW_EXTRACTION_MODE="sync",
            DOCFLOW_TASK_MODE="sync",
            DOCFLOW_PDF_RENDERER="builtin",
            DOCFLOW_SQLITE_BUSY_TIMEOUT_MS="5000",
            DOCFLOW_CLI_LOCALE="en",
            **env,
        )
        with self.log.open("ab") as log:
            self.proc = subprocess.Popen(
                [
                    sys.executable,
                    "-m",
                    "gunicorn",
                    "--workers=1",
                    f"--bind=127.0.0.1:{self.port}",
                    "--timeout=60",
                    "--graceful-timeout=2",
                    "--preload",  # the app loaded once: a replaced worker is a fork, at once
                    *_no_control_socket(),
                    f"--chdir={ROOT}",
                    "wsgi:app",
                ],
                env=environ,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        self.wait_ready()

    def request(
        self,
        method: str,
        path: str,
        body: bytes | dict | None = None,
        headers: dict[str, str] | None = None,
        timeout: float = 20.0,
    ) -> Reply:
        self.before_request()
        headers = dict(headers or {})
        if isinstance(body, dict):
            body = json.dumps(body).encode()
            headers.setdefault("Content-Type", "application/json")
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=timeout)
        try:
            conn.request(method, path, body=body, headers=headers)
            resp = conn.getresponse()
            return Reply(resp.status, {k.lower(): v for k, v in resp.getheaders()}, resp.read())
        finally:
            conn.close()

    def wait_ready(self, timeout: float = READY_TIMEOUT) -> None:
        """Until a worker answers (after a start, or after the master replaced a dead worker)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise AssertionError(f"gunicorn exited:\n{self.log.read_text()[-3000:]}")
            with contextlib.suppress(OSError, http.client.HTTPException):
                if self.request("GET", "/api/v1/openapi.json", timeout=5).status == 200:
                    return
            time.sleep(0.1)
        raise AssertionError(f"gunicorn not ready:\n{self.log.read_text()[-3000:]}")

    def worker_pids(self) -> set[int]:
        """The master's children (from /proc: field 4 of ``stat`` is the parent's pid)."""
        pids = set()
        for stat in Path("/proc").glob("[0-9]*/stat"):
            with contextlib.suppress(OSError, ValueError, IndexError):
                fields = stat.read_text().rsplit(")", 1)[1].split()
                if int(fields[1]) == self.proc.pid:
                    pids.add(int(stat.parent.name))
        return pids

    def stop(self) -> None:
        if self.proc.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait(10)


@pytest.fixture
def server(app, tmp_path) -> Iterator:
    """``server(**env)`` → a running :class:`Server` on the test app's database and files."""
    started: list[Server] = []
    url = app.config["SQLALCHEMY_DATABASE_URI"]

    def release() -> None:
        if has_app_context():  # (a request sent from a thread has none, and nothing to drop)
            db.session.remove()

    def start(**env: str) -> Server:
        db.session.commit()  # nothing of the test's own held while the server writes
        db.session.remove()
        s = Server(url, tmp_path, env, before_request=release)
        started.append(s)
        return s

    yield start
    for s in started:
        s.stop()


@pytest.fixture
def fault_marker(tmp_path) -> Path:
    """The once-file: the process that fires the fault writes its pid here."""
    return tmp_path / "fault-fired"


def wait_for(path: Path, timeout: float = 20.0) -> int:
    """The pid a paused process wrote into ``path`` (it is at the fault point then)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with contextlib.suppress(FileNotFoundError, ValueError):
            text = path.read_text().strip()
            if text:
                return int(text)
        time.sleep(0.02)
    raise AssertionError(f"the fault point was never reached ({path})")
