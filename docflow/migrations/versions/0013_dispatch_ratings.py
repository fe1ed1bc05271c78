"""letters' dispatch and delivery; applicants' ratings of answers

Revision ID: 0013
Revises: 0012

"""

import sqlalchemy as sa
from alembic import op

import docflow.core.db

# revision identifiers, used by Alembic.
revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "letter_dispatch",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("public_id", sa.String(length=32), nullable=False),
        sa.Column("letter_id", sa.Integer(), nullable=False),
        sa.Column("channel", sa.String(length=16), nullable=False),
        sa.Column("recipient", sa.String(length=300), nullable=True),
        sa.Column("address", sa.Text(), nullable=True),
        sa.Column("tracking", sa.String(length=64), nullable=True),
        sa.Column("error", sa.Text(), nullable=True),
        sa.Column("at", docflow.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("by_id", sa.Integer(), nullable=True),
        sa.Column("sent_at", docflow.core.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("delivered_at", docflow.core.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("delivered_by_id", sa.Integer(), nullable=True),
        sa.Column("received_by", sa.String(length=300), nullable=True),
        sa.Column("delivery_note", sa.Text(), nullable=True),
        sa.Column("package", sa.LargeBinary(), nullable=True),
        sa.Column("package_sha256", sa.String(length=64), nullable=True),
        sa.Column("state", sa.String(length=64), nullable=False),
        sa.ForeignKeyConstraint(
            ["by_id"], ["user_account.id"], name=op.f("fk_letter_dispatch_by_id_user_account")
        ),
        sa.ForeignKeyConstraint(
            ["delivered_by_id"],
            ["user_account.id"],
            name=op.f("fk_letter_dispatch_delivered_by_id_user_account"),
        ),
        sa.ForeignKeyConstraint(
            ["letter_id"], ["letter.id"], name=op.f("fk_letter_dispatch_letter_id_letter")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_letter_dispatch")),
        sa.UniqueConstraint("public_id", name=op.f("uq_letter_dispatch_public_id")),
    )
    with op.batch_alter_table("letter_dispatch", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_letter_dispatch_letter_id"), ["letter_id"])
        batch_op.create_index(batch_op.f("ix_letter_dispatch_state"), ["state"])
        batch_op.create_index(batch_op.f("ix_letter_dispatch_tracking"), ["tracking"])

    op.create_table(
        "answer_rating",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("letter_id", sa.Integer(), nullable=False),
        sa.Column("score", sa.Integer(), nullable=False),
        sa.Column("source", sa.String(length=8), nullable=False),
        sa.Column("comment", sa.Text(), nullable=True),
        sa.Column("at", docflow.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("recorded_by_id", sa.Integer(), nullable=True),
        sa.CheckConstraint("score BETWEEN 1 AND 5", name=op.f("ck_answer_rating_score")),
        sa.CheckConstraint("source IN ('web', 'call')", name=op.f("ck_answer_rating_source")),
        sa.ForeignKeyConstraint(
            ["letter_id"], ["letter.id"], name=op.f("fk_answer_rating_letter_id_letter")
        ),
        sa.ForeignKeyConstraint(
            ["recorded_by_id"],
            ["user_account.id"],
            name=op.f("fk_answer_rating_recorded_by_id_user_account"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_answer_rating")),
        sa.UniqueConstraint("letter_id", name=op.f("uq_answer_rating_letter_id")),
    )


def downgrade():
    op.drop_table("answer_rating")
    with op.batch_alter_table("letter_dispatch", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_letter_dispatch_tracking"))
        batch_op.drop_index(batch_op.f("ix_letter_dispatch_state"))
        batch_op.drop_index(batch_op.f("ix_letter_dispatch_letter_id"))
    op.drop_table("letter_dispatch")
