"""R-ROUTE-4 without holes: repeat candidates found by the data, on every door.

"No link, same applicant, same question" is tested per assignment door; then the decisions
(link / dismiss, audited), a link after assignment, the executor's other doors (answer,
delegation), art. 97(2) for the signer of a complained answer, and the way out of a dead end.
"""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from sqlalchemy import select

from docflow.api import issue_token
from docflow.core.audit import AuditEntry
from docflow.core.settings import set_setting
from docflow.core.workflow import WorkflowError
from docflow.extensions import db
from docflow.org.models import RoleGrant, Subdivision, user_by_username
from docflow.registry import operations as registry_ops
from docflow.registry import repeats
from docflow.registry.models import RepeatCandidate
from docflow.registry.operations import ApplicantData
from docflow.routing import operations as ops
from docflow.routing.models import Notification
from docflow.routing.operations import RuleViolation

APPLICANT = {
    "full_name": "Сейткали Марат Ержанович",
    "iin": "900101300811",
    "address": "Алматы, Абая 5",
}
EARLIER = "В доме по ул. Абая 5 нет горячей воды уже месяц"
SAME_QUESTION = "Горячую воду так и не дали, в квартире по Абая 5 горячего водоснабжения нет"
OTHER_QUESTION = "Прошу определить ребенка в детский сад, очередь не движется"
NAMES = (
    "clerk",
    "controller",
    "head.energy",
    "exec.energy",
    "exec2.energy",
    "head.edu",
    "exec.edu",
)


def applicant() -> ApplicantData:
    return ApplicantData(**APPLICANT)


@pytest.fixture
def answered_case(make_item, routed):
    """An earlier case of APPLICANT answered by exec.energy and signed by head.energy."""
    earlier = routed("closed", item=make_item(applicant=applicant(), summary=EARLIER))
    db.session.commit()
    return earlier


@pytest.fixture
def repeat(answered_case, make_item, users):
    """The same applicant on the same question in other words, registered WITHOUT a link."""
    new = make_item(applicant=applicant(), summary=SAME_QUESTION)
    ops.distribute(new, users["controller"], ["ENERGY"])
    db.session.commit()
    return answered_case, new


@pytest.fixture
def api(app):
    tokens = {n: issue_token(user_by_username(n)) for n in NAMES}
    db.session.commit()
    client = app.test_client()

    def call(name: str, method: str, url: str, **kw):
        headers = {"Authorization": f"Bearer {tokens[name]}", "Accept-Language": "en"}
        return client.open(url, method=method, headers=headers, **kw)

    return call


# --- the candidate is found by the data ----------------------------------------------------


def test_r_route_4_same_applicant_same_question_is_a_candidate_without_any_link(repeat):
    earlier, new = repeat
    assert registry_ops.linked_cases(new) == []
    [row] = repeats.candidates_of(new)
    assert row.candidate_id == earlier.id and row.decision is None
    assert row.reason.startswith("iin:") and row.similarity >= repeats.SIMILAR
    entry = db.session.scalar(
        select(AuditEntry).where(AuditEntry.action == "repeat_candidates_found")
    )
    assert entry is not None and earlier.reg_number in str(entry.summary)


def test_r_route_4_another_question_of_the_applicant_does_not_block(
    answered_case, make_item, users
):
    other = make_item(applicant=applicant(), summary=OTHER_QUESTION)
    ops.distribute(other, users["controller"], ["ENERGY"])
    assert repeats.candidates_of(other) == []
    ops.assign_executors(other, users["head.energy"], [users["exec.energy"].id])


def test_r_route_4_imported_cases_are_earlier_cases_but_get_no_candidates(make_item, users):
    old = make_item(applicant=applicant(), summary=EARLIER, imported=True)
    older = make_item(applicant=applicant(), summary=EARLIER, imported=True)
    assert repeats.candidates_of(old) == [] and repeats.candidates_of(older) == []
    new = make_item(applicant=applicant(), summary=SAME_QUESTION)
    assert {c.candidate_id for c in repeats.candidates_of(new)} == {old.id, older.id}


# --- every door refuses the earlier case's handlers ----------------------------------------


def test_r_route_4_door_first_assignment(repeat, users):
    earlier, new = repeat
    with pytest.raises(RuleViolation) as exc:
        ops.assign_executors(new, users["head.energy"], [users["exec.energy"].id])
    assert earlier.reg_number in exc.value.message and "not yet decided" in exc.value.message
    with pytest.raises(RuleViolation):  # the signer too
        ops.assign_executors(new, users["head.energy"], [users["head.energy"].id])
    assert ops.active_executors(new) == []


