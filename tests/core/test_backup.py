"""Backups (issue 13, point 6): ``flask backup create | verify | restore`` into a fresh instance.

The database (SQLite online backup, PostgreSQL pg_dump) and every stored file with its SHA-256;
verify checks the hashes, the database, its audit chain (R-AUDIT-3) and the chain head.
"""

from __future__ import annotations

import io
import json
import sqlite3
import tarfile
import threading
import uuid
from pathlib import Path

import pytest
from sqlalchemy import func, select

from docflow import create_app
from docflow.core import audit, backup, backup_pg
from docflow.core.audit import AuditEntry
from docflow.core.storage import get_storage
from docflow.extensions import db
from docflow.registry import operations
from docflow.registry.models import Attachment, IncomingItem
from tests.conftest import DEMO_PASSWORD, base_config


@pytest.fixture
def app(make_app, tmp_path):
    """The source instance: the demo office, files on disk (the backend production uses)."""
    app = make_app("demo", STORAGE_BACKEND="fs", STORAGE_PATH=str(tmp_path / "source-files"))
    with app.app_context():
        yield app


@pytest.fixture
def fresh(app, databases, tmp_path, monkeypatch):
    """A fresh instance: its own instance folder (files under it) and a database with no tables."""
    instance = tmp_path / "restored-instance"
    monkeypatch.setenv("DOCFLOW_INSTANCE_PATH", str(instance))
    if databases.backend == "sqlite":
        url = f"sqlite:///{instance / 'docflow.sqlite3'}"
    else:
        name = f"{databases.prefix}restore_{uuid.uuid4().hex[:8]}"
        databases._exec(f'CREATE DATABASE "{name}"')
        url = databases._url(name)
    target = create_app(base_config(url, STORAGE_BACKEND="fs"))
    yield target
    with target.app_context():
        db.session.remove()
        db.engine.dispose()
    if databases.backend != "sqlite":
        databases.drop(url)


def _items_with_files(make_item, clerk, n: int = 2) -> dict[str, bytes]:
    """n registered items, each with a distinct file; {public_id: file content}."""
    made = {}
    for i in range(n):
        item = make_item(summary=f"Жертөледе кәріз құбыры ағып жатыр {i}")
        content = f"Өтініш {i} {uuid.uuid4().hex}\n".encode() * 50
        operations.attach(item, f"letter-{i}.txt", io.BytesIO(content), clerk)
        made[item.public_id] = content
    db.session.commit()
    return made


def _create(runner, target: Path) -> dict:
    result = runner.invoke(args=["backup", "create", str(target)])
    assert result.exit_code == 0, result.output
    db.session.remove()
    with backup.open_archive(target) as archive, archive.open(backup.MANIFEST) as fh:
        return json.loads(fh.read())


def _invoke(app, *args: str):
    """Run a CLI command on ``app``: in its own app context, since the test holds the source's
    (the CLI would otherwise run on whichever app is current)."""
    with app.app_context():
        return app.test_cli_runner().invoke(args=list(args))


def _verify(target: Path, app) -> tuple[int, str]:
    result = _invoke(app, "backup", "verify", str(target))
    return result.exit_code, result.output


