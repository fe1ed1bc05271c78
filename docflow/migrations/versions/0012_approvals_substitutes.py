"""letters' approval sheets; heads' substitutes by date

Revision ID: 0012
Revises: 0011

"""

import sqlalchemy as sa
from alembic import op

import docflow.core.db

# revision identifiers, used by Alembic.
revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "substitution",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("head_id", sa.Integer(), nullable=False),
        sa.Column("substitute_id", sa.Integer(), nullable=False),
        sa.Column("subdivision_id", sa.Integer(), nullable=True),
        sa.Column("date_from", sa.Date(), nullable=False),
        sa.Column("date_to", sa.Date(), nullable=False),
        sa.Column("reason", sa.String(length=500), nullable=True),
        sa.Column("created_by_id", sa.Integer(), nullable=True),
        sa.Column("created_at", docflow.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("ended_on", sa.Date(), nullable=True),
        sa.Column("ended_by_id", sa.Integer(), nullable=True),
        sa.Column("end_comment", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(
            ["created_by_id"],
            ["user_account.id"],
            name=op.f("fk_substitution_created_by_id_user_account"),
        ),
        sa.ForeignKeyConstraint(
            ["ended_by_id"],
            ["user_account.id"],
            name=op.f("fk_substitution_ended_by_id_user_account"),
        ),
        sa.ForeignKeyConstraint(
            ["head_id"], ["user_account.id"], name=op.f("fk_substitution_head_id_user_account")
        ),
        sa.ForeignKeyConstraint(
            ["subdivision_id"],
            ["subdivision.id"],
            name=op.f("fk_substitution_subdivision_id_subdivision"),
        ),
        sa.ForeignKeyConstraint(
            ["substitute_id"],
            ["user_account.id"],
            name=op.f("fk_substitution_substitute_id_user_account"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_substitution")),
    )
    with op.batch_alter_table("substitution", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_substitution_head_id"), ["head_id"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_substitution_substitute_id"), ["substitute_id"], unique=False
        )
    op.create_table(
        "letter_approval",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("letter_id", sa.Integer(), nullable=False),
        sa.Column("round", sa.Integer(), nullable=False),
        sa.Column("step", sa.Integer(), nullable=False),
        sa.Column("mode", sa.String(length=16), nullable=False),
        sa.Column("role", sa.String(length=64), nullable=False),
        sa.Column("title", sa.JSON(), nullable=True),
        sa.Column("approver_id", sa.Integer(), nullable=True),
        sa.Column("group_subdivision_id", sa.Integer(), nullable=True),
        sa.Column("decision", sa.String(length=16), nullable=False),
        sa.Column("comment", sa.Text(), nullable=True),
        sa.Column("decided_by_id", sa.Integer(), nullable=True),
        sa.Column("at", docflow.core.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("created_at", docflow.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["approver_id"],
            ["user_account.id"],
            name=op.f("fk_letter_approval_approver_id_user_account"),
        ),
        sa.ForeignKeyConstraint(
            ["decided_by_id"],
            ["user_account.id"],
            name=op.f("fk_letter_approval_decided_by_id_user_account"),
        ),
        sa.ForeignKeyConstraint(
            ["group_subdivision_id"],
            ["subdivision.id"],
            name=op.f("fk_letter_approval_group_subdivision_id_subdivision"),
        ),
        sa.ForeignKeyConstraint(
            ["letter_id"], ["letter.id"], name=op.f("fk_letter_approval_letter_id_letter")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_letter_approval")),
        sa.UniqueConstraint(
            "letter_id", "round", "step", name=op.f("uq_letter_approval_letter_id_round_step")
        ),
    )
    with op.batch_alter_table("letter_approval", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_letter_approval_letter_id"), ["letter_id"], unique=False
        )


def downgrade():
    with op.batch_alter_table("letter_approval", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_letter_approval_letter_id"))

    op.drop_table("letter_approval")
    with op.batch_alter_table("substitution", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_substitution_substitute_id"))
        batch_op.drop_index(batch_op.f("ix_substitution_head_id"))

    op.drop_table("substitution")
