"""imported historical cases (case exchange): records, events as recorded, former employees;
employees' IINs (a person named by IIN in an imported case is that employee)

Revision ID: 0009
Revises: 0008

"""

import sqlalchemy as sa
from alembic import op

import docflow.core.db

# revision identifiers, used by Alembic.
revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "former_employee",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("iin", sa.String(length=12), nullable=False),
        sa.Column("full_name", sa.String(length=300), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_former_employee")),
        sa.UniqueConstraint("iin", name=op.f("uq_former_employee_iin")),
    )
    op.create_table(
        "imported_case",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("item_id", sa.Integer(), nullable=False),
        sa.Column("source", sa.String(length=100), nullable=False),
        sa.Column("digest", sa.String(length=64), nullable=False),
        sa.Column("record", sa.JSON(), nullable=False),
        sa.Column("status", sa.String(length=100), nullable=True),
        sa.Column("status_state", sa.String(length=32), nullable=True),
        sa.Column("imported_at", docflow.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["item_id"], ["incoming_item.id"], name=op.f("fk_imported_case_item_id_incoming_item")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_imported_case")),
        sa.UniqueConstraint("item_id", name=op.f("uq_imported_case_item_id")),
    )
    with op.batch_alter_table("imported_case", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_imported_case_source"), ["source"], unique=False)

    op.create_table(
        "imported_event",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("item_id", sa.Integer(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("type", sa.String(length=32), nullable=False),
        sa.Column("at", docflow.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("data", sa.JSON(), nullable=False),
        sa.Column("source", sa.String(length=100), nullable=False),
        sa.Column("role", sa.String(length=16), nullable=True),
        sa.Column("user_id", sa.Integer(), nullable=True),
        sa.Column("former_employee_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["former_employee_id"],
            ["former_employee.id"],
            name=op.f("fk_imported_event_former_employee_id_former_employee"),
        ),
        sa.ForeignKeyConstraint(
            ["item_id"], ["incoming_item.id"], name=op.f("fk_imported_event_item_id_incoming_item")
        ),
        sa.ForeignKeyConstraint(
            ["user_id"], ["user_account.id"], name=op.f("fk_imported_event_user_id_user_account")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_imported_event")),
    )
    with op.batch_alter_table("imported_event", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_imported_event_item_id"), ["item_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_imported_event_user_id"), ["user_id"], unique=False)

    with op.batch_alter_table("employee", schema=None) as batch_op:
        batch_op.add_column(sa.Column("iin", sa.String(length=12), nullable=True))
        batch_op.create_unique_constraint(batch_op.f("uq_employee_iin"), ["iin"])


def downgrade():
    with op.batch_alter_table("employee", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("uq_employee_iin"), type_="unique")
        batch_op.drop_column("iin")

    with op.batch_alter_table("imported_event", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_imported_event_user_id"))
        batch_op.drop_index(batch_op.f("ix_imported_event_item_id"))

    op.drop_table("imported_event")
    with op.batch_alter_table("imported_case", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_imported_case_source"))

    op.drop_table("imported_case")
    op.drop_table("former_employee")
