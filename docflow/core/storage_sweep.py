"""Orphaned files: stored, but named by no row (``flask storage orphans [--delete]``).

A file is stored before the row that names it is committed (so a committed row never lacks its
file); a process killed in between (``kill -9``, power loss) leaves the file with no row, and
one killed while writing leaves a temp file (``.upload-…``). Neither is ever served, but both
take space: this sweep finds them and, with ``--delete``, removes them.

A key is referenced when any string column named ``key`` or ``*_key`` holds it (a column that
stores storage keys must be named so) or a queued task's arguments carry it. Only files older
than ``min_age`` seconds are touched: an upload in flight has a young file (storing content that
is already there makes that file young again), so its row can still commit.
"""

from __future__ import annotations

import json
import re
import time
from dataclasses import dataclass, field
from pathlib import Path

import click
from flask.cli import AppGroup
from sqlalchemy import String, func, select

from docflow.core import audit
from docflow.core.storage import TEMP_PREFIX, FileSystemStorage, get_storage
from docflow.extensions import db

DEFAULT_MIN_AGE = 24 * 3600
_HEX_KEY = re.compile(r"\b[0-9a-f]{64}\b")


@dataclass
class Sweep:
    orphans: list[str] = field(default_factory=list)  # keys named by no row
    temp_files: list[str] = field(default_factory=list)  # writes a crash cut short
    kept_young: int = 0  # unreferenced but younger than min_age: maybe in flight
    removed: int = 0


def referenced_keys() -> set[str]:
    """Every storage key some row names (a superset: any 64-hex ``*_key`` value counts)."""
    from docflow.core.tasks import TaskRun

    keys: set[str] = set()
    for table in db.metadata.sorted_tables:
        for column in table.columns:
            if isinstance(column.type, String) and (
                column.name == "key" or column.name.endswith("_key")
            ):
                rows = select(column).where(func.length(column) == 64).distinct()
                keys.update(v for v in db.session.scalars(rows) if v)
    for args in db.session.scalars(select(TaskRun.args)):
        keys.update(_HEX_KEY.findall(json.dumps(args)))
    return keys


def sweep(*, delete: bool = False, min_age: float = DEFAULT_MIN_AGE) -> Sweep:
    """Find (and with ``delete`` remove) the orphans and temp files older than ``min_age`` s."""
    storage = get_storage()
    if not isinstance(storage, FileSystemStorage):
        raise click.ClickException("only the file-system storage can be swept")
    result = Sweep()
    root = storage.root
    if not root.exists():
        return result
    referenced = referenced_keys()
    db.session.rollback()  # no transaction held while the files are walked
    cutoff = time.time() - min_age
    for path in sorted(root.glob("??/??/*")):
        if not storage.exists(path.name) or path.name in referenced:
            continue
        if _old(path, cutoff):
            result.orphans.append(path.name)
            result.removed += _remove(path, delete, cutoff)
        else:
            result.kept_young += 1
    for path in sorted(root.glob(TEMP_PREFIX + "*")):
        if _old(path, cutoff):
            result.temp_files.append(path.name)
            result.removed += _remove(path, delete, cutoff)
    if delete and result.removed:
        audit.record(
            "storage.orphans_removed",
            object_type="storage",
            summary={"orphans": len(result.orphans), "temp_files": len(result.temp_files)},
        )
        db.session.commit()
    return result


def _old(path: Path, cutoff: float) -> bool:
    try:
        return path.stat().st_mtime < cutoff
    except FileNotFoundError:
        return False


def _remove(path: Path, delete: bool, cutoff: float) -> int:
    if not delete or not _old(path, cutoff):  # checked again: a new row may have claimed it
        return 0
    path.unlink(missing_ok=True)
    return 1


storage_cli = AppGroup("storage", help="The stored files.")


@storage_cli.command("orphans")
@click.option("--delete", is_flag=True, help="Remove what is found (default: only list it).")
@click.option(
    "--min-age",
    type=click.FloatRange(min=0),
    default=DEFAULT_MIN_AGE,
    show_default=True,
    help="Only files older than this many seconds (younger ones may be uploads in flight).",
)
def orphans_cmd(delete: bool, min_age: float) -> None:
    """List stored files no row names, and temp files a crash left (remove with --delete)."""
    audit.set_actor(audit.Actor(None, "cli"))
    audit.set_request_id(audit.new_request_id())
    result = sweep(delete=delete, min_age=min_age)
    for key in result.orphans:
        click.echo(f"orphan {key}")
    for name in result.temp_files:
        click.echo(f"temp {name}")
    verb = "removed" if delete else "found"
    click.echo(
        f"{verb} {len(result.orphans)} orphan(s), {len(result.temp_files)} temp file(s); "
        f"{result.kept_young} unreferenced file(s) younger than {min_age:g} s kept"
    )
