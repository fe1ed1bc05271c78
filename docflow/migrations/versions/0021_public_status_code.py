"""public status code: the code on the receipt slip that opens the public status page

Revision ID: 0021
Revises: 0020

Every item gets a random 8-character code of an unambiguous alphabet (no 0/O, 1/I/L); the
items registered before are given theirs here, so their reprinted slips carry one too.
"""

import secrets

import sqlalchemy as sa
from alembic import op

import docflow.core.db  # noqa: F401

# revision identifiers, used by Alembic.
revision = "0021"
down_revision = "0020"
branch_labels = None
depends_on = None

# As docflow.registry.models.STATUS_CODE_ALPHABET then (a migration does not import the models).
ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"
LENGTH = 8
BATCH = 5000


def _code() -> str:
    return "".join(secrets.choice(ALPHABET) for _ in range(LENGTH))


def upgrade():
    with op.batch_alter_table("incoming_item", schema=None) as batch_op:
        batch_op.add_column(sa.Column("status_code", sa.String(length=16), nullable=True))
    _backfill()


def _backfill():
    conn = op.get_bind()
    items = sa.table("incoming_item", sa.column("id", sa.Integer()), sa.column("status_code"))
    update = (
        sa.update(items)
        .where(items.c.id == sa.bindparam("item_id"))
        .values(status_code=sa.bindparam("code"))
    )
    last = 0
    while True:
        ids = (
            conn.execute(
                sa.select(items.c.id)
                .where(items.c.id > last, items.c.status_code.is_(None))
                .order_by(items.c.id)
                .limit(BATCH)
            )
            .scalars()
            .all()
        )
        if not ids:
            return
        conn.execute(update, [{"item_id": i, "code": _code()} for i in ids])
        last = ids[-1]


def downgrade():
    with op.batch_alter_table("incoming_item", schema=None) as batch_op:
        batch_op.drop_column("status_code")
