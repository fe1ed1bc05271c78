"""Minutes in → protocol assignments on control (R-PROT-1, R-PROT-2, R-CTRL-1, R-REG-7, R-ROUTE-4)."""

from __future__ import annotations

import datetime as dt
import io
from pathlib import Path

import pytest

from docflow.core.workflow import TransitionNotAvailable
from docflow.extensions import db
from docflow.org.models import user_by_username
from docflow.protocols import minutes_ops
from docflow.protocols import operations as ops
from docflow.registry.models import IncomingItem
from docflow.registry.operations import ApplicantData, link_items
from docflow.routing import operations as routing_ops
from docflow.routing.operations import RuleViolation

DATA = Path(__file__).resolve().parent / "data"
RU = DATA / "minutes-ru-table.docx"


@pytest.fixture
def uploaded(app, controller):
    def upload(path: Path = RU):
        parsed = minutes_ops.parse_upload(path)
        minutes = minutes_ops.store_minutes(
            controller, filename=path.name, stream=io.BytesIO(path.read_bytes()), parsed=parsed
        )
        db.session.commit()
        return minutes

    return upload


def test_r_prot_1_and_2_confirmed_minutes_put_assignments_on_control(uploaded, controller):
    minutes = uploaded()
    assert (minutes.number, minutes.date) == ("41", dt.date(2026, 10, 15))
    created = minutes_ops.confirm_minutes(
        minutes,
        controller,
        minutes_ops.assignments_input_from(minutes.parsed),
        overdue_confirmed=True,
    )
    db.session.commit()
    assert [(a.number, a.executors, a.due.isoformat()) for a in created] == [
        ("1", ["ENERGY"], "2026-10-30"),
        ("2", ["HOUSING", "ALMALY"], "2026-11-13"),
        ("3", ["LAND"], "2026-11-05"),
    ]
    items = [db.session.get(IncomingItem, a.item_id) for a in created]
    assert all(i.from_reception and i.channel == "reception" for i in items)  # R-REG-2 mark
    assert [i.due_date for i in items] == [a.due for a in created]
    assert [i.state for i in items] == ["distributed"] * 3
    assert (
        items[0].applicants[0].iin == "850315301235"
        and items[2].applicants[0].bin == "940140000385"
    )
    assert [(d.subdivision.code, d.responsible) for d in routing_ops.distributions(items[1])] == [
        ("HOUSING", True),
        ("ALMALY", False),
    ]
    # R-REG-7: the scans of reception appeals within 3 working days of the minutes.
    assert created[0].scan_due == dt.date(2026, 10, 20)
    assert {a.id for a in minutes_ops.late_scans(dt.date(2026, 11, 1))} == {a.id for a in created}
    # R-CTRL-1 / R-PROT-2: only the final answer removes them from control.
    with pytest.raises(TransitionNotAvailable):
        routing_ops.close(items[0], controller)
    assert minutes.status == "confirmed"
    with pytest.raises(ops.ReceptionError):
        minutes_ops.confirm_minutes(minutes, controller, [], overdue_confirmed=True)


def test_controller_corrections_are_used(uploaded, controller):
    minutes = uploaded()
    inputs = minutes_ops.assignments_input_from(minutes.parsed)
    inputs[0].executors = ["COMFORT"]
    inputs[0].due = dt.date(2026, 11, 2)
    created = minutes_ops.confirm_minutes(minutes, controller, inputs[:1], overdue_confirmed=True)
    assert (created[0].executors, created[0].due) == (["COMFORT"], dt.date(2026, 11, 2))


def test_unmatched_executor_or_missing_term_is_refused_not_guessed(uploaded, controller):
    minutes = uploaded()
    inputs = minutes_ops.assignments_input_from(minutes.parsed)
    inputs[0].executors = []
    with pytest.raises(ops.ReceptionError, match="executor"):
        minutes_ops.confirm_minutes(minutes, controller, inputs, overdue_confirmed=True)
    inputs = minutes_ops.assignments_input_from(minutes.parsed)
    inputs[1].due = None
    with pytest.raises(ops.ReceptionError, match="term"):
        minutes_ops.confirm_minutes(minutes, controller, inputs, overdue_confirmed=True)
    assert minutes.status == "draft"
    assert db.session.query(IncomingItem).count() == 0  # nothing half-created


