"""file versions: replaced and removed files, corrected applicant details (R-AUDIT-3)

Revision ID: 0024
Revises: 0023

``file_change`` says why a file stopped being current (replaced by a new version, or removed);
``applicant_version`` keeps each version of an applicant's name, IIN/BIN and address. Nothing
existing changes: old files stay attachments, the applicant row holds the current version.
"""

import sqlalchemy as sa
from alembic import op

import docflow.core.db

# revision identifiers, used by Alembic.
revision = "0024"
down_revision = "0023"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "file_change",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("item_id", sa.Integer(), nullable=False),
        sa.Column("action", sa.String(length=16), nullable=False),
        sa.Column("attachment_id", sa.Integer(), nullable=False),
        sa.Column("new_attachment_id", sa.Integer(), nullable=True),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("actor_id", sa.Integer(), nullable=True),
        sa.Column("at", docflow.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["actor_id"], ["user_account.id"], name=op.f("fk_file_change_actor_id_user_account")
        ),
        sa.ForeignKeyConstraint(
            ["attachment_id"],
            ["attachment.id"],
            name=op.f("fk_file_change_attachment_id_attachment"),
        ),
        sa.ForeignKeyConstraint(
            ["item_id"], ["incoming_item.id"], name=op.f("fk_file_change_item_id_incoming_item")
        ),
        sa.ForeignKeyConstraint(
            ["new_attachment_id"],
            ["attachment.id"],
            name=op.f("fk_file_change_new_attachment_id_attachment"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_file_change")),
        sa.UniqueConstraint("new_attachment_id", name=op.f("uq_file_change_new_attachment_id")),
    )
    with op.batch_alter_table("file_change", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_file_change_attachment_id"), ["attachment_id"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_file_change_item_id"), ["item_id"], unique=False)

    op.create_table(
        "applicant_version",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("applicant_id", sa.Integer(), nullable=False),
        sa.Column("item_id", sa.Integer(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("full_name", sa.String(length=300), nullable=True),
        sa.Column("iin", sa.String(length=12), nullable=True),
        sa.Column("organisation_name", sa.String(length=300), nullable=True),
        sa.Column("bin", sa.String(length=12), nullable=True),
        sa.Column("address", sa.String(length=500), nullable=True),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.Column("author_id", sa.Integer(), nullable=True),
        sa.Column("at", docflow.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["applicant_id"],
            ["applicant.id"],
            name=op.f("fk_applicant_version_applicant_id_applicant"),
        ),
        sa.ForeignKeyConstraint(
            ["author_id"],
            ["user_account.id"],
            name=op.f("fk_applicant_version_author_id_user_account"),
        ),
        sa.ForeignKeyConstraint(
            ["item_id"],
            ["incoming_item.id"],
            name=op.f("fk_applicant_version_item_id_incoming_item"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_applicant_version")),
        sa.UniqueConstraint(
            "applicant_id", "version", name=op.f("uq_applicant_version_applicant_id_version")
        ),
    )
    with op.batch_alter_table("applicant_version", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_applicant_version_applicant_id"), ["applicant_id"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_applicant_version_item_id"), ["item_id"], unique=False)


def downgrade():
    with op.batch_alter_table("applicant_version", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_applicant_version_item_id"))
        batch_op.drop_index(batch_op.f("ix_applicant_version_applicant_id"))
    op.drop_table("applicant_version")
    with op.batch_alter_table("file_change", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_file_change_item_id"))
        batch_op.drop_index(batch_op.f("ix_file_change_attachment_id"))
    op.drop_table("file_change")