def test_r_route_4_doors_reassign_delegate_add(repeat, users):
    _earlier, new = repeat
    ops.assign_executors(new, users["head.energy"], [users["exec2.energy"].id])
    for kind, actor in (
        ("reassign", "head.energy"),
        ("delegate", "exec2.energy"),
        ("add", "head.energy"),
    ):
        with pytest.raises(RuleViolation):
            ops.assign_executors(
                new, users[actor], [users["exec.energy"].id], kind=kind, reason="отпуск"
            )
    assert [a.user_id for a in ops.active_executors(new)] == [users["exec2.energy"].id]


def test_r_route_4_door_bulk(repeat, users):
    _earlier, new = repeat
    [result] = ops.bulk_assign([new], users["head.energy"], [users["exec.energy"].id])
    assert not result.ok and "R-ROUTE-4" in result.message


def test_r_route_4_door_automatic(answered_case, make_item, users):
    set_setting("auto_assign", {"ENERGY": "exec.energy"})
    new = make_item(applicant=applicant(), summary=SAME_QUESTION)
    ops.distribute(new, users["controller"], ["ENERGY"])
    assert new.state == "distributed" and ops.active_executors(new) == []


def test_r_route_4_door_web(repeat, web):
    _earlier, new = repeat
    head = web("head.energy")
    page = head.get(f"/registry/{new.public_id}").get_data(as_text=True)
    assert "Possible repeat appeals" in page and "not yet decided" in page
    exec_id = user_by_username("exec.energy").id
    r = head.post(
        f"/routing/{new.public_id}/assign", data={"executors": [exec_id], "kind": "assign"}
    )
    assert r.status_code in (302, 303)
    db.session.expire_all()
    assert ops.active_executors(new) == []


def test_r_route_4_door_api_and_api_bulk(repeat, api):
    earlier, new = repeat
    body = api("head.energy", "GET", f"/api/v1/items/{new.public_id}").get_json()
    assert body["repeat_candidates"] == [
        {
            "item": earlier.public_id,
            "reg_number": earlier.reg_number,
            "similarity": body["repeat_candidates"][0]["similarity"],
            "reason": body["repeat_candidates"][0]["reason"],
            "reason_text": body["repeat_candidates"][0]["reason_text"],
            "decision": None,
            "link_kind": None,
            "dismiss_reason": None,
        }
    ]
    r = api(
        "head.energy",
        "POST",
        f"/api/v1/items/{new.public_id}/routing/assign",
        json={"executors": ["exec.energy"]},
    )
    assert r.status_code == 422 and earlier.reg_number in r.get_json()["message"]
    r = api(
        "head.energy",
        "POST",
        "/api/v1/routing/bulk-assign",
        json={"items": [new.public_id], "executors": ["exec.energy"]},
    )
    assert r.status_code in (200, 207, 422)
    db.session.expire_all()
    assert ops.active_executors(new) == []


def test_r_route_4_door_minutes_without_link(app, make_item, users):
    from docflow.protocols import minutes_ops

    minutes_file = (
        Path(__file__).resolve().parents[1] / "protocols" / "data" / "minutes-ru-table.docx"
    )
    same = ApplicantData(
        full_name="Серикбаев Нурлан Аскарович", iin="850315301235", address="Алматы"
    )
    parsed = minutes_ops.parse_upload(minutes_file)
    first = minutes_ops.assignments_input_from(parsed)[0]
    earlier = make_item(applicant=same, summary=first.question or "Горячей воды нет")
    ops.distribute(earlier, users["controller"], ["ENERGY"])
    ops.assign_executors(earlier, users["head.energy"], [users["exec.energy"].id])
    minutes = minutes_ops.store_minutes(
        users["controller"],
        filename=minutes_file.name,
        stream=io.BytesIO(minutes_file.read_bytes()),
        parsed=parsed,
    )
    db.session.commit()
    inputs = minutes_ops.assignments_input_from(minutes.parsed)[:1]
    inputs[0].executor_users = ["exec.energy"]
    with pytest.raises(RuleViolation, match=earlier.reg_number):
        minutes_ops.confirm_minutes(minutes, users["controller"], inputs, overdue_confirmed=True)


# --- decisions --------------------------------------------------------------------------------


def test_r_route_4_dismissed_candidate_frees_and_is_audited(repeat, api, users):
    earlier, new = repeat
    url = f"/api/v1/items/{new.public_id}/repeat-candidates/{earlier.public_id}"
    r = api("controller", "POST", url, json={"decision": "dismiss"})
    assert r.status_code == 422  # a reason is needed
    r = api("exec.edu", "POST", url, json={"decision": "dismiss", "reason": "x"})
    assert r.status_code == 403
    r = api("controller", "POST", url, json={"decision": "dismiss", "reason": "Другой дом"})
    assert r.status_code == 200, r.get_data(as_text=True)
    assert r.get_json()["repeat_candidates"][0]["decision"] == "dismissed"
    db.session.expire_all()
    assert db.session.scalar(
        select(AuditEntry).where(AuditEntry.action == "repeat_candidate_dismissed")
    )
    ops.assign_executors(new, users["head.energy"], [users["exec.energy"].id])


