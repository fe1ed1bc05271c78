"""outgoing: one kind of document for answers and notices

Every outgoing thing is a ``letter`` row. The letter gets what notices need (due date, recipient,
both pre-filled texts, the record it is about, the "sent" state) and the rows of
``outgoing_notice`` move into it — same public ids (the journal's URLs keep working), same
journal, year, sequence and number (R-REG-4: the numbers stay gapless; the counter is untouched).
The notices' "sent" fields that routing and protocols kept of their own
(``extension.notice_sent_at``, ``forwarding.notice_sent_at``, ``signup.inclusion_notice_sent_on``,
``signup.time_notice_sent_on``) are carried into the letters, then dropped: outgoing is the
single source. ``outgoing_notice`` is dropped. The downgrade moves the notices back.

Revision ID: 0011
Revises: 0010

"""

import datetime as dt
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from alembic import op

import docflow.core.db

# revision identifiers, used by Alembic.
revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None

NOTICE_KINDS = (
    "correction",
    "left_without_consideration",
    "forwarding",
    "extension",
    "termination",
    "signup_inclusion",
    "signup_time",
    "hearing_draft",
    "reception_cancelled",
)
_T = docflow.core.db.UTCDateTime(timezone=True)

notice = sa.table(
    "outgoing_notice",
    *(
        sa.column(name, type_)
        for name, type_ in (
            ("id", sa.Integer()),
            ("public_id", sa.String()),
            ("journal", sa.String()),
            ("reg_year", sa.Integer()),
            ("reg_seq", sa.Integer()),
            ("reg_number", sa.String()),
            ("kind", sa.String()),
            ("item_id", sa.Integer()),
            ("language", sa.String()),
            ("recipient", sa.Text()),
            ("text_kk", sa.Text()),
            ("text_ru", sa.Text()),
            ("due_on", sa.Date()),
            ("registered_at", _T),
            ("registered_by_id", sa.Integer()),
            ("sent_on", sa.Date()),
            ("sent_by_id", sa.Integer()),
            ("channel", sa.String()),
            ("source_type", sa.String()),
            ("source_id", sa.Integer()),
            ("dedup_key", sa.String()),
        )
    ),
)
letter = sa.table(
    "letter",
    *(
        sa.column(name, type_)
        for name, type_ in (
            ("id", sa.Integer()),
            ("public_id", sa.String()),
            ("item_id", sa.Integer()),
            ("subdivision_id", sa.Integer()),
            ("kind", sa.String()),
            ("final", sa.Boolean()),
            ("language", sa.String()),
            ("body", sa.Text()),
            ("author_id", sa.Integer()),
            ("created_at", _T),
            ("reg_journal", sa.String()),
            ("reg_year", sa.Integer()),
            ("reg_seq", sa.Integer()),
            ("reg_number", sa.String()),
            ("registered_on", sa.Date()),
            ("state", sa.String()),
            ("due_on", sa.Date()),
            ("recipient", sa.Text()),
            ("texts", sa.JSON()),
            ("source_type", sa.String()),
            ("source_id", sa.Integer()),
            ("dedup_key", sa.String()),
            ("sent_on", sa.Date()),
            ("channel", sa.String()),
            ("sent_by_id", sa.Integer()),
        )
    ),
)
history = sa.table(
    "workflow_history",
    *(
        sa.column(name, type_)
        for name, type_ in (
            ("object_type", sa.String()),
            ("object_id", sa.String()),
            ("workflow", sa.String()),
            ("transition", sa.String()),
            ("from_state", sa.String()),
            ("to_state", sa.String()),
            ("actor_id", sa.Integer()),
            ("actor_name", sa.String()),
            ("comment", sa.Text()),
            ("at", _T),
        )
    ),
)
users = sa.table(
    "user_account",
    sa.column("id", sa.Integer()),
    sa.column("username", sa.String()),
    sa.column("full_name", sa.String()),
)
MIGRATED = "outgoing_notice"  # the history's comment on the moves written here


