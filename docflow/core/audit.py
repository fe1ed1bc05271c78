"""Append-only, hash-chained audit trail (R-AUDIT-3).

Every write is recorded in the same transaction as the change: the session's ``after_flush``
hook records inserts, updates and deletes of every model not marked ``__audit__ = False``, and
``record()`` adds entries for actions that are not row changes (login, transitions, exports).
Each entry carries the SHA-256 of its predecessor, so removing or editing a row breaks the
chain; database triggers (created by the migration) refuse UPDATE and DELETE outright, and
``verify()`` walks the chain and names the first broken link.

Writers serialise on the single ``audit_chain_head`` row (``SELECT … FOR UPDATE`` on
PostgreSQL; SQLite writers are already serialised by ``BEGIN IMMEDIATE``). So that the head is
held for the commit only, not from a transaction's first write to its end (issue 13: on
PostgreSQL every writer queued on it), the entries a transaction makes are collected as it goes
(with the actor and request of the moment) and appended once, in ``before_commit``; the
entries of a savepoint that rolls back are dropped with it. A long transaction (an import)
appends in batches of ``PENDING_LIMIT`` where that is safe, and a read of the trail inside the
transaction (``AuditEntry`` through the session) sees its own entries first.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import hashlib
import json
import re
import uuid
from collections.abc import Iterator
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Any

from sqlalchemy import BigInteger, Integer, String, event, insert, inspect, select, update
from sqlalchemy.orm import Mapped, Session, mapped_column
from sqlalchemy.sql.util import find_tables

from docflow.core.db import JSONType, UTCDateTime, utcnow, within
from docflow.extensions import db

GENESIS = "0" * 64
MASK = "***"
# An IIN/BIN-looking number (R-PD-1: no IINs in clear in the trail, whatever the column): 12
# digits, or 12 digits grouped as people write them (6+6, 4+4+4, 3+3+3+3, by spaces or dashes),
# not part of a longer digit run nor of a hex string (a SHA-256 or a public id often holds 12
# digits in a row); a registration number such as ЖТ-2026-00000001 is not one.
IDENTIFIER_RE = re.compile(
    r"(?<![0-9A-Fa-f])"
    r"(?:\d{12}|(?<!\d[ -])(?:\d{6}[ -]\d{6}|\d{4}(?:[ -]\d{4}){2}|\d{3}(?:[ -]\d{3}){3})(?![ -]\d))"
    r"(?![0-9A-Fa-f])"
)


class AuditEntry(db.Model):
    __tablename__ = "audit_entry"
    __audit__ = False

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    seq: Mapped[int] = mapped_column(BigInteger, unique=True, nullable=False)
    at: Mapped[dt.datetime] = mapped_column(UTCDateTime, nullable=False)
    actor_id: Mapped[int | None] = mapped_column(Integer, nullable=True)
    actor_name: Mapped[str] = mapped_column(String(200), nullable=False)
    action: Mapped[str] = mapped_column(String(64), nullable=False)
    object_type: Mapped[str | None] = mapped_column(String(64), nullable=True, index=True)
    object_id: Mapped[str | None] = mapped_column(String(64), nullable=True)
    summary: Mapped[Any] = mapped_column(JSONType, nullable=True)
    outcome: Mapped[str] = mapped_column(String(16), nullable=False, default="ok")
    request_id: Mapped[str | None] = mapped_column(String(64), nullable=True)
    prev_hash: Mapped[str] = mapped_column(String(64), nullable=False)
    hash: Mapped[str] = mapped_column(String(64), nullable=False)


class AuditChainHead(db.Model):
    __tablename__ = "audit_chain_head"
    __audit__ = False

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    seq: Mapped[int] = mapped_column(BigInteger, nullable=False, default=0)
    last_hash: Mapped[str] = mapped_column(String(64), nullable=False, default=GENESIS)


# --- who is acting ------------------------------------------------------------------------


@dataclass(frozen=True)
class Actor:
    id: int | None
    name: str


SYSTEM = Actor(None, "system")
_actor: ContextVar[Actor] = ContextVar("docflow_audit_actor", default=SYSTEM)
_request_id: ContextVar[str | None] = ContextVar("docflow_request_id", default=None)


def set_actor(actor: Actor) -> None:
    _actor.set(actor)


def current_actor() -> Actor:
    return _actor.get()


def set_request_id(request_id: str | None) -> None:
    _request_id.set(request_id)


def new_request_id() -> str:
    return uuid.uuid4().hex


@contextlib.contextmanager
def acting_as(actor: Actor) -> Iterator[None]:
    token = _actor.set(actor)
    try:
        yield
    finally:
        _actor.reset(token)


# --- writing ------------------------------------------------------------------------------


def entry_hash(fields: dict[str, Any]) -> str:
    """SHA-256 over a canonical JSON of the entry (everything but ``id`` and ``hash``)."""
    canonical = json.dumps(fields, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


def _hash_fields(row: dict[str, Any]) -> dict[str, Any]:
    at = row["at"]
    if at.tzinfo is None:
        at = at.replace(tzinfo=dt.UTC)
    return {
        "seq": int(row["seq"]),
        "at": at.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ"),
        "actor_id": row["actor_id"],
        "actor_name": row["actor_name"],
        "action": row["action"],
        "object_type": row["object_type"],
        "object_id": row["object_id"],
        "summary": row["summary"],
        "outcome": row["outcome"],
        "request_id": row["request_id"],
        "prev_hash": row["prev_hash"],
    }


def _normalise(value: Any) -> Any:
    """JSON round trip, so the hash is computed over exactly what the database returns."""
    return json.loads(json.dumps(value, ensure_ascii=False, default=str))


def contains_identifier(text: str | None) -> bool:
    return bool(text) and IDENTIFIER_RE.search(str(text)) is not None


def mask_identifiers(value: Any) -> Any:
    """``value`` (text or JSON) with every IIN/BIN-looking number replaced by ``MASK``.

    Applied to every summary before it is hashed, so ``verify()`` checks what is stored; it
    covers JSON columns and free text (parsed minutes, comments) that no column mask reaches.
    """
    if isinstance(value, str):
        return IDENTIFIER_RE.sub(MASK, value)
    if isinstance(value, bool):
        return value
    if isinstance(value, int):
        return MASK if 10**11 <= abs(value) < 10**12 else value
    if isinstance(value, list):
        return [mask_identifiers(v) for v in value]
    if isinstance(value, dict):
        return {mask_identifiers(k): mask_identifiers(v) for k, v in value.items()}
    return value


# --- collecting entries and appending them at the commit ---------------------------------

PENDING = "docflow_audit_pending"  # session.info: [(entry, transaction it belongs to)]
COMMITTING = "docflow_audit_committing"  # session.info: the root commit has appended
PENDING_LIMIT = 2000  # a long transaction appends its entries in batches of this many
# session.info: [(entry, its transaction, the savepoint it was appended in)] for entries of an
# outer transaction appended inside a savepoint: if that rolls back, they are pending again
LENT = "docflow_audit_lent"


def _collect(session: Session, entries: list[dict[str, Any]]) -> None:
    """Keep ``entries`` (with who acts and in which request, now) for the commit."""
    if not entries:
        return
    if session.info.get(COMMITTING):
        _append(session, entries)  # flushed by the commit itself, after its append
        return
    actor, request_id = current_actor(), _request_id.get()
    # record() before any statement: begin the transaction it belongs to (its rollback drops it)
    tx = session.get_nested_transaction() or session.get_transaction() or session.begin()
    pending = session.info.setdefault(PENDING, [])
    for entry in entries:
        entry["summary"] = _normalise(entry.get("summary"))  # as it is now, not at the commit
        entry.setdefault("actor_id", actor.id)
        entry.setdefault("actor_name", actor.name)
        entry.setdefault("request_id", request_id)
        pending.append((entry, tx))
    if len(pending) >= PENDING_LIMIT:
        flush_pending(session)


def flush_pending(session: Session | None = None) -> None:
    """Append the entries collected so far, in the transaction (or savepoint) in force. Those
    of a transaction outside that savepoint are lent to it: should it roll back (their rows
    with it), they are pending again; a savepoint's own entries go with its rollback."""
    session = session if session is not None else db.session()
    pending = session.info.get(PENDING)
    if not pending:
        return
    current = session.get_nested_transaction() or session.get_transaction()
    _append(session, [entry for entry, _tx in pending])
    session.info[PENDING] = []  # once appended: a failed append leaves them for the commit
    lent = [(entry, tx, current) for entry, tx in pending if not within(tx, current)]
    if lent:
        session.info.setdefault(LENT, []).extend(lent)


