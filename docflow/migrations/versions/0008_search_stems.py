"""search by word forms: Russian and Kazakh stems beside the text in the full-text index

Revision ID: 0008
Revises: 0007

SQLite: item_fts gains the columns ``ru`` and ``kk`` (FTS5 tables cannot add columns, so the
table is rebuilt). PostgreSQL: item_search keeps its tsvector and gains tagged stem lexemes.
Existing rows are reindexed here, from what the index already holds (the normalised text on
SQLite, the lexemes on PostgreSQL), in batches.
"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None

BATCH = 2000


def _batches(bind, sql: str):
    last = 0
    while True:
        rows = bind.execute(sa.text(sql), {"last": last, "batch": BATCH}).all()
        if not rows:
            return
        yield rows
        last = rows[-1][0]


def upgrade():
    from docflow.registry.search import stem_columns, stem_lexemes, words

    bind = op.get_bind()
    if bind.dialect.name == "sqlite":
        op.execute(
            "CREATE VIRTUAL TABLE item_fts_new USING fts5(content, ru, kk, tokenize = 'unicode61')"
        )
        for rows in _batches(
            bind,
            "SELECT rowid, content FROM item_fts WHERE rowid > :last ORDER BY rowid LIMIT :batch",
        ):
            values = []
            for rowid, content in rows:
                ru, kk = stem_columns(content or "")
                values.append({"id": rowid, "doc": content, "ru": ru, "kk": kk})
            bind.execute(
                sa.text(
                    "INSERT INTO item_fts_new (rowid, content, ru, kk) VALUES (:id, :doc, :ru, :kk)"
                ),
                values,
            )
        op.execute("DROP TABLE item_fts")
        op.execute("ALTER TABLE item_fts_new RENAME TO item_fts")
        # One b-tree per term after a bulk load: what searches walk fastest.
        op.execute("INSERT INTO item_fts(item_fts) VALUES ('optimize')")
        return
    for rows in _batches(
        bind,
        "SELECT item_id, tsvector_to_array(document) FROM item_search "
        "WHERE item_id > :last ORDER BY item_id LIMIT :batch",
    ):
        values = []
        for item_id, lexemes in rows:
            found = [w for lex in lexemes if not lex.startswith("~") for w in words(lex)]
            stems = stem_lexemes(found)
            if stems:
                values.append({"id": item_id, "stems": stems})
        if values:
            bind.execute(
                sa.text(
                    "UPDATE item_search SET document = "
                    "document || array_to_tsvector(CAST(:stems AS text[])) WHERE item_id = :id"
                ),
                values,
            )


def downgrade():
    bind = op.get_bind()
    if bind.dialect.name == "sqlite":
        op.execute("CREATE VIRTUAL TABLE item_fts_old USING fts5(content, tokenize = 'unicode61')")
        op.execute("INSERT INTO item_fts_old (rowid, content) SELECT rowid, content FROM item_fts")
        op.execute("DROP TABLE item_fts")
        op.execute("ALTER TABLE item_fts_old RENAME TO item_fts")
        return
    op.execute(
        "UPDATE item_search SET document = ts_delete(document, ARRAY("
        "SELECT lexeme FROM unnest(tsvector_to_array(document)) AS lexeme "
        "WHERE left(lexeme, 1) = '~'))"
    )
