"""A tiny PostgreSQL cluster of the test's own, to stop and start while the app serves.

The binaries are found as scripts/with-postgres.sh finds them (``PG_BINDIR``, ``pg_config
--bindir``, /usr/lib/postgresql/<major>/bin, ``initdb`` on PATH); as root the server runs as the
``postgres`` user. :func:`start_cluster` returns None when there are no binaries (the test
skips, saying so). Throwaway data: no fsync, trust authentication, 127.0.0.1 only.
"""

from __future__ import annotations

import contextlib
import glob
import os
import pwd
import shutil
import subprocess
import tempfile
import time
from pathlib import Path

from sqlalchemy import create_engine, text

SERVER_BINARIES = ("initdb", "pg_ctl", "postgres", "pg_isready")


def find_bindir() -> Path | None:
    candidates: list[str] = []
    if os.environ.get("PG_BINDIR"):
        candidates.append(os.environ["PG_BINDIR"])
    if shutil.which("pg_config"):
        out = subprocess.run(["pg_config", "--bindir"], capture_output=True, text=True)
        if out.returncode == 0 and out.stdout.strip():
            candidates.append(out.stdout.strip())

    def major(path: str) -> int:
        part = Path(path).parent.name
        return int(part) if part.isdigit() else 0

    candidates += sorted(glob.glob("/usr/lib/postgresql/*/bin"), key=major, reverse=True)
    if shutil.which("initdb"):
        candidates.append(str(Path(shutil.which("initdb")).parent))
    for c in candidates:
        if all(os.access(Path(c) / b, os.X_OK) for b in SERVER_BINARIES):
            return Path(c)
    return None


def _free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Cluster:
    def __init__(self, bindir: Path) -> None:
        self.bindir = bindir
        self.run_as = None
        if os.geteuid() == 0:  # PostgreSQL refuses to run as root
            for name in ("postgres", "nobody"):
                with contextlib.suppress(KeyError):
                    self.run_as = pwd.getpwnam(name)
                    break
            if self.run_as is None:
                raise RuntimeError("running as root, but no postgres/nobody user to run the server")
        # /tmp: the server user must be able to traverse every parent directory.
        self.dir = Path(tempfile.mkdtemp(prefix="docflow-fault-pg.", dir="/tmp"))
        self.data, self.sock, self.log = self.dir / "data", self.dir / "sock", self.dir / "log"
        self.sock.mkdir()
        if self.run_as is not None:
            for p in (self.dir, self.sock):
                os.chown(p, self.run_as.pw_uid, self.run_as.pw_gid)
        self.port = _free_port()
        self.started = False

    def _pg(
        self, *args: str, check: bool = True, timeout: float = 60
    ) -> subprocess.CompletedProcess:
        cmd = [str(self.bindir / args[0]), *args[1:]]
        if self.run_as is not None:
            cmd = ["runuser", "-u", self.run_as.pw_name, "--", *cmd]
        out = subprocess.run(cmd, cwd=self.dir, capture_output=True, text=True, timeout=timeout)
        if check and out.returncode != 0:
            log = self.log.read_text() if self.log.exists() else ""
            raise RuntimeError(f"{args[0]} failed: {out.stdout}{out.stderr}\n{log[-2000:]}")
        return out

    def init(self) -> None:
        for locale in ("C.UTF-8", "C"):
            out = self._pg(
                "initdb", "-D", str(self.data), "--auth=trust", "-U", "docflow",
                "--encoding=UTF8", f"--locale={locale}", "--no-sync", check=False,
            )  # fmt: skip
            if out.returncode == 0:
                return
            shutil.rmtree(self.data, ignore_errors=True)
        raise RuntimeError(f"initdb failed: {out.stdout}{out.stderr}")

    def start(self) -> None:
        """Start (again, on the same port and data): returns when it accepts connections."""
        opts = (
            f"-F -c fsync=off -c synchronous_commit=off -c full_page_writes=off -p {self.port} "
            f"-k {self.sock} -c listen_addresses=127.0.0.1 -c max_connections=50"
        )
        self._pg("pg_ctl", "-D", str(self.data), "-l", str(self.log), "-w", "-t", "30", "-o", opts, "start")  # fmt: skip
        self.started = True
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            ready = self._pg(
                "pg_isready", "-q", "-h", "127.0.0.1", "-p", str(self.port), "-U", "docflow",
                check=False,
            )  # fmt: skip
            if ready.returncode == 0:
                return
            time.sleep(0.2)
        raise RuntimeError("PostgreSQL did not become ready")

    def stop(self, mode: str = "fast") -> None:
        """``fast``: the server ends every session (a restart as an administrator does it)."""
        self._pg("pg_ctl", "-D", str(self.data), "-m", mode, "-w", "-t", "30", "stop")
        self.started = False

    def restart(self) -> None:
        self.stop()
        self.start()

    def url(self, database: str = "postgres") -> str:
        return f"postgresql+psycopg://docflow@127.0.0.1:{self.port}/{database}"

    def create_database(self, name: str) -> str:
        engine = create_engine(self.url(), isolation_level="AUTOCOMMIT")
        try:
            with engine.connect() as conn:
                conn.execute(text(f'CREATE DATABASE "{name}"'))
        finally:
            engine.dispose()
        return self.url(name)

    def destroy(self) -> None:
        if self.started:
            try:
                self.stop("immediate")
            except (RuntimeError, subprocess.TimeoutExpired):
                pid_file = self.data / "postmaster.pid"
                with contextlib.suppress(FileNotFoundError, ValueError, ProcessLookupError):
                    os.kill(int(pid_file.read_text().split()[0]), 9)
        shutil.rmtree(self.dir, ignore_errors=True)


def start_cluster() -> Cluster | None:
    bindir = find_bindir()
    if bindir is None:
        return None
    cluster = Cluster(bindir)
    try:
        cluster.init()
        cluster.start()
    except BaseException:
        cluster.destroy()
        raise
    return cluster