@event.listens_for(Session, "before_commit")
def _append_at_commit(session: Session) -> None:
    if session.get_nested_transaction() is not None:
        return  # a savepoint's commit: its entries go on with the transaction
    session.flush()  # the commit's own flush collects its entries here
    pending = session.info.get(PENDING)
    if pending:
        _append(session, [entry for entry, _tx in pending])
    session.info.pop(PENDING, None)  # once appended: if that fails, a later commit appends them
    session.info[COMMITTING] = True  # anything flushed later in this commit appends at once


@event.listens_for(Session, "after_soft_rollback")
def _drop_rolled_back(session: Session, previous_transaction: Any) -> None:
    pending = session.info.get(PENDING)
    if pending:
        session.info[PENDING] = [p for p in pending if not within(p[1], previous_transaction)]
    lent = session.info.get(LENT)
    if lent:  # appended in the savepoint rolled back, of a transaction it leaves: pending again
        back = [
            (entry, tx)
            for entry, tx, where in lent
            if within(where, previous_transaction) and not within(tx, previous_transaction)
        ]
        session.info[LENT] = [p for p in lent if not within(p[2], previous_transaction)]
        if back:
            session.info[PENDING] = back + session.info.get(PENDING, [])


@event.listens_for(Session, "after_transaction_end")
def _drop_ended(session: Session, transaction: Any) -> None:
    # The root ended: committed (its entries appended) or undone, also by close() (no rollback
    # event): what is still pending of it must not go with the session's next transaction.
    if transaction.parent is None:
        pending = session.info.get(PENDING)
        if pending:
            session.info[PENDING] = [p for p in pending if not within(p[1], transaction)]
        session.info.pop(LENT, None)
        session.info.pop(COMMITTING, None)