@pytest.mark.parametrize("archive_name", ["backup-dir", "backup.tar"])
def test_r_audit_3_backup_restores_items_files_and_chain_into_a_fresh_instance(
    app, fresh, runner, make_item, clerk, tmp_path, archive_name
):
    made = _items_with_files(make_item, clerk)
    head_before = db.session.get(audit.AuditChainHead, 1)
    head_seq, head_hash = head_before.seq, head_before.last_hash
    archive = tmp_path / archive_name
    manifest = _create(runner, archive)
    assert archive.is_dir() == (archive_name == "backup-dir")
    keys = {
        a.storage_key: a.sha256
        for a in db.session.scalars(select(Attachment).where(Attachment.storage_key.is_not(None)))
    }
    assert keys and {f["name"]: f["sha256"] for f in manifest["files"]}.items() >= keys.items()
    assert manifest["audit"] == {"head_seq": head_seq, "head_hash": head_hash}
    assert manifest["database"]["kind"] == db.engine.dialect.name
    assert manifest["migration_revision"] and manifest["app_version"]
    # The backup itself is in the source's trail (a whole copy of the personal data).
    last = db.session.scalars(select(AuditEntry).order_by(AuditEntry.seq.desc())).first()
    assert last.action == "backup.create"

    code, out = _verify(archive, app)
    assert code == 0 and "backup intact" in out, out

    restored = _invoke(fresh, "backup", "restore", str(archive))
    assert restored.exit_code == 0, restored.output
    with fresh.app_context():
        for public_id, content in made.items():
            item = db.session.scalar(
                select(IncomingItem).where(IncomingItem.public_id == public_id)
            )
            assert item is not None
            [att] = [a for a in item.attachments if a.filename.startswith("letter-")]
            with get_storage().open(att.storage_key) as fh:
                assert fh.read() == content
        # Under the fresh instance folder: the file backend's default place.
        assert str(get_storage().root).startswith(fresh.instance_path)
        result = audit.verify()
        assert result.ok and result.checked == head_seq + 1  # + the restore's own entry
        last = db.session.scalars(select(AuditEntry).order_by(AuditEntry.seq.desc())).first()
        assert last.action == "backup.restore"
        db.session.remove()
    verified = _invoke(fresh, "audit", "verify")
    assert verified.exit_code == 0 and "audit trail intact" in verified.output

    # The restored app works: the clerk logs in and downloads a restored file.
    client = fresh.test_client()
    login = client.post("/login", data={"username": "clerk", "password": DEMO_PASSWORD})
    assert login.status_code == 302 and "/login" not in login.headers["Location"]
    public_id, content = next(iter(made.items()))
    with fresh.app_context():
        item = db.session.scalar(select(IncomingItem).where(IncomingItem.public_id == public_id))
        att = next(a for a in item.attachments if a.filename.startswith("letter-"))
        att_id = att.public_id
        db.session.remove()
    page = client.get(f"/registry/{public_id}")
    assert page.status_code == 200
    download = client.get(f"/registry/{public_id}/files/{att_id}")
    assert download.status_code == 200 and download.data == content


def test_tampered_file_in_the_backup_is_found(app, fresh, runner, make_item, clerk, tmp_path):
    made = _items_with_files(make_item, clerk, n=1)
    archive = tmp_path / "backup"
    manifest = _create(runner, archive)
    sha = next(
        f["sha256"] for f in manifest["files"] if f["size"] == len(next(iter(made.values())))
    )
    path = archive / "files" / sha
    path.write_bytes(path.read_bytes().replace(b"\n", b" ", 1))  # same size, other content

    code, out = _verify(archive, app)
    assert code == 1
    assert f"files/{sha}" in out and "SHA-256" in out and "does not match" in out

    restored = _invoke(fresh, "backup", "restore", str(archive))
    assert restored.exit_code == 1 and "does not verify" in restored.output
    with fresh.app_context():
        assert not backup._has_tables(db.engine)  # nothing restored from a broken backup


def test_missing_and_unlisted_files_are_found(app, runner, make_item, clerk, tmp_path):
    _items_with_files(make_item, clerk, n=1)
    archive = tmp_path / "backup"
    manifest = _create(runner, archive)
    (archive / "files" / "extra").write_bytes(b"not listed")
    code, out = _verify(archive, app)
    assert code == 1 and "files/extra: in the backup, not in the manifest" in out
    (archive / "files" / "extra").unlink()
    (archive / "files" / manifest["files"][0]["name"]).unlink()
    code, out = _verify(archive, app)
    assert code == 1 and "missing from the backup" in out


