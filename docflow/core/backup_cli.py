"""``flask backup create | verify | restore``: the database and the stored files, checked."""

from __future__ import annotations

import sys

import click
from flask.cli import AppGroup

from docflow.core import audit
from docflow.core.backup import (
    BackupError,
    create_backup,
    record,
    restore_backup,
    verify_backup,
)

backup_cli = AppGroup(
    "backup", help="Backups of the database and the stored files, with their SHA-256."
)


def _as_cli() -> None:
    audit.set_actor(audit.Actor(None, "cli"))
    audit.set_request_id(audit.new_request_id())


@backup_cli.command("create")
@click.argument("target", type=click.Path(dir_okay=True, file_okay=True))
def create_cmd(target: str) -> None:
    """Back up into TARGET: a new directory, or a file ending in .tar.

    Online: the app may keep serving. The database is copied first (SQLite online backup,
    PostgreSQL pg_dump of the server's version), then every stored file.
    """
    _as_cli()
    try:
        manifest = create_backup(target)
    except BackupError as exc:
        raise click.ClickException(str(exc)) from None
    record("backup.create", manifest, target)
    click.echo(
        f"backup written to {target}: {manifest['database']['kind']} database at revision "
        f"{manifest['migration_revision']}, {manifest['audit']['head_seq']} audit entries, "
        f"{len(manifest['files'])} files"
    )


@backup_cli.command("verify")
@click.argument("backup", type=click.Path(exists=True))
def verify_cmd(backup: str) -> None:
    """Check BACKUP: file hashes, the database opens, its audit chain and head; exit 1 if not."""
    try:
        report = verify_backup(backup)
    except BackupError as exc:
        report = None
        problem = str(exc)
    else:
        problem = report.problem
    if report is not None and report.ok:
        click.echo(
            f"backup intact: {report.files} files, {report.audit_entries} audit entries, "
            f"chain head {report.manifest['audit']['head_hash']}"
        )
        return
    click.echo(f"backup BROKEN: {problem}", err=True)
    sys.exit(1)


@backup_cli.command("restore")
@click.argument("backup", type=click.Path(exists=True))
@click.option("--force", is_flag=True, help="Overwrite a database that is not empty.")
def restore_cmd(backup: str, force: bool) -> None:
    """Restore BACKUP into this instance's database and storage, then verify them.

    Stop the app's servers and workers first. A database that already has tables is refused
    unless --force.
    """
    _as_cli()
    try:
        report = restore_backup(backup, force=force)
    except BackupError as exc:
        raise click.ClickException(str(exc)) from None
    assert report.manifest is not None
    record("backup.restore", report.manifest, backup)
    click.echo(
        f"restored {backup}: {report.files} files, {report.audit_entries} audit entries "
        f"verified (backup made {report.manifest['created_at']})"
    )
