"""protocols: reception schedules, sessions, sign-ups, minutes, protocol assignments, satisfaction

Revision ID: 0004
Revises: 0003

"""

import sqlalchemy as sa
from alembic import op

import docflow.core.db

# revision identifiers, used by Alembic.
revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "reception_schedule",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("official_id", sa.Integer(), nullable=False),
        sa.Column("weekday", sa.Integer(), nullable=False),
        sa.Column("week_of_month", sa.Integer(), nullable=True),
        sa.Column("start", sa.Time(), nullable=False),
        sa.Column("end", sa.Time(), nullable=False),
        sa.Column("place", sa.JSON(), nullable=True),
        sa.Column("video", sa.Boolean(), nullable=False),
        sa.Column("slot_minutes", sa.Integer(), nullable=False),
        sa.Column("valid_from", sa.Date(), nullable=False),
        sa.Column("valid_to", sa.Date(), nullable=True),
        sa.Column("approved_by_id", sa.Integer(), nullable=True),
        sa.Column("approved_at", docflow.core.db.UTCDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["approved_by_id"],
            ["user_account.id"],
            name=op.f("fk_reception_schedule_approved_by_id_user_account"),
        ),
        sa.ForeignKeyConstraint(
            ["official_id"],
            ["official.id"],
            name=op.f("fk_reception_schedule_official_id_official"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_reception_schedule")),
    )
    with op.batch_alter_table("reception_schedule", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_reception_schedule_official_id"), ["official_id"], unique=False
        )

    op.create_table(
        "reception_session",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("official_id", sa.Integer(), nullable=False),
        sa.Column("schedule_id", sa.Integer(), nullable=True),
        sa.Column("date", sa.Date(), nullable=False),
        sa.Column("start", sa.Time(), nullable=False),
        sa.Column("end", sa.Time(), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("instruction", sa.Text(), nullable=True),
        sa.Column("place", sa.JSON(), nullable=True),
        sa.Column("video_link", sa.String(length=500), nullable=True),
        sa.Column("slot_minutes", sa.Integer(), nullable=False),
        sa.Column("participants", sa.JSON(), nullable=True),
        sa.Column("cancel_reason", sa.Text(), nullable=True),
        sa.Column("minutes_number", sa.String(length=32), nullable=True),
        sa.Column("state", sa.String(length=64), nullable=False),
        sa.ForeignKeyConstraint(
            ["official_id"], ["official.id"], name=op.f("fk_reception_session_official_id_official")
        ),
        sa.ForeignKeyConstraint(
            ["schedule_id"],
            ["reception_schedule.id"],
            name=op.f("fk_reception_session_schedule_id_reception_schedule"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_reception_session")),
        sa.UniqueConstraint(
            "official_id", "date", "start", name=op.f("uq_reception_session_official_id_date_start")
        ),
    )
    with op.batch_alter_table("reception_session", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_reception_session_date"), ["date"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_reception_session_official_id"), ["official_id"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_reception_session_state"), ["state"], unique=False)

    op.create_table(
        "minutes",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("session_id", sa.Integer(), nullable=True),
        sa.Column("number", sa.String(length=32), nullable=True),
        sa.Column("date", sa.Date(), nullable=True),
        sa.Column("official_code", sa.String(length=64), nullable=True),
        sa.Column("attachment_id", sa.Integer(), nullable=True),
        sa.Column("parsed", sa.JSON(), nullable=True),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("uploaded_by_id", sa.Integer(), nullable=True),
        sa.Column("uploaded_at", docflow.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("confirmed_by_id", sa.Integer(), nullable=True),
        sa.Column("confirmed_at", docflow.core.db.UTCDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["attachment_id"], ["attachment.id"], name=op.f("fk_minutes_attachment_id_attachment")
        ),
        sa.ForeignKeyConstraint(
            ["confirmed_by_id"],
            ["user_account.id"],
            name=op.f("fk_minutes_confirmed_by_id_user_account"),
        ),
        sa.ForeignKeyConstraint(
            ["session_id"],
            ["reception_session.id"],
            name=op.f("fk_minutes_session_id_reception_session"),
        ),
        sa.ForeignKeyConstraint(
            ["uploaded_by_id"],
            ["user_account.id"],
            name=op.f("fk_minutes_uploaded_by_id_user_account"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_minutes")),
    )
    with op.batch_alter_table("minutes", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_minutes_session_id"), ["session_id"], unique=False)

    op.create_table(
        "signup",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("item_id", sa.Integer(), nullable=False),
        sa.Column("official_id", sa.Integer(), nullable=False),
        sa.Column("session_id", sa.Integer(), nullable=True),
        sa.Column("priority", sa.String(length=32), nullable=True),
        sa.Column("video", sa.Boolean(), nullable=False),
        sa.Column("language", sa.String(length=8), nullable=True),
        sa.Column("queue_position", sa.Integer(), nullable=True),
        sa.Column("slot_time", sa.Time(), nullable=True),
        sa.Column("reference_note", sa.Text(), nullable=True),
        sa.Column("refusal_ground", sa.String(length=32), nullable=True),
        sa.Column("refusal_evidence_item_id", sa.Integer(), nullable=True),
        sa.Column("preliminary_sent_on", sa.Date(), nullable=True),
        sa.Column("decision_on", sa.Date(), nullable=True),
        sa.Column("objection_due", sa.Date(), nullable=True),
        sa.Column("objection", sa.Text(), nullable=True),
        sa.Column("inclusion_notice_due", sa.Date(), nullable=True),
        sa.Column("inclusion_notice_sent_on", sa.Date(), nullable=True),
        sa.Column("time_notice_due", sa.Date(), nullable=True),
        sa.Column("time_notice_sent_on", sa.Date(), nullable=True),
        sa.Column("came", sa.Boolean(), nullable=True),
        sa.Column("oral_questions", sa.Text(), nullable=True),
        sa.Column("outcome", sa.Text(), nullable=True),
        sa.Column("decision_executors", sa.JSON(), nullable=True),
        sa.Column("decision_due", sa.Date(), nullable=True),
        sa.Column("explained", sa.Boolean(), nullable=False),
        sa.Column("identity_document", sa.String(length=300), nullable=True),
        sa.Column("created_at", docflow.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("state", sa.String(length=64), nullable=False),
        sa.ForeignKeyConstraint(
            ["item_id"], ["incoming_item.id"], name=op.f("fk_signup_item_id_incoming_item")
        ),
        sa.ForeignKeyConstraint(
            ["official_id"], ["official.id"], name=op.f("fk_signup_official_id_official")
        ),
        sa.ForeignKeyConstraint(
            ["refusal_evidence_item_id"],
            ["incoming_item.id"],
            name=op.f("fk_signup_refusal_evidence_item_id_incoming_item"),
        ),
        sa.ForeignKeyConstraint(
            ["session_id"],
            ["reception_session.id"],
            name=op.f("fk_signup_session_id_reception_session"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_signup")),
        sa.UniqueConstraint("item_id", name=op.f("uq_signup_item_id")),
    )
    with op.batch_alter_table("signup", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_signup_official_id"), ["official_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_signup_session_id"), ["session_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_signup_state"), ["state"], unique=False)

    op.create_table(
        "protocol_assignment",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("minutes_id", sa.Integer(), nullable=False),
        sa.Column("number", sa.String(length=16), nullable=False),
        sa.Column("item_id", sa.Integer(), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("due", sa.Date(), nullable=False),
        sa.Column("executors", sa.JSON(), nullable=False),
        sa.Column("scan_due", sa.Date(), nullable=False),
        sa.ForeignKeyConstraint(
            ["item_id"],
            ["incoming_item.id"],
            name=op.f("fk_protocol_assignment_item_id_incoming_item"),
        ),
        sa.ForeignKeyConstraint(
            ["minutes_id"], ["minutes.id"], name=op.f("fk_protocol_assignment_minutes_id_minutes")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_protocol_assignment")),
    )
    with op.batch_alter_table("protocol_assignment", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_protocol_assignment_item_id"), ["item_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_protocol_assignment_minutes_id"), ["minutes_id"], unique=False
        )

    op.create_table(
        "satisfaction_call",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("signup_id", sa.Integer(), nullable=True),
        sa.Column("item_id", sa.Integer(), nullable=True),
        sa.Column("reason", sa.String(length=16), nullable=False),
        sa.Column("result", sa.String(length=16), nullable=False),
        sa.Column("comment", sa.Text(), nullable=True),
        sa.Column("called_by_id", sa.Integer(), nullable=True),
        sa.Column("called_on", sa.Date(), nullable=False),
        sa.ForeignKeyConstraint(
            ["called_by_id"],
            ["user_account.id"],
            name=op.f("fk_satisfaction_call_called_by_id_user_account"),
        ),
        sa.ForeignKeyConstraint(
            ["item_id"],
            ["incoming_item.id"],
            name=op.f("fk_satisfaction_call_item_id_incoming_item"),
        ),
        sa.ForeignKeyConstraint(
            ["signup_id"], ["signup.id"], name=op.f("fk_satisfaction_call_signup_id_signup")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_satisfaction_call")),
    )


def downgrade():
    op.drop_table("satisfaction_call")
    with op.batch_alter_table("protocol_assignment", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_protocol_assignment_minutes_id"))
        batch_op.drop_index(batch_op.f("ix_protocol_assignment_item_id"))

    op.drop_table("protocol_assignment")
    with op.batch_alter_table("signup", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_signup_state"))
        batch_op.drop_index(batch_op.f("ix_signup_session_id"))
        batch_op.drop_index(batch_op.f("ix_signup_official_id"))

    op.drop_table("signup")
    with op.batch_alter_table("minutes", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_minutes_session_id"))

    op.drop_table("minutes")
    with op.batch_alter_table("reception_session", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_reception_session_state"))
        batch_op.drop_index(batch_op.f("ix_reception_session_official_id"))
        batch_op.drop_index(batch_op.f("ix_reception_session_date"))

    op.drop_table("reception_session")
    with op.batch_alter_table("reception_schedule", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_reception_schedule_official_id"))

    op.drop_table("reception_schedule")
