"""The reception end to end, without dead ends (R-PROT-1, R-PROT-2, R-ROUTE-4, R-RECV-11).

Request → sign-up → date proposed → included in the list → held → the visit's decision routes
the request (its assignment) → the minutes of that reception → confirmed, with terms already
passed asked about first and new appeals linked to the person's request.
"""

from __future__ import annotations

import datetime as dt
import io
import zipfile
from pathlib import Path

import pytest
from sqlalchemy import func, select

from docflow.core.calendar import get_calendar
from docflow.core.workflow import GuardRefused, TransitionForbidden
from docflow.extensions import db
from docflow.org.models import user_by_username
from docflow.protocols import minutes_ops
from docflow.protocols import operations as ops
from docflow.protocols import reception_flow as flow
from docflow.protocols.models import ProtocolAssignment, ReceptionSession
from docflow.protocols.workflow import SESSION
from docflow.registry.models import IncomingItem
from docflow.registry.operations import ApplicantData, link_items, linked_cases
from docflow.routing import operations as routing_ops
from docflow.routing.operations import RuleViolation
from tests.conftest import fake_iin

DATA = Path(__file__).resolve().parent / "data"
IDENTITY = "Жеке куәлік № 012345678"


def _today() -> dt.date:
    return get_calendar().local_now().date()


def _term(days: int = 10) -> dt.date:
    return get_calendar().add_working_days(_today(), days)


@pytest.fixture
def today_session(app, akim_official, controller):
    """A reception held today (it can be marked held)."""
    s = ReceptionSession(
        official_id=akim_official.id,
        date=_today(),
        start=dt.time(10, 0),
        end=dt.time(12, 0),
        slot_minutes=15,
    )
    db.session.add(s)
    SESSION.initialize(s, controller)
    db.session.flush()
    return s


@pytest.fixture
def included(make_request, akim_official, controller, today_session):
    """A request signed up, its date proposed and the applicant in the list of today's session."""

    def make(**kw):
        item = make_request(**kw)
        signup = ops.create_signup(item, akim_official, controller)
        ops.propose_date(signup, today_session, controller, "Мәселе әкімнің құзыретінде")
        ops.distribute_list(today_session, controller)
        assert signup.state == "included"
        return item, signup

    return make


def test_r_prot_1_the_visits_decision_routes_the_request_and_settles_it(included, controller):
    item, signup = included()
    assert item.state == "registered"  # "awaiting distribution" until the reception decides
    due = _term(10)
    ops.record_visit(
        signup,
        controller,
        came=True,
        identity_document=IDENTITY,
        outcome="Ыстық суды қалпына келтіру",
        executors=["ENERGY"],
        due=due,
        executor_users=["exec.energy"],
    )
    db.session.commit()
    assert signup.state == "received"
    assert item.state == "in_work" and item.subdivision.code == "ENERGY"
    assert item.due_date == due  # the term of the decision (R-PROT-1)
    assert [a.user.username for a in routing_ops.active_executors(item)] == ["exec.energy"]


def test_r_route_4_the_visits_decision_refuses_a_previous_handler(
    included, controller, make_item, clerk
):
    """The employee named in the decision handled the applicant's earlier case: refused, and
    nothing changes (the request stays awaiting the decision)."""
    head, executor = user_by_username("head.energy"), user_by_username("exec.energy")
    earlier = make_item(
        applicant=ApplicantData(
            full_name="Серикбаев Нурлан Аскарович", iin="850315301235", address="Алматы"
        ),
        summary="Ыстық су жоқ",
    )
    routing_ops.distribute(earlier, controller, ["ENERGY"])
    routing_ops.assign_executors(earlier, head, [executor.id])
    item, signup = included()
    link_items(item, earlier, "reception_same_question", clerk)
    db.session.commit()
    with pytest.raises(RuleViolation, match=earlier.reg_number):
        ops.record_visit(
            signup,
            controller,
            came=True,
            identity_document=IDENTITY,
            outcome="Тапсырма",
            executors=["ENERGY"],
            due=_term(10),
            executor_users=["exec.energy"],
        )
    db.session.rollback()
    assert (signup.state, item.state) == ("included", "registered")
    ops.record_visit(
        signup,
        controller,
        came=True,
        identity_document=IDENTITY,
        outcome="Тапсырма",
        executors=["ENERGY"],
        due=_term(10),
        executor_users=["exec2.energy"],
    )
    assert [a.user.username for a in routing_ops.active_executors(item)] == ["exec2.energy"]


