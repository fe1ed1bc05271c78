"""registry: incoming items, applicants, attachments, links, annotations, scans, counters

Revision ID: 0002
Revises: 0001

"""

import sqlalchemy as sa
from alembic import op

import docflow.core.db

# revision identifiers, used by Alembic.
revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "counter",
        sa.Column("journal", sa.String(length=64), nullable=False),
        sa.Column("year", sa.Integer(), nullable=False),
        sa.Column("value", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("journal", "year", name=op.f("pk_counter")),
    )
    op.create_table(
        "scan_batch",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("filename", sa.String(length=255), nullable=False),
        sa.Column("storage_key", sa.String(length=128), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("uploaded_by_id", sa.Integer(), nullable=True),
        sa.Column("uploaded_at", docflow.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("error", sa.Text(), nullable=True),
        sa.Column("summary", sa.JSON(), nullable=True),
        sa.ForeignKeyConstraint(
            ["uploaded_by_id"],
            ["user_account.id"],
            name=op.f("fk_scan_batch_uploaded_by_id_user_account"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_scan_batch")),
    )
    op.create_table(
        "incoming_item",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("public_id", sa.String(length=32), nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("channel", sa.String(length=32), nullable=False),
        sa.Column("journal", sa.String(length=64), nullable=False),
        sa.Column("reg_year", sa.Integer(), nullable=False),
        sa.Column("reg_seq", sa.Integer(), nullable=False),
        sa.Column("reg_number", sa.String(length=64), nullable=False),
        sa.Column("arrived_at", docflow.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("registered_at", docflow.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("registration_date", sa.Date(), nullable=False),
        sa.Column("due_date", sa.Date(), nullable=True),
        sa.Column("term_days", sa.Integer(), nullable=True),
        sa.Column("term_unit", sa.String(length=16), nullable=True),
        sa.Column("registered_by_id", sa.Integer(), nullable=True),
        sa.Column("addressee", sa.String(length=300), nullable=True),
        sa.Column("summary", sa.Text(), nullable=False),
        sa.Column("language", sa.String(length=8), nullable=True),
        sa.Column("external_number", sa.String(length=100), nullable=True),
        sa.Column("external_date", sa.Date(), nullable=True),
        sa.Column("page_count", sa.Integer(), nullable=True),
        sa.Column("signed", sa.Boolean(), nullable=False),
        sa.Column("from_reception", sa.Boolean(), nullable=False),
        sa.Column("anonymous", sa.Boolean(), nullable=False),
        sa.Column("collective", sa.Boolean(), nullable=False),
        sa.Column("missing_details", sa.JSON(), nullable=True),
        sa.Column("correction_due", sa.Date(), nullable=True),
        sa.Column("notice_text", sa.Text(), nullable=True),
        sa.Column("subdivision_id", sa.Integer(), nullable=True),
        sa.Column("idempotency_key", sa.String(length=160), nullable=True),
        sa.Column("state", sa.String(length=64), nullable=False),
        sa.ForeignKeyConstraint(
            ["registered_by_id"],
            ["user_account.id"],
            name=op.f("fk_incoming_item_registered_by_id_user_account"),
        ),
        sa.ForeignKeyConstraint(
            ["subdivision_id"],
            ["subdivision.id"],
            name=op.f("fk_incoming_item_subdivision_id_subdivision"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_incoming_item")),
        sa.UniqueConstraint("idempotency_key", name=op.f("uq_incoming_item_idempotency_key")),
        sa.UniqueConstraint(
            "journal", "reg_year", "reg_seq", name=op.f("uq_incoming_item_journal_reg_year_reg_seq")
        ),
        sa.UniqueConstraint("public_id", name=op.f("uq_incoming_item_public_id")),
        sa.UniqueConstraint("reg_number", name=op.f("uq_incoming_item_reg_number")),
    )
    with op.batch_alter_table("incoming_item", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_incoming_item_channel"), ["channel"], unique=False)
        batch_op.create_index(batch_op.f("ix_incoming_item_due_date"), ["due_date"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_incoming_item_from_reception"), ["from_reception"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_incoming_item_kind"), ["kind"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_incoming_item_registration_date"), ["registration_date"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_incoming_item_state"), ["state"], unique=False)
        batch_op.create_index(
            "ix_incoming_item_state_due", ["state", "due_date", "subdivision_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_incoming_item_subdivision_id"), ["subdivision_id"], unique=False
        )

    op.create_table(
        "annotation",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("item_id", sa.Integer(), nullable=False),
        sa.Column("field", sa.String(length=64), nullable=False),
        sa.Column("old_value", sa.JSON(), nullable=True),
        sa.Column("new_value", sa.JSON(), nullable=True),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("author_id", sa.Integer(), nullable=True),
        sa.Column("at", docflow.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["author_id"], ["user_account.id"], name=op.f("fk_annotation_author_id_user_account")
        ),
        sa.ForeignKeyConstraint(
            ["item_id"], ["incoming_item.id"], name=op.f("fk_annotation_item_id_incoming_item")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_annotation")),
    )
    with op.batch_alter_table("annotation", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_annotation_item_id"), ["item_id"], unique=False)

    op.create_table(
        "applicant",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("item_id", sa.Integer(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("type", sa.String(length=16), nullable=False),
        sa.Column("full_name", sa.String(length=300), nullable=True),
        sa.Column("iin", sa.String(length=12), nullable=True),
        sa.Column("organisation_name", sa.String(length=300), nullable=True),
        sa.Column("bin", sa.String(length=12), nullable=True),
        sa.Column("representative", sa.String(length=300), nullable=True),
        sa.Column("authority_document", sa.String(length=300), nullable=True),
        sa.Column("address", sa.String(length=500), nullable=True),
        sa.Column("phone", sa.String(length=50), nullable=True),
        sa.Column("email", sa.String(length=200), nullable=True),
        sa.Column("country", sa.String(length=100), nullable=True),
        sa.Column("needs_interpreter", sa.Boolean(), nullable=False),
        sa.Column("name_key", sa.String(length=400), nullable=True),
        sa.ForeignKeyConstraint(
            ["item_id"], ["incoming_item.id"], name=op.f("fk_applicant_item_id_incoming_item")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_applicant")),
    )
    with op.batch_alter_table("applicant", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_applicant_bin"), ["bin"], unique=False)
        batch_op.create_index(batch_op.f("ix_applicant_name_key"), ["name_key"], unique=False)
        batch_op.create_index(batch_op.f("ix_applicant_iin"), ["iin"], unique=False)
        batch_op.create_index(batch_op.f("ix_applicant_item_id"), ["item_id"], unique=False)

    op.create_table(
        "attachment",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("public_id", sa.String(length=32), nullable=False),
        sa.Column("item_id", sa.Integer(), nullable=True),
        sa.Column("filename", sa.String(length=255), nullable=False),
        sa.Column("content_type", sa.String(length=100), nullable=True),
        sa.Column("size", sa.Integer(), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("storage_key", sa.String(length=128), nullable=False),
        sa.Column("replaces_id", sa.Integer(), nullable=True),
        sa.Column("uploaded_by_id", sa.Integer(), nullable=True),
        sa.Column("uploaded_at", docflow.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("source", sa.String(length=32), nullable=False),
        sa.Column("extraction_status", sa.String(length=16), nullable=False),
        sa.Column("extraction_error_code", sa.String(length=32), nullable=True),
        sa.Column("extraction_error", sa.Text(), nullable=True),
        sa.Column("file_kind", sa.String(length=16), nullable=True),
        sa.Column("page_count", sa.Integer(), nullable=True),
        sa.Column("ocr_pages", sa.Integer(), nullable=True),
        sa.Column("text", sa.Text(), nullable=True),
        sa.Column("preview_key", sa.String(length=128), nullable=True),
        sa.Column("extracted_at", docflow.core.db.UTCDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["item_id"], ["incoming_item.id"], name=op.f("fk_attachment_item_id_incoming_item")
        ),
        sa.ForeignKeyConstraint(
            ["replaces_id"], ["attachment.id"], name=op.f("fk_attachment_replaces_id_attachment")
        ),
        sa.ForeignKeyConstraint(
            ["uploaded_by_id"],
            ["user_account.id"],
            name=op.f("fk_attachment_uploaded_by_id_user_account"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_attachment")),
        sa.UniqueConstraint("public_id", name=op.f("uq_attachment_public_id")),
    )
    with op.batch_alter_table("attachment", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_attachment_extraction_status"), ["extraction_status"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_attachment_item_id"), ["item_id"], unique=False)

    op.create_table(
        "item_link",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("item_id", sa.Integer(), nullable=False),
        sa.Column("target_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Column("created_by_id", sa.Integer(), nullable=True),
        sa.Column("created_at", docflow.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["created_by_id"],
            ["user_account.id"],
            name=op.f("fk_item_link_created_by_id_user_account"),
        ),
        sa.ForeignKeyConstraint(
            ["item_id"], ["incoming_item.id"], name=op.f("fk_item_link_item_id_incoming_item")
        ),
        sa.ForeignKeyConstraint(
            ["target_id"], ["incoming_item.id"], name=op.f("fk_item_link_target_id_incoming_item")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_item_link")),
        sa.UniqueConstraint(
            "item_id", "target_id", "kind", name=op.f("uq_item_link_item_id_target_id_kind")
        ),
    )
    with op.batch_alter_table("item_link", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_item_link_item_id"), ["item_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_item_link_target_id"), ["target_id"], unique=False)

    op.create_table(
        "unmatched_scan",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("batch_id", sa.Integer(), nullable=False),
        sa.Column("attachment_id", sa.Integer(), nullable=False),
        sa.Column("label", sa.String(length=200), nullable=True),
        sa.Column("pages", sa.JSON(), nullable=True),
        sa.Column("resolved_item_id", sa.Integer(), nullable=True),
        sa.Column("resolved_by_id", sa.Integer(), nullable=True),
        sa.Column("resolved_at", docflow.core.db.UTCDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["attachment_id"],
            ["attachment.id"],
            name=op.f("fk_unmatched_scan_attachment_id_attachment"),
        ),
        sa.ForeignKeyConstraint(
            ["batch_id"], ["scan_batch.id"], name=op.f("fk_unmatched_scan_batch_id_scan_batch")
        ),
        sa.ForeignKeyConstraint(
            ["resolved_by_id"],
            ["user_account.id"],
            name=op.f("fk_unmatched_scan_resolved_by_id_user_account"),
        ),
        sa.ForeignKeyConstraint(
            ["resolved_item_id"],
            ["incoming_item.id"],
            name=op.f("fk_unmatched_scan_resolved_item_id_incoming_item"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_unmatched_scan")),
    )
    with op.batch_alter_table("unmatched_scan", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_unmatched_scan_batch_id"), ["batch_id"], unique=False)

    _search_up()


def downgrade():
    _search_down()
    with op.batch_alter_table("unmatched_scan", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_unmatched_scan_batch_id"))

    op.drop_table("unmatched_scan")
    with op.batch_alter_table("item_link", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_item_link_target_id"))
        batch_op.drop_index(batch_op.f("ix_item_link_item_id"))

    op.drop_table("item_link")
    with op.batch_alter_table("attachment", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_attachment_item_id"))
        batch_op.drop_index(batch_op.f("ix_attachment_extraction_status"))

    op.drop_table("attachment")
    with op.batch_alter_table("applicant", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_applicant_item_id"))
        batch_op.drop_index(batch_op.f("ix_applicant_iin"))
        batch_op.drop_index(batch_op.f("ix_applicant_bin"))

    op.drop_table("applicant")
    with op.batch_alter_table("annotation", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_annotation_item_id"))

    op.drop_table("annotation")
    with op.batch_alter_table("incoming_item", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_incoming_item_subdivision_id"))
        batch_op.drop_index("ix_incoming_item_state_due")
        batch_op.drop_index(batch_op.f("ix_incoming_item_state"))
        batch_op.drop_index(batch_op.f("ix_incoming_item_registration_date"))
        batch_op.drop_index(batch_op.f("ix_incoming_item_kind"))
        batch_op.drop_index(batch_op.f("ix_incoming_item_from_reception"))
        batch_op.drop_index(batch_op.f("ix_incoming_item_due_date"))
        batch_op.drop_index(batch_op.f("ix_incoming_item_channel"))

    op.drop_table("incoming_item")
    op.drop_table("scan_batch")
    op.drop_table("counter")


# Full-text index of items (docflow.registry.search): FTS5 on SQLite, tsvector + GIN on PostgreSQL.
def _search_up():
    if op.get_bind().dialect.name == "sqlite":
        op.execute("CREATE VIRTUAL TABLE item_fts USING fts5(content, tokenize = 'unicode61')")
        return
    op.execute(
        "CREATE TABLE item_search ("
        " item_id INTEGER PRIMARY KEY REFERENCES incoming_item (id) ON DELETE CASCADE,"
        " document tsvector NOT NULL)"
    )
    op.execute("CREATE INDEX ix_item_search_document ON item_search USING gin (document)")


def _search_down():
    if op.get_bind().dialect.name == "sqlite":
        op.execute("DROP TABLE IF EXISTS item_fts")
    else:
        op.execute("DROP TABLE IF EXISTS item_search")
