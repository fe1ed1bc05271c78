"""Backups: the database and the stored files, each with its SHA-256, in one archive.

An archive is a directory, or a ``.tar`` file, holding::

    manifest.json       app version, migration revision, database kind, the audit chain head,
                        every file's name, SHA-256 and size, when it was made
    database.sqlite3    SQLite: a copy by the online backup API (one read transaction, so it is
                        consistent while the app writes)
    database.pgdump     PostgreSQL: ``pg_dump --format=custom`` of an exported snapshot, the same
                        snapshot the manifest's audit head was read in
    files/<key>         every stored file (content-addressed: the key is its SHA-256)

The database is copied first, then the files: a file is stored before the row that names it is
committed, so every file the copy refers to is already there. ``verify_backup`` checks the
hashes, opens the database, walks its audit chain and compares the head with the manifest;
``restore_backup`` loads a verified archive into an empty instance and verifies the result.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import sqlite3
import tempfile
import urllib.parse
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import create_engine, inspect, text
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.exc import SQLAlchemyError

from docflow.core import audit
from docflow.core import backup_pg as pg
from docflow.core.backup_archive import (
    Archive,
    BackupError,
    BackupProblem,
    DirWriter,
    TarWriter,
    copy_hashing,
    open_archive,
)
from docflow.core.storage import FileSystemStorage, MemoryStorage, Storage, get_storage
from docflow.extensions import db

FORMAT = "docflow-backup"
FORMAT_VERSION = 1
MANIFEST = "manifest.json"
FILES = "files/"
DATABASE_NAMES = {"sqlite": "database.sqlite3", "postgresql": "database.pgdump"}


@dataclass(frozen=True)
class VerifyReport:
    ok: bool
    problem: str | None
    manifest: dict[str, Any] | None
    files: int = 0
    audit_entries: int = 0


def stored_keys(storage: Storage) -> list[str]:
    """Every key in the storage (the interface has no listing; each backend is asked its way)."""
    if hasattr(storage, "keys"):
        return sorted(storage.keys())  # a backend that can list itself
    if isinstance(storage, MemoryStorage):
        return sorted(storage.files)
    if isinstance(storage, FileSystemStorage):
        if not storage.root.exists():
            return []
        # root/ab/cd/<key>; upload temporaries (".upload-…") sit in the root and are skipped.
        return sorted(p.name for p in storage.root.glob("??/??/*") if storage.exists(p.name))
    raise BackupError(f"cannot list the files of a {type(storage).__name__} storage")


def _is_sha256(key: str) -> bool:
    return len(key) == 64 and all(c in "0123456789abcdef" for c in key)


def create_backup(target: str | Path) -> dict[str, Any]:
    """Write a backup of the app's database and files to ``target`` (``*.tar`` or a directory).

    Returns the manifest. The archive appears only when complete.
    """
    target = Path(target).absolute()
    if target.exists():
        raise BackupError(f"{target} already exists")
    if not target.parent.is_dir():
        raise BackupError(f"{target.parent} is not a directory")
    engine = db.engine
    kind = engine.dialect.name
    if kind not in DATABASE_NAMES:
        raise BackupError(f"cannot back up a {kind} database")
    writer = TarWriter(target) if target.suffix == ".tar" else DirWriter(target)
    try:
        with tempfile.TemporaryDirectory(dir=target.parent, prefix=".backup-db-") as tmp:
            dump = Path(tmp) / DATABASE_NAMES[kind]
            snapshot = _sqlite_snapshot if kind == "sqlite" else pg.dump
            facts = snapshot(engine, dump)
            db_sha, db_size = writer.add(dump.name, dump)
        storage = get_storage()
        files = []
        for key in stored_keys(storage):
            with storage.local_path(key) as path:
                sha, size = writer.add(FILES + key, Path(path))
            if _is_sha256(key) and sha != key:
                raise BackupError(f"stored file {key} does not match its SHA-256 ({sha})")
            files.append({"name": key, "sha256": sha, "size": size})
        manifest = {
            "format": FORMAT,
            "format_version": FORMAT_VERSION,
            "app_version": app_version(),
            "migration_revision": facts["revision"],
            "database": {
                "kind": kind,
                "name": DATABASE_NAMES[kind],
                "sha256": db_sha,
                "size": db_size,
                **({"server_version": facts["server_version"]} if kind == "postgresql" else {}),
            },
            "audit": {"head_seq": facts["head_seq"], "head_hash": facts["head_hash"]},
            "files": files,
            "created_at": dt.datetime.now(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        }
        writer.add_bytes(MANIFEST, json.dumps(manifest, indent=2).encode("utf-8"))
        writer.commit()
    except BaseException:
        writer.abort()
        raise
    return manifest


def app_version() -> str:
    from importlib import metadata

    try:
        return metadata.version("docflow")
    except metadata.PackageNotFoundError:
        return "unknown"


def _sqlite_file(engine: Engine) -> Path:
    name = engine.url.database
    if not name or name == ":memory:" or name.startswith("file:"):
        raise BackupError(f"the SQLite database {name!r} is not a plain file")
    return Path(name)


def _sqlite_snapshot(engine: Engine, out: Path) -> dict[str, Any]:
    source = _sqlite_file(engine)
    if not source.exists():
        raise BackupError(f"no database at {source}")
    src = sqlite3.connect(source)
    try:
        src.execute("PRAGMA busy_timeout=15000")
        dst = sqlite3.connect(out)
        try:
            src.backup(dst)  # every page in one step: one read transaction, one snapshot
            dst.execute("PRAGMA journal_mode=DELETE")  # one self-contained file
        finally:
            dst.close()
    finally:
        src.close()
    with _sqlite_engine(out) as conn:
        return _facts(conn)


@contextlib.contextmanager
def _sqlite_engine(path: Path) -> Iterator[Connection]:
    # immutable: a backup's copy is never written, so reading it creates no -wal/-shm beside it
    uri = f"file:{urllib.parse.quote(str(path))}?mode=ro&immutable=1"
    engine = create_engine("sqlite://", creator=lambda: sqlite3.connect(uri, uri=True))
    try:
        with engine.connect() as conn:
            yield conn
    finally:
        engine.dispose()


def _facts(conn: Connection) -> dict[str, Any]:
    """The migration revision and the audit chain head of the database ``conn`` is on."""
    revision = conn.execute(text("SELECT version_num FROM alembic_version")).scalar()
    head = conn.execute(text("SELECT seq, last_hash FROM audit_chain_head WHERE id = 1")).first()
    return {
        "revision": revision,
        "head_seq": int(head.seq) if head is not None else 0,
        "head_hash": head.last_hash if head is not None else audit.GENESIS,
    }


def _read_manifest(archive: Archive, names: set[str]) -> dict[str, Any]:
    if MANIFEST not in names:
        raise BackupProblem(f"{MANIFEST} is missing")
    with archive.open(MANIFEST) as fh:
        try:
            manifest = json.loads(fh.read().decode("utf-8"))
        except ValueError as exc:
            raise BackupProblem(f"{MANIFEST} is not valid JSON ({exc})") from None
    if not isinstance(manifest, dict) or manifest.get("format") != FORMAT:
        raise BackupProblem(f"{MANIFEST} is not a docflow backup manifest")
    if manifest.get("format_version") != FORMAT_VERSION:
        raise BackupProblem(f"unknown backup format version {manifest.get('format_version')}")
    kind = (manifest.get("database") or {}).get("kind")
    if kind not in DATABASE_NAMES:
        raise BackupProblem(f"unknown database kind {kind!r}")
    return manifest


def _check_hash(archive: Archive, name: str, sha256: str, size: int) -> None:
    with archive.open(name) as fh:
        actual_sha, actual_size = copy_hashing(fh)
    if actual_size != size:
        raise BackupProblem(f"{name}: {actual_size} bytes, the manifest says {size}")
    if actual_sha != sha256:
        raise BackupProblem(f"{name}: SHA-256 {actual_sha} does not match the manifest")


def check_database(conn: Connection, manifest: dict[str, Any]) -> int:
    """Revision, audit chain and chain head of a database against a manifest; the entry count."""
    try:
        facts = _facts(conn)
    except SQLAlchemyError as exc:
        raise BackupProblem(
            f"the database does not open: {getattr(exc, 'orig', None) or exc}"
        ) from None
    if facts["revision"] != manifest.get("migration_revision"):
        raise BackupProblem(
            f"database revision {facts['revision']} differs from the manifest's "
            f"{manifest.get('migration_revision')}"
        )
    result = audit.verify(conn=conn)
    if not result.ok:
        raise BackupProblem(
            f"audit trail BROKEN at entry {result.broken_seq}: {result.reason} "
            f"({result.checked} entries before it verified)"
        )
    head = manifest.get("audit") or {}
    if (facts["head_seq"], facts["head_hash"]) != (head.get("head_seq"), head.get("head_hash")):
        raise BackupProblem(
            f"audit chain head {facts['head_seq']}/{facts['head_hash']} differs from the "
            f"manifest's {head.get('head_seq')}/{head.get('head_hash')}"
        )
    return result.checked


def _check_backup_database(archive: Archive, manifest: dict[str, Any], tmp: Path) -> int:
    entry = manifest["database"]
    dump = archive.local(entry["name"], tmp)
    if entry["kind"] == "sqlite":
        with _sqlite_engine(dump) as conn:
            try:
                check = conn.exec_driver_sql("PRAGMA quick_check").scalar()
            except SQLAlchemyError as exc:
                raise BackupProblem(
                    f"the database does not open: {getattr(exc, 'orig', None) or exc}"
                ) from None
            if check != "ok":
                raise BackupProblem(f"the database is damaged: {check}")
            return check_database(conn, manifest)
    with pg.scratch_database(db.engine, dump, BackupProblem) as engine, engine.connect() as conn:
        return check_database(conn, manifest)


def verify_backup(path: str | Path) -> VerifyReport:
    """Check a backup; the report names the first problem found."""
    manifest = None
    try:
        with open_archive(path) as archive:
            names = archive.names()
            manifest = _read_manifest(archive, names)
            database = manifest["database"]
            files = manifest.get("files") or []
            expected = {MANIFEST, database["name"]} | {FILES + f["name"] for f in files}
            if missing := sorted(expected - names):
                raise BackupProblem(
                    f"{missing[0]}: listed in the manifest, missing from the backup"
                )
            if extra := sorted(names - expected):
                raise BackupProblem(f"{extra[0]}: in the backup, not in the manifest")
            for f in files:
                _check_hash(archive, FILES + f["name"], f["sha256"], f["size"])
            _check_hash(archive, database["name"], database["sha256"], database["size"])
            with tempfile.TemporaryDirectory(prefix="docflow-verify-") as tmp:
                entries = _check_backup_database(archive, manifest, Path(tmp))
    except BackupProblem as exc:
        return VerifyReport(False, str(exc), manifest)
    return VerifyReport(True, None, manifest, len(files), entries)


# --- restoring ------------------------------------------------------------------------------


def _has_tables(engine: Engine) -> bool:
    if engine.dialect.name == "sqlite" and not _sqlite_file(engine).exists():
        return False
    with engine.connect() as conn:
        return bool(inspect(conn).get_table_names())


def _known_revision(revision: str) -> bool:
    from alembic.script import ScriptDirectory
    from flask import current_app

    script = ScriptDirectory(current_app.extensions["migrate"].directory)
    try:
        return script.get_revision(revision) is not None
    except Exception:  # alembic raises several kinds for an unknown id
        return False


def restore_backup(path: str | Path, *, force: bool = False) -> VerifyReport:
    """Load a verified backup into this app's (empty) database and storage; verify the result.

    Files go first: they are content-addressed, so storing them again is harmless, and the
    database never names a file that is not there. Stop the app's servers and workers first.
    """
    engine = db.engine
    url = engine.url.render_as_string(hide_password=True)
    if not force and _has_tables(engine):
        raise BackupError(f"the database {url} is not empty; use --force to overwrite it")
    report = verify_backup(path)
    if not report.ok:
        raise BackupError(f"the backup does not verify: {report.problem}")
    manifest = report.manifest
    assert manifest is not None
    kind = manifest["database"]["kind"]
    if kind != engine.dialect.name:
        raise BackupError(
            f"a {kind} backup cannot be restored into a {engine.dialect.name} database"
        )
    if not _known_revision(manifest["migration_revision"]):
        raise BackupError(
            f"the backup's migration revision {manifest['migration_revision']} is unknown to "
            f"this docflow ({app_version()}); restore it with the version that made it "
            f"({manifest.get('app_version')})"
        )
    db.session.remove()
    engine.dispose()
    storage = get_storage()
    with (
        open_archive(path) as archive,
        tempfile.TemporaryDirectory(prefix="docflow-restore-") as tmp,
    ):
        for f in manifest["files"]:
            with archive.open(FILES + f["name"]) as fh:
                stored = storage.save(fh)
            if stored.sha256 != f["sha256"] or (_is_sha256(f["name"]) and stored.key != f["name"]):
                raise BackupError(f"{f['name']}: stored as {stored.key}, SHA-256 {stored.sha256}")
        dump = archive.local(manifest["database"]["name"], Path(tmp))
        if kind == "sqlite":
            _sqlite_restore(dump, _sqlite_file(engine))
        else:
            pg.restore(engine, dump, clean=force)
    engine.dispose()
    restored = verify_instance(manifest)
    if not restored.ok:
        raise BackupError(f"the restored instance does not verify: {restored.problem}")
    return restored


def _sqlite_restore(dump: Path, target: Path) -> None:
    target.parent.mkdir(parents=True, exist_ok=True)
    src = sqlite3.connect(dump)
    try:
        dst = sqlite3.connect(target)
        try:
            dst.execute("PRAGMA busy_timeout=15000")
            src.backup(dst)  # through SQLite, so a -wal file of an overwritten database is reset
        finally:
            dst.close()
    finally:
        src.close()


def verify_instance(manifest: dict[str, Any]) -> VerifyReport:
    """This app's database and storage against a manifest: audit chain, head, every file."""
    storage = get_storage()
    try:
        entries = check_database(db.session.connection(), manifest)
        for f in manifest["files"]:
            if not storage.exists(f["name"]):
                raise BackupProblem(f"{f['name']}: not in the storage")
            with storage.open(f["name"]) as fh:
                sha, size = copy_hashing(fh)
            if (sha, size) != (f["sha256"], f["size"]):
                raise BackupProblem(f"{f['name']}: stored content does not match the manifest")
    except BackupProblem as exc:
        return VerifyReport(False, str(exc), manifest)
    finally:
        db.session.rollback()
    return VerifyReport(True, None, manifest, len(manifest["files"]), entries)


def record(action: str, manifest: dict[str, Any], path: str | Path) -> None:
    """An audit entry for a backup made or restored (a whole copy of the personal data)."""
    audit.record(
        action,
        object_type="backup",
        summary={
            "archive": str(Path(path).absolute()),
            "created_at": manifest["created_at"],
            "head_seq": manifest["audit"]["head_seq"],
            "files": len(manifest["files"]),
        },
    )
    db.session.commit()
