"""``flask storage orphans``: what a crash between a file and its row leaves, found and removed —
and nothing a row (or a queued task) names, nor a file that may be an upload in flight."""

from __future__ import annotations

import io
import os
import time

from sqlalchemy import select

from docflow.core.audit import AuditEntry
from docflow.core.storage import TEMP_PREFIX, get_storage
from docflow.core.storage_sweep import sweep
from docflow.core.tasks import TaskRun
from docflow.extensions import db
from docflow.registry import operations

HOUR = 3600


def stored(content: bytes, age: float = 0) -> str:
    """A file in the storage with no row (what a killed upload leaves), ``age`` seconds old."""
    key = get_storage().save(io.BytesIO(content)).key
    if age:
        _age(key, age)
    return key


def _age(key: str, age: float) -> None:
    path = get_storage()._path(key)
    then = time.time() - age
    os.utime(path, (then, then))


def test_orphans_are_listed_then_removed_and_named_files_stay(app, runner, make_item, clerk):
    item = make_item()
    named = operations.attach(item, "a.txt", io.BytesIO(b"named file"), clerk).storage_key
    db.session.commit()
    _age(named, 2 * HOUR)
    orphan = stored(b"left by a crash", age=2 * HOUR)
    young = stored(b"maybe an upload in flight")
    temp = get_storage().root / f"{TEMP_PREFIX}killed"
    temp.write_bytes(b"half")
    os.utime(temp, (time.time() - 2 * HOUR,) * 2)

    listed = runner.invoke(args=["storage", "orphans", "--min-age", str(HOUR)])
    assert listed.exit_code == 0, listed.output
    assert f"orphan {orphan}" in listed.output and f"temp {temp.name}" in listed.output
    assert named not in listed.output and young not in listed.output
    assert "1 unreferenced file(s) younger than 3600 s kept" in listed.output
    assert get_storage().exists(orphan) and temp.exists()  # listing removes nothing

    removed = runner.invoke(args=["storage", "orphans", "--delete", "--min-age", str(HOUR)])
    assert removed.exit_code == 0 and "removed 1 orphan(s), 1 temp file(s)" in removed.output
    db.session.remove()
    assert not get_storage().exists(orphan) and not temp.exists()
    assert get_storage().exists(named) and get_storage().exists(young)
    last = db.session.scalars(select(AuditEntry).order_by(AuditEntry.seq.desc())).first()
    assert last.action == "storage.orphans_removed"
    assert last.summary == {"orphans": 1, "temp_files": 1}


def test_a_file_a_queued_task_names_is_not_an_orphan(app):
    key = stored(b"cases to import", age=2 * HOUR)
    db.session.add(TaskRun(key="import-1", name="exchange.import_cases", args=[key, "src", False]))
    db.session.commit()
    assert sweep(min_age=0).orphans == []


def test_storing_the_same_content_again_makes_an_old_orphan_young(app):
    """The race a sweep must not lose: an old orphan's content uploaded anew is the new row's
    file the moment it is stored, before the row commits."""
    key = stored(b"same content", age=2 * HOUR)
    assert sweep(min_age=HOUR).orphans == [key]
    assert stored(b"same content") == key  # content-addressed: the same file
    result = sweep(delete=True, min_age=HOUR)
    assert result.orphans == [] and result.kept_young == 1
    assert get_storage().exists(key)