def test_r_route_4_linked_candidate_keeps_blocking_and_is_audited(repeat, api, users):
    earlier, new = repeat
    url = f"/api/v1/items/{new.public_id}/repeat-candidates/{earlier.public_id}"
    r = api("head.energy", "POST", url, json={"decision": "link", "kind": "repeat"})
    assert r.status_code == 200, r.get_data(as_text=True)
    body = r.get_json()
    assert body["repeat_candidates"][0]["decision"] == "linked"
    assert [(x["item"], x["kind"]) for x in body["links"]] == [(earlier.public_id, "repeat")]
    assert (
        api("head.energy", "POST", url, json={"decision": "dismiss", "reason": "x"}).status_code
        == 409
    )
    db.session.expire_all()
    assert db.session.scalar(select(AuditEntry).where(AuditEntry.action == "link"))
    with pytest.raises(RuleViolation) as exc:
        ops.assign_executors(new, users["head.energy"], [users["exec.energy"].id])
    assert "not yet decided" not in exc.value.message


def test_r_route_4_direct_link_api(answered_case, make_item, api, users):
    new = make_item(summary="Другое обращение")
    r = api(
        "clerk",
        "POST",
        f"/api/v1/items/{new.public_id}/links",
        json={"item": answered_case.public_id, "kind": "complaint"},
    )
    assert r.status_code == 200, r.get_data(as_text=True)
    assert r.get_json()["links"][0]["kind"] == "complaint_about_answer"
    r = api("clerk", "POST", f"/api/v1/items/{new.public_id}/links", json={"item": "nope"})
    assert r.status_code == 404


# --- a link after the assignment --------------------------------------------------------------


def test_r_route_4_link_after_assignment_ends_it_and_tells_the_head(
    answered_case, make_item, users
):
    new = make_item(summary="Ещё одно обращение без совпадения заявителя")
    ops.distribute(new, users["controller"], ["ENERGY"])
    ops.assign_executors(new, users["head.energy"], [users["exec.energy"].id])
    assert new.state == "in_work"
    registry_ops.link_items(new, answered_case, "repeat", users["clerk"])
    assert ops.active_executors(new) == [] and new.state == "distributed"
    note = db.session.scalar(
        select(Notification).where(
            Notification.user_id == users["head.energy"].id, Notification.kind == "reassign"
        )
    )
    assert note is not None and answered_case.reg_number in note.message
    assert db.session.scalar(
        select(AuditEntry).where(AuditEntry.action == "assignment_ended_r_route_4")
    )
    ops.assign_executors(new, users["head.energy"], [users["exec2.energy"].id])


def test_r_route_4_link_after_assignment_on_the_api(answered_case, make_item, api, users):
    new = make_item(summary="Ещё одно обращение")
    ops.distribute(new, users["controller"], ["ENERGY"])
    ops.assign_executors(new, users["head.energy"], [users["exec.energy"].id])
    db.session.commit()
    r = api(
        "controller",
        "POST",
        f"/api/v1/items/{new.public_id}/links",
        json={"item": answered_case.public_id, "kind": "repeat"},
    )
    assert r.status_code == 200
    assert r.get_json()["state"] == "distributed"


# --- no side door -----------------------------------------------------------------------------


def test_r_route_4_prior_handler_head_cannot_write_the_answer_but_signs_it(repeat, users):
    _earlier, new = repeat
    with pytest.raises(WorkflowError, match="R-ROUTE-4"):  # acting for the subdivision
        ops.submit_answer(
            new,
            users["head.energy"],
            summary="Ответ",
            filename="a.pdf",
            stream=io.BytesIO(b"%PDF-1.4 a"),
        )
    ops.assign_executors(new, users["head.energy"], [users["exec2.energy"].id])
    ops.submit_answer(
        new, users["exec2.energy"], summary="Ответ", filename="a.pdf", stream=io.BytesIO(b"%PDF a")
    )
    ops.approve_answer(new, users["head.energy"])  # R-ANS-2: signing is the head's duty
    assert new.state == "answered"


