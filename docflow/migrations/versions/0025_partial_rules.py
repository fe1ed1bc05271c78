"""partial rules: oral-appeal protocols (R-REG-2), video consent (R-RECV-6), reception
participants (R-RECV-9), sign-up extensions (R-RECV-11)

Revision ID: 0025
Revises: 0024
"""

import sqlalchemy as sa
from alembic import op

import docflow.core.db

# revision identifiers, used by Alembic.
revision = "0025"
down_revision = "0024"
branch_labels = None
depends_on = None

UTC = docflow.core.db.UTCDateTime(timezone=True)


def _fk(table, column, target):
    return sa.ForeignKeyConstraint(
        [column], [f"{target}.id"], name=op.f(f"fk_{table}_{column}_{target}")
    )


def upgrade():
    op.create_table(
        "oral_protocol",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("item_id", sa.Integer(), nullable=False),
        sa.Column("channel", sa.String(length=16), nullable=False),
        sa.Column("words", sa.Text(), nullable=False),
        sa.Column("taken_at", UTC, nullable=False),
        sa.Column("taken_by_id", sa.Integer(), nullable=True),
        sa.Column("taken_by_name", sa.String(length=200), nullable=False),
        sa.Column("taken_by_position", sa.String(length=300), nullable=True),
        sa.Column("caller_phone", sa.String(length=50), nullable=True),
        sa.Column("attachment_id", sa.Integer(), nullable=True),
        sa.Column("created_at", UTC, nullable=False),
        _fk("oral_protocol", "attachment_id", "attachment"),
        _fk("oral_protocol", "item_id", "incoming_item"),
        _fk("oral_protocol", "taken_by_id", "user_account"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_oral_protocol")),
        sa.UniqueConstraint("item_id", name=op.f("uq_oral_protocol_item_id")),
    )
    op.create_table(
        "signup_video_consent",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("signup_id", sa.Integer(), nullable=False),
        sa.Column("source", sa.String(length=16), nullable=False),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Column("recorded_by_id", sa.Integer(), nullable=True),
        sa.Column("recorded_at", UTC, nullable=False),
        _fk("signup_video_consent", "recorded_by_id", "user_account"),
        _fk("signup_video_consent", "signup_id", "signup"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_signup_video_consent")),
        sa.UniqueConstraint("signup_id", name=op.f("uq_signup_video_consent_signup_id")),
    )
    op.create_table(
        "reception_participant",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("session_id", sa.Integer(), nullable=False),
        sa.Column("body", sa.String(length=32), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=True),
        sa.Column("position", sa.String(length=300), nullable=True),
        sa.Column("present", sa.Boolean(), nullable=False),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Column("recorded_by_id", sa.Integer(), nullable=True),
        sa.Column("recorded_at", UTC, nullable=False),
        _fk("reception_participant", "recorded_by_id", "user_account"),
        _fk("reception_participant", "session_id", "reception_session"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_reception_participant")),
    )
    with op.batch_alter_table("reception_participant", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_reception_participant_session_id"), ["session_id"], unique=False
        )
    op.create_table(
        "signup_extension",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("signup_id", sa.Integer(), nullable=False),
        sa.Column("item_id", sa.Integer(), nullable=False),
        sa.Column("basis", sa.String(length=16), nullable=False),
        sa.Column("old_due", sa.Date(), nullable=False),
        sa.Column("new_due", sa.Date(), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("notice_due", sa.Date(), nullable=False),
        sa.Column("extended_by_id", sa.Integer(), nullable=True),
        sa.Column("extended_at", UTC, nullable=False),
        _fk("signup_extension", "extended_by_id", "user_account"),
        _fk("signup_extension", "item_id", "incoming_item"),
        _fk("signup_extension", "signup_id", "signup"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_signup_extension")),
    )
    with op.batch_alter_table("signup_extension", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_signup_extension_signup_id"), ["signup_id"], unique=False
        )


def downgrade():
    with op.batch_alter_table("signup_extension", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_signup_extension_signup_id"))
    op.drop_table("signup_extension")
    with op.batch_alter_table("reception_participant", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_reception_participant_session_id"))
    op.drop_table("reception_participant")
    op.drop_table("signup_video_consent")
    op.drop_table("oral_protocol")
