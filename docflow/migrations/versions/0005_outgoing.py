"""outgoing: the journal of notices to applicants (R-REG-5, -6, R-ROUTE-2, R-DEADLINE-2, R-RECV-8, -11, -12)

Revision ID: 0005
Revises: 0004

"""

import sqlalchemy as sa
from alembic import op

import docflow.core.db

# revision identifiers, used by Alembic.
revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "outgoing_notice",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("public_id", sa.String(length=32), nullable=False),
        sa.Column("journal", sa.String(length=64), nullable=False),
        sa.Column("reg_year", sa.Integer(), nullable=False),
        sa.Column("reg_seq", sa.Integer(), nullable=False),
        sa.Column("reg_number", sa.String(length=64), nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("item_id", sa.Integer(), nullable=False),
        sa.Column("language", sa.String(length=8), nullable=False),
        sa.Column("recipient", sa.Text(), nullable=False),
        sa.Column("text_kk", sa.Text(), nullable=False),
        sa.Column("text_ru", sa.Text(), nullable=False),
        sa.Column("due_on", sa.Date(), nullable=False),
        sa.Column("registered_at", docflow.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("registered_by_id", sa.Integer(), nullable=True),
        sa.Column("sent_on", sa.Date(), nullable=True),
        sa.Column("sent_by_id", sa.Integer(), nullable=True),
        sa.Column("channel", sa.String(length=16), nullable=True),
        sa.Column("source_type", sa.String(length=32), nullable=True),
        sa.Column("source_id", sa.Integer(), nullable=True),
        sa.Column("dedup_key", sa.String(length=200), nullable=False),
        sa.ForeignKeyConstraint(
            ["item_id"], ["incoming_item.id"], name=op.f("fk_outgoing_notice_item_id_incoming_item")
        ),
        sa.ForeignKeyConstraint(
            ["registered_by_id"],
            ["user_account.id"],
            name=op.f("fk_outgoing_notice_registered_by_id_user_account"),
        ),
        sa.ForeignKeyConstraint(
            ["sent_by_id"],
            ["user_account.id"],
            name=op.f("fk_outgoing_notice_sent_by_id_user_account"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_outgoing_notice")),
        sa.UniqueConstraint("dedup_key", name=op.f("uq_outgoing_notice_dedup_key")),
        sa.UniqueConstraint(
            "journal",
            "reg_year",
            "reg_seq",
            name=op.f("uq_outgoing_notice_journal_reg_year_reg_seq"),
        ),
        sa.UniqueConstraint("public_id", name=op.f("uq_outgoing_notice_public_id")),
        sa.UniqueConstraint("reg_number", name=op.f("uq_outgoing_notice_reg_number")),
    )
    with op.batch_alter_table("outgoing_notice", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_outgoing_notice_due_on"), ["due_on"], unique=False)
        batch_op.create_index(batch_op.f("ix_outgoing_notice_item_id"), ["item_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_outgoing_notice_kind"), ["kind"], unique=False)
        batch_op.create_index(batch_op.f("ix_outgoing_notice_sent_on"), ["sent_on"], unique=False)
        batch_op.create_index(
            "ix_outgoing_notice_source", ["source_type", "source_id"], unique=False
        )


def downgrade():
    with op.batch_alter_table("outgoing_notice", schema=None) as batch_op:
        batch_op.drop_index("ix_outgoing_notice_source")
        batch_op.drop_index(batch_op.f("ix_outgoing_notice_sent_on"))
        batch_op.drop_index(batch_op.f("ix_outgoing_notice_kind"))
        batch_op.drop_index(batch_op.f("ix_outgoing_notice_item_id"))
        batch_op.drop_index(batch_op.f("ix_outgoing_notice_due_on"))

    op.drop_table("outgoing_notice")