def test_r_audit_3_tampered_audit_entry_in_the_backup_database_is_found(
    app, runner, make_item, clerk, tmp_path, backend
):
    if backend != "sqlite":
        pytest.skip("edits the SQLite file of the backup")
    _items_with_files(make_item, clerk, n=1)
    archive = tmp_path / "backup"
    _create(runner, archive)
    dump = archive / "database.sqlite3"
    con = sqlite3.connect(dump)
    con.execute("DROP TRIGGER audit_entry_no_update")
    con.execute("UPDATE audit_entry SET actor_name = 'someone else' WHERE seq = 5")
    con.commit()
    con.close()
    code, out = _verify(archive, app)
    assert code == 1 and "database.sqlite3: SHA-256" in out
    # Even with the manifest rewritten to the tampered file's hash, the chain gives it away.
    manifest_path = archive / backup.MANIFEST
    manifest = json.loads(manifest_path.read_text())
    with dump.open("rb") as fh:
        manifest["database"]["sha256"], manifest["database"]["size"] = backup.copy_hashing(fh)
    manifest_path.write_text(json.dumps(manifest))
    code, out = _verify(archive, app)
    assert code == 1 and "audit trail BROKEN at entry 5" in out and "hash" in out


def test_backup_database_that_does_not_open_is_found(app, runner, tmp_path, backend):
    if backend != "sqlite":
        pytest.skip("writes over the SQLite file of the backup")
    archive = tmp_path / "backup"
    _create(runner, archive)
    dump = archive / "database.sqlite3"
    dump.write_bytes(b"not a database" * 100)
    manifest_path = archive / backup.MANIFEST
    manifest = json.loads(manifest_path.read_text())
    with dump.open("rb") as fh:  # the manifest made to match: the database itself must open
        manifest["database"]["sha256"], manifest["database"]["size"] = backup.copy_hashing(fh)
    manifest_path.write_text(json.dumps(manifest))
    code, out = _verify(archive, app)
    assert code == 1 and "the database does not open" in out


def test_r_audit_3_chain_head_must_match_the_manifest(app, runner, tmp_path):
    """A backup cut short (entries dropped at the end, head rewritten) differs from its manifest."""
    archive = tmp_path / "backup"
    _create(runner, archive)
    manifest_path = archive / backup.MANIFEST
    manifest = json.loads(manifest_path.read_text())
    manifest["audit"]["head_seq"] += 1
    manifest_path.write_text(json.dumps(manifest))
    code, out = _verify(archive, app)
    assert code == 1 and "audit chain head" in out and "differs from the manifest" in out


def test_verify_says_what_is_not_a_backup(app, tmp_path):
    (tmp_path / "junk.tar").write_bytes(b"no tar here")
    code, out = _verify(tmp_path / "junk.tar", app)
    assert code == 1 and "not a tar archive" in out
    (tmp_path / "empty").mkdir()
    code, out = _verify(tmp_path / "empty", app)
    assert code == 1 and "manifest.json is missing" in out


def test_tar_member_outside_the_archive_is_refused(app, tmp_path):
    bad = tmp_path / "bad.tar"
    with tarfile.open(bad, "w") as tar:
        info = tarfile.TarInfo("../escape")
        info.size = 1
        tar.addfile(info, io.BytesIO(b"x"))
    code, out = _verify(bad, app)
    assert code == 1 and "unexpected entry" in out


def test_restore_refuses_a_database_that_is_not_empty_unless_forced(
    app, make_app, runner, make_item, clerk, tmp_path
):
    made = _items_with_files(make_item, clerk, n=1)
    archive = tmp_path / "backup.tar"
    _create(runner, archive)
    target = make_app("demo", STORAGE_BACKEND="fs", STORAGE_PATH=str(tmp_path / "target-files"))
    refused = _invoke(target, "backup", "restore", str(archive))
    assert (
        refused.exit_code == 1 and "is not empty" in refused.output and "--force" in refused.output
    )
    with target.app_context():
        assert db.session.scalar(select(func.count()).select_from(IncomingItem)) == 0
        db.session.remove()
    forced = _invoke(target, "backup", "restore", "--force", str(archive))
    assert forced.exit_code == 0, forced.output
    with target.app_context():
        ids = set(db.session.scalars(select(IncomingItem.public_id)))
        assert ids == set(made) and audit.verify().ok
        db.session.remove()


