"""Gapless registration numbers per journal and year (R-REG-4).

A counter row per (journal, year) is incremented by ``UPDATE … RETURNING`` inside the
registering transaction: concurrent registrations queue on the row lock (PostgreSQL) or on the
database write lock (SQLite, BEGIN IMMEDIATE), and a registration that rolls back rolls its
number back too — so numbers are never skipped and never reused. Never a sequence (sequences
skip on rollback), never max+1 (two writers read the same max).
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Integer, String, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Mapped, mapped_column

from docflow.extensions import db


class Counter(db.Model):
    __tablename__ = "counter"
    __audit__ = False  # the registration that takes a number records it

    journal: Mapped[str] = mapped_column(String(64), primary_key=True)
    year: Mapped[int] = mapped_column(Integer, primary_key=True)
    value: Mapped[int] = mapped_column(Integer, nullable=False, default=0)


def next_number(journal: str, year: int) -> int:
    conn = db.session.connection()
    table = Counter.__table__
    bump = (
        update(table)
        .where(table.c.journal == journal, table.c.year == year)
        .values(value=table.c.value + 1)
        .returning(table.c.value)
    )
    value = conn.execute(bump).scalar_one_or_none()
    if value is None:
        insert = pg_insert if conn.dialect.name == "postgresql" else sqlite_insert
        conn.execute(
            insert(table).values(journal=journal, year=year, value=0).on_conflict_do_nothing()
        )
        value = conn.execute(bump).scalar_one()
    return int(value)


def current_value(journal: str, year: int) -> int:
    value = db.session.scalar(
        select(Counter.value).where(Counter.journal == journal, Counter.year == year)
    )
    return int(value or 0)


def format_number(fmt: str, *, prefix: str, year: int, number: int, **extra: Any) -> str:
    """``{prefix}-{year}-{number:08d}`` → ``ЖТ-2026-00000742`` (the format is a profile setting)."""
    return fmt.format(prefix=prefix, year=year, number=number, **extra)
