"""Case exchange import (case-exchange.md): the sample whole, idempotence, bad lines rejected
with line, field and reason and nothing kept, people, links, read-only imported cases."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import func, select

from docflow.core.numbering import next_number
from docflow.exchange.importer import ImportFailed
from docflow.exchange.models import FormerEmployee, ImportedCase, ImportedEvent
from docflow.extensions import db
from docflow.org.models import user_by_username
from docflow.registry import queries
from docflow.registry.models import IncomingItem, ItemLink, item_by_number
from docflow.registry.workflow import INCOMING
from tests.exchange.conftest import SAMPLE, case


def _count(model) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


def _state_of_db() -> tuple[int, ...]:
    return tuple(
        _count(m) for m in (IncomingItem, ImportedCase, ImportedEvent, ItemLink, FormerEmployee)
    )


def test_sample_imports_whole_and_a_second_import_changes_nothing(import_lines):
    lines = SAMPLE.read_text(encoding="utf-8").splitlines(keepends=True)
    before = _count(IncomingItem)
    report = import_lines(lines)
    assert report.created == 151 and report.unchanged == 0
    assert _count(IncomingItem) - before == 151
    assert _count(ImportedCase) == 151
    # is_duplicate_of → repeat links (14 in the sample), events as recorded, 7 former employees
    assert db.session.scalar(select(func.count()).where(ItemLink.kind == "repeat")) == 14
    assert _count(ImportedEvent) == sum(len(json.loads(x)["events"]) for x in lines)
    assert _count(FormerEmployee) == 7
    snapshot = _state_of_db()

    again = import_lines(lines)
    assert (again.created, again.unchanged, again.replaced) == (0, 151, 0)
    assert _state_of_db() == snapshot


def test_imported_case_keeps_its_number_source_and_fields(import_lines):
    import_lines([case()], source="e-otinish-2025")
    item = item_by_number("ЖТ-2026-90000001")
    assert item.imported and item.state == "imported"
    assert item.journal == "imported"
    stored = db.session.scalar(select(ImportedCase).where(ImportedCase.item_id == item.id))
    assert stored.source == "e-otinish-2025"
    assert stored.record["deadline"] == "2026-04-02" and stored.status == "Исполнено"
    assert stored.status_state == "closed"  # R-KIND-4: the status mapped to docflow's state
    assert item.subdivision.code == "ENERGY"
    events = list(
        db.session.scalars(
            select(ImportedEvent)
            .where(ImportedEvent.item_id == item.id)
            .order_by(ImportedEvent.position)
        )
    )
    assert [e.type for e in events] == [e["type"] for e in case()["events"]]
    assert events[1].role == "executed" and events[1].user_id == user_by_username("exec.energy").id
    assert events[2].role == "signed" and events[2].user_id == user_by_username("head.energy").id


def test_imported_numbers_never_enter_docflows_counters(import_lines, make_item):
    first = make_item()
    import_lines([case()])
    second = make_item()
    assert second.journal == first.journal and second.reg_seq == first.reg_seq + 1
    assert next_number(first.journal, first.reg_year) == first.reg_seq + 2


def _bad_cases():
    no_kind = case()
    del no_kind["kind"]
    stranger = case()
    stranger["events"][1]["person"] = {"login": "nobody.here"}
    late = case()
    late["events"][2]["at"] = "2026-03-01T09:00:00+05:00"
    return [
        ("missing field", no_kind, "kind", "required"),
        ("bad date", case(start_date="2026-02-30"), "start_date", "Not a date"),
        ("bad time", case(received_at="2026-03-02 10:15"), "received_at", "offset"),
        ("unknown login", stranger, "events[1].person", "nobody.here"),
        ("unknown kind", case(kind="gossip"), "kind", "gossip"),
        ("out of order", late, "events[2].at", "time order"),
        ("prolongation", case(prolong_count=1), "prolong_count", "0 extension"),
        ("not json", '{"reg_number": "X",', "-", "JSON"),
    ]


@pytest.mark.parametrize(
    ("what", "bad", "field", "reason"),
    _bad_cases(),
    ids=lambda v: v if isinstance(v, str) and " " in v else None,
)
def test_a_bad_line_is_rejected_with_line_field_reason_and_nothing_kept(
    import_lines, what, bad, field, reason
):
    good = [case(reg_number=f"ЖТ-2026-9100000{i}") for i in range(3)]
    before = _state_of_db()
    with pytest.raises(ImportFailed) as exc:
        import_lines([*good, bad, case(reg_number="ЖТ-2026-91000009")])
    assert exc.value.line == 4
    assert exc.value.field == field
    assert reason in exc.value.reason
    assert f"line 4, field {field}" in exc.value.message
    assert _state_of_db() == before  # the good lines before it are not kept either
    assert item_by_number("ЖТ-2026-91000000") is None


def test_same_number_with_different_content_is_an_error_naming_what_differs(import_lines):
    import_lines([case()])
    changed = case(summary="Другой вопрос")
    changed["events"][2]["outgoing_number"] = "ИХ-2026-000999"
    before = _state_of_db()
    with pytest.raises(ImportFailed) as exc:
        import_lines([case(reg_number="ЖТ-2026-91000001"), changed])
    assert exc.value.line == 2
    assert exc.value.field == "summary, events[2]"
    assert "--replace" in exc.value.reason
    assert _state_of_db() == before

    # within one file too
    with pytest.raises(ImportFailed) as exc:
        import_lines(
            [case(reg_number="ЖТ-2026-91000002"), case(reg_number="ЖТ-2026-91000002", rating=1)]
        )
    assert (exc.value.line, exc.value.field) == (2, "rating")

    report = import_lines([changed], replace=True)
    assert report.replaced == 1
    item = item_by_number("ЖТ-2026-90000001")
    assert item.summary == "Другой вопрос"
    stored = db.session.scalars(
        select(ImportedEvent.data).where(
            ImportedEvent.item_id == item.id, ImportedEvent.type == "answered"
        )
    ).one()
    assert stored["outgoing_number"] == "ИХ-2026-000999"
    assert _state_of_db() == before


def test_a_number_of_docflows_own_case_is_always_an_error(import_lines, make_item):
    own = make_item()
    db.session.commit()
    for replace in (False, True):
        with pytest.raises(ImportFailed) as exc:
            import_lines([case(reg_number=own.reg_number)], replace=replace)
        assert (exc.value.line, exc.value.field) == (1, "reg_number")


def test_people_by_iin_are_employees_or_kept_as_former_employees(import_lines):
    from docflow.org.models import Employee

    energy = db.session.scalar(
        select(Employee).where(Employee.user_id == user_by_username("exec2.energy").id)
    )
    energy.iin = "850620302221"
    db.session.commit()
    record = case()
    record["events"][1]["person"] = {"iin": "850620302221", "full_name": "Any name at all"}
    record["events"][2]["signed_by"] = {"iin": "700101301112", "full_name": "Басшы Mobility"}
    import_lines([record])
    item = item_by_number(record["reg_number"])
    rows = {
        e.type: e
        for e in db.session.scalars(select(ImportedEvent).where(ImportedEvent.item_id == item.id))
    }
    assert rows["assigned"].user_id == user_by_username("exec2.energy").id
    former = db.session.get(FormerEmployee, rows["answered"].former_employee_id)
    assert (former.iin, former.full_name) == ("700101301112", "Басшы Mobility")
    assert rows["answered"].user_id is None


def test_links_from_is_duplicate_of_and_parent_id(import_lines):
    earlier = case(reg_number="ЖТ-2026-92000001", kind="statement")
    repeat = case(
        reg_number="ЖТ-2026-92000002", kind="statement", is_duplicate_of="ЖТ-2026-92000001"
    )
    complaint = case(reg_number="ЖТ-2026-92000003", parent_id="ЖТ-2026-92000001")
    reception = case(
        reg_number="ЖТ-2026-92000004",
        kind="statement",
        channel="reception",
        from_reception=True,
        parent_id="ЖТ-2026-92000001",
    )
    dangling = case(reg_number="ЖТ-2026-92000005", kind="statement", is_duplicate_of="ЖТ-2019-1")
    report = import_lines([repeat, complaint, reception, earlier, dangling])  # forward references
    assert report.unresolved == ["ЖТ-2019-1"]
    target = item_by_number("ЖТ-2026-92000001").id
    kinds = {
        db.session.get(IncomingItem, i).reg_number: k
        for i, k in db.session.execute(
            select(ItemLink.item_id, ItemLink.kind).where(ItemLink.target_id == target)
        )
    }
    assert kinds == {
        "ЖТ-2026-92000002": "repeat",
        "ЖТ-2026-92000003": "complaint_about_answer",
        "ЖТ-2026-92000004": "reception_same_question",
    }


def test_imported_cases_are_found_by_search_and_are_read_only(import_lines, users_by_name):
    import_lines([case()])
    item = item_by_number("ЖТ-2026-90000001")
    found = list(db.session.scalars(queries.journal_query(queries.JournalFilter(q="горячей воды"))))
    assert item in found
    for name in ("admin", "clerk", "controller", "head.energy", "exec.energy"):
        assert INCOMING.available(item, users_by_name[name]) == [], name
    from docflow.core.security import Permission, has_permission

    for perm in (Permission.MODIFY, Permission.ASSIGN, Permission.DISTRIBUTE, Permission.CONTROL):
        assert not has_permission(users_by_name["admin"], perm, item)
        assert not has_permission(users_by_name["controller"], perm, item)
    assert has_permission(users_by_name["inspector"], Permission.VIEW, item)


@pytest.fixture
def users_by_name(app):
    names = ("admin", "clerk", "controller", "head.energy", "exec.energy", "inspector")
    return {n: user_by_username(n) for n in names}


def test_imported_case_pages_show_it_and_refuse_writes(import_lines, client, login):
    import_lines([case()])
    item = item_by_number("ЖТ-2026-90000001")
    login("controller")
    page = client.get(f"/registry/{item.public_id}")
    assert page.status_code == 200
    assert "ЖТ-2026-90000001" in page.get_data(as_text=True)
    journal = client.get("/registry/", query_string={"q": "горячей воды"})
    assert "ЖТ-2026-90000001" in journal.get_data(as_text=True)
    annotate = client.post(
        f"/registry/{item.public_id}/annotate",
        data={"field": "summary", "value": "x", "reason": "y"},
    )
    assert annotate.status_code == 403
    link = client.post(
        f"/registry/{item.public_id}/link",
        data={"reg_number": "ЖТ-2026-00000001", "kind": "repeat"},
    )
    assert link.status_code == 403
    assert db.session.scalar(select(func.count()).where(ItemLink.item_id == item.id)) == 0


def test_r_audit_3_events_and_applicants_are_covered_by_the_cases_audited_digest(import_lines):
    """The rows of a case's events and applicants get no audit entry each: the case's own entry
    holds the digest of the whole record, which the stored rows must give again."""
    from docflow.core import audit
    from docflow.core.audit import AuditEntry
    from docflow.exchange import records
    from docflow.exchange.exporter import export_case

    lines = SAMPLE.read_text(encoding="utf-8").splitlines(keepends=True)[:20]
    import_lines(lines)
    assert audit.verify().ok
    entries = db.session.scalars(
        select(AuditEntry).where(AuditEntry.action == "create", AuditEntry.seq > 0)
    ).all()
    created = {e.object_type for e in entries}
    assert {"incoming_item", "imported_case"} <= created
    assert not created & {"imported_event", "applicant"}
    audited = {
        int(e.object_id): e.summary["after"]["digest"]
        for e in entries
        if e.object_type == "imported_case"
    }
    cases = db.session.scalars(select(ImportedCase)).all()
    assert len(cases) == 20 == len({c.id for c in cases} & set(audited))
    for c in cases:
        assert records.digest(export_case(c.item)) == audited[c.id]
    # a changed event row no longer gives the digest on record
    event = db.session.scalar(
        select(ImportedEvent).where(ImportedEvent.item_id == cases[0].item_id)
    )
    event.data = {**event.data, "at": "2020-01-01T00:00:00+05:00"}
    db.session.flush()
    assert records.digest(export_case(cases[0].item)) != audited[cases[0].id]


def test_an_import_of_several_batches_is_the_same_as_one(import_lines, monkeypatch):
    """Cases, events, applicants, links and the search index written a batch at a time."""
    from docflow.exchange import importer
    from docflow.registry.models import Applicant

    monkeypatch.setattr(importer, "BATCH", 40)
    lines = SAMPLE.read_text(encoding="utf-8").splitlines(keepends=True)
    report = import_lines(lines)
    assert report.created == 151
    assert _count(ImportedEvent) == sum(len(json.loads(x)["events"]) for x in lines)
    assert db.session.scalar(select(func.count()).where(ItemLink.kind == "repeat")) == 14
    by_number = {json.loads(x)["reg_number"]: json.loads(x) for x in lines}
    for item in db.session.scalars(select(IncomingItem).where(IncomingItem.imported.is_(True))):
        record = by_number[item.reg_number]
        names = [a.get("full_name") or a.get("organisation_name") for a in record["applicants"]]
        stored = db.session.scalars(
            select(Applicant).where(Applicant.item_id == item.id).order_by(Applicant.position)
        ).all()
        assert [a.full_name or a.organisation_name for a in stored] == names
        events = db.session.scalars(
            select(ImportedEvent.type)
            .where(ImportedEvent.item_id == item.id)
            .order_by(ImportedEvent.position)
        ).all()
        assert events == [e["type"] for e in record["events"]]
    for x in (lines[0], lines[60], lines[-1]):  # from the first, a middle and the last batch
        record = json.loads(x)
        found = db.session.scalars(
            queries.journal_query(queries.JournalFilter(q=record["summary"]))
        )
        assert record["reg_number"] in {i.reg_number for i in found}
    assert import_lines(lines).unchanged == 151
