"""search at scale: the journal's kind + period filter walks one index

Revision ID: 0028
Revises: 0027
"""

from alembic import op

# revision identifiers, used by Alembic.
revision = "0028"
down_revision = "0027"
branch_labels = None
depends_on = None


def upgrade():
    op.create_index(
        "ix_incoming_item_kind_date",
        "incoming_item",
        ["kind", "registration_date"],
        unique=False,
    )


def downgrade():
    op.drop_index("ix_incoming_item_kind_date", table_name="incoming_item")
