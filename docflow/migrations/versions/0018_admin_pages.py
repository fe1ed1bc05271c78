"""admin pages: terms and calendar changes effective from a date

Revision ID: 0018
Revises: 0017

"""

import sqlalchemy as sa
from alembic import op

import docflow.core.db

# revision identifiers, used by Alembic.
revision = "0018"
down_revision = "0017"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "scheduled_change",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("key", sa.String(length=32), nullable=False),
        sa.Column("change", sa.JSON(), nullable=False),
        sa.Column("effective_from", sa.Date(), nullable=False),
        sa.Column("created_by_id", sa.Integer(), nullable=True),
        sa.Column("created_at", docflow.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("applied_at", docflow.core.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("cancelled_at", docflow.core.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("cancelled_by_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["cancelled_by_id"],
            ["user_account.id"],
            name=op.f("fk_scheduled_change_cancelled_by_id_user_account"),
        ),
        sa.ForeignKeyConstraint(
            ["created_by_id"],
            ["user_account.id"],
            name=op.f("fk_scheduled_change_created_by_id_user_account"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_scheduled_change")),
    )
    with op.batch_alter_table("scheduled_change", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_scheduled_change_effective_from"), ["effective_from"], unique=False
        )


def downgrade():
    with op.batch_alter_table("scheduled_change", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_scheduled_change_effective_from"))
    op.drop_table("scheduled_change")
