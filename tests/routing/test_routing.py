"""Routing and control rules: R-ROUTE-1..5, R-CTRL-1..2, R-DEADLINE-2, R-ANS-2."""

from __future__ import annotations

import datetime as dt
import io

import pytest

from docflow.core.calendar import WorkingCalendar, add_months
from docflow.core.security import AccessDenied, Permission, has_permission
from docflow.core.workflow import GuardRefused, TransitionForbidden, TransitionNotAvailable, history
from docflow.registry.operations import link_items
from docflow.routing import operations as ops
from docflow.routing.operations import RuleViolation


def test_full_path_register_to_removed_from_control(routed, users):
    item = routed("closed")
    assert item.state == "closed"
    assert [h.transition for h in history(item)] == [
        "create",
        "distribute",
        "assign",
        "submit_answer",
        "approve_answer",
        "close",
    ]
    answer = ops.current_answer(item)
    assert (
        answer.status == "approved" and answer.approved_by_id == users["head.energy"].id
    )  # R-ANS-2


def test_r_route_1_and_3_responsible_first_then_co_executors(make_item, users):
    item = make_item()
    ops.distribute(item, users["controller"], ["ENERGY", "ALMALY"])
    assert item.state == "distributed" and item.subdivision.code == "ENERGY"
    assert [(d.subdivision.code, d.responsible) for d in ops.distributions(item)] == [
        ("ENERGY", True),
        ("ALMALY", False),
    ]
    assert item.local_role_subdivisions() == [
        "ENERGY",
        "ALMALY",
    ]  # heads of both get their local role
    ops.assign_executors(
        item, users["head.energy"], [users["exec.energy"].id, users["exec2.energy"].id]
    )
    first, second = ops.active_executors(item)
    assert (first.user_id, first.responsible) == (users["exec.energy"].id, True)
    assert (second.user_id, second.responsible) == (users["exec2.energy"].id, False)


def test_only_the_controller_distributes(make_item, users):
    item = make_item()
    for name in ("clerk", "head.energy", "inspector"):
        with pytest.raises(TransitionForbidden):
            ops.distribute(item, users[name], ["ENERGY"])
    assert item.state == "registered" and ops.distributions(item) == []  # nothing half-written


def test_heads_act_only_on_their_subdivision(routed, users):
    item = routed("distributed")
    assert has_permission(users["head.energy"], Permission.ASSIGN, item)
    assert not has_permission(users["head.edu"], Permission.ASSIGN, item)
    assert not has_permission(users["head.edu"], Permission.VIEW, item)
    with pytest.raises((AccessDenied, TransitionForbidden)):
        ops.assign_executors(item, users["head.edu"], [users["exec.edu"].id])


def test_executor_must_belong_to_the_subdivision(routed, users):
    item = routed("distributed")
    with pytest.raises(RuleViolation, match="employee of"):
        ops.assign_executors(item, users["head.energy"], [users["exec.edu"].id])


# --- R-ROUTE-4 on every path ----------------------------------------------------------------


@pytest.fixture
def repeat_case(routed, make_item, users):
    """An earlier case answered by exec.energy (approved by head.energy), and a new linked one."""
    earlier = routed("closed")
    new = make_item(summary="Жылу әлі жоқ, қайта жүгінемін")
    link_items(new, earlier, "repeat", users["clerk"])
    ops.distribute(new, users["controller"], ["ENERGY"])
    return earlier, new


def test_r_route_4_first_assignment_refused_names_the_earlier_case(repeat_case, users):
    earlier, new = repeat_case
    with pytest.raises(RuleViolation) as exc:
        ops.assign_executors(new, users["head.energy"], [users["exec.energy"].id])
    assert earlier.reg_number in exc.value.message and "R-ROUTE-4" in exc.value.message
    assert exc.value.status == 422
    assert new.state == "distributed" and ops.active_executors(new) == []


def test_r_route_4_the_signer_is_blocked_too(repeat_case, users):
    _earlier, new = repeat_case
    handlers = ops.prior_handlers(new)
    assert handlers[users["head.energy"].id].role == "signed"
    assert handlers[users["exec.energy"].id].role in ("executed", "answered")
    with pytest.raises(RuleViolation):
        ops.assign_executors(new, users["head.energy"], [users["head.energy"].id])


def test_r_route_4_candidates_list_greys_out_previous_handlers(repeat_case, users):
    _earlier, new = repeat_case
    candidates = {c.user.username: c.blocked for c in ops.executor_candidates(new, new.subdivision)}
    assert candidates["exec2.energy"] is None
    assert "R-ROUTE-4" in candidates["exec.energy"] and "R-ROUTE-4" in candidates["head.energy"]