def test_create_refuses_an_existing_target(app, runner, tmp_path):
    (tmp_path / "there").mkdir()
    result = runner.invoke(args=["backup", "create", str(tmp_path / "there")])
    assert result.exit_code == 1 and "already exists" in result.output


def test_sqlite_backup_is_consistent_while_the_app_writes(app, make_app, tmp_path, backend):
    """The online backup API copies one snapshot: each backup verifies while writers go on."""
    if backend != "sqlite":
        pytest.skip("the SQLite online backup")
    stop, errors = threading.Event(), []

    def write() -> None:
        with app.app_context():
            try:
                while not stop.is_set():
                    audit.record("test.write", object_type="test", summary={"n": 1})
                    db.session.commit()
            except Exception as exc:  # reported below
                errors.append(exc)
            finally:
                db.session.remove()

    def committed_head() -> int:  # what a reader sees now, WAL included
        con = sqlite3.connect(db.engine.url.database)
        try:
            return con.execute("SELECT seq FROM audit_chain_head").fetchone()[0]
        finally:
            con.close()

    db.session.remove()
    writer = threading.Thread(target=write)
    writer.start()
    try:
        archives, floors = [], []
        for i in range(3):
            archives.append(tmp_path / f"online-{i}.tar")
            floors.append(committed_head())
            backup.create_backup(archives[-1])
    finally:
        stop.set()
        writer.join()
    assert not errors
    reports = [backup.verify_backup(a) for a in archives]
    assert all(r.ok for r in reports), [r.problem for r in reports]
    heads = [r.manifest["audit"]["head_seq"] for r in reports]
    # Everything committed before a backup began is in it; the writer went on meanwhile.
    assert all(head >= floor for head, floor in zip(heads, floors, strict=True)), (heads, floors)
    assert len(set(heads)) > 1


def test_pg_tool_of_another_major_version_is_refused_clearly(app, tmp_path, monkeypatch):
    """pg_dump must be the server's major version; a mismatch is named, not run."""
    fake = tmp_path / "bin" / "pg_dump"
    fake.parent.mkdir()
    fake.write_text("#!/bin/sh\necho 'pg_dump (PostgreSQL) 14.11'\n")
    fake.chmod(0o755)
    monkeypatch.setattr(backup_pg, "_candidate_dirs", lambda name, major: [fake.parent])
    with pytest.raises(backup.BackupError) as exc:
        backup_pg.tool("pg_dump", 16)
    message = str(exc.value)
    assert "PostgreSQL 16" in message and "is PostgreSQL 14" in message
    assert "DOCFLOW_PG_BINDIR" in message
    assert backup_pg.tool("pg_dump", 14) == str(fake)


@pytest.mark.postgres_only
def test_postgresql_backup_is_a_custom_dump_of_the_servers_version(app, runner, tmp_path, backend):
    if backend != "postgresql":
        pytest.skip("runs when the suite runs on PostgreSQL")
    archive = tmp_path / "backup"
    manifest = _create(runner, archive)
    assert manifest["database"]["kind"] == "postgresql"
    assert (archive / "database.pgdump").read_bytes()[:5] == b"PGDMP"  # pg_dump custom format
    with db.engine.connect() as conn:
        _, version = backup_pg.server_version(conn)
    assert manifest["database"]["server_version"] == version
    report = backup.verify_backup(archive)
    assert report.ok, report.problem
    assert report.audit_entries == manifest["audit"]["head_seq"]
