"""analytics: facts per case, daily aggregates, the dirty queue; the "from a reporting meeting"
registration mark

Revision ID: 0017
Revises: 0016

"""

import sqlalchemy as sa
from alembic import op

import docflow.core.db

# revision identifiers, used by Alembic.
revision = "0017"
down_revision = "0016"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("incoming_item") as batch:
        batch.add_column(
            sa.Column("from_meeting", sa.Boolean(), nullable=False, server_default=sa.false())
        )
    op.create_table(
        "analytics_case",
        sa.Column("item_id", sa.Integer(), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("channel", sa.String(length=32), nullable=False),
        sa.Column("language", sa.String(length=8), nullable=True),
        sa.Column("subdivision", sa.String(length=64), nullable=True),
        sa.Column("district", sa.String(length=64), nullable=True),
        sa.Column("topic", sa.String(length=64), nullable=True),
        sa.Column("words", sa.String(length=500), nullable=True),
        sa.Column("source", sa.String(length=16), nullable=False),
        sa.Column("from_reception", sa.Boolean(), nullable=False),
        sa.Column("from_meeting", sa.Boolean(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("timeliness", sa.String(length=16), nullable=False),
        sa.Column("due_date", sa.Date(), nullable=True),
        sa.Column("answered_on", sa.Date(), nullable=True),
        sa.Column("extended", sa.Boolean(), nullable=False),
        sa.Column("repeat", sa.Boolean(), nullable=False),
        sa.Column("rating", sa.Float(), nullable=True),
        sa.Column("refreshed_at", docflow.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["item_id"],
            ["incoming_item.id"],
            name=op.f("fk_analytics_case_item_id_incoming_item"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("item_id", name=op.f("pk_analytics_case")),
    )
    op.create_index("ix_analytics_case_day", "analytics_case", ["day"])
    op.create_index(
        "ix_analytics_case_district_topic", "analytics_case", ["district", "topic", "day"]
    )
    op.create_index(
        "ix_analytics_case_open_due", "analytics_case", ["timeliness", "day", "due_date"]
    )
    op.create_index("ix_analytics_case_subdivision_day", "analytics_case", ["subdivision", "day"])
    op.create_index("ix_analytics_case_kind_day", "analytics_case", ["kind", "day"])
    op.create_table(
        "analytics_daily",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("dim", sa.String(length=16), nullable=False),
        sa.Column("value", sa.String(length=140), nullable=False),
        sa.Column("n", sa.Integer(), nullable=False),
        sa.Column("on_time", sa.Integer(), nullable=False),
        sa.Column("late", sa.Integer(), nullable=False),
        sa.Column("open", sa.Integer(), nullable=False),
        sa.Column("extended", sa.Integer(), nullable=False),
        sa.Column("repeat", sa.Integer(), nullable=False),
        sa.Column("from_reception", sa.Integer(), nullable=False),
        sa.Column("from_meeting", sa.Integer(), nullable=False),
        sa.Column("rated", sa.Integer(), nullable=False),
        sa.Column("rating_sum", sa.Float(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_analytics_daily")),
        sa.UniqueConstraint("dim", "day", "value", name="uq_analytics_daily_key"),
    )
    op.create_table(
        "analytics_dirty",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("item_id", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_analytics_dirty")),
    )
    op.create_index(op.f("ix_analytics_dirty_item_id"), "analytics_dirty", ["item_id"])


def downgrade():
    op.drop_index(op.f("ix_analytics_dirty_item_id"), table_name="analytics_dirty")
    op.drop_table("analytics_dirty")
    op.drop_table("analytics_daily")
    op.drop_index("ix_analytics_case_kind_day", table_name="analytics_case")
    op.drop_index("ix_analytics_case_subdivision_day", table_name="analytics_case")
    op.drop_index("ix_analytics_case_open_due", table_name="analytics_case")
    op.drop_index("ix_analytics_case_district_topic", table_name="analytics_case")
    op.drop_index("ix_analytics_case_day", table_name="analytics_case")
    op.drop_table("analytics_case")
    with op.batch_alter_table("incoming_item") as batch:
        batch.drop_column("from_meeting")
