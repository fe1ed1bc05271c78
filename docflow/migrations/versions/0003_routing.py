"""routing: distribution, executors, extensions, answers, forwarding, notifications, routing examples

Revision ID: 0003
Revises: 0002

"""

import sqlalchemy as sa
from alembic import op

import docflow.core.db

# revision identifiers, used by Alembic.
revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "distribution",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("item_id", sa.Integer(), nullable=False),
        sa.Column("subdivision_id", sa.Integer(), nullable=False),
        sa.Column("responsible", sa.Boolean(), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("created_by_id", sa.Integer(), nullable=True),
        sa.Column("created_at", docflow.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["created_by_id"],
            ["user_account.id"],
            name=op.f("fk_distribution_created_by_id_user_account"),
        ),
        sa.ForeignKeyConstraint(
            ["item_id"], ["incoming_item.id"], name=op.f("fk_distribution_item_id_incoming_item")
        ),
        sa.ForeignKeyConstraint(
            ["subdivision_id"],
            ["subdivision.id"],
            name=op.f("fk_distribution_subdivision_id_subdivision"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_distribution")),
    )
    with op.batch_alter_table("distribution", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_distribution_item_id"), ["item_id"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_distribution_subdivision_id"), ["subdivision_id"], unique=False
        )

    op.create_table(
        "executor_assignment",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("item_id", sa.Integer(), nullable=False),
        sa.Column("subdivision_id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("responsible", sa.Boolean(), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("assigned_by_id", sa.Integer(), nullable=True),
        sa.Column("assigned_at", docflow.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("ended_at", docflow.core.db.UTCDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["assigned_by_id"],
            ["user_account.id"],
            name=op.f("fk_executor_assignment_assigned_by_id_user_account"),
        ),
        sa.ForeignKeyConstraint(
            ["item_id"],
            ["incoming_item.id"],
            name=op.f("fk_executor_assignment_item_id_incoming_item"),
        ),
        sa.ForeignKeyConstraint(
            ["subdivision_id"],
            ["subdivision.id"],
            name=op.f("fk_executor_assignment_subdivision_id_subdivision"),
        ),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["user_account.id"],
            name=op.f("fk_executor_assignment_user_id_user_account"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_executor_assignment")),
    )
    with op.batch_alter_table("executor_assignment", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_executor_assignment_item_id"), ["item_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_executor_assignment_user_id"), ["user_id"], unique=False
        )

    op.create_table(
        "extension",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("item_id", sa.Integer(), nullable=False),
        sa.Column("basis", sa.String(length=16), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("old_due", sa.Date(), nullable=False),
        sa.Column("new_due", sa.Date(), nullable=False),
        sa.Column("decided_by_id", sa.Integer(), nullable=True),
        sa.Column("decided_at", docflow.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("notice_due", sa.Date(), nullable=False),
        sa.Column("notice_sent_at", docflow.core.db.UTCDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["decided_by_id"],
            ["user_account.id"],
            name=op.f("fk_extension_decided_by_id_user_account"),
        ),
        sa.ForeignKeyConstraint(
            ["item_id"], ["incoming_item.id"], name=op.f("fk_extension_item_id_incoming_item")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_extension")),
    )
    with op.batch_alter_table("extension", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_extension_item_id"), ["item_id"], unique=False)

    op.create_table(
        "forwarding",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("item_id", sa.Integer(), nullable=False),
        sa.Column("body", sa.String(length=300), nullable=False),
        sa.Column("partial", sa.Boolean(), nullable=False),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.Column("forwarded_by_id", sa.Integer(), nullable=True),
        sa.Column("forwarded_at", docflow.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("deadline", sa.Date(), nullable=False),
        sa.Column("notice_sent_at", docflow.core.db.UTCDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["forwarded_by_id"],
            ["user_account.id"],
            name=op.f("fk_forwarding_forwarded_by_id_user_account"),
        ),
        sa.ForeignKeyConstraint(
            ["item_id"], ["incoming_item.id"], name=op.f("fk_forwarding_item_id_incoming_item")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_forwarding")),
    )
    with op.batch_alter_table("forwarding", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_forwarding_item_id"), ["item_id"], unique=False)

    op.create_table(
        "notification",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("item_id", sa.Integer(), nullable=True),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("key", sa.String(length=64), nullable=False),
        sa.Column("message", sa.Text(), nullable=False),
        sa.Column("created_at", docflow.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("read_at", docflow.core.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("emailed_at", docflow.core.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("email_error", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(
            ["item_id"], ["incoming_item.id"], name=op.f("fk_notification_item_id_incoming_item")
        ),
        sa.ForeignKeyConstraint(
            ["user_id"], ["user_account.id"], name=op.f("fk_notification_user_id_user_account")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_notification")),
        sa.UniqueConstraint(
            "user_id",
            "item_id",
            "kind",
            "key",
            name=op.f("uq_notification_user_id_item_id_kind_key"),
        ),
    )
    with op.batch_alter_table("notification", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_notification_item_id"), ["item_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_notification_user_id"), ["user_id"], unique=False)

    op.create_table(
        "routing_example",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("subdivision_code", sa.String(length=64), nullable=False),
        sa.Column("source", sa.String(length=16), nullable=False),
        sa.Column("item_id", sa.Integer(), nullable=True),
        sa.Column("created_at", docflow.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["item_id"], ["incoming_item.id"], name=op.f("fk_routing_example_item_id_incoming_item")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_routing_example")),
        sa.UniqueConstraint("item_id", name=op.f("uq_routing_example_item_id")),
    )
    with op.batch_alter_table("routing_example", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_routing_example_subdivision_code"), ["subdivision_code"], unique=False
        )

    op.create_table(
        "answer",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("item_id", sa.Integer(), nullable=False),
        sa.Column("attachment_id", sa.Integer(), nullable=True),
        sa.Column("summary", sa.Text(), nullable=False),
        sa.Column("final", sa.Boolean(), nullable=False),
        sa.Column("author_id", sa.Integer(), nullable=True),
        sa.Column("created_at", docflow.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("approved_by_id", sa.Integer(), nullable=True),
        sa.Column("approved_at", docflow.core.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("review_comment", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(
            ["approved_by_id"],
            ["user_account.id"],
            name=op.f("fk_answer_approved_by_id_user_account"),
        ),
        sa.ForeignKeyConstraint(
            ["attachment_id"], ["attachment.id"], name=op.f("fk_answer_attachment_id_attachment")
        ),
        sa.ForeignKeyConstraint(
            ["author_id"], ["user_account.id"], name=op.f("fk_answer_author_id_user_account")
        ),
        sa.ForeignKeyConstraint(
            ["item_id"], ["incoming_item.id"], name=op.f("fk_answer_item_id_incoming_item")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_answer")),
    )
    with op.batch_alter_table("answer", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_answer_item_id"), ["item_id"], unique=False)


def downgrade():
    with op.batch_alter_table("answer", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_answer_item_id"))

    op.drop_table("answer")
    with op.batch_alter_table("routing_example", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_routing_example_subdivision_code"))

    op.drop_table("routing_example")
    with op.batch_alter_table("notification", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_notification_user_id"))
        batch_op.drop_index(batch_op.f("ix_notification_item_id"))

    op.drop_table("notification")
    with op.batch_alter_table("forwarding", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_forwarding_item_id"))

    op.drop_table("forwarding")
    with op.batch_alter_table("extension", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_extension_item_id"))

    op.drop_table("extension")
    with op.batch_alter_table("executor_assignment", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_executor_assignment_user_id"))
        batch_op.drop_index(batch_op.f("ix_executor_assignment_item_id"))

    op.drop_table("executor_assignment")
    with op.batch_alter_table("distribution", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_distribution_subdivision_id"))
        batch_op.drop_index(batch_op.f("ix_distribution_item_id"))

    op.drop_table("distribution")
