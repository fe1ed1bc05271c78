"""Imported historical cases: the record as given, its events as recorded, former employees.

An imported case is an ``IncomingItem`` with ``imported=True`` in the final state "imported"
(no transition leaves it: read-only), its number kept as the source gave it and never drawn
from docflow's journals. The fields of the record are kept verbatim in ``ImportedCase``; each
event of the case is an ``ImportedEvent`` row with the event JSON as recorded and the person
it names as a handler (R-ROUTE-4), when there is one.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from docflow.core.db import JSONType, UTCDateTime, utcnow
from docflow.extensions import db
from docflow.registry.models import IncomingItem


class FormerEmployee(db.Model):
    """A person named in an imported case by IIN who is no employee of docflow's."""

    __tablename__ = "former_employee"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    iin: Mapped[str] = mapped_column(
        String(12), unique=True, nullable=False, info={"audit": "mask"}
    )
    full_name: Mapped[str] = mapped_column(String(300), nullable=False)


class ImportedCase(db.Model):
    """What the source system said about an imported case, kept as given."""

    __tablename__ = "imported_case"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    item_id: Mapped[int] = mapped_column(
        ForeignKey("incoming_item.id"), unique=True, nullable=False
    )
    source: Mapped[str] = mapped_column(String(100), nullable=False, index=True)
    # SHA-256 of the canonical JSON of the whole line: a second import compares it.
    digest: Mapped[str] = mapped_column(String(64), nullable=False)
    # The case's fields (everything but ``events``) verbatim.
    record: Mapped[Any] = mapped_column(JSONType, nullable=False, info={"audit": "skip"})
    status: Mapped[str | None] = mapped_column(String(100), nullable=True)
    # The docflow state that status corresponds to (R-KIND-4), None when it says nothing.
    status_state: Mapped[str | None] = mapped_column(String(32), nullable=True)
    imported_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, nullable=False, default=utcnow)

    item: Mapped[IncomingItem] = relationship()


class ImportedEvent(db.Model):
    """One event of an imported case, as recorded, with the handler it names (R-ROUTE-4)."""

    __tablename__ = "imported_event"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    item_id: Mapped[int] = mapped_column(ForeignKey("incoming_item.id"), nullable=False, index=True)
    position: Mapped[int] = mapped_column(Integer, nullable=False)
    type: Mapped[str] = mapped_column(String(32), nullable=False)
    at: Mapped[dt.datetime] = mapped_column(UTCDateTime, nullable=False)
    data: Mapped[Any] = mapped_column(JSONType, nullable=False, info={"audit": "skip"})
    source: Mapped[str] = mapped_column(String(100), nullable=False)
    # executed (assigned) | signed (answered): the person counts as a prior handler.
    role: Mapped[str | None] = mapped_column(String(16), nullable=True)
    user_id: Mapped[int | None] = mapped_column(
        ForeignKey("user_account.id"), nullable=True, index=True
    )
    former_employee_id: Mapped[int | None] = mapped_column(
        ForeignKey("former_employee.id"), nullable=True
    )

    item: Mapped[IncomingItem] = relationship()
