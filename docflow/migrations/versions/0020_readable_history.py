"""readable history: page views moved to the access log

Revision ID: 0020
Revises: 0019

Audit entries that are not business history — page views written before reads had the access
log (R-PD-1), and language switches — are marked in ``audit_hidden`` by their sequence number.
No audit entry is changed or deleted: the hash chain (R-AUDIT-3) stays valid.
"""

import json

import sqlalchemy as sa
from alembic import op

import docflow.core.db  # noqa: F401

# revision identifiers, used by Alembic.
revision = "0020"
down_revision = "0019"
branch_labels = None
depends_on = None

READ_ACTIONS = ("view", "download", "preview", "print")


def upgrade():
    op.create_table(
        "audit_hidden",
        sa.Column("seq", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("reason", sa.String(length=16), nullable=False),
        sa.PrimaryKeyConstraint("seq", name=op.f("pk_audit_hidden")),
    )
    _mark_old_entries()


def _language_only(summary) -> bool:
    if isinstance(summary, str):
        try:
            summary = json.loads(summary)
        except ValueError:
            return False
    if not isinstance(summary, dict):
        return False
    after, before = summary.get("after") or {}, summary.get("before") or {}
    return isinstance(after, dict) and set(after) == {"locale"} and set(before) <= {"locale"}


def _mark_old_entries():
    conn = op.get_bind()
    audit = sa.table(
        "audit_entry",
        sa.column("seq", sa.BigInteger()),
        sa.column("action", sa.String()),
        sa.column("object_type", sa.String()),
        sa.column("summary", sa.JSON()),
    )
    hidden = sa.table("audit_hidden", sa.column("seq", sa.BigInteger()), sa.column("reason"))
    rows = [
        {"seq": seq, "reason": "read"}
        for (seq,) in conn.execute(sa.select(audit.c.seq).where(audit.c.action.in_(READ_ACTIONS)))
    ]
    switches = conn.execute(
        sa.select(audit.c.seq, audit.c.summary).where(
            audit.c.action == "update", audit.c.object_type == "user_account"
        )
    )
    rows += [{"seq": seq, "reason": "language"} for seq, s in switches if _language_only(s)]
    if rows:
        op.bulk_insert(hidden, rows)


def downgrade():
    op.drop_table("audit_hidden")
