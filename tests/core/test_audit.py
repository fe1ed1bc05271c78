"""The audit trail (R-AUDIT-3): every write recorded, append-only, hash-chained, verifiable."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select, text
from sqlalchemy.exc import DatabaseError

from docflow.core import audit
from docflow.core.audit import AuditChainHead, AuditEntry
from docflow.extensions import db
from docflow.org.models import Subdivision, user_by_username


def count() -> int:
    return db.session.scalar(select(func.count()).select_from(AuditEntry))


def last_entries(n: int) -> list[AuditEntry]:
    return list(db.session.scalars(select(AuditEntry).order_by(AuditEntry.seq.desc()).limit(n)))[
        ::-1
    ]


def drop_triggers(backend: str) -> None:
    if backend == "sqlite":
        db.session.execute(text("DROP TRIGGER audit_entry_no_update"))
        db.session.execute(text("DROP TRIGGER audit_entry_no_delete"))
    else:
        db.session.execute(text("DROP TRIGGER audit_entry_no_change ON audit_entry"))
    db.session.commit()


def test_r_audit_3_demo_load_is_recorded_and_chain_verifies(app):
    assert count() > 50
    result = audit.verify()
    assert result.ok and result.checked == count()
    seqs = [e.seq for e in db.session.scalars(select(AuditEntry).order_by(AuditEntry.seq))]
    assert seqs == list(range(1, len(seqs) + 1))


def test_r_audit_3_every_write_is_recorded_with_who_what_when(app):
    actor = audit.Actor(7, "Тест Тестұлы")
    with audit.acting_as(actor):
        sub = Subdivision(organisation_id=1, code="TEST", kind="other", names={"ru": "Тест"})
        db.session.add(sub)
        db.session.flush()
        sub.names = {"ru": "Тест 2"}
        db.session.flush()
        db.session.delete(sub)
        db.session.commit()
    create, update, delete = last_entries(3)
    assert [create.action, update.action, delete.action] == ["create", "update", "delete"]
    assert {e.object_type for e in (create, update, delete)} == {"subdivision"}
    assert create.object_id == update.object_id == delete.object_id == str(sub.id)
    assert create.summary["after"]["code"] == "TEST"
    assert update.summary == {
        "before": {"names": {"ru": "Тест"}},
        "after": {"names": {"ru": "Тест 2"}},
    }
    assert delete.summary["before"]["code"] == "TEST"
    assert all(e.actor_id == 7 and e.actor_name == "Тест Тестұлы" for e in (create, update, delete))
    assert all(e.at.tzinfo is not None for e in (create, update, delete))


def test_r_audit_3_entries_share_the_transaction_of_the_change(app):
    before = count()
    db.session.add(Subdivision(organisation_id=1, code="GONE", kind="other", names={"ru": "x"}))
    db.session.flush()
    assert count() == before + 1
    db.session.rollback()
    assert count() == before
    assert audit.verify().ok


def test_secrets_are_masked_in_summaries(app):
    user = user_by_username("clerk")
    old_hash = user.password_hash
    user.password_hash = "scrypt$new-hash"
    db.session.commit()
    entry = last_entries(1)[0]
    assert entry.summary == {"before": {"password_hash": "***"}, "after": {"password_hash": "***"}}
    dump = str([e.summary for e in db.session.scalars(select(AuditEntry))])
    assert old_hash not in dump and "scrypt$new-hash" not in dump


def test_explicit_record_for_non_row_actions(app):
    audit.set_request_id("req-123")
    try:
        audit.record("export", object_type="journal", summary={"rows": 3}, outcome="ok")
        db.session.commit()
    finally:
        audit.set_request_id(None)
    entry = last_entries(1)[0]
    assert (entry.action, entry.object_type, entry.summary, entry.request_id) == (
        "export",
        "journal",
        {"rows": 3},
        "req-123",
    )


@pytest.mark.parametrize(
    "statement",
    ["UPDATE audit_entry SET action = 'x' WHERE seq = 1", "DELETE FROM audit_entry WHERE seq = 1"],
)
def test_r_audit_3_database_refuses_update_and_delete(app, statement):
    with pytest.raises(DatabaseError, match="append-only"):
        db.session.execute(text(statement))
    db.session.rollback()
    assert audit.verify().ok


def test_r_audit_3_postgres_refuses_truncate(app, backend):
    if backend != "postgresql":
        pytest.skip("TRUNCATE exists on PostgreSQL only")
    with pytest.raises(DatabaseError, match="append-only"):
        db.session.execute(text("TRUNCATE audit_entry"))
    db.session.rollback()


def test_r_audit_3_tampered_entry_is_found(app, backend, runner):
    drop_triggers(backend)
    db.session.execute(text("UPDATE audit_entry SET actor_name = 'someone else' WHERE seq = 5"))
    db.session.commit()
    result = audit.verify()
    assert not result.ok and result.broken_seq == 5 and result.checked == 4
    assert "hash" in result.reason
    out = runner.invoke(args=["audit", "verify"])
    assert out.exit_code == 1
    assert "BROKEN at entry 5" in out.output


def test_r_audit_3_rehashed_entry_breaks_the_next_link(app, backend):
    """Recomputing a tampered entry's own hash is not enough: the next entry points elsewhere."""
    drop_triggers(backend)
    table = AuditEntry.__table__
    row = db.session.execute(select(table).where(table.c.seq == 3)).mappings().one()
    fields = audit._hash_fields({**row, "actor_name": "forger"})
    db.session.execute(
        text("UPDATE audit_entry SET actor_name = 'forger', hash = :h WHERE seq = 3"),
        {"h": audit.entry_hash(fields)},
    )
    db.session.commit()
    result = audit.verify()
    assert not result.ok and result.broken_seq == 4 and "previous" in result.reason


def test_r_audit_3_removed_entries_are_found(app, backend):
    drop_triggers(backend)
    last = db.session.scalar(select(func.max(AuditEntry.seq)))
    db.session.execute(text("DELETE FROM audit_entry WHERE seq = :s"), {"s": last})
    db.session.commit()
    result = audit.verify()
    assert not result.ok and "head" in result.reason
    db.session.execute(text("DELETE FROM audit_entry WHERE seq = 10"))
    db.session.commit()
    result = audit.verify()
    assert not result.ok and result.broken_seq == 10 and "missing" in result.reason


def test_verify_cli_on_intact_chain(app, runner):
    out = runner.invoke(args=["audit", "verify"])
    assert out.exit_code == 0, out.output
    assert f"intact: {count()} entries" in out.output


def test_chain_head_tracks_last_entry(app):
    head = db.session.get(AuditChainHead, 1)
    last = last_entries(1)[0]
    assert (head.seq, head.last_hash) == (last.seq, last.hash)
    assert last_entries(2)[0].hash == last.prev_hash
