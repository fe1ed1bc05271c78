"""search at scale: the words of the SQLite text index in a table of their own

Revision ID: 0029
Revises: 0028

SQLite only (PostgreSQL matches a prefix in its GIN index as cheaply as a word): item_fts_words
holds every word of the content column of item_fts as FTS5 made it (its own tokenizer's fold),
so that a query word is searched as the few indexed words it begins (docflow.registry.search)
instead of as an FTS5 prefix, which merges every posting of those words whatever the id range.
Filled here from the index's own vocabulary.
"""

from alembic import op

# revision identifiers, used by Alembic.
revision = "0029"
down_revision = "0028"
branch_labels = None
depends_on = None


def upgrade():
    if op.get_bind().dialect.name != "sqlite":
        return
    op.execute("CREATE TABLE item_fts_words (word TEXT PRIMARY KEY) WITHOUT ROWID")
    op.execute("CREATE VIRTUAL TABLE temp.item_fts_terms USING fts5vocab(main, item_fts, 'col')")
    op.execute(
        "INSERT INTO item_fts_words (word) SELECT term FROM temp.item_fts_terms WHERE col = 'content'"
    )
    op.execute("DROP TABLE temp.item_fts_terms")


def downgrade():
    if op.get_bind().dialect.name == "sqlite":
        op.execute("DROP TABLE IF EXISTS item_fts_words")
