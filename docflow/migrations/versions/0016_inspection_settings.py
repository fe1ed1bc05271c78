"""settings in force by date (inspections judge by them)

Revision ID: 0016
Revises: 0015

"""

import sqlalchemy as sa
from alembic import op

import docflow.core.db

# revision identifiers, used by Alembic.
revision = "0016"
down_revision = "0015"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "setting_version",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("key", sa.String(length=100), nullable=False),
        sa.Column("value", sa.JSON(), nullable=True),
        sa.Column("changed_at", docflow.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_setting_version")),
    )
    with op.batch_alter_table("setting_version", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_setting_version_key"), ["key"], unique=False)
    # The settings an office has now are its first recorded versions.
    op.execute(
        "INSERT INTO setting_version (key, value, changed_at) "
        "SELECT key, value, updated_at FROM setting"
    )


def downgrade():
    with op.batch_alter_table("setting_version", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_setting_version_key"))
    op.drop_table("setting_version")