def test_r_route_4_reassignment_and_delegation_paths(repeat_case, users):
    _earlier, new = repeat_case
    ops.assign_executors(new, users["head.energy"], [users["exec2.energy"].id])
    with pytest.raises(RuleViolation):  # path: reassignment
        ops.assign_executors(
            new, users["head.energy"], [users["exec.energy"].id], kind="reassign", reason="отпуск"
        )
    with pytest.raises(RuleViolation):  # path: delegation by the executor
        ops.assign_executors(
            new, users["exec2.energy"], [users["exec.energy"].id], kind="delegate", reason="болезнь"
        )
    with pytest.raises(RuleViolation):  # path: adding a co-executor
        ops.assign_executors(new, users["head.energy"], [users["exec.energy"].id], kind="add")
    assert [a.user_id for a in ops.active_executors(new)] == [users["exec2.energy"].id]


def test_r_route_4_transitive_case_and_unlinked_items_free(routed, make_item, users):
    earlier = routed("closed")
    middle = make_item(summary="Қайта")
    link_items(middle, earlier, "repeat", users["clerk"])
    newest = make_item(summary="Тағы да")
    link_items(newest, middle, "complaint_about_answer", users["clerk"])
    ops.distribute(newest, users["controller"], ["ENERGY"])
    with pytest.raises(RuleViolation, match=earlier.reg_number):
        ops.assign_executors(newest, users["head.energy"], [users["exec.energy"].id])
    unrelated = routed("distributed")
    ops.assign_executors(
        unrelated, users["head.energy"], [users["exec.energy"].id]
    )  # no link: allowed


def test_r_route_4_link_added_after_assignment_blocks_further_assignment(routed, make_item, users):
    earlier = routed("closed")
    new = routed("in_work", executor="exec2.energy")
    link_items(new, earlier, "repeat", users["clerk"])  # linked later
    with pytest.raises(RuleViolation):
        ops.assign_executors(
            new, users["head.energy"], [users["exec.energy"].id], kind="reassign", reason="x"
        )


# --- deadlines (R-DEADLINE-2) ---------------------------------------------------------------


def test_r_deadline_2_extension_by_letter_up_to_30_days(routed, users):
    item = routed("in_work")
    old = item.due_date
    cap = item.registration_date + dt.timedelta(days=30)
    ext = ops.extend(
        item,
        users["controller"],
        basis="letter",
        new_due=cap,
        reason="сложный вопрос, запрос в КСК",
    )
    # R-DEADLINE-3: the cap is a holiday (16 December): the term ends on the working day before.
    real = WorkingCalendar().adjust_term(cap, cap).day
    assert (ext.old_due, ext.new_due, item.due_date) == (old, real, real)
    assert ext.decided_by_id == users["controller"].id and ext.notice_due > dt.date(2026, 1, 1)
    assert (
        history(item)[-1].transition == "extend"
        and history(item)[-1].params["new_due"] == real.isoformat()
    )
    with pytest.raises(RuleViolation, match="30 calendar days"):
        ops.extend(
            item,
            users["controller"],
            basis="letter",
            new_due=cap + dt.timedelta(days=1),
            reason="ещё",
        )


def test_r_deadline_2_decision_total_two_months_then_refused(routed, users):
    item = routed("in_work")
    cap = ops.extension_cap(item, "decision")
    assert cap == add_months(item.registration_date, 2)
    with pytest.raises(TransitionForbidden):  # the controller cannot take the head's decision
        ops.extend(item, users["controller"], basis="decision", new_due=cap, reason="x")
    ops.extend(
        item,
        users["head.energy"],
        basis="decision",
        new_due=cap - dt.timedelta(days=5),
        reason="экспертиза",
    )
    with pytest.raises(RuleViolation, match="two months"):
        ops.extend(
            item,
            users["head.energy"],
            basis="decision",
            new_due=cap + dt.timedelta(days=1),
            reason="ещё",
        )
    with pytest.raises(RuleViolation, match="later than"):
        ops.extend(item, users["head.energy"], basis="decision", new_due=item.due_date, reason="x")
    assert len(ops.extensions(item)) == 1


def test_r_deadline_2_applicant_notified_within_3_working_days(routed, users, monkeypatch):
    from docflow.core.calendar import WorkingCalendar

    item = routed("in_work")
    # Extended on Friday 11 December 2026: the day itself is day 1 (the demo profile's
    # R-DEADLINE-1 convention), then Mon 14 and Tue 15. 3 calendar days would give the 14th,
    # a 4th working day the 17th (the 16th is Independence Day).
    monkeypatch.setattr(
        WorkingCalendar, "local_now", lambda self: dt.datetime(2026, 12, 11, 10, 0, tzinfo=self.tz)
    )
    ext = ops.extend(
        item,
        users["controller"],
        basis="letter",
        new_due=item.registration_date + dt.timedelta(days=30),
        reason="сложный вопрос, запрос в КСК",
    )
    assert ext.notice_due == dt.date(2026, 12, 15)


