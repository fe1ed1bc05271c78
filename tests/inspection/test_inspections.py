"""Inspections (R-AUDIT-1): creating one, running the checks and storing what they found, later
runs marking what remains, the inspector's own findings, the sample read by hand, the audit
trail's integrity, and the inspector's read-only rule."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select, text

from docflow.core.errors import DomainError
from docflow.core.security import AccessDenied
from docflow.extensions import db
from docflow.inspection import operations as ops
from docflow.inspection import sample as sampling
from docflow.inspection.models import MANUAL_CODE, InspectionFinding
from tests.core.test_audit import drop_triggers
from tests.inspection.inspect_world import PERIOD, Runner, finding


def test_r_audit_1_new_inspection_is_a_draft_judged_as_of_the_period_end(inspection, users):
    assert inspection.state == "draft"
    assert inspection.as_of == PERIOD[1]
    assert inspection.subdivisions == ["EDU", "ENERGY"]
    assert inspection.created_by_id == users["inspector"].id


@pytest.mark.parametrize(
    ("kw", "field"),
    [
        ({"date_from": dt.date(2026, 12, 1)}, "date_to"),
        ({"as_of": dt.date(2026, 11, 20)}, "as_of"),
        ({"subdivisions": ["NOPE"]}, "subdivisions"),
        ({"districts": ["ENERGY"]}, "districts"),
        ({"title": " "}, "title"),
    ],
)
def test_r_audit_1_inspection_form_is_checked(app, users, kw, field):
    args = {"title": "T", "date_from": PERIOD[0], "date_to": PERIOD[1]} | kw
    with pytest.raises(DomainError) as exc:
        ops.create_inspection(users["inspector"], **args)
    assert field in exc.value.fields


def test_r_audit_1_districts_are_a_scope(app, users):
    i = ops.create_inspection(
        users["inspector"], title="D", date_from=PERIOD[0], date_to=PERIOD[1], districts=["MEDEU"]
    )
    assert i.districts == ["MEDEU"] and i.scope_codes == ["MEDEU"]


@pytest.mark.parametrize("name", ["controller", "head.energy", "admin", "clerk"])
def test_r_audit_1_only_inspectors_create_inspections(app, users, name):
    with pytest.raises(AccessDenied):
        ops.create_inspection(users[name], title="T", date_from=PERIOD[0], date_to=PERIOD[1])


def test_r_audit_1_a_run_stores_the_findings_as_found(inspection, energy_items, users):
    a, b, *_ = energy_items
    runner = Runner(
        [finding(a), finding(b, "FORWARD_LATE", "medium", rule="R-ROUTE-2")],
        4,
        {"ANSWER_SIGNER": 2},
    )
    run = ops.run_inspection(inspection, users["inspector"], runner=runner)
    db.session.commit()
    assert runner.calls == [
        {
            "date_from": PERIOD[0],
            "date_to": PERIOD[1],
            "as_of": PERIOD[1],
            "subdivisions": ["EDU", "ENERGY"],
            "districts": None,
        }
    ]
    assert inspection.state == "ready" and run.number == 1
    assert (run.checked, run.not_judged, run.finding_count) == (4, {"ANSWER_SIGNER": 2}, 2)
    rows = ops.findings_of(inspection, run)
    assert [(f.code, f.reg_number, f.subdivision_code) for f in rows] == [
        ("ANSWER_LATE", a.reg_number, "ENERGY"),
        ("FORWARD_LATE", b.reg_number, "ENERGY"),
    ]
    assert rows[0].facts == {"due": "2026-12-15", "answered": "2026-12-20"}
    assert rows[0].status == "open" and rows[0].still_open is None


def test_r_audit_1_stored_findings_are_not_rewritten_by_later_changes(
    inspection, energy_items, users
):
    a = energy_items[0]
    ops.run_inspection(inspection, users["inspector"], runner=Runner([finding(a)]))
    db.session.commit()
    # The case moves on and the checks would now say something else: run 1 still says what it found.
    a.due_date = dt.date(2027, 1, 1)
    a.subdivision_id = users["head.edu"].grants[0].subdivision_id
    db.session.commit()
    stored = ops.findings_of(inspection, inspection.last_run)[0]
    assert stored.evidence.endswith("due 2026-12-15.")
    assert stored.facts["due"] == "2026-12-15" and stored.subdivision_code == "ENERGY"


def test_r_audit_1_a_later_run_shows_which_open_findings_remain(inspection, energy_items, users):
    a, b, c, _ = energy_items
    first = ops.run_inspection(
        inspection, users["inspector"], runner=Runner([finding(a), finding(b, "OVERDUE_OPEN")])
    )
    assert inspection.last_run is first
    second = ops.run_inspection(
        inspection, users["inspector"], runner=Runner([finding(b, "OVERDUE_OPEN"), finding(c)])
    )
    assert inspection.last_run is second  # the loaded collection knows the new run
    db.session.commit()
    old = {f.reg_number: f for f in ops.findings_of(inspection, first)}
    assert old[a.reg_number].still_open is False  # remedied since
    assert old[b.reg_number].still_open is True  # still overdue
    assert {f.rechecked_run_id for f in old.values()} == {second.id}
    new = {f.reg_number: f for f in ops.findings_of(inspection, second)}
    assert new[b.reg_number].earlier_id == old[b.reg_number].id
    assert new[c.reg_number].earlier_id is None
    assert second.number == 2 and inspection.last_run.id == second.id


def test_r_audit_1_the_run_records_the_audit_trail_integrity(inspection, users, backend):
    run = ops.run_inspection(inspection, users["inspector"], runner=Runner([]))
    assert run.audit_ok and run.audit_checked > 0 and run.audit_broken_seq is None
    db.session.commit()
    drop_triggers(backend)
    db.session.execute(text("UPDATE audit_entry SET actor_name = 'someone else' WHERE seq = 3"))
    db.session.commit()
    broken = ops.run_inspection(inspection, users["inspector"], runner=Runner([]))
    assert not broken.audit_ok and broken.audit_broken_seq == 3
    assert "hash" in broken.audit_reason


def test_r_audit_1_the_period_entries_are_counted(inspection, users):
    trail = ops.audit_for_period(PERIOD[0], PERIOD[1])
    today = dt.date.today()
    around_now = ops.audit_for_period(today - dt.timedelta(days=1), today + dt.timedelta(days=1))
    assert trail["ok"] and around_now["period_entries"] > 0
    assert trail["period_entries"] <= around_now["checked"]


def test_r_audit_1_the_inspectors_own_finding_names_the_case_and_its_subdivision(
    inspection, energy_items, users
):
    a = energy_items[0]
    f = ops.add_finding(
        inspection,
        users["inspector"],
        evidence="Жауап дәлелсіз.",
        rule="R-ANS-1",
        reg_number=a.reg_number,
    )
    assert (f.code, f.item_id, f.subdivision_code, f.run_id) == (MANUAL_CODE, a.id, "ENERGY", None)
    assert ops.findings_of(inspection, None, manual=True) == [f]
    with pytest.raises(DomainError) as exc:
        ops.add_finding(inspection, users["inspector"], evidence="x", reg_number="NO-SUCH")
    assert "reg_number" in exc.value.fields


def test_r_audit_1_a_closed_inspection_takes_nothing_more(inspection, users):
    ops.run_inspection(inspection, users["inspector"], runner=Runner([]))
    ops.close_inspection(inspection, users["inspector"])
    assert inspection.state == "closed"
    with pytest.raises(DomainError) as exc:
        ops.add_finding(inspection, users["inspector"], evidence="late")
    assert exc.value.status == 409
    with pytest.raises(DomainError):
        ops.run_inspection(inspection, users["inspector"], runner=Runner([]))


def test_r_audit_1_filters_of_a_runs_findings(inspection, energy_items, users):
    a, b, _, d = energy_items
    run = ops.run_inspection(
        inspection,
        users["inspector"],
        runner=Runner(
            [finding(a), finding(b, "REG_LATE", "medium"), finding(d, "REG_LATE", "medium")]
        ),
    )
    assert {f.reg_number for f in ops.findings_of(inspection, run, code="REG_LATE")} == {
        b.reg_number,
        d.reg_number,
    }
    assert [f.reg_number for f in ops.findings_of(inspection, run, subdivision="EDU")] == [
        d.reg_number
    ]
    assert [f.reg_number for f in ops.findings_of(inspection, run, severity="high")] == [
        a.reg_number
    ]
    assert ops.findings_of(inspection, run, status="sent") == []


# --- the sample read by hand ----------------------------------------------------------------------


def test_r_audit_1_sample_is_reproducible_from_its_seed(inspection, energy_items, users):
    ids = [i.id for i in energy_items]
    first = [
        s.item_id for s in sampling.draw_sample(inspection, users["inspector"], size=2, seed=7)
    ]
    again = [
        s.item_id for s in sampling.draw_sample(inspection, users["inspector"], size=2, seed=7)
    ]
    assert first == again == sampling.choose(ids, 2, 7)
    assert set(first) <= set(ids) and len(set(first)) == 2
    seeds = {tuple(sampling.choose(list(range(100)), 5, s)) for s in range(5)}
    assert len(seeds) == 5  # the seed decides
    assert (inspection.sample_seed, inspection.sample_size) == (7, 2)


def test_r_audit_1_sample_covers_the_scope_and_period_only(
    inspection, energy_items, make_item, users
):
    from tests.registry.conftest import almaty

    outside = make_item(arrived_at=almaty(2026, 10, 20, 10, 0))  # before the period
    rows = sampling.draw_sample(inspection, users["inspector"], size=50, seed=1)
    assert {s.item_id for s in rows} == {i.id for i in energy_items}
    assert outside.id not in {s.item_id for s in rows}


def test_r_ans_1_r_recv_10_checklist_of_a_sampled_case(inspection, energy_items, users):
    s = sampling.draw_sample(inspection, users["inspector"], size=1, seed=3)[0]
    with pytest.raises(DomainError) as exc:
        sampling.record_checklist(s, users["inspector"], {"answer_motivated": "yes"})
    assert set(exc.value.fields) == {"legislation_cited", "complaint_explained", "language_ok"}
    answers = {
        "answer_motivated": "yes",
        "legislation_cited": "no",
        "complaint_explained": "no",
        "language_ok": "na",
    }
    sampling.record_checklist(s, users["inspector"], answers, "Шағымдану тәртібі жоқ")
    assert s.checked and s.answers() == answers
    summary = sampling.sample_summary(sampling.sample_of(inspection))
    assert summary["legislation_cited"] == {"yes": 0, "no": 1, "na": 0}
    with pytest.raises(DomainError) as exc:
        sampling.draw_sample(inspection, users["inspector"], size=1, seed=4)
    assert exc.value.status == 409  # read cases are not thrown away


def test_r_audit_1_others_cannot_fill_the_checklist(inspection, energy_items, users):
    s = sampling.draw_sample(inspection, users["inspector"], size=1, seed=3)[0]
    with pytest.raises(AccessDenied):
        sampling.record_checklist(
            s, users["head.energy"], dict.fromkeys(["answer_motivated"], "yes")
        )


def test_r_audit_1_run_changes_no_case(inspection, energy_items, users):
    """Running an inspection writes inspection rows only (inspectors change no case)."""
    from docflow.core.audit import AuditEntry

    before = db.session.scalar(select(AuditEntry.seq).order_by(AuditEntry.seq.desc()).limit(1))
    ops.run_inspection(inspection, users["inspector"], runner=Runner([finding(energy_items[0])]))
    db.session.commit()
    touched = set(db.session.scalars(select(AuditEntry.object_type).where(AuditEntry.seq > before)))
    assert touched <= {
        "inspection",
        "inspection_run",
        "inspection_finding",
        "workflow_history",
        None,
    }
    assert "inspection_finding" in touched
    assert db.session.scalar(select(InspectionFinding.id)) is not None