def test_art_97_2_signer_of_the_complained_answer_may_not_approve(answered_case, make_item, users):
    complaint = make_item(kind="complaint", summary="Жалоба на ответ по горячей воде")
    registry_ops.link_items(complaint, answered_case, "complaint_about_answer", users["clerk"])
    ops.distribute(complaint, users["controller"], ["ENERGY"])
    ops.assign_executors(complaint, users["head.energy"], [users["exec2.energy"].id])
    ops.submit_answer(
        complaint,
        users["exec2.energy"],
        summary="Ответ",
        filename="a.pdf",
        stream=io.BytesIO(b"%PDF"),
    )
    with pytest.raises(WorkflowError, match="97"):
        ops.approve_answer(complaint, users["head.energy"])
    # The head's recorded substitute approves: another holder of the head role.
    energy = db.session.scalar(select(Subdivision).where(Subdivision.code == "ENERGY"))
    users["head.edu"].grants.append(RoleGrant(role="head", subdivision_id=energy.id))
    db.session.flush()
    ops.approve_answer(complaint, users["head.edu"])
    assert complaint.state == "answered"


def test_delegation_by_the_executor_works(make_item, users):
    item = make_item(summary="Нет отопления")
    ops.distribute(item, users["controller"], ["ENERGY"])
    ops.assign_executors(item, users["head.energy"], [users["exec.energy"].id])
    ops.assign_executors(
        item, users["exec.energy"], [users["exec2.energy"].id], kind="delegate", reason="отпуск"
    )
    [active] = ops.active_executors(item)
    assert active.user_id == users["exec2.energy"].id and active.responsible


# --- no dead end ------------------------------------------------------------------------------


def test_r_route_4_whole_subdivision_blocked_offers_ways_out(repeat, api, web, users):
    earlier, new = repeat
    # exec2.energy handled the earlier case too (a co-executor): nobody in ENERGY may now.
    from docflow.routing.models import ExecutorAssignment

    db.session.add(
        ExecutorAssignment(
            item_id=earlier.id,
            subdivision_id=earlier.subdivision_id,
            user_id=users["exec2.energy"].id,
            responsible=False,
            kind="add",
            active=False,
        )
    )
    db.session.commit()
    body = api("head.energy", "GET", f"/api/v1/items/{new.public_id}/routing").get_json()
    assert body["all_blocked"] is True
    assert [w["way"] for w in body["ways_out"]] == ["redistribute", "other_subdivision", "superior"]
    assert "Сейітов" in body["ways_out"][2]["text"]  # the supervising deputy akim, by name
    page = web("head.energy").get(f"/registry/{new.public_id}").get_data(as_text=True)
    assert "Lawful ways out" in page
    controller_page = web("controller").get(f"/registry/{new.public_id}").get_data(as_text=True)
    assert "Assign with consent" in controller_page
    r = api(
        "controller",
        "POST",
        f"/api/v1/items/{new.public_id}/routing/assign-outside",
        json={"executor": "exec.edu", "reason": "Согласие отдела контроля"},
    )
    assert r.status_code == 200, r.get_data(as_text=True)
    executors = r.get_json()["routing"]["executors"]
    assert [(e["username"], e["responsible"]) for e in executors] == [("exec.edu", True)]
    edu = api("exec.edu", "GET", f"/api/v1/items/{new.public_id}")
    assert edu.status_code == 200  # the outside executor sees the item


def test_r_route_4_outside_assignment_needs_the_controller_and_a_reason(repeat, users):
    _earlier, new = repeat
    from docflow.core.security import AccessDenied

    with pytest.raises(AccessDenied):
        ops.assign_from_other_subdivision(new, users["head.energy"], users["exec.edu"].id, "x")
    with pytest.raises(RuleViolation):
        ops.assign_from_other_subdivision(new, users["controller"], users["exec.edu"].id, " ")
    with pytest.raises(RuleViolation):  # the rule holds outside the subdivision too
        ops.assign_from_other_subdivision(new, users["controller"], users["exec.energy"].id, "x")


def test_candidates_are_not_duplicated_when_detection_runs_again(repeat):
    _earlier, new = repeat
    repeats.detect(new)
    assert db.session.query(RepeatCandidate).filter_by(item_id=new.id).count() == 1


def test_r_route_4_the_assignment_door_finds_a_candidate_registration_missed(repeat, users):
    """Two registrations at the same moment (another journal, another server process) may not
    see each other: the assignment door looks at the data again, so the earlier case's executor
    is refused all the same."""
    earlier, new = repeat
    for row in repeats.candidates_of(new):
        db.session.delete(row)  # as if the registration had run beside the earlier one's
    db.session.commit()
    assert repeats.candidates_of(new) == []
    with pytest.raises(RuleViolation) as exc:
        ops.assign_executors(new, users["head.energy"], [users["exec.energy"].id])
    assert earlier.reg_number in str(exc.value)
    db.session.rollback()
    # Another employee may take it; the case found is kept as the item's candidate.
    ops.assign_executors(new, users["head.energy"], [users["exec2.energy"].id])
    db.session.commit()
    assert [c.candidate_id for c in repeats.candidates_of(new)] == [earlier.id]
