"""R-ROUTE-4 over imported cases, and the round trip export → import elsewhere → export."""

from __future__ import annotations

import datetime as dt
import io
import json

import pytest

from docflow.exchange.exporter import export_cases
from docflow.exchange.importer import import_cases
from docflow.extensions import db
from docflow.org.models import user_by_username
from docflow.registry.models import item_by_number
from docflow.registry.operations import ApplicantData
from docflow.routing import operations as ops
from docflow.routing.operations import RuleViolation
from tests.exchange.conftest import APPLICANT, SAMPLE, case

SAME_QUESTION = "Горячую воду так и не дали, в квартире по Абая 5 горячего водоснабжения нет"
NUMBER = "ЖТ-2026-90000001"  # the imported case: exec.energy executed, head.energy signed


@pytest.fixture
def users(app):
    names = ("controller", "head.energy", "exec.energy", "exec2.energy")
    return {n: user_by_username(n) for n in names}


def _applicant() -> ApplicantData:
    return ApplicantData(**{k: v for k, v in APPLICANT.items() if k != "type"})


def test_r_route_4_imported_executor_is_a_prior_handler_of_a_repeat_candidate(
    import_lines, make_item, users
):
    import_lines([case()])
    new = make_item(applicant=_applicant(), summary=SAME_QUESTION)  # no link: found by the data
    ops.distribute(new, users["controller"], ["ENERGY"])
    with pytest.raises(RuleViolation, match=NUMBER):
        ops.assign_executors(new, users["head.energy"], [users["exec.energy"].id])
    with pytest.raises(RuleViolation, match=NUMBER):  # the signer of the imported answer too
        ops.assign_executors(new, users["head.energy"], [users["head.energy"].id])
    ops.assign_executors(new, users["head.energy"], [users["exec2.energy"].id])
    assert new.state == "in_work"


def test_r_route_4_imported_executor_is_a_prior_handler_of_a_linked_case(
    import_lines, make_item, users
):
    import_lines([case()])
    earlier = item_by_number(NUMBER)
    new = make_item(
        summary="Жалоба на ответ по горячей воде",
        link_to=[(earlier.public_id, "complaint_about_answer")],
    )
    ops.distribute(new, users["controller"], ["ENERGY"])
    with pytest.raises(RuleViolation, match=NUMBER):
        ops.assign_executors(new, users["head.energy"], [users["exec.energy"].id])


def test_art_97_2_signer_of_an_imported_complained_answer_may_not_approve(
    import_lines, make_item, users
):
    from docflow.core.workflow import WorkflowError

    import_lines([case()])
    earlier = item_by_number(NUMBER)
    complaint = make_item(
        kind="complaint",
        summary="Жалоба на ответ по горячей воде",
        link_to=[(earlier.public_id, "complaint_about_answer")],
    )
    ops.distribute(complaint, users["controller"], ["ENERGY"])
    ops.assign_executors(complaint, users["head.energy"], [users["exec2.energy"].id])
    ops.submit_answer(
        complaint,
        users["exec2.energy"],
        summary="Ответ",
        filename="a.pdf",
        stream=io.BytesIO(b"%PDF"),
    )
    with pytest.raises(WorkflowError, match=NUMBER):
        ops.approve_answer(complaint, users["head.energy"])


def _native_cases(make_item, users, routed) -> None:
    """docflow's own cases: closed with an answer, its repeat (extended), one new, one forwarded."""
    answered = routed("closed", item=make_item(summary="Жертөледе кәріз құбыры ағып жатыр"))
    repeat = make_item(summary="Кәріз әлі ағып жатыр", link_to=[(answered.public_id, "repeat")])
    ops.distribute(repeat, users["controller"], ["ENERGY"])
    ops.extend(
        repeat,
        users["controller"],
        basis="letter",
        new_due=repeat.due_date + dt.timedelta(days=7),
        reason="Жерге шығу қажет",
    )
    make_item(kind="proposal", channel="by_hand", summary="Саябаққа орындықтар қою")
    forwarded = make_item(summary="Көршінің иті үреді")
    ops.forward(forwarded, users["controller"], body="Полиция департаменті", partial=False)
    db.session.commit()


def test_round_trip_export_import_elsewhere_export_gives_the_same_file(
    import_lines, make_item, users, routed, make_app
):
    import_lines(SAMPLE.read_text(encoding="utf-8").splitlines(keepends=True)[:40])
    _native_cases(make_item, users, routed)
    first = list(export_cases())
    assert len(first) == 44
    statuses = [line for line in first if '"reg_number": "ЖТ-2026-0000000' in line]
    assert len(statuses) == 4
    assert '"prolong_count": 1, "prolong_days": 7' in statuses[1]
    assert '"status": "Переадресовано"' in statuses[3]
    assert '"status": "Исполнено"' in statuses[0] and '"status": "В работе"' in statuses[1]
    assert (
        '"is_duplicate_of": "' + statuses[0].split('"reg_number": "')[1].split('"')[0]
        in statuses[1]
    )
    assert '"channel": "hand"' in statuses[2]

    other = make_app("demo")  # another office of the same organisation
    with other.app_context():
        report = import_cases(iter(first), "office-a")
        db.session.commit()
        assert report.created == 44 and not report.unresolved
        second = list(export_cases())
        db.session.remove()
    assert second == first


def test_r_kind_4_statuses_are_mapped_both_ways(app):
    from docflow.exchange.exporter import STATUS_OF_STATE
    from docflow.exchange.importer import STATE_OF_STATUS
    from docflow.registry.workflow import INCOMING

    states = set(INCOMING.states) - {"imported"}
    assert states <= set(STATUS_OF_STATE), states - set(STATUS_OF_STATE)
    for state, status in STATUS_OF_STATE.items():
        back = STATE_OF_STATUS[status]
        assert STATUS_OF_STATE[back] == status, (state, status, back)
    for status in ("Переадресация в другую организацию", "Переадресовано в части", "Отозвано"):
        assert STATE_OF_STATUS[status] in INCOMING.states


def test_cli_import_and_export(app, tmp_path):
    from tests.exchange.conftest import line

    runner = app.test_cli_runner()
    good = tmp_path / "cases.jsonl"
    good.write_text(line(case()), encoding="utf-8")
    result = runner.invoke(args=["cases", "import", str(good), "--source", "e-otinish"])
    assert result.exit_code == 0, result.output
    assert "imported 1" in result.output
    db.session.remove()
    assert item_by_number(NUMBER).imported

    bad = tmp_path / "bad.jsonl"
    bad.write_text(
        line(case(reg_number="ЖТ-2026-93000001")) + line(case(kind="gossip")), encoding="utf-8"
    )
    result = runner.invoke(args=["cases", "import", str(bad)])
    assert result.exit_code == 1
    assert "line 2, field kind" in result.output and "nothing was imported" in result.output
    db.session.remove()
    assert item_by_number("ЖТ-2026-93000001") is None

    result = runner.invoke(args=["cases", "export", "--from", "2026-03-01", "--to", "2026-03-31"])
    assert result.exit_code == 0
    assert [json.loads(x)["reg_number"] for x in result.output.splitlines()] == [NUMBER]
    result = runner.invoke(args=["cases", "export", "--from", "2026-03-03"])
    assert result.output == ""