def test_r_prot_3_explained_on_the_spot_or_not_come_the_request_is_settled(included, controller):
    explained_item, explained = included()
    absent_item, absent = included(name="Ким Ольга Викторовна", iin="780911420014")
    ops.record_visit(explained, controller, came=True, identity_document=IDENTITY, explained=True)
    ops.record_visit(absent, controller, came=False)
    assert explained_item.state == absent_item.state == "reception_settled"
    assert (explained.state, absent.state) == ("received", "no_show")


def test_a_reception_is_marked_held_only_on_or_after_its_date(
    make_session, today_session, controller, clerk
):
    later = make_session(days_ahead=5)
    with pytest.raises(GuardRefused, match="at the earliest"):
        flow.hold_session(later, controller)
    assert later.state == "planned" and not flow.can_hold(later, controller)
    with pytest.raises(TransitionForbidden):
        flow.hold_session(today_session, clerk)  # the office's act, not the registrar's
    flow.hold_session(today_session, controller)
    assert today_session.state == "held"


def _docx_text(data: bytes) -> str:
    with zipfile.ZipFile(io.BytesIO(data)) as z:
        return z.read("word/document.xml").decode()


def test_r_prot_1_the_minutes_template_lists_the_people_received(included, today_session):
    from docflow.protocols.minutes_out import render_minutes

    included(summary="Ыстық су жоқ, үш апта")
    included(name="Ким Ольга Викторовна", iin="780911420014", summary="Шатыр ағып тұр")
    for lang in ("kk", "ru"):
        text = _docx_text(render_minutes(ops.minutes_data_for_session(today_session, lang), lang))
        for expected in ("Серикбаев Нурлан Аскарович", "Ыстық су жоқ", "Ким Ольга", "Шатыр"):
            assert expected in text, (lang, expected)


def test_r_prot_2_minutes_of_the_session_carry_the_visits_assignment_on_its_request(
    included, controller, today_session
):
    item, signup = included()
    _explained_item, explained = included(name="Ким Ольга Викторовна", iin="780911420014")
    due = _term(12)
    flow.hold_session(today_session, controller)
    ops.record_visit(
        signup,
        controller,
        came=True,
        identity_document=IDENTITY,
        outcome="Ыстық суды қалпына келтіру",
        executors=["ENERGY"],
        due=due,
    )
    ops.record_visit(explained, controller, came=True, identity_document=IDENTITY, explained=True)
    db.session.commit()
    minutes = flow.minutes_from_session(today_session, controller, "ru")
    assert minutes.session_id == today_session.id
    assert flow.session_minutes(today_session) == [minutes]
    inputs = minutes_ops.assignments_input_from(minutes.parsed)
    assert [(a.executors, a.due) for a in inputs] == [(["ENERGY"], due)]
    before = db.session.scalar(select(func.count(IncomingItem.id)))
    created = minutes_ops.confirm_minutes(minutes, controller, inputs)
    assert [pa.item_id for pa in created] == [item.id]  # on the request the visit routed
    assert db.session.scalar(select(func.count(IncomingItem.id))) == before  # nothing new
    assert len(routing_ops.distributions(item)) == 1  # not distributed a second time


def test_minutes_of_a_session_need_a_visit_recorded(included, today_session, controller):
    included()
    with pytest.raises(flow.FlowError, match="Record the visits first"):
        flow.minutes_from_session(today_session, controller, "kk")


@pytest.fixture
def uploaded(app, controller):
    path = DATA / "minutes-ru-table.docx"  # dated 15.10.2026, terms in October-November 2026
    parsed = minutes_ops.parse_upload(path)
    minutes = minutes_ops.store_minutes(
        controller, filename=path.name, stream=io.BytesIO(path.read_bytes()), parsed=parsed
    )
    db.session.commit()
    return minutes


