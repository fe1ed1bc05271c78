"""Sign-up for personal reception: R-RECV-5, -7, -11, -12; written appeals at the reception (R-REG-2)."""

from __future__ import annotations

import datetime as dt

import pytest

from docflow.core.calendar import get_calendar
from docflow.core.security import AccessDenied
from docflow.core.workflow import GuardRefused, history
from docflow.extensions import db
from docflow.org.models import user_by_username
from docflow.protocols import operations as ops
from docflow.registry.operations import ApplicantData, RegistrationData
from docflow.routing import operations as routing_ops
from tests.registry.conftest import almaty


def test_r_recv_11_signup_terms(make_request, akim_official, controller):
    item = make_request()
    s = ops.create_signup(item, akim_official, controller)
    assert s.state == "pending"
    # The applicant is told of inclusion within 15 working days of registration (profile default).
    assert s.inclusion_notice_due == get_calendar().add_working_days(item.registration_date, 15)
    with pytest.raises(ops.ReceptionError):
        ops.create_signup(item, akim_official, controller)  # once only


def test_only_reception_requests_and_only_the_controller(
    make_request, make_item, akim_official, controller
):
    with pytest.raises(AccessDenied):
        ops.create_signup(make_request(), akim_official, user_by_username("clerk"))
    with pytest.raises(ops.ReceptionError, match="personal reception"):
        ops.create_signup(make_item(), akim_official, controller)


def test_r_reg_6_request_without_essence_cannot_be_signed_up(
    make_request, akim_official, controller
):
    item = make_request(summary="")
    assert item.state == "left_without_consideration"
    with pytest.raises(ops.ReceptionError):
        ops.create_signup(item, akim_official, controller)


def test_r_recv_11_reference_note_due_5_working_days_before(make_session):
    s = make_session(days_ahead=10)
    due = ops.note_due(s)
    cal = get_calendar()
    assert cal.add_working_days(due, 6) == s.date  # due is day 1, the reception the 6th working day


def test_r_recv_5_list_priority_first_then_order_of_arrival(
    make_request, make_session, akim_official, controller
):
    session = make_session()
    first = make_request(
        name="Бірінші Адам", iin="900101300811", arrived=almaty(2026, 11, 16, 9, 30)
    )
    second = make_request(
        name="Екінші Адам", iin="920704404563", arrived=almaty(2026, 11, 16, 10, 30)
    )
    veteran = make_request(
        name="Ардагер Адам", iin="670212307771", arrived=almaty(2026, 11, 17, 11, 0)
    )
    signups = []
    for item, priority in ((first, None), (second, None), (veteran, "war_veteran")):
        s = ops.create_signup(item, akim_official, controller, priority=priority)
        ops.propose_date(s, session, controller, "Күнді белгілеу ұсынылады")
        signups.append(s)
    listed = ops.distribute_list(session, controller)
    assert [s.item_id for s in listed] == [veteran.id, first.id, second.id]
    assert [s.slot_time for s in listed] == [dt.time(10, 0), dt.time(10, 15), dt.time(10, 30)]
    assert all(s.state == "included" and s.time_notice_due for s in listed)
    assert [s.item_id for s in ops.queue(session)] == [veteran.id, first.id, second.id]


def test_r_recv_11_date_and_time_notice_within_2_more_working_days(
    make_request, make_session, akim_official, controller, monkeypatch
):
    from docflow.core.calendar import WorkingCalendar

    session = make_session()
    s = ops.create_signup(make_request(), akim_official, controller)
    ops.propose_date(s, session, controller, "Күнді белгілеу ұсынылады")
    # The list is made on Friday 27 November 2026 (day 1 of the demo profile's convention):
    # 2 more working days are Mon 30 November and Tue 1 December.
    monkeypatch.setattr(
        WorkingCalendar, "local_now", lambda self: dt.datetime(2026, 11, 27, 10, 0, tzinfo=self.tz)
    )
    ops.distribute_list(session, controller)
    assert s.state == "included"
    assert s.time_notice_due == dt.date(2026, 12, 1)


def test_r_recv_7_grounds_found_in_the_registry(
    make_request, make_item, akim_official, controller, app
):
    # An earlier appeal of the same applicant on the same question, answered and closed.
    earlier = make_item(
        applicant=ApplicantData(
            full_name="Серикбаев Нурлан Аскарович", iin="850315301235", address="Алматы, Абай 10"
        ),
        summary="Ыстық су жоқ, үш апта бойы",
    )
    users = {n: user_by_username(n) for n in ("controller", "head.energy", "exec.energy")}
    routing_ops.distribute(earlier, users["controller"], ["ENERGY"])
    routing_ops.assign_executors(earlier, users["head.energy"], [users["exec.energy"].id])
    import io

    routing_ops.submit_answer(
        earlier,
        users["exec.energy"],
        summary="Жауап берілді",
        filename="a.pdf",
        stream=io.BytesIO(b"%PDF-1.4 x"),
    )
    routing_ops.approve_answer(earlier, users["head.energy"])
    routing_ops.close(earlier, users["controller"])
    s = ops.create_signup(make_request(), akim_official, controller)
    found = ops.refusal_evidence(s)
    assert [(g, i.id) for g, i in found] == [("decision_exists", earlier.id)]


