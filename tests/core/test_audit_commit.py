"""The audit trail is appended at the commit (R-AUDIT-3; issue 13: writers do not queue on it).

A transaction's entries are collected as it goes and appended once, in ``before_commit``: the
chain head is taken for the commit only. Nothing recorded is lost, nothing rolled back stays,
and the chain verifies.
"""

from __future__ import annotations

import pytest
from sqlalchemy import select, text

from docflow.core import audit
from docflow.core.audit import AuditEntry
from docflow.extensions import db
from tests.core.audit_helpers import created_codes, entries_of, stored_count, subdivision


def test_r_audit_3_entries_are_appended_once_at_the_commit(app):
    before = stored_count()
    for n in range(3):
        db.session.add(subdivision(f"C{n}"))
        db.session.flush()
    audit.record("export", object_type="journal", summary={"rows": 3})
    head_seq = db.session.execute(text("SELECT seq FROM audit_chain_head")).scalar_one()
    db.session.commit()
    assert stored_count() == before + 4
    new = list(db.session.scalars(select(AuditEntry).where(AuditEntry.seq > head_seq)))
    assert [e.action for e in new] == ["create", "create", "create", "export"]
    assert [e.seq for e in new] == list(range(head_seq + 1, head_seq + 5))
    assert audit.verify().ok


def test_r_audit_3_a_rolled_back_savepoint_takes_its_entries_with_it(app):
    db.session.add(subdivision("KEPT"))
    db.session.flush()
    with pytest.raises(RuntimeError), db.session.begin_nested():
        db.session.add(subdivision("UNDONE"))
        db.session.flush()
        audit.record("undone", object_type="probe")
        raise RuntimeError
    audit.record("kept", object_type="probe")
    db.session.commit()
    codes = created_codes()
    assert "KEPT" in codes and "UNDONE" not in codes
    assert [e.action for e in entries_of("probe")] == ["kept"]
    assert audit.verify().ok


def test_r_audit_3_a_rolled_back_transaction_leaves_no_entry(app):
    before = stored_count()
    db.session.add(subdivision("GONE"))
    db.session.flush()
    audit.record("gone", object_type="probe")
    db.session.rollback()
    db.session.add(subdivision("NEXT"))
    db.session.commit()
    assert stored_count() == before + 1
    assert entries_of("probe") == []
    assert audit.verify().ok


def test_r_audit_3_the_actor_is_the_one_acting_when_the_entry_was_made(app):
    with audit.acting_as(audit.Actor(41, "Бірінші")):
        db.session.add(subdivision("FIRST"))
        db.session.flush()
    with audit.acting_as(audit.Actor(42, "Екінші")):
        audit.record("second", object_type="probe")
    db.session.commit()  # appended now, as nobody in particular
    first = [
        e
        for e in entries_of("subdivision")
        if e.action == "create" and e.summary["after"]["code"] == "FIRST"
    ]
    assert (first[0].actor_id, first[0].actor_name) == (41, "Бірінші")
    (second,) = entries_of("probe")
    assert (second.actor_id, second.actor_name) == (42, "Екінші")


def test_r_audit_3_a_read_of_the_trail_sees_its_own_transaction(app):
    db.session.add(subdivision("OWN"))
    db.session.flush()
    assert created_codes()[-1] == "OWN"
    db.session.rollback()
    assert "OWN" not in created_codes()
    assert audit.verify().ok


def test_r_audit_3_a_long_transaction_appends_in_batches(app, monkeypatch):
    monkeypatch.setattr(audit, "PENDING_LIMIT", 5)
    before = stored_count()
    with db.session.begin_nested():
        for n in range(12):
            db.session.add(subdivision(f"B{n}"))
            db.session.flush()
    pending = len(db.session.info.get(audit.PENDING) or [])
    assert pending < 5  # the rest already in the transaction's own rows
    db.session.commit()
    assert stored_count() == before + 12
    assert audit.verify().ok


def test_r_audit_3_the_chain_head_is_free_until_the_commit(app, backend):
    """PostgreSQL: another writer can take the chain head while this transaction has written
    and not committed (before, the head was locked from the first flush to the commit)."""
    if backend != "postgresql":
        pytest.skip("row locks: PostgreSQL (SQLite writers take turns on the database lock)")
    db.session.add(subdivision("HELD"))
    db.session.flush()
    with db.engine.connect() as other:
        other.execute(text("SET lock_timeout = '2s'"))
        row = other.execute(
            text("SELECT seq FROM audit_chain_head WHERE id = 1 FOR UPDATE NOWAIT")
        ).first()
        assert row is not None
        other.rollback()
    db.session.commit()
    assert audit.verify().ok
