"""The schema is built only by migrations: they must produce exactly what the models declare."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from docflow.extensions import db


def test_migrations_match_the_models(empty_app):
    with db.engine.connect() as conn:
        ctx = MigrationContext.configure(
            conn,
            opts={
                "include_object": lambda obj, name, type_, *_: (
                    not (type_ == "table" and name.startswith(("item_fts", "item_search")))
                )
            },
        )
        diff = compare_metadata(ctx, db.metadata)
    assert diff == [], diff