def test_r_route_4_import_from_minutes_path(uploaded, controller, make_item, app):
    """An employee named in the minutes who handled the applicant's earlier case is refused."""
    users = {n: user_by_username(n) for n in ("head.energy", "exec.energy", "clerk")}
    earlier = make_item(
        applicant=ApplicantData(
            full_name="Серикбаев Нурлан Аскарович", iin="850315301235", address="Алматы"
        ),
        summary="Горячей воды нет",
    )
    routing_ops.distribute(earlier, controller, ["ENERGY"])
    routing_ops.assign_executors(earlier, users["head.energy"], [users["exec.energy"].id])
    # The appeal handed in at the reception, linked to that case.
    reception = make_item(
        channel="reception",
        applicant=ApplicantData(
            full_name="Серикбаев Нурлан Аскарович", iin="850315301235", address="Алматы"
        ),
        summary="Отсутствие горячего водоснабжения",
    )
    link_items(reception, earlier, "reception_same_question", users["clerk"])
    db.session.commit()
    minutes = uploaded()
    inputs = minutes_ops.assignments_input_from(minutes.parsed)[:1]
    inputs[0].executor_users = ["exec.energy"]
    with pytest.raises(RuleViolation, match=earlier.reg_number):
        minutes_ops.confirm_minutes(minutes, controller, inputs, overdue_confirmed=True)
    db.session.rollback()
    inputs[0].executor_users = ["exec2.energy"]
    minutes = db.session.get(type(minutes), minutes.id)
    created = minutes_ops.confirm_minutes(minutes, controller, inputs, overdue_confirmed=True)
    assert created[0].item_id == reception.id  # matched the reception appeal by IIN
    assert [a.user.username for a in routing_ops.active_executors(reception)] == ["exec2.energy"]


def test_generated_minutes_read_back_into_the_same_assignments(
    make_request, make_session, akim_official, controller, app, tmp_path
):
    """Minutes out → minutes in (R-PROT-1): the decisions recorded at the reception come back."""
    from docflow.protocols.minutes_out import render_minutes

    session = make_session()
    item = make_request()
    s = ops.create_signup(item, akim_official, controller)
    ops.propose_date(s, session, controller, "ok")
    ops.distribute_list(session, controller)
    ops.record_visit(
        s,
        controller,
        came=True,
        identity_document="Жеке куәлік № 012345678",
        outcome="Ыстық суды қалпына келтіру",
        executors=["ENERGY", "AUEZOV"],
        due=dt.date(2026, 12, 15),
    )
    for lang in ("kk", "ru"):
        path = tmp_path / f"m-{lang}.docx"
        path.write_bytes(render_minutes(ops.minutes_data_for_session(session, lang), lang))
        parsed = minutes_ops.parse_upload(path)["result"]
        assert [(a["executors"], a["due"]) for a in parsed["assignments"]] == [
            (["ENERGY", "AUEZOV"], "2026-12-15")
        ]
        assert parsed["assignments"][0]["iin"] == "850315301235"


def test_r_prot_3_preview_shows_what_was_not_understood_in_the_users_language(
    app, login, client, tmp_path
):
    """An executor the parser cannot match and a term it cannot read are shown as problems, in
    kk/ru/en by their code, and never filled in silently."""
    from tests.protocols.minutes_builders import docx_bytes

    data = docx_bytes(
        [
            "ПРОТОКОЛ № 50",
            "г. Алматы                                                            16 ноября 2026 года",
            [
                [
                    "№ п/п",
                    "Ф.И.О. заявителя, адрес",
                    "Суть обращения",
                    "Поручение",
                    "Исполнитель",
                    "Срок исполнения",
                ],
                [
                    "1",
                    "Ким Ольга Викторовна, ИИН 780911420014",
                    "Крыша",
                    "Рассмотреть вопрос",
                    "Управление космических исследований",
                    "по мере возможности",
                ],
            ],
        ]
    )
    login("controller")
    r = client.post(
        "/reception/minutes/upload",
        data={"file": (io.BytesIO(data), "m.docx")},
        content_type="multipart/form-data",
    )
    assert r.status_code == 303
    page = client.get(r.headers["Location"], headers={"Accept-Language": "ru"}).get_data(
        as_text=True
    )
    assert "не распознан: выберите его" in page  # executor_unmatched, in Russian
    assert "Срок не удалось прочитать" in page or "Срок не указан" in page
    assert 'name="due-1" value=""' in page  # no term guessed


def test_r_prot_1_term_of_the_minutes_is_set_at_routing_with_its_record(uploaded, controller):
    """The minutes' term replaces the registration's term in the distribution itself: the
    item's history row says which term it set and which it replaced; the minutes' confirmation
    is a transition of their own workflow."""
    from docflow.core.workflow import history

    minutes = uploaded()
    created = minutes_ops.confirm_minutes(
        minutes,
        controller,
        minutes_ops.assignments_input_from(minutes.parsed),
        overdue_confirmed=True,
    )
    db.session.commit()
    for a in created:
        item = db.session.get(IncomingItem, a.item_id)
        (row,) = [r for r in history(item) if r.transition == "distribute"]
        assert row.params["due"] == a.due.isoformat() == item.due_date.isoformat()
        assert row.params["term_before"] is not None  # the registration's term, replaced
    assert [(r.transition, r.to_state) for r in history(minutes)] == [("confirm", "confirmed")]