def _history(conn, public_ids: list[str], tz: ZoneInfo) -> None:
    """The moves the notices made in the old journal, as the letter workflow's history:
    registered (when and by whom it was registered) and, if it went out, sent."""
    names = {
        u.id: u.full_name or u.username
        for u in conn.execute(sa.select(users.c.id, users.c.username, users.c.full_name))
    }
    entries = []
    for n in conn.execute(
        sa.select(
            letter.c.id,
            letter.c.author_id,
            letter.c.created_at,
            letter.c.sent_on,
            letter.c.sent_by_id,
        ).where(letter.c.public_id.in_(public_ids))
    ):
        common = {"object_type": "letter", "object_id": str(n.id), "workflow": "letter"}
        entries.append(
            {
                **common,
                "transition": "register",
                "from_state": "draft",
                "to_state": "registered",
                "actor_id": n.author_id,
                "actor_name": names.get(n.author_id, "system"),
                "comment": MIGRATED,
                "at": n.created_at,
            }
        )
        if n.sent_on is not None:
            at = dt.datetime.combine(n.sent_on, dt.time(18), tzinfo=tz).astimezone(dt.UTC)
            entries.append(
                {
                    **common,
                    "transition": "send",
                    "from_state": "registered",
                    "to_state": "sent",
                    "actor_id": n.sent_by_id,
                    "actor_name": names.get(n.sent_by_id, "system"),
                    "comment": MIGRATED,
                    "at": max(at, n.created_at) if n.created_at else at,
                }
            )
    if entries:
        conn.execute(history.insert(), entries)


# (table, column, letter source_type, letter kind or None, the column holds a datetime)
SENT_FIELDS = (
    ("extension", "notice_sent_at", "extension", None, True),
    ("forwarding", "notice_sent_at", "forwarding", None, True),
    ("signup", "inclusion_notice_sent_on", "signup", "signup_inclusion", False),
    ("signup", "time_notice_sent_on", "signup", "signup_time", False),
)


def _tz() -> ZoneInfo:
    try:
        from flask import current_app

        return ZoneInfo(current_app.config.get("TIMEZONE") or "Asia/Almaty")
    except RuntimeError:  # no app (plain alembic)
        return ZoneInfo("Asia/Almaty")


def _local_day(moment: dt.datetime | None, tz: ZoneInfo) -> dt.date | None:
    if moment is None:
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=dt.UTC)
    return moment.astimezone(tz).date()


def _foreign_keys(on: bool) -> None:
    """SQLite rebuilds a table to alter it (batch mode): with foreign keys enforced, dropping the
    old ``letter`` (or ``signup``) would fail on the rows that reference it. The pragma works
    only outside a transaction, so it is switched in an autocommit block."""
    ctx = op.get_context()
    if ctx.dialect.name != "sqlite":
        return
    with ctx.autocommit_block():
        # The engine's "begin" hook (docflow.core.db) opened an empty BEGIN even here: end it on
        # the driver, so the pragma runs outside any transaction.
        raw = op.get_bind().connection.dbapi_connection
        if raw.in_transaction:
            raw.execute("COMMIT")
        raw.execute(f"PRAGMA foreign_keys={'ON' if on else 'OFF'}")


def upgrade():
    _foreign_keys(False)
    _upgrade()  # (a failure rolls back; no autocommit block after it would commit a half)
    _foreign_keys(True)


def downgrade():
    _foreign_keys(False)
    _downgrade()
    _foreign_keys(True)


