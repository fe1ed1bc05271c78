"""Remediation of findings (R-AUDIT-1): sent to the subdivision's head with a term, kept on
control (overdue shown), reported by the head, accepted or returned by the inspector; the finding's
status follows; every step through the ``remediation`` workflow."""

from __future__ import annotations

import datetime as dt

import pytest

from docflow.core import workflow
from docflow.core.errors import DomainError
from docflow.core.workflow import TransitionForbidden
from docflow.extensions import db
from docflow.inspection import operations as ops
from docflow.inspection import remediation as rem
from tests.inspection.inspect_world import Runner, finding


@pytest.fixture
def found(inspection, energy_items, users):
    """The findings of a run: one in ENERGY, one in EDU."""
    a, _, _, d = energy_items
    run = ops.run_inspection(
        inspection, users["inspector"], runner=Runner([finding(a), finding(d)])
    )
    db.session.commit()
    return {f.subdivision_code: f for f in ops.findings_of(inspection, run)}


def term(days: int = 10) -> dt.date:
    return rem.today() + dt.timedelta(days=days)


def test_r_audit_1_a_finding_goes_to_its_subdivisions_head(found, users):
    task = rem.send_for_remediation(
        found["ENERGY"], users["inspector"], term=term(), instruction="Жауап беріңіз"
    )
    db.session.commit()
    assert task.state == "sent" and task.head_id == users["head.energy"].id
    assert task.subdivision.code == "ENERGY" and found["ENERGY"].status == "sent"
    assert [h.transition for h in workflow.history(task)] == ["create"]
    assert rem.tasks_for(users["head.energy"]) == [task]
    assert rem.tasks_for(users["head.edu"]) == []  # another subdivision's
    assert rem.tasks_for(users["inspector"]) == [task]
    with pytest.raises(DomainError) as exc:
        rem.send_for_remediation(found["ENERGY"], users["inspector"], term=term())
    assert exc.value.status == 409


def test_r_audit_1_the_term_is_not_in_the_past(found, users):
    with pytest.raises(DomainError) as exc:
        rem.send_for_remediation(found["ENERGY"], users["inspector"], term=term(-1))
    assert "term" in exc.value.fields


@pytest.mark.parametrize("name", ["head.energy", "controller", "admin"])
def test_r_audit_1_only_the_inspector_sends_findings(found, users, name):
    with pytest.raises(DomainError) as exc:
        rem.send_for_remediation(found["ENERGY"], users[name], term=term())
    assert exc.value.status == 403


def test_r_audit_1_report_accept_return_cycle(found, users):
    task = rem.send_for_remediation(found["ENERGY"], users["inspector"], term=term())
    with pytest.raises(DomainError):  # a report says what was done
        rem.report_done(task, users["head.energy"], " ")
    rem.report_done(task, users["head.energy"], "Өтініш берушіге жауап жіберілді.")
    assert task.state == "reported" and found["ENERGY"].status == "remedied"
    with pytest.raises(DomainError):  # a return says why
        rem.return_report(task, users["inspector"], "")
    rem.return_report(task, users["inspector"], "Жауаптың көшірмесі жоқ")
    assert task.state == "returned" and found["ENERGY"].status == "returned"
    assert task.decision_comment == "Жауаптың көшірмесі жоқ"
    rem.report_done(task, users["head.energy"], "Көшірме қоса берілді.")
    rem.accept(task, users["inspector"])
    db.session.commit()
    assert task.state == "accepted" and found["ENERGY"].status == "accepted"
    steps = [h.transition for h in workflow.history(task)]
    assert steps == ["create", "report", "return", "report", "accept"]


@pytest.mark.parametrize("name", ["head.edu", "exec.energy", "controller", "inspector"])
def test_r_audit_1_only_the_subdivisions_head_reports(found, users, name):
    task = rem.send_for_remediation(found["ENERGY"], users["inspector"], term=term())
    with pytest.raises(TransitionForbidden):
        rem.report_done(task, users[name], "Жасалды.")
    assert task.state == "sent"


@pytest.mark.parametrize("name", ["head.energy", "controller"])
def test_r_audit_1_only_the_inspector_accepts_or_returns(found, users, name):
    task = rem.send_for_remediation(found["ENERGY"], users["inspector"], term=term())
    rem.report_done(task, users["head.energy"], "Жасалды.")
    with pytest.raises(TransitionForbidden):
        rem.accept(task, users[name])
    with pytest.raises(TransitionForbidden):
        rem.return_report(task, users[name], "Жоқ")
    assert task.state == "reported"


def test_r_audit_1_overdue_tasks_are_on_control(found, users):
    late = rem.send_for_remediation(found["ENERGY"], users["inspector"], term=term(0))
    on_time = rem.send_for_remediation(found["EDU"], users["inspector"], term=term(30))
    late.term = rem.today() - dt.timedelta(days=2)  # the term has passed
    db.session.commit()
    assert late.is_overdue(rem.today()) and not on_time.is_overdue(rem.today())
    assert rem.tasks_for(users["inspector"], overdue_only=True) == [late]
    rem.report_done(late, users["head.energy"], "Жасалды.")
    assert not late.is_overdue(rem.today())  # reported: waiting for the inspector, not the head


def test_r_audit_1_a_later_run_shows_a_remedied_finding_still_there(
    inspection, found, energy_items, users
):
    task = rem.send_for_remediation(found["ENERGY"], users["inspector"], term=term())
    rem.report_done(task, users["head.energy"], "Жасалды.")
    db.session.commit()
    ops.run_inspection(inspection, users["inspector"], runner=Runner([finding(energy_items[0])]))
    assert found["ENERGY"].still_open is True  # the head says done, the checks still find it
    assert found["EDU"].still_open is False
