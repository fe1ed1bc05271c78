"""Who viewed what (R-PD-1): reads go to an access log apart from the audit trail; no IINs."""

from __future__ import annotations

import io
import logging

import pytest
from sqlalchemy import func, select, text
from sqlalchemy.exc import DatabaseError

from docflow.core import access_log, audit
from docflow.core.access_log import AccessEntry
from docflow.core.workflow import WorkflowHistory
from docflow.extensions import db
from docflow.org.models import user_by_username
from docflow.registry.operations import ApplicantData

IIN = "920704404563"


def applicant() -> ApplicantData:
    return ApplicantData(full_name="Жұмабаева Айнұр Серікқызы", iin=IIN, address="Абай даңғ. 1")


def count(model) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


def reads() -> list[AccessEntry]:
    return list(db.session.scalars(select(AccessEntry).order_by(AccessEntry.id)))


def test_r_pd_1_item_page_makes_one_access_row_and_no_audit_row(app, web, make_item):
    item = make_item(applicant=applicant())
    db.session.commit()
    clerk = web("clerk")
    audit_before, history_before = count(audit.AuditEntry), count(WorkflowHistory)
    r = clerk.get(f"/registry/{item.public_id}", headers={"X-Request-ID": "req-pd-1"})
    assert r.status_code == 200
    [row] = reads()
    user = user_by_username("clerk")
    assert (row.user_id, row.username, row.user_name) == (user.id, "clerk", user.display_name)
    assert (row.action, row.object_type, row.object_id) == ("view", "incoming_item", item.public_id)
    assert (row.ip, row.request_id) == ("127.0.0.1", "req-pd-1")
    assert row.at.tzinfo is not None
    # The read is in neither the audit trail nor the item's history, and the chain holds.
    assert count(audit.AuditEntry) == audit_before
    assert count(WorkflowHistory) == history_before
    assert audit.verify().ok
    clerk.get(f"/registry/{item.public_id}")
    assert len(reads()) == 2  # every view, not the first one only


def test_r_pd_1_a_get_stays_a_read(app, web, make_item, monkeypatch):
    # The read is logged without committing the request's transaction: a change left pending
    # before the log call (here a stray edit while loading) is not saved with it.
    item = make_item(applicant=applicant())
    db.session.commit()
    from docflow.registry import blueprint

    load = blueprint._item_or_404

    def load_and_touch(public_id):
        found = load(public_id)
        found.summary = "changed by a read"
        return found

    monkeypatch.setattr(blueprint, "_item_or_404", load_and_touch)
    assert web("clerk").get(f"/registry/{item.public_id}").status_code == 200
    db.session.expire_all()
    assert item.summary != "changed by a read"
    assert len(reads()) == 1


def test_r_pd_1_access_log_is_append_only(app, web, make_item):
    item = make_item(applicant=applicant())
    db.session.commit()
    web("clerk").get(f"/registry/{item.public_id}")
    for sql in ("UPDATE access_log SET user_name = 'someone else'", "DELETE FROM access_log"):
        with pytest.raises(DatabaseError):
            db.session.execute(text(sql))
        db.session.rollback()
    assert len(reads()) == 1


def test_r_pd_1_record_outside_a_request_goes_with_its_transaction(app, make_item):
    item = make_item(applicant=applicant())
    db.session.commit()
    with audit.acting_as(audit.Actor(None, "cli")):
        access_log.record("print", item)
    db.session.commit()
    [row] = reads()
    assert (row.user_name, row.action, row.object_id, row.ip) == (
        "cli",
        "print",
        item.public_id,
        None,
    )


def test_r_pd_1_cli_shows_who_viewed_what(app, web, make_item, runner):
    from tests.registry.test_pages import text_pdf

    first, second = (
        make_item(applicant=applicant()),
        make_item(applicant=applicant(), summary="Балабақша кезегі"),
    )
    db.session.commit()
    clerk, inspector = web("clerk"), web("inspector")
    r = clerk.post(
        f"/registry/{first.public_id}/files",
        data={"files": [(io.BytesIO(text_pdf("Scan")), "scan.pdf")]},
        content_type="multipart/form-data",
    )
    assert r.status_code == 303
    att = first.attachments[0]
    clerk.get(f"/registry/{first.public_id}")
    clerk.get(f"/registry/{first.public_id}/files/{att.public_id}")
    inspector.get(f"/registry/{second.public_id}")

    out = runner.invoke(args=["access-log"])
    assert out.exit_code == 0, out.output
    lines = out.output.strip().splitlines()
    assert lines[0].split() == ["when", "user", "action", "object", "id", "item", "ip"]
    assert len(lines) == 4 and IIN not in out.output

    by_clerk = runner.invoke(args=["access-log", "--user", "clerk"]).output
    assert "inspector" not in by_clerk and by_clerk.count("clerk (") == 2
    assert "download" in by_clerk and att.public_id in by_clerk

    # --item: the case itself and its files (the download names the item it belongs to).
    of_first = runner.invoke(args=["access-log", "--item", first.public_id]).output
    assert len(of_first.strip().splitlines()) == 3 and second.public_id not in of_first
    of_second = runner.invoke(args=["access-log", "--item", second.public_id]).output
    assert "inspector" in of_second and "clerk" not in of_second

    later = runner.invoke(args=["access-log", "--since", "2999-01-01"])
    assert later.exit_code == 0 and "no reads recorded" in later.output
    assert runner.invoke(args=["access-log", "--since", "1.1.2026"]).exit_code == 2


def test_r_pd_1_audit_masks_identifiers_in_any_summary(app):
    # Column masks cover known columns; free text and JSON (parsed minutes, comments) too.
    audit.record(
        "note",
        object_type="test",
        summary={
            "text": f"ИИН {IIN}, Алматы",
            "grouped": "ЖСН 920704 404563",
            "nested": [{"iin": IIN, IIN: 1}],
            "number": int(IIN),
            "sha256": "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
            "phone": "+77011234567",
        },
    )
    db.session.commit()
    entry = db.session.scalars(
        select(audit.AuditEntry).order_by(audit.AuditEntry.seq.desc())
    ).first()
    assert entry.summary == {
        "text": "ИИН ***, Алматы",
        "grouped": "ЖСН ***",
        "nested": [{"iin": "***", "***": 1}],
        "number": "***",
        "sha256": "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
        "phone": "+77011234567",
    }
    assert audit.verify().ok  # the hash covers what is stored


def test_r_pd_1_request_logs_mask_identifiers(app, caplog):
    with caplog.at_level(logging.INFO, logger="werkzeug"):
        logging.getLogger("werkzeug").info(
            '127.0.0.1 - - "%s" %s -', f"GET /api/v1/items?q={IIN} HTTP/1.1", 400
        )
    [rec] = [r for r in caplog.records if r.name == "werkzeug"]
    assert IIN not in rec.getMessage() and "q=*** HTTP/1.1" in rec.getMessage()