def _upgrade():
    with op.batch_alter_table("letter", schema=None) as batch_op:
        batch_op.alter_column("subdivision_id", existing_type=sa.Integer(), nullable=True)
        batch_op.alter_column(
            "kind",
            existing_type=sa.String(length=16),
            type_=sa.String(length=32),
            existing_nullable=False,
        )
        batch_op.add_column(sa.Column("due_on", sa.Date(), nullable=True))
        batch_op.add_column(sa.Column("recipient", sa.Text(), nullable=True))
        batch_op.add_column(sa.Column("texts", sa.JSON(), nullable=True))
        batch_op.add_column(sa.Column("source_type", sa.String(length=32), nullable=True))
        batch_op.add_column(sa.Column("source_id", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("dedup_key", sa.String(length=200), nullable=True))
        batch_op.add_column(sa.Column("sent_on", sa.Date(), nullable=True))
        batch_op.add_column(sa.Column("channel", sa.String(length=16), nullable=True))
        batch_op.add_column(sa.Column("sent_by_id", sa.Integer(), nullable=True))
        batch_op.create_foreign_key(
            batch_op.f("fk_letter_sent_by_id_user_account"), "user_account", ["sent_by_id"], ["id"]
        )
        batch_op.create_unique_constraint(batch_op.f("uq_letter_dedup_key"), ["dedup_key"])
        batch_op.create_index(batch_op.f("ix_letter_due_on"), ["due_on"], unique=False)
        batch_op.create_index(batch_op.f("ix_letter_sent_on"), ["sent_on"], unique=False)
        batch_op.create_index("ix_letter_source", ["source_type", "source_id"], unique=False)

    conn = op.get_bind()
    tz = _tz()
    rows = []
    for n in conn.execute(sa.select(notice).order_by(notice.c.id)).mappings():
        texts = {"kk": n["text_kk"], "ru": n["text_ru"]}
        rows.append(
            {
                "public_id": n["public_id"],
                "item_id": n["item_id"],
                "subdivision_id": None,
                "kind": n["kind"],
                "final": False,
                "language": n["language"],
                "body": texts.get(n["language"]) or n["text_kk"],
                "author_id": n["registered_by_id"],
                "created_at": n["registered_at"],
                "reg_journal": n["journal"],
                "reg_year": n["reg_year"],
                "reg_seq": n["reg_seq"],
                "reg_number": n["reg_number"],
                "registered_on": _local_day(n["registered_at"], tz),
                "state": "sent" if n["sent_on"] else "registered",
                "due_on": n["due_on"],
                "recipient": n["recipient"],
                "texts": texts,
                "source_type": n["source_type"],
                "source_id": n["source_id"],
                "dedup_key": n["dedup_key"],
                "sent_on": n["sent_on"],
                "channel": n["channel"],
                "sent_by_id": n["sent_by_id"],
            }
        )
    if rows:
        conn.execute(letter.insert(), rows)
        _history(conn, [r["public_id"] for r in rows], tz)

    # What routing and protocols recorded of their own: carried into the letters.
    for table, column, source_type, kind, is_moment in SENT_FIELDS:
        src = sa.table(
            table, sa.column("id", sa.Integer()), sa.column(column, _T if is_moment else sa.Date())
        )
        for record_id, value in conn.execute(
            sa.select(src.c.id, src.c[column]).where(src.c[column].is_not(None))
        ):
            day = _local_day(value, tz) if is_moment else value
            cond = sa.and_(
                letter.c.source_type == source_type,
                letter.c.source_id == record_id,
                letter.c.sent_on.is_(None),
                letter.c.state == "registered",
            )
            if kind:
                cond = sa.and_(cond, letter.c.kind == kind)
            ids = [r[0] for r in conn.execute(sa.select(letter.c.id).where(cond))]
            if not ids:
                continue
            conn.execute(
                letter.update().where(letter.c.id.in_(ids)).values(sent_on=day, state="sent")
            )
            at = value if is_moment else dt.datetime.combine(day, dt.time(18), tzinfo=tz)
            conn.execute(
                history.insert(),
                [
                    {
                        "object_type": "letter",
                        "object_id": str(i),
                        "workflow": "letter",
                        "transition": "send",
                        "from_state": "registered",
                        "to_state": "sent",
                        "actor_id": None,
                        "actor_name": "system",
                        "comment": f"{MIGRATED}: {table}.{column}",
                        "at": at,
                    }
                    for i in ids
                ],
            )

    with op.batch_alter_table("extension", schema=None) as batch_op:
        batch_op.drop_column("notice_sent_at")
    with op.batch_alter_table("forwarding", schema=None) as batch_op:
        batch_op.drop_column("notice_sent_at")
    with op.batch_alter_table("signup", schema=None) as batch_op:
        batch_op.drop_column("inclusion_notice_sent_on")
        batch_op.drop_column("time_notice_sent_on")

    with op.batch_alter_table("outgoing_notice", schema=None) as batch_op:
        batch_op.drop_index("ix_outgoing_notice_source")
        batch_op.drop_index(batch_op.f("ix_outgoing_notice_sent_on"))
        batch_op.drop_index(batch_op.f("ix_outgoing_notice_kind"))
        batch_op.drop_index(batch_op.f("ix_outgoing_notice_item_id"))
        batch_op.drop_index(batch_op.f("ix_outgoing_notice_due_on"))
    op.drop_table("outgoing_notice")


def _downgrade():
    op.create_table(
        "outgoing_notice",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("public_id", sa.String(length=32), nullable=False),
        sa.Column("journal", sa.String(length=64), nullable=False),
        sa.Column("reg_year", sa.Integer(), nullable=False),
        sa.Column("reg_seq", sa.Integer(), nullable=False),
        sa.Column("reg_number", sa.String(length=64), nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("item_id", sa.Integer(), nullable=False),
        sa.Column("language", sa.String(length=8), nullable=False),
        sa.Column("recipient", sa.Text(), nullable=False),
        sa.Column("text_kk", sa.Text(), nullable=False),
        sa.Column("text_ru", sa.Text(), nullable=False),
        sa.Column("due_on", sa.Date(), nullable=False),
        sa.Column("registered_at", _T, nullable=False),
        sa.Column("registered_by_id", sa.Integer(), nullable=True),
        sa.Column("sent_on", sa.Date(), nullable=True),
        sa.Column("sent_by_id", sa.Integer(), nullable=True),
        sa.Column("channel", sa.String(length=16), nullable=True),
        sa.Column("source_type", sa.String(length=32), nullable=True),
        sa.Column("source_id", sa.Integer(), nullable=True),
        sa.Column("dedup_key", sa.String(length=200), nullable=False),
        sa.ForeignKeyConstraint(
            ["item_id"], ["incoming_item.id"], name=op.f("fk_outgoing_notice_item_id_incoming_item")
        ),
        sa.ForeignKeyConstraint(
            ["registered_by_id"],
            ["user_account.id"],
            name=op.f("fk_outgoing_notice_registered_by_id_user_account"),
        ),
        sa.ForeignKeyConstraint(
            ["sent_by_id"],
            ["user_account.id"],
            name=op.f("fk_outgoing_notice_sent_by_id_user_account"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_outgoing_notice")),
        sa.UniqueConstraint("dedup_key", name=op.f("uq_outgoing_notice_dedup_key")),
        sa.UniqueConstraint(
            "journal",
            "reg_year",
            "reg_seq",
            name=op.f("uq_outgoing_notice_journal_reg_year_reg_seq"),
        ),
        sa.UniqueConstraint("public_id", name=op.f("uq_outgoing_notice_public_id")),
        sa.UniqueConstraint("reg_number", name=op.f("uq_outgoing_notice_reg_number")),
    )
    with op.batch_alter_table("outgoing_notice", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_outgoing_notice_due_on"), ["due_on"], unique=False)
        batch_op.create_index(batch_op.f("ix_outgoing_notice_item_id"), ["item_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_outgoing_notice_kind"), ["kind"], unique=False)
        batch_op.create_index(batch_op.f("ix_outgoing_notice_sent_on"), ["sent_on"], unique=False)
        batch_op.create_index(
            "ix_outgoing_notice_source", ["source_type", "source_id"], unique=False
        )
    with op.batch_alter_table("extension", schema=None) as batch_op:
        batch_op.add_column(sa.Column("notice_sent_at", _T, nullable=True))
    with op.batch_alter_table("forwarding", schema=None) as batch_op:
        batch_op.add_column(sa.Column("notice_sent_at", _T, nullable=True))
    with op.batch_alter_table("signup", schema=None) as batch_op:
        batch_op.add_column(sa.Column("inclusion_notice_sent_on", sa.Date(), nullable=True))
        batch_op.add_column(sa.Column("time_notice_sent_on", sa.Date(), nullable=True))

    conn = op.get_bind()
    tz = _tz()
    is_notice = letter.c.kind.in_(NOTICE_KINDS)
    rows = []
    for n in conn.execute(
        sa.select(letter).where(is_notice, letter.c.reg_number.is_not(None)).order_by(letter.c.id)
    ).mappings():
        texts = n["texts"] or {}
        rows.append(
            {
                "public_id": n["public_id"],
                "journal": n["reg_journal"],
                "reg_year": n["reg_year"],
                "reg_seq": n["reg_seq"],
                "reg_number": n["reg_number"],
                "kind": n["kind"],
                "item_id": n["item_id"],
                "language": n["language"],
                "recipient": n["recipient"] or "—",
                "text_kk": texts.get("kk") or n["body"],
                "text_ru": texts.get("ru") or n["body"],
                "due_on": n["due_on"] or n["registered_on"],
                "registered_at": n["created_at"],
                "registered_by_id": n["author_id"],
                "sent_on": n["sent_on"],
                "sent_by_id": n["sent_by_id"],
                "channel": n["channel"],
                "source_type": n["source_type"],
                "source_id": n["source_id"],
                "dedup_key": n["dedup_key"] or f"letter:{n['public_id']}",
            }
        )
    if rows:
        conn.execute(notice.insert(), rows)
    for table, column, source_type, kind, is_moment in SENT_FIELDS:
        src = sa.table(
            table, sa.column("id", sa.Integer()), sa.column(column, _T if is_moment else sa.Date())
        )
        query = sa.select(letter.c.source_id, sa.func.max(letter.c.sent_on)).where(
            letter.c.source_type == source_type, letter.c.sent_on.is_not(None)
        )
        if kind:
            query = query.where(letter.c.kind == kind)
        for record_id, day in conn.execute(query.group_by(letter.c.source_id)).all():
            value = (
                dt.datetime.combine(day, dt.time(9), tzinfo=tz).astimezone(dt.UTC)
                if is_moment
                else day
            )
            conn.execute(src.update().where(src.c.id == record_id).values({column: value}))
    # The notices' letters leave with their workflow rows; answers stay.
    ids = [r[0] for r in conn.execute(sa.select(letter.c.id).where(is_notice))]
    if ids:
        for child in ("letter_version", "letter_signing_session"):
            child_t = sa.table(child, sa.column("letter_id", sa.Integer()))
            conn.execute(child_t.delete().where(child_t.c.letter_id.in_(ids)))
        conn.execute(
            history.delete().where(
                history.c.object_type == "letter", history.c.object_id.in_([str(i) for i in ids])
            )
        )
        conn.execute(letter.delete().where(letter.c.id.in_(ids)))

    with op.batch_alter_table("letter", schema=None) as batch_op:
        batch_op.drop_index("ix_letter_source")
        batch_op.drop_index(batch_op.f("ix_letter_sent_on"))
        batch_op.drop_index(batch_op.f("ix_letter_due_on"))
        batch_op.drop_constraint(batch_op.f("uq_letter_dedup_key"), type_="unique")
        batch_op.drop_constraint(
            batch_op.f("fk_letter_sent_by_id_user_account"), type_="foreignkey"
        )
        for name in (
            "sent_by_id",
            "channel",
            "sent_on",
            "dedup_key",
            "source_id",
            "source_type",
            "texts",
            "recipient",
            "due_on",
        ):
            batch_op.drop_column(name)
        batch_op.alter_column(
            "kind",
            existing_type=sa.String(length=32),
            type_=sa.String(length=16),
            existing_nullable=False,
        )
        batch_op.alter_column("subdivision_id", existing_type=sa.Integer(), nullable=False)
