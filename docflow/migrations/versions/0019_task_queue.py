"""the background task queue: task runs (idempotency keys, attempts)

Revision ID: 0019
Revises: 0018

"""

import sqlalchemy as sa
from alembic import op

import docflow.core.db

# revision identifiers, used by Alembic.
revision = "0019"
down_revision = "0018"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "task_run",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("key", sa.String(length=200), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("args", sa.JSON(), nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("error", sa.Text(), nullable=True),
        sa.Column("created_at", docflow.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("started_at", docflow.core.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("finished_at", docflow.core.db.UTCDateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_task_run")),
        sa.UniqueConstraint("key", name=op.f("uq_task_run_key")),
    )
    op.create_index(op.f("ix_task_run_state"), "task_run", ["state"], unique=False)


def downgrade():
    op.drop_index(op.f("ix_task_run_state"), table_name="task_run")
    op.drop_table("task_run")
