"""analytics: covering index of the daily rollup, stored emerging-problems scans

Revision ID: 0027
Revises: 0026
"""

import sqlalchemy as sa
from alembic import op

import docflow.core.db

# revision identifiers, used by Alembic.
revision = "0027"
down_revision = "0026"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "analytics_problem_scan",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("key", sa.String(length=64), nullable=False),
        sa.Column("drains", sa.Integer(), nullable=False),
        sa.Column("computed_at", docflow.core.db.UTCDateTime(), nullable=False),
        sa.Column("result", docflow.core.db.JSONType, nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_analytics_problem_scan")),
        sa.UniqueConstraint("key", name=op.f("uq_analytics_problem_scan_key")),
    )
    op.create_index(
        "ix_analytics_daily_cover", "analytics_daily", ["dim", "day", "value", "n"], unique=False
    )


def downgrade():
    op.drop_index("ix_analytics_daily_cover", table_name="analytics_daily")
    op.drop_table("analytics_problem_scan")
