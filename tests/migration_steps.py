"""Run one Alembic revision's upgrade or downgrade alone, on the test database (the later
revisions are not its concern)."""

from __future__ import annotations

import importlib.util
from pathlib import Path

from alembic.migration import MigrationContext
from alembic.operations import Operations

import docflow
from docflow.extensions import db


def run_revision(filename: str, step: str) -> None:
    path = Path(docflow.__file__).parent / "migrations" / "versions" / filename
    spec = importlib.util.spec_from_file_location(f"migration_{path.stem}", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    db.session.commit()
    with db.engine.begin() as conn, Operations.context(MigrationContext.configure(conn)):
        getattr(module, step)()