# --- control (R-CTRL-1, R-CTRL-2) -------------------------------------------------------------


def test_r_ctrl_1_no_removal_without_an_approved_answer(routed, users):
    item = routed("answer_review")
    with pytest.raises(TransitionNotAvailable):
        ops.close(item, users["controller"])
    ops.approve_answer(item, users["head.energy"])
    with pytest.raises(TransitionForbidden):  # only the controller removes from control
        ops.close(item, users["head.energy"])
    ops.close(item, users["controller"])
    assert item.state == "closed"


def test_r_ctrl_1_an_approved_interim_answer_does_not_remove_from_control(routed, users):
    # The guard itself: the state allows "close", only the answer being non-final refuses it.
    item = routed("in_work")
    ops.submit_answer(
        item,
        users["exec.energy"],
        summary="Аралық жауап: сараптама жүргізілуде",
        filename="interim.pdf",
        stream=io.BytesIO(b"%PDF-1.4 interim"),
        final=False,
    )
    ops.approve_answer(item, users["head.energy"])
    assert item.state == "answered" and ops.current_answer(item).status == "approved"
    with pytest.raises(GuardRefused, match="approved final answer"):
        ops.close(item, users["controller"])
    assert item.state == "answered"
    ops.send_back_for_rework(item, users["controller"], comment="Түпкілікті жауап керек")
    ops.submit_answer(
        item,
        users["exec.energy"],
        summary="Түпкілікті жауап",
        filename="final.pdf",
        stream=io.BytesIO(b"%PDF-1.4 final"),
    )
    ops.approve_answer(item, users["head.energy"])
    ops.close(item, users["controller"])
    assert item.state == "closed"


def test_r_ctrl_2_rework_and_head_return(routed, users):
    item = routed("answered")
    with pytest.raises(Exception, match="comment"):
        ops.send_back_for_rework(item, users["controller"], comment="")
    ops.send_back_for_rework(
        item, users["controller"], comment="Не указано право на обжалование (ст. 89 АППК)"
    )
    assert item.state == "in_work" and ops.current_answer(item).status == "rework"
    ops.submit_answer(
        item,
        users["exec.energy"],
        summary="Дополнено",
        filename="a2.pdf",
        stream=io.BytesIO(b"%PDF-1.4 2"),
    )
    ops.return_answer(item, users["head.energy"], comment="Переделать")
    assert item.state == "in_work"


def test_only_the_executor_or_head_submits_the_answer(routed, users):
    item = routed("in_work")
    with pytest.raises(AccessDenied):
        ops.submit_answer(
            item, users["exec2.energy"], summary="x", filename="a.pdf", stream=io.BytesIO(b"x")
        )


# --- forwarding (R-ROUTE-2) and termination (R-ROUTE-5) ----------------------------------------


def test_r_route_2_forwarding_whole_and_part(make_item, users, app):
    item = make_item(arrived_at=dt.datetime(2026, 11, 16, 10, tzinfo=dt.UTC))
    part = ops.forward(
        item, users["controller"], body="Прокуратура г. Алматы", partial=True, reason="в части"
    )
    assert item.state == "registered" and part.deadline == dt.date(2026, 11, 18)
    whole = ops.forward(item, users["controller"], body="Министерство энергетики", partial=False)
    assert item.state == "forwarded" and not whole.partial


def test_r_route_5_termination_only_for_a_repeat_with_a_decision(routed, make_item, users):
    earlier = routed("answered")
    new = make_item()
    link_items(new, earlier, "repeat", users["clerk"])
    with pytest.raises(GuardRefused):  # the earlier case is not closed yet
        ops.terminate(new, users["controller"], comment="повторное")
    ops.close(earlier, users["controller"])
    ops.terminate(new, users["controller"], comment="Повторное без новых доводов (ст. 70 АППК)")
    assert new.state == "terminated"


def test_inspector_never_routes(routed, users):
    item = routed("distributed")
    with pytest.raises((AccessDenied, TransitionForbidden)):
        ops.assign_executors(item, users["inspector"], [users["exec.energy"].id])


def test_r_ctrl_1_answer_states_change_through_the_workflow_engine(routed, users):
    """Submitted → approved, and back for rework (R-CTRL-2): each a recorded transition."""
    item = routed("answered")
    answer = ops.current_answer(item)
    assert answer.status == "approved"
    ops.send_back_for_rework(item, users["controller"], "Ответ не мотивирован.")
    rows = [(r.transition, r.from_state, r.to_state) for r in history(answer)]
    assert rows == [
        ("create", None, "submitted"),
        ("approve", "submitted", "approved"),
        ("rework", "approved", "rework"),
    ]
    assert answer.status == "rework" and answer.review_comment == "Ответ не мотивирован."
