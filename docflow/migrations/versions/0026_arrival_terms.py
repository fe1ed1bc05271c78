"""arrival_terms: why a document that arrived earlier is registered only now

Revision ID: 0026
Revises: 0025
"""

import sqlalchemy as sa
from alembic import op

import docflow.core.db  # noqa: F401

# revision identifiers, used by Alembic.
revision = "0026"
down_revision = "0025"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("incoming_item") as batch:
        batch.add_column(sa.Column("arrival_reason", sa.String(length=1000), nullable=True))


def downgrade():
    with op.batch_alter_table("incoming_item") as batch:
        batch.drop_column("arrival_reason")
