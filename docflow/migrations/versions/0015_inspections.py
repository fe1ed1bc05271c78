"""inspections, findings, samples and remediation tasks

Revision ID: 0015
Revises: 0014

"""

import sqlalchemy as sa
from alembic import op

import docflow.core.db

# revision identifiers, used by Alembic.
revision = "0015"
down_revision = "0014"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "inspection",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("public_id", sa.String(length=32), nullable=False),
        sa.Column("title", sa.String(length=300), nullable=False),
        sa.Column("subdivisions", sa.JSON(), nullable=False),
        sa.Column("districts", sa.JSON(), nullable=False),
        sa.Column("date_from", sa.Date(), nullable=False),
        sa.Column("date_to", sa.Date(), nullable=False),
        sa.Column("as_of", sa.Date(), nullable=False),
        sa.Column("created_by_id", sa.Integer(), nullable=False),
        sa.Column("created_at", docflow.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("sample_seed", sa.Integer(), nullable=True),
        sa.Column("sample_size", sa.Integer(), nullable=True),
        sa.Column("remarks", sa.Text(), nullable=False),
        sa.Column("proposals", sa.Text(), nullable=False),
        sa.Column("closed_at", docflow.core.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("state", sa.String(length=64), nullable=False),
        sa.ForeignKeyConstraint(
            ["created_by_id"],
            ["user_account.id"],
            name=op.f("fk_inspection_created_by_id_user_account"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_inspection")),
        sa.UniqueConstraint("public_id", name=op.f("uq_inspection_public_id")),
    )
    op.create_index(op.f("ix_inspection_state"), "inspection", ["state"], unique=False)
    op.create_table(
        "inspection_run",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("inspection_id", sa.Integer(), nullable=False),
        sa.Column("number", sa.Integer(), nullable=False),
        sa.Column("at", docflow.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("by_id", sa.Integer(), nullable=False),
        sa.Column("as_of", sa.Date(), nullable=False),
        sa.Column("checked", sa.Integer(), nullable=False),
        sa.Column("not_judged", sa.JSON(), nullable=False),
        sa.Column("finding_count", sa.Integer(), nullable=False),
        sa.Column("audit_ok", sa.Boolean(), nullable=False),
        sa.Column("audit_checked", sa.Integer(), nullable=False),
        sa.Column("audit_period_entries", sa.Integer(), nullable=False),
        sa.Column("audit_broken_seq", sa.Integer(), nullable=True),
        sa.Column("audit_reason", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(
            ["by_id"], ["user_account.id"], name=op.f("fk_inspection_run_by_id_user_account")
        ),
        sa.ForeignKeyConstraint(
            ["inspection_id"],
            ["inspection.id"],
            name=op.f("fk_inspection_run_inspection_id_inspection"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_inspection_run")),
        sa.UniqueConstraint(
            "inspection_id", "number", name=op.f("uq_inspection_run_inspection_id_number")
        ),
    )
    op.create_index(
        op.f("ix_inspection_run_inspection_id"), "inspection_run", ["inspection_id"], unique=False
    )
    op.create_table(
        "inspection_finding",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("public_id", sa.String(length=32), nullable=False),
        sa.Column("inspection_id", sa.Integer(), nullable=False),
        sa.Column("run_id", sa.Integer(), nullable=True),
        sa.Column("code", sa.String(length=64), nullable=False),
        sa.Column("rule", sa.String(length=200), nullable=False),
        sa.Column("severity", sa.String(length=16), nullable=False),
        sa.Column("item_id", sa.Integer(), nullable=True),
        sa.Column("reg_number", sa.String(length=64), nullable=True),
        sa.Column("item_public_id", sa.String(length=32), nullable=True),
        sa.Column("subdivision_code", sa.String(length=64), nullable=True),
        sa.Column("evidence", sa.Text(), nullable=False),
        sa.Column("facts", sa.JSON(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("still_open", sa.Boolean(), nullable=True),
        sa.Column("rechecked_run_id", sa.Integer(), nullable=True),
        sa.Column("earlier_id", sa.Integer(), nullable=True),
        sa.Column("created_by_id", sa.Integer(), nullable=True),
        sa.Column("created_at", docflow.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["created_by_id"],
            ["user_account.id"],
            name=op.f("fk_inspection_finding_created_by_id_user_account"),
        ),
        sa.ForeignKeyConstraint(
            ["earlier_id"],
            ["inspection_finding.id"],
            name=op.f("fk_inspection_finding_earlier_id_inspection_finding"),
        ),
        sa.ForeignKeyConstraint(
            ["inspection_id"],
            ["inspection.id"],
            name=op.f("fk_inspection_finding_inspection_id_inspection"),
        ),
        sa.ForeignKeyConstraint(
            ["item_id"],
            ["incoming_item.id"],
            name=op.f("fk_inspection_finding_item_id_incoming_item"),
        ),
        sa.ForeignKeyConstraint(
            ["rechecked_run_id"],
            ["inspection_run.id"],
            name=op.f("fk_inspection_finding_rechecked_run_id_inspection_run"),
        ),
        sa.ForeignKeyConstraint(
            ["run_id"],
            ["inspection_run.id"],
            name=op.f("fk_inspection_finding_run_id_inspection_run"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_inspection_finding")),
        sa.UniqueConstraint("public_id", name=op.f("uq_inspection_finding_public_id")),
    )
    op.create_index(
        op.f("ix_inspection_finding_code"), "inspection_finding", ["code"], unique=False
    )
    op.create_index(
        op.f("ix_inspection_finding_inspection_id"),
        "inspection_finding",
        ["inspection_id"],
        unique=False,
    )
    op.create_index(
        op.f("ix_inspection_finding_run_id"), "inspection_finding", ["run_id"], unique=False
    )
    op.create_index(
        op.f("ix_inspection_finding_status"), "inspection_finding", ["status"], unique=False
    )
    op.create_index(
        op.f("ix_inspection_finding_subdivision_code"),
        "inspection_finding",
        ["subdivision_code"],
        unique=False,
    )
    op.create_table(
        "inspection_sample",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("inspection_id", sa.Integer(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("item_id", sa.Integer(), nullable=False),
        sa.Column("answer_motivated", sa.String(length=8), nullable=True),
        sa.Column("legislation_cited", sa.String(length=8), nullable=True),
        sa.Column("complaint_explained", sa.String(length=8), nullable=True),
        sa.Column("language_ok", sa.String(length=8), nullable=True),
        sa.Column("remarks", sa.Text(), nullable=False),
        sa.Column("checked_by_id", sa.Integer(), nullable=True),
        sa.Column("checked_at", docflow.core.db.UTCDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["checked_by_id"],
            ["user_account.id"],
            name=op.f("fk_inspection_sample_checked_by_id_user_account"),
        ),
        sa.ForeignKeyConstraint(
            ["inspection_id"],
            ["inspection.id"],
            name=op.f("fk_inspection_sample_inspection_id_inspection"),
        ),
        sa.ForeignKeyConstraint(
            ["item_id"],
            ["incoming_item.id"],
            name=op.f("fk_inspection_sample_item_id_incoming_item"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_inspection_sample")),
        sa.UniqueConstraint(
            "inspection_id", "item_id", name=op.f("uq_inspection_sample_inspection_id_item_id")
        ),
    )
    op.create_index(
        op.f("ix_inspection_sample_inspection_id"),
        "inspection_sample",
        ["inspection_id"],
        unique=False,
    )
    op.create_table(
        "remediation_task",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("public_id", sa.String(length=32), nullable=False),
        sa.Column("finding_id", sa.Integer(), nullable=False),
        sa.Column("subdivision_id", sa.Integer(), nullable=False),
        sa.Column("head_id", sa.Integer(), nullable=True),
        sa.Column("term", sa.Date(), nullable=False),
        sa.Column("instruction", sa.Text(), nullable=False),
        sa.Column("sent_by_id", sa.Integer(), nullable=False),
        sa.Column("sent_at", docflow.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("report", sa.Text(), nullable=True),
        sa.Column("reported_at", docflow.core.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("reported_by_id", sa.Integer(), nullable=True),
        sa.Column("decided_at", docflow.core.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("decision_comment", sa.Text(), nullable=True),
        sa.Column("state", sa.String(length=64), nullable=False),
        sa.ForeignKeyConstraint(
            ["finding_id"],
            ["inspection_finding.id"],
            name=op.f("fk_remediation_task_finding_id_inspection_finding"),
        ),
        sa.ForeignKeyConstraint(
            ["head_id"], ["user_account.id"], name=op.f("fk_remediation_task_head_id_user_account")
        ),
        sa.ForeignKeyConstraint(
            ["reported_by_id"],
            ["user_account.id"],
            name=op.f("fk_remediation_task_reported_by_id_user_account"),
        ),
        sa.ForeignKeyConstraint(
            ["sent_by_id"],
            ["user_account.id"],
            name=op.f("fk_remediation_task_sent_by_id_user_account"),
        ),
        sa.ForeignKeyConstraint(
            ["subdivision_id"],
            ["subdivision.id"],
            name=op.f("fk_remediation_task_subdivision_id_subdivision"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_remediation_task")),
        sa.UniqueConstraint("finding_id", name=op.f("uq_remediation_task_finding_id")),
        sa.UniqueConstraint("public_id", name=op.f("uq_remediation_task_public_id")),
    )
    op.create_index(op.f("ix_remediation_task_state"), "remediation_task", ["state"], unique=False)
    op.create_index(
        op.f("ix_remediation_task_subdivision_id"),
        "remediation_task",
        ["subdivision_id"],
        unique=False,
    )
    op.create_index(op.f("ix_remediation_task_term"), "remediation_task", ["term"], unique=False)


def downgrade():
    op.drop_index(op.f("ix_remediation_task_term"), table_name="remediation_task")
    op.drop_index(op.f("ix_remediation_task_subdivision_id"), table_name="remediation_task")
    op.drop_index(op.f("ix_remediation_task_state"), table_name="remediation_task")
    op.drop_table("remediation_task")
    op.drop_index(op.f("ix_inspection_sample_inspection_id"), table_name="inspection_sample")
    op.drop_table("inspection_sample")
    op.drop_index(op.f("ix_inspection_finding_subdivision_code"), table_name="inspection_finding")
    op.drop_index(op.f("ix_inspection_finding_status"), table_name="inspection_finding")
    op.drop_index(op.f("ix_inspection_finding_run_id"), table_name="inspection_finding")
    op.drop_index(op.f("ix_inspection_finding_inspection_id"), table_name="inspection_finding")
    op.drop_index(op.f("ix_inspection_finding_code"), table_name="inspection_finding")
    op.drop_table("inspection_finding")
    op.drop_index(op.f("ix_inspection_run_inspection_id"), table_name="inspection_run")
    op.drop_table("inspection_run")
    op.drop_index(op.f("ix_inspection_state"), table_name="inspection")
    op.drop_table("inspection")