@event.listens_for(Session, "do_orm_execute")
def _read_own_entries(state: Any) -> None:
    # A read of the trail inside a transaction that has made entries sees them.
    if not state.is_select:
        return
    session = state.session
    changed = session.autoflush and not session._is_clean()  # cheap: no set of them built
    if not changed and not session.info.get(PENDING):
        return
    if AuditEntry.__table__ in find_tables(state.statement, include_joins=True):
        if changed and state.load_options._autoflush and not session._flushing:
            session.flush()  # the read's autoflush comes after this hook: its entries too
        flush_pending(session)


def _append(session: Session, entries: list[dict[str, Any]]) -> None:
    """Append ``entries`` to the chain now, in the session's transaction."""
    if not entries:
        return
    conn = session.connection()
    head_table = AuditChainHead.__table__
    head = conn.execute(
        select(head_table.c.seq, head_table.c.last_hash)
        .where(head_table.c.id == 1)
        .with_for_update()
    ).first()
    if head is None:
        conn.execute(insert(head_table).values(id=1, seq=0, last_hash=GENESIS))
        seq, prev = 0, GENESIS
    else:
        seq, prev = int(head.seq), head.last_hash
    actor, request_id = current_actor(), _request_id.get()
    rows = []
    for entry in entries:
        seq += 1
        row = {
            "seq": seq,
            "at": utcnow(),
            "actor_id": entry.get("actor_id", actor.id),
            "actor_name": entry.get("actor_name", actor.name),
            "action": entry["action"],
            "object_type": entry.get("object_type"),
            "object_id": None if entry.get("object_id") is None else str(entry["object_id"]),
            "summary": mask_identifiers(_normalise(entry.get("summary"))),
            "outcome": entry.get("outcome", "ok"),
            "request_id": entry.get("request_id", request_id),
            "prev_hash": prev,
        }
        row["hash"] = prev = entry_hash(_hash_fields(row))
        rows.append(row)
    conn.execute(insert(AuditEntry.__table__), rows)
    conn.execute(update(head_table).where(head_table.c.id == 1).values(seq=seq, last_hash=prev))


def record(
    action: str,
    obj: Any = None,
    *,
    object_type: str | None = None,
    object_id: Any = None,
    summary: dict[str, Any] | None = None,
    outcome: str = "ok",
    actor: Actor | None = None,
) -> None:
    """Append one entry for an action that is not (only) a row change."""
    if obj is not None:
        object_type = object_type or obj.__tablename__
        object_id = object_id if object_id is not None else _identity(obj)
    entry: dict[str, Any] = {
        "action": action,
        "object_type": object_type,
        "object_id": object_id,
        "summary": summary,
        "outcome": outcome,
    }
    if actor is not None:
        entry.update(actor_id=actor.id, actor_name=actor.name)
    _collect(db.session(), [entry])


def record_access(action: str, obj: Any) -> None:
    """A read of personal data (R-PD-1) goes to the access log, kept apart from this trail."""
    from docflow.core import access_log

    access_log.record(action, obj)