def test_r_prot_1_terms_already_passed_are_asked_about_before_confirmation(
    uploaded, controller, app, login, client
):
    inputs = minutes_ops.assignments_input_from(uploaded.parsed)
    late = flow.overdue_numbers(inputs)
    assert late == [a.number for a in inputs if a.due < _today()] and late
    with pytest.raises(flow.FlowError, match="already passed"):
        minutes_ops.confirm_minutes(uploaded, controller, inputs)
    db.session.rollback()
    assert db.session.scalar(select(func.count(ProtocolAssignment.id))) == 0
    login("controller")
    page = client.get(f"/reception/minutes/{uploaded.id}").get_data(as_text=True)
    assert "overdue-term" in page and 'name="overdue_confirmed"' in page
    form = {"csrf_token": "x"}
    for a in inputs:
        form[f"executors-{a.number}"] = a.executors
        form[f"due-{a.number}"] = a.due.isoformat()
    r = client.post(f"/reception/minutes/{uploaded.id}", data=form)
    assert r.status_code == 303
    assert db.session.scalar(select(func.count(ProtocolAssignment.id))) == 0  # asked, not done
    # A new term for the first, the others confirmed as they are.
    form["due-1"] = _term(5).isoformat()
    form["overdue_confirmed"] = "1"
    client.post(f"/reception/minutes/{uploaded.id}", data=form)
    rows = db.session.scalars(select(ProtocolAssignment).order_by(ProtocolAssignment.id)).all()
    assert len(rows) == len(inputs) and rows[0].due >= _term(5)


def test_r_route_4_an_appeal_from_the_minutes_is_linked_to_the_persons_request(
    make_request, akim_official, controller, uploaded
):
    """Minutes uploaded without naming their reception: the appeal registered for a visitor is
    linked to that person's request signed up for the reception of the minutes' date, even
    when the request words the question quite differently."""
    reception = ReceptionSession(
        official_id=akim_official.id,
        date=uploaded.date,
        start=dt.time(10, 0),
        end=dt.time(12, 0),
    )
    db.session.add(reception)
    SESSION.initialize(reception, controller)
    # Серикбаев, IIN 850315301235: item 1 of the minutes; another person's request stays apart.
    request = make_request(summary="Жеке қабылдауға жазылу туралы өтініш")
    other = make_request(name="Омарова Әсел", iin=fake_iin(7), summary="Шатыр")
    for r in (request, other):
        signup = ops.create_signup(r, akim_official, controller)
        ops.propose_date(signup, reception, controller, "ok")
    db.session.commit()
    created = minutes_ops.confirm_minutes(
        uploaded,
        controller,
        minutes_ops.assignments_input_from(uploaded.parsed),
        overdue_confirmed=True,
    )
    appeal = db.session.get(IncomingItem, created[0].item_id)
    assert appeal.id != request.id
    assert (request.id, "reception_same_question") in [
        (link.target_id, link.kind) for link in linked_cases(appeal)
    ]
    appeals = [db.session.get(IncomingItem, pa.item_id) for pa in created]
    linked_anywhere = {x.target_id for a in appeals for x in linked_cases(a)}
    assert other.id not in linked_anywhere


def test_r_recv_11_each_step_offers_the_next(
    included, today_session, controller, app, login, client
):
    item, signup = included()
    db.session.commit()
    login("controller")
    item_page = client.get(f"/registry/{item.public_id}").get_data(as_text=True)
    assert f"/reception/requests/{item.public_id}" in item_page
    r = client.get(f"/reception/requests/{item.public_id}")
    assert r.headers["Location"].endswith(f"/reception/signups/{signup.id}")
    page = client.get(f"/reception/signups/{signup.id}").get_data(as_text=True)
    assert f"/reception/sessions/{today_session.id}" in page and "next-steps" in page
    page = client.get(f"/reception/sessions/{today_session.id}").get_data(as_text=True)
    assert 'id="hold-session"' in page and 'name="employees"' in page
    client.post(f"/reception/sessions/{today_session.id}/hold", data={"csrf_token": "x"})
    assert db.session.get(ReceptionSession, today_session.id).state == "held"
    client.post(
        f"/reception/sessions/{today_session.id}/visit/{signup.id}",
        data={
            "came": "1",
            "identity_document": IDENTITY,
            "outcome": "Тапсырма",
            "executors": "ENERGY",
            "due": _term(10).isoformat(),
        },
    )
    page = client.get(f"/reception/sessions/{today_session.id}").get_data(as_text=True)
    assert 'id="make-minutes"' in page and "visit-result" in page and item.reg_number in page
    r = client.post(
        f"/reception/sessions/{today_session.id}/minutes", data={"lang": "ru", "csrf_token": "x"}
    )
    assert "/reception/minutes/" in r.headers["Location"]
