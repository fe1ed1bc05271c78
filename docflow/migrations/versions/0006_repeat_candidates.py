"""repeat candidates found at registration (R-ROUTE-4); imported historical cases

Revision ID: 0006
Revises: 0005

"""

import sqlalchemy as sa
from alembic import op

import docflow.core.db

# revision identifiers, used by Alembic.
revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("incoming_item", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("imported", sa.Boolean(), nullable=False, server_default=sa.false())
        )
    op.create_table(
        "repeat_candidate",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("item_id", sa.Integer(), nullable=False),
        sa.Column("candidate_id", sa.Integer(), nullable=False),
        sa.Column("similarity", sa.Float(), nullable=False),
        sa.Column("reason", sa.String(length=32), nullable=False),
        sa.Column("decision", sa.String(length=16), nullable=True),
        sa.Column("link_kind", sa.String(length=32), nullable=True),
        sa.Column("dismiss_reason", sa.Text(), nullable=True),
        sa.Column("decided_by_id", sa.Integer(), nullable=True),
        sa.Column("decided_at", docflow.core.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("created_at", docflow.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["candidate_id"],
            ["incoming_item.id"],
            name=op.f("fk_repeat_candidate_candidate_id_incoming_item"),
        ),
        sa.ForeignKeyConstraint(
            ["decided_by_id"],
            ["user_account.id"],
            name=op.f("fk_repeat_candidate_decided_by_id_user_account"),
        ),
        sa.ForeignKeyConstraint(
            ["item_id"],
            ["incoming_item.id"],
            name=op.f("fk_repeat_candidate_item_id_incoming_item"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_repeat_candidate")),
        sa.UniqueConstraint(
            "item_id", "candidate_id", name=op.f("uq_repeat_candidate_item_id_candidate_id")
        ),
    )
    with op.batch_alter_table("repeat_candidate", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_repeat_candidate_candidate_id"), ["candidate_id"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_repeat_candidate_item_id"), ["item_id"], unique=False)


def downgrade():
    with op.batch_alter_table("repeat_candidate", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_repeat_candidate_item_id"))
        batch_op.drop_index(batch_op.f("ix_repeat_candidate_candidate_id"))
    op.drop_table("repeat_candidate")
    with op.batch_alter_table("incoming_item", schema=None) as batch_op:
        batch_op.drop_column("imported")