def _identity(obj: Any) -> str | None:
    # The mapper's view of the primary key: already set in after_flush, before the identity key.
    ident = inspect(obj).mapper.primary_key_from_instance(obj)
    if any(v is None for v in ident):
        return None
    return str(ident[0]) if len(ident) == 1 else "/".join(map(str, ident))


def _audited(obj: Any) -> bool:
    return getattr(obj, "__audit__", True) and hasattr(obj, "__tablename__")


def _column_value(obj: Any, attr: Any, value: Any) -> Any:
    mode = attr.columns[0].info.get("audit") if hasattr(attr, "columns") else None
    if mode == "mask" and value is not None:
        return MASK
    if mode == "skip":
        return None
    return value


def _snapshot(obj: Any) -> dict[str, Any]:
    state = inspect(obj)
    out = {}
    for attr in state.mapper.column_attrs:
        mode = attr.columns[0].info.get("audit")
        if mode == "skip":
            continue
        out[attr.key] = _column_value(obj, attr, getattr(obj, attr.key))
    return out


def _changes(obj: Any) -> dict[str, Any]:
    state = inspect(obj)
    before, after = {}, {}
    for attr in state.mapper.column_attrs:
        if attr.columns[0].info.get("audit") == "skip":
            continue
        hist = state.attrs[attr.key].history
        if not hist.has_changes():
            continue
        old = hist.deleted[0] if hist.deleted else None
        new = hist.added[0] if hist.added else None
        if old == new:
            continue
        before[attr.key] = _column_value(obj, attr, old)
        after[attr.key] = _column_value(obj, attr, new)
    return {"before": before, "after": after} if after or before else {}


@event.listens_for(Session, "after_flush")
def _audit_flush(session: Session, _flush_context: Any) -> None:
    entries = []
    # A bulk load may fold the rows it creates of some tables into an entry of its own (the
    # case import: events and applicants are covered by the case's digest).
    folded = session.info.get("audit_skip_created") or ()
    for obj in session.new:
        if _audited(obj) and obj.__tablename__ not in folded:
            entries.append(
                {
                    "action": "create",
                    "object_type": obj.__tablename__,
                    "object_id": _identity(obj),
                    "summary": {"after": _snapshot(obj)},
                }
            )
    for obj in session.dirty:
        if _audited(obj) and session.is_modified(obj, include_collections=False):
            changes = _changes(obj)
            if changes:
                entries.append(
                    {
                        "action": "update",
                        "object_type": obj.__tablename__,
                        "object_id": _identity(obj),
                        "summary": changes,
                    }
                )
    for obj in session.deleted:
        if _audited(obj):
            entries.append(
                {
                    "action": "delete",
                    "object_type": obj.__tablename__,
                    "object_id": _identity(obj),
                    "summary": {"before": _snapshot(obj)},
                }
            )
    _collect(session, entries)


# --- verifying ----------------------------------------------------------------------------


@dataclass(frozen=True)
class VerifyResult:
    ok: bool
    checked: int
    broken_seq: int | None = None
    reason: str | None = None


def verify(batch: int = 5000, conn: Any = None) -> VerifyResult:
    """Walk the chain from the first entry; stop at the first broken link.

    ``conn``: another database's connection (a backup's); by default the session's.
    """
    table = AuditEntry.__table__
    if conn is None:
        flush_pending()
        conn = db.session.connection()
    expected_prev, expected_seq, checked = GENESIS, 1, 0
    last_seq = 0
    while True:
        rows = (
            conn.execute(
                select(table).where(table.c.seq > last_seq).order_by(table.c.seq).limit(batch)
            )
            .mappings()
            .all()
        )
        if not rows:
            break
        for row in rows:
            seq = int(row["seq"])
            if seq != expected_seq:
                return VerifyResult(
                    False, checked, expected_seq, f"entry {expected_seq} is missing"
                )
            if row["prev_hash"] != expected_prev:
                return VerifyResult(
                    False, checked, seq, "link to the previous entry does not match"
                )
            if entry_hash(_hash_fields(dict(row))) != row["hash"]:
                return VerifyResult(False, checked, seq, "entry content does not match its hash")
            expected_prev, expected_seq, last_seq = row["hash"], seq + 1, seq
            checked += 1
    head = conn.execute(select(AuditChainHead.__table__).where(AuditChainHead.id == 1)).first()
    head_seq = int(head.seq) if head is not None else 0
    head_hash = head.last_hash if head is not None else GENESIS
    if head_seq != last_seq or head_hash != expected_prev:
        return VerifyResult(
            False, checked, last_seq + 1, f"chain head says {head_seq} entries, found {last_seq}"
        )
    return VerifyResult(True, checked)