def test_r_recv_7_a_returned_appeal_on_the_same_question_is_a_ground(
    make_request, make_item, akim_official, controller, clerk
):
    from docflow.registry import operations as registry_ops

    def returned(summary):
        # No address: the appeal waits for correction (R-REG-5), and is returned when the term
        # given to the applicant has passed.
        item = make_item(
            applicant=ApplicantData(full_name="Серикбаев Нурлан Аскарович", iin="850315301235"),
            summary=summary,
        )
        assert item.state == "awaiting_correction"
        item.correction_due = get_calendar().local_now().date() - dt.timedelta(days=1)
        return item

    same = returned("Ыстық су жоқ, үш апта бойы")
    other = returned("Балабақшаға кезек туралы")
    assert set(registry_ops.return_overdue(clerk)) == {same, other}
    assert same.state == other.state == "returned"

    s = ops.create_signup(make_request(), akim_official, controller)
    found = ops.refusal_evidence(s)
    # Only the same question counts; the returned appeal on another question is no ground.
    assert [(g, i.id) for g, i in found] == [("returned", same.id)]


def test_r_recv_12_refusal_goes_through_a_hearing(make_request, akim_official, controller):
    s = ops.create_signup(make_request(), akim_official, controller)
    ops.propose_refusal(
        s, controller, ground="decision_exists", note="Ұқсас мәселе бойынша шешім бар"
    )
    cal = get_calendar()
    today = cal.local_now().date()
    assert s.state == "hearing" and s.preliminary_sent_on == today
    assert s.decision_on == cal.add_working_days(
        today, 4
    )  # at least 3 working days after the draft
    assert s.objection_due == cal.add_working_days(today, 3)  # 2 working days for an objection
    with pytest.raises(GuardRefused, match="R-RECV-12"):
        ops.refuse(s, controller)  # too early
    ops.record_objection(
        s, controller, "Өтініш беруші жаңа дәлелдер келтірді (ауызша, тыңдау хаттамасы)"
    )
    assert "жаңа дәлелдер" in s.objection and s.state == "hearing"
    s.decision_on = today  # the day of the decision has come
    ops.refuse(s, controller)
    assert s.state == "refused"
    assert [h.transition for h in history(s)] == [
        "create",
        "propose_refusal",
        "record_objection",
        "refuse",
    ]


def test_r_recv_12_unknown_ground_refused(make_request, akim_official, controller):
    s = ops.create_signup(make_request(), akim_official, controller)
    with pytest.raises(ops.ReceptionError, match="R-RECV-7"):
        ops.propose_refusal(s, controller, ground="dislike", note="x")
    assert s.state == "pending"


def test_r_recv_4_reception_day_visit_and_written_appeal_linked(
    make_request, make_session, akim_official, controller
):
    session = make_session()
    item = make_request()
    s = ops.create_signup(item, akim_official, controller)
    ops.propose_date(s, session, controller, "ok")
    ops.distribute_list(session, controller)
    with pytest.raises(ops.ReceptionError, match="R-RECV-4"):
        ops.record_visit(s, controller, came=True, identity_document="  ")
    assert s.state == "included"  # not received without the identity document
    ops.record_visit(
        s,
        controller,
        came=True,
        identity_document="Жеке куәлік № 012345678",
        oral_questions="Су құбыры",
        outcome="Тапсырма берілді",
        language="kk",
    )
    assert s.state == "received" and s.came and s.language == "kk"
    appeal = ops.register_written_appeal(
        s,
        user_by_username("clerk"),
        RegistrationData(
            kind="statement",
            channel="by_hand",
            applicants=[
                ApplicantData(
                    full_name="Серикбаев Нурлан Аскарович", iin="850315301235", address="Алматы"
                )
            ],
            addressee="Әкім",
            summary="Жазбаша арыз",
        ),
    )
    assert appeal.from_reception and appeal.channel == "reception"  # R-REG-2 mark
    from docflow.registry.operations import linked_cases

    assert [(link.target_id, link.kind) for link in linked_cases(appeal)] == [
        (item.id, "reception_same_question")
    ]
    db.session.flush()


def test_r_recv_9_participants_and_r_reg_2_written_appeal_prefilled(
    make_request, make_session, akim_official, controller, app, login, client
):
    session = make_session()
    ops.set_participants(session, controller, ["Алматы қаласының прокуратурасы — Ахметов А.", "  "])
    assert session.participants == ["Алматы қаласының прокуратурасы — Ахметов А."]
    with pytest.raises(AccessDenied):
        ops.set_participants(session, user_by_username("clerk"), ["x"])
    item = make_request()
    db.session.commit()
    login("clerk")
    page = client.get(
        f"/registry/new?same_applicant_as={item.public_id}&channel=reception"
    ).get_data(as_text=True)
    assert "850315301235" in page  # copied server-side: the URL carries no identifier (R-PD-1)
    assert 'value="reception" selected' in page or 'selected value="reception"' in page
    assert f'value="{item.public_id}"' in page  # the new appeal is linked to the request


def test_a_request_not_open_names_its_state_readably(
    make_request, akim_official, controller, clerk
):
    from docflow.registry import operations as registry_ops

    item = make_request()
    registry_ops.withdraw(item, clerk, comment="Өтініш беруші бас тартты")
    with pytest.raises(ops.ReceptionError, match="Withdrawn by the applicant"):
        ops.create_signup(item, akim_official, controller)
