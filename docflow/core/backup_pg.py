"""The PostgreSQL side of backups: ``pg_dump``/``pg_restore`` of the server's own major version.

``pg_dump`` refuses a server newer than itself and an older one may miss what a newer server
dumps, so the tools are looked up by the major version the server reports: ``PG_BINDIR``
(``DOCFLOW_PG_BINDIR``), Debian's ``/usr/lib/postgresql/<major>/bin``, ``pg_config --bindir``,
then ``PATH``; none of that version is a clear error, never a silent mismatch. The password
goes to the tools in ``PGPASSWORD``, not on their command line.
"""

from __future__ import annotations

import contextlib
import os
import re
import shutil
import subprocess
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from sqlalchemy import create_engine
from sqlalchemy.engine import URL, Connection, Engine
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.pool import NullPool

from docflow.core.backup_archive import BackupError

VERSION_RE = re.compile(r"\(PostgreSQL\)\s+(\d+)")


def server_version(conn: Connection) -> tuple[int, str]:
    """(major, full version) of the server ``conn`` is on."""
    num = int(conn.exec_driver_sql("SHOW server_version_num").scalar())
    return num // 10000, str(conn.exec_driver_sql("SHOW server_version").scalar())


def _tool_major(exe: Path) -> int | None:
    try:
        out = subprocess.run(  # noqa: S603 - a PostgreSQL tool, no shell
            [str(exe), "--version"], capture_output=True, text=True, timeout=30, check=False
        ).stdout
    except (OSError, subprocess.SubprocessError):
        return None
    match = VERSION_RE.search(out)
    return int(match.group(1)) if match else None


def _candidate_dirs(name: str, major: int) -> list[Path]:
    from flask import current_app

    dirs = []
    if configured := current_app.config.get("PG_BINDIR"):
        dirs.append(Path(str(configured)))
    dirs.append(Path(f"/usr/lib/postgresql/{major}/bin"))
    if pg_config := shutil.which("pg_config"):
        with contextlib.suppress(OSError, subprocess.SubprocessError):
            bindir = subprocess.run(  # noqa: S603 - pg_config, no shell
                [pg_config, "--bindir"], capture_output=True, text=True, timeout=30, check=False
            ).stdout.strip()
            if bindir:
                dirs.append(Path(bindir))
    if on_path := shutil.which(name):
        dirs.append(Path(on_path).parent)
    return dirs


def tool(name: str, major: int) -> str:
    """The path of ``name`` (pg_dump, pg_restore) of PostgreSQL ``major``."""
    seen = []
    for directory in _candidate_dirs(name, major):
        exe = directory / name
        if not exe.is_file() or not os.access(exe, os.X_OK):
            continue
        found = _tool_major(exe)
        if found == major:
            return str(exe)
        seen.append(f"{exe} is PostgreSQL {found}")
    raise BackupError(
        f"{name} of PostgreSQL {major} (the server's version) not found"
        + (f" ({'; '.join(seen)})" if seen else "")
        + f": install postgresql-client-{major}, or set DOCFLOW_PG_BINDIR to its bin directory"
    )


def conninfo(url: URL) -> tuple[str, dict[str, str]]:
    """A libpq URI without the password, and the environment that carries the password."""
    env = dict(os.environ)
    if url.password is not None:
        env["PGPASSWORD"] = str(url.password)
    uri = url._replace(drivername="postgresql", password=None)
    return uri.render_as_string(hide_password=False), env


def _run(args: list[str], env: dict[str, str], what: str, error: Any = None) -> None:
    proc = subprocess.run(args, capture_output=True, text=True, env=env, check=False)  # noqa: S603
    if proc.returncode != 0:
        lines = [line for line in proc.stderr.strip().splitlines() if line.strip()]
        message = f"{what} failed: {' / '.join(lines[-3:]) or f'exit status {proc.returncode}'}"
        raise (error or BackupError)(message)


def dump(engine: Engine, out: Path) -> dict[str, Any]:
    """``pg_dump`` of an exported snapshot; the revision and audit head read in that snapshot."""
    from docflow.core.backup import _facts

    with engine.connect() as conn:
        conn.execution_options(isolation_level="REPEATABLE READ")
        with conn.begin():
            snapshot = conn.exec_driver_sql("SELECT pg_export_snapshot()").scalar()
            major, version = server_version(conn)
            facts = _facts(conn)
            exe = tool("pg_dump", major)
            uri, env = conninfo(engine.url)
            # The transaction stays open while pg_dump runs: the snapshot lives as long as it.
            _run(
                [
                    exe,
                    "--format=custom",
                    f"--snapshot={snapshot}",
                    f"--file={out}",
                    f"--dbname={uri}",
                ],
                env,
                "pg_dump",
            )
    return {**facts, "server_version": version}


def _pg_restore(engine: Engine, url: URL, archive: Path, error: Any = None) -> None:
    with engine.connect() as conn:
        major, _ = server_version(conn)
    exe = tool("pg_restore", major)
    uri, env = conninfo(url)
    _run(
        [
            exe,
            "--no-owner",
            "--no-privileges",
            "--single-transaction",
            "--exit-on-error",
            f"--dbname={uri}",
            str(archive),
        ],
        env,
        "pg_restore",
        error,
    )


def restore(engine: Engine, archive: Path, *, clean: bool) -> None:
    """Load a dump into the app's database (emptied first when ``clean``), in one transaction."""
    if clean:
        with engine.begin() as conn:
            conn.exec_driver_sql("DROP SCHEMA public CASCADE")
            conn.exec_driver_sql("CREATE SCHEMA public")
    _pg_restore(engine, engine.url, archive)
    engine.dispose()


@contextlib.contextmanager
def scratch_database(engine: Engine, archive: Path, problem: type[Exception]) -> Iterator[Engine]:
    """The dump restored into a throwaway database on the app's server; dropped afterwards."""
    if engine.dialect.name != "postgresql":
        raise problem(
            "checking a PostgreSQL backup restores it into a scratch database: run verify with "
            "DOCFLOW_DATABASE_URL pointing at a PostgreSQL server"
        )
    base = re.sub(r"[^A-Za-z0-9_]", "_", engine.url.database or "docflow")[:40]
    name = f"{base}_verify_{uuid.uuid4().hex[:8]}"
    admin = create_engine(engine.url, isolation_level="AUTOCOMMIT", poolclass=NullPool)
    try:
        try:
            with admin.connect() as conn:
                conn.exec_driver_sql(f'CREATE DATABASE "{name}"')
        except SQLAlchemyError as exc:
            raise BackupError(
                f"cannot create a scratch database to check the dump (the role needs CREATEDB): "
                f"{getattr(exc, 'orig', exc)}"
            ) from None
        url = engine.url.set(database=name)
        scratch = create_engine(url, poolclass=NullPool)
        try:
            _pg_restore(scratch, url, archive, problem)
            yield scratch
        finally:
            scratch.dispose()
            with admin.connect() as conn:
                conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    finally:
        admin.dispose()
