"""Edge cases of appending the audit trail at the commit (R-AUDIT-3).

Each test is a way the collected entries could be lost, kept for work that was undone, or
not seen by a read of the trail in the transaction that made them.
"""

from __future__ import annotations

import pytest
from sqlalchemy.exc import OperationalError

from docflow.core import audit
from docflow.extensions import db
from tests.core.audit_helpers import actions, created_codes, subdivision


def test_r_audit_3_an_entry_recorded_before_any_statement_is_undone_by_the_rollback(app):
    """``record()`` right after a commit (no transaction begun yet): rolled back, it is gone —
    as it was when the entry was inserted at once."""
    db.session.commit()
    audit.record("undone", object_type="probe")
    db.session.rollback()
    db.session.add(subdivision("AFTER"))
    db.session.commit()
    assert actions("probe") == []
    assert audit.verify().ok


def test_r_audit_3_a_closed_session_leaves_no_entry_for_its_next_commit(app):
    """``close()`` ends the transaction without the rollback events: what it collected must
    not be appended by the session's next commit (the scoped session is the same object)."""
    db.session.add(subdivision("CLOSED"))
    db.session.flush()
    audit.record("closed", object_type="probe")
    db.session.close()
    db.session.add(subdivision("NEXT"))
    db.session.commit()
    assert "CLOSED" not in created_codes()
    assert "NEXT" in created_codes()
    assert actions("probe") == []
    assert audit.verify().ok


def test_r_audit_3_an_append_failing_at_the_commit_loses_no_entry(app, monkeypatch):
    """The append in ``before_commit`` fails (the database busy): the transaction is still
    open with its work; a later commit of it must carry its entries, not commit it bare."""
    real_append, calls = audit._append, []

    def busy_once(session, entries):
        calls.append(len(entries))
        if len(calls) == 1:
            raise OperationalError("INSERT INTO audit_entry", {}, Exception("database is locked"))
        real_append(session, entries)

    monkeypatch.setattr(audit, "_append", busy_once)
    db.session.add(subdivision("RETRIED"))
    db.session.flush()
    audit.record("retried", object_type="probe")
    with pytest.raises(OperationalError):
        db.session.commit()
    db.session.commit()
    assert "RETRIED" in created_codes()
    assert actions("probe") == ["retried"]
    assert audit.verify().ok


def test_r_audit_3_a_read_in_a_savepoint_sees_the_transactions_earlier_entries(app):
    """A domain operation runs in a savepoint (``@atomic``); a read of the trail there sees
    what the transaction recorded before it — and a rollback of the savepoint keeps those."""
    db.session.add(subdivision("OUTER"))
    db.session.flush()  # the transaction has begun
    audit.record("before", object_type="probe")
    with db.session.begin_nested():
        assert actions("probe") == ["before"]
    with pytest.raises(RuntimeError), db.session.begin_nested():
        assert actions("probe") == ["before"]
        raise RuntimeError
    db.session.commit()
    assert actions("probe") == ["before"]
    assert audit.verify().ok


def test_r_audit_3_entries_lent_to_an_inner_savepoint_come_back_when_its_outer_one_rolls_back(
    app,
):
    db.session.add(subdivision("OUTER"))
    db.session.flush()
    audit.record("before", object_type="probe")
    with pytest.raises(RuntimeError), db.session.begin_nested():
        audit.record("undone-outer", object_type="probe")
        with db.session.begin_nested():
            assert actions("probe") == ["before", "undone-outer"]  # appended in here
        raise RuntimeError  # the inner savepoint released, the outer one rolled back
    db.session.commit()
    assert actions("probe") == ["before"]
    assert audit.verify().ok


def test_r_audit_3_a_batch_appended_in_a_savepoint_keeps_the_outer_entries_on_its_rollback(
    app, monkeypatch
):
    """A long savepoint (the import) appends in batches even when the transaction recorded
    something before it; its rollback undoes its own entries only."""
    monkeypatch.setattr(audit, "PENDING_LIMIT", 3)
    db.session.add(subdivision("KEPT"))
    db.session.flush()
    with pytest.raises(RuntimeError), db.session.begin_nested():
        for n in range(5):
            db.session.add(subdivision(f"UNDONE{n}"))
            db.session.flush()
        assert len(db.session.info.get(audit.PENDING) or []) < 3  # batches appended
        raise RuntimeError
    db.session.commit()
    codes = created_codes()
    assert "KEPT" in codes
    assert not [c for c in codes if c.startswith("UNDONE")]
    assert audit.verify().ok


def test_r_audit_3_a_read_of_the_trail_sees_changes_it_autoflushes(app):
    """The ORM autoflushes after ``do_orm_execute``: the entries of that very flush must be
    appended before the read, as they were when the flush appended them."""
    db.session.add(subdivision("AUTO"))  # not flushed: the read's autoflush writes it
    assert created_codes()[-1] == "AUTO"
    db.session.commit()
    assert created_codes().count("AUTO") == 1
    assert audit.verify().ok


def test_r_audit_3_a_commit_failing_on_a_constraint_leaves_no_entry_for_the_next(app):
    """The commit's own flush fails (IntegrityError): after the rollback nothing of that
    transaction is appended by the next commit; entries flushed before it go too."""
    from sqlalchemy.exc import IntegrityError

    db.session.add(subdivision("DUP"))
    db.session.commit()
    db.session.add(subdivision("FLUSHED"))
    db.session.flush()
    audit.record("failed", object_type="probe")
    db.session.add(subdivision("DUP"))  # flushed by the commit: the code is taken
    with pytest.raises(IntegrityError):
        db.session.commit()
    db.session.rollback()
    db.session.add(subdivision("NEXT"))
    db.session.commit()
    codes = created_codes()
    assert codes.count("DUP") == 1 and "FLUSHED" not in codes and "NEXT" in codes
    assert actions("probe") == []
    assert audit.verify().ok


def test_r_audit_3_an_inner_savepoints_rollback_drops_its_entries_only(app):
    db.session.add(subdivision("ROOT"))
    db.session.flush()
    with db.session.begin_nested():
        audit.record("outer", object_type="probe")
        with pytest.raises(RuntimeError), db.session.begin_nested():
            audit.record("inner", object_type="probe")
            db.session.add(subdivision("INNER"))
            db.session.flush()
            raise RuntimeError
        audit.record("outer-after", object_type="probe")
    db.session.commit()
    assert actions("probe") == ["outer", "outer-after"]
    assert "INNER" not in created_codes() and "ROOT" in created_codes()
    assert audit.verify().ok
