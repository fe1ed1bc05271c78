"""The checks over docflow's own cases: read from registry, routing, letters and notices rows.

The items arrive on Mon 16 November 2026 (``make_item``'s default) and are worked on today: a
forwarding term of 3 WD ended on Wed 18 November; a statement is due on Fri 4 December.
"""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import update

from docflow.core.calendar import get_calendar
from docflow.extensions import db
from docflow.outgoing.letter_models import Letter
from docflow.routing import terms
from tests.outgoing.letter_helpers import (
    PASSPHRASE,
    Api,
    approved_letter,
    make_letter_pki,
    setup_signer,
)
from tests.registry.conftest import almaty


def today() -> dt.date:
    return get_calendar().local_now().date()


def run_native(checks, as_of: dt.date | None = None):
    as_of = as_of or today()
    return checks("2026-09-01", "2026-12-31", as_of=as_of.isoformat())


def test_r_reg_3_reg_late_native_registered_days_after_arrival(make_item, checks):
    late = make_item(arrived_at=almaty(2026, 11, 16, 10, 0))  # registered today
    now = make_item(arrived_at=dt.datetime.now(dt.UTC) - dt.timedelta(minutes=1))
    db.session.commit()
    _, found = run_native(checks)
    assert (late.reg_number, "REG_LATE") in found
    assert (now.reg_number, "REG_LATE") not in found


def test_r_deadline_1_native_paper_answer_in_time_and_late(make_item, routed, checks):
    in_time = routed("closed")  # arrived 16 November, due 4 December, answered today
    late = routed("closed", item=make_item(arrived_at=almaty(2026, 10, 1, 10, 0)))
    db.session.commit()
    run_, found = run_native(checks)
    assert (in_time.reg_number, "ANSWER_LATE") not in found
    assert (late.reg_number, "ANSWER_LATE") in found
    # approved by the head of ENERGY: the signer is right; a paper answer's language is unknown
    assert (in_time.reg_number, "ANSWER_SIGNER") not in found
    assert (in_time.reg_number, "CONTROL_REMOVED_NO_ANSWER") not in found
    assert run_.not_judged["ANSWER_LANGUAGE"] == 2 and run_.not_judged["SIGNATURE_INVALID"] == 2


def test_r_deadline_1_native_overdue_open(make_item, routed, users, checks):
    item = routed("in_work", item=make_item(arrived_at=almaty(2026, 10, 1, 10, 0)))
    fresh = routed("in_work")
    db.session.commit()
    _, found = run_native(checks)
    finding = found[(item.reg_number, "OVERDUE_OPEN")]
    assert users["exec.energy"].full_name in finding.evidence
    assert finding.facts["executors"] == [
        {"user_id": users["exec.energy"].id, "name": users["exec.energy"].full_name}
    ]
    assert (fresh.reg_number, "OVERDUE_OPEN") not in found


def test_r_route_2_native_forwarding_late_and_its_notice(make_item, users, checks):
    item = make_item()
    terms.forward(item, users["controller"], body="Министерство энергетики", partial=False)
    db.session.commit()
    _, found = run_native(checks)
    assert (item.reg_number, "FORWARD_LATE") in found  # forwarded today, term ended 18 November
    assert (item.reg_number, "FORWARD_NO_NOTICE") not in found  # its 3 WD are not over
    later = get_calendar().add_working_days(today(), 4)
    _, found = run_native(checks, as_of=later)
    assert (item.reg_number, "FORWARD_NO_NOTICE") in found
    fwd = db.session.scalar(db.select(terms.Forwarding).where(terms.Forwarding.item_id == item.id))
    terms.mark_notice_sent(fwd, users["controller"])  # outgoing records the notice as sent
    db.session.commit()
    _, found = run_native(checks, as_of=later)
    assert (item.reg_number, "FORWARD_NO_NOTICE") not in found


def test_r_deadline_2_native_extension_notice(routed, users, checks):
    item = routed("in_work")
    ext = terms.extend(
        item, users["head.energy"], basis="letter", new_due=dt.date(2026, 12, 15), reason="сложный"
    )
    db.session.commit()
    later = get_calendar().add_working_days(today(), 4)
    _, found = run_native(checks, as_of=later)
    assert (item.reg_number, "EXTENSION_NO_NOTICE") in found
    assert (item.reg_number, "EXTENSION_OVER_CAP") not in found  # 16 Nov + 30 = 16 Dec
    # the notice letter recorded as sent today (its signing and sending are outgoing's business)
    db.session.execute(
        update(Letter)
        .where(Letter.source_type == "extension", Letter.source_id == ext.id)
        .values(sent_on=today())
    )
    db.session.commit()
    _, found = run_native(checks, as_of=later)
    assert (item.reg_number, "EXTENSION_NO_NOTICE") not in found


def test_r_route_4_native_link_made_after_the_assignment(make_item, routed, users, checks):
    from docflow.registry.links import link_items

    earlier = routed("closed")
    later = routed("in_work")  # the same executor, exec.energy
    link_items(later, earlier, "repeat", users["controller"])  # ends the assignment
    db.session.commit()
    _, found = run_native(checks)
    finding = found[(later.reg_number, "REPEAT_HANDLER")]
    assert finding.facts["earlier_case"] == earlier.reg_number
    assert (earlier.reg_number, "REPEAT_HANDLER") not in found


@pytest.fixture
def signed_letter(app, users, routed):
    """A final answer letter signed with head.energy's server keystore."""
    setup_signer(users, make_letter_pki())
    api = Api(app, users)
    item = routed("in_work")
    lid = approved_letter(api, item)
    r = api.post("head.energy", f"/letters/{lid}/sign", {"passphrase": PASSPHRASE})
    assert r.status_code == 200, r.get_json()
    db.session.expire_all()
    return item, db.session.scalar(db.select(Letter).where(Letter.public_id == lid))


def test_r_ans_2_native_signature_verifies(signed_letter, checks):
    item, _letter = signed_letter
    run_, found = run_native(checks)
    assert (item.reg_number, "SIGNATURE_INVALID") not in found
    assert (item.reg_number, "ANSWER_SIGNER") not in found
    assert "SIGNATURE_INVALID" not in run_.not_judged


def test_r_ans_2_native_signature_invalid_when_the_pdf_was_altered(signed_letter, checks):
    item, letter = signed_letter
    pdf = bytearray(letter.signed_pdf)
    pdf[len(pdf) // 3] ^= 0x01  # one flipped byte inside the signed range
    db.session.execute(update(Letter).where(Letter.id == letter.id).values(signed_pdf=bytes(pdf)))
    db.session.commit()
    _, found = run_native(checks)
    assert (item.reg_number, "SIGNATURE_INVALID") in found
    assert letter.reg_number in found[(item.reg_number, "SIGNATURE_INVALID")].evidence


def test_r_reg_7_native_reception_scan(make_item, clerk, checks):
    import io

    from docflow.registry.operations import attach

    late = make_item(from_reception=True)  # registered 16 November: due by 18 November
    never = make_item(from_reception=True)
    fresh = make_item(
        from_reception=True, arrived_at=dt.datetime.now(dt.UTC) - dt.timedelta(minutes=1)
    )
    for item in (late, fresh):
        attach(item, "scan.pdf", io.BytesIO(b"%PDF-1.4 scan"), clerk)
    db.session.commit()
    _, found = run_native(checks)
    evidence = found[(late.reg_number, "RECEPTION_SCAN_LATE")].evidence
    assert "2026-11-18" in evidence and today().isoformat() in evidence  # due by, attached on
    assert (never.reg_number, "RECEPTION_SCAN_LATE") in found
    assert (fresh.reg_number, "RECEPTION_SCAN_LATE") not in found


def test_r_recv_12_native_refusal_after_the_hearing(
    make_request, akim_official, controller, checks
):
    from docflow.protocols import operations as reception

    cal = get_calendar()
    timely, hasty = make_request(), make_request(iin="900101300811", summary="Жарық жоқ")
    for item, draft_days_ago in ((timely, 5), (hasty, 1)):
        signup = reception.create_signup(item, akim_official, controller)
        reception.propose_refusal(
            signup, controller, ground="out_of_competence", note="Құзыретке жатпайды"
        )
        draft = today()
        for _ in range(draft_days_ago):  # the draft went out that many working days ago
            draft -= dt.timedelta(days=1)
            while not cal.is_working_day(draft):
                draft -= dt.timedelta(days=1)
        signup.preliminary_sent_on, signup.decision_on = draft, today()
        reception.refuse(signup, controller)
    db.session.commit()
    _, found = run_native(checks)
    assert (timely.reg_number, "REFUSAL_NO_HEARING") not in found
    assert (hasty.reg_number, "REFUSAL_NO_HEARING") in found
    assert (timely.reg_number, "SIGNUP_NOTICE_LATE") not in found  # refused: no inclusion owed


def test_case_history_native_and_imported_alike(routed, import_cases, users):
    from docflow.inspection.history import case_history
    from docflow.registry.models import item_by_number
    from tests.inspection.conftest import answered, imported

    native = routed("closed")
    import_cases([imported("ЖТ-2026-50000001", events=[answered("2026-03-20 10:00")])])
    old = item_by_number("ЖТ-2026-50000001")
    for h in (case_history(native.id), case_history(old.id)):
        types = [e.type for e in h.events]
        assert "assigned" in types and "answered" in types
        assert h.subdivision_code == "ENERGY"
        assert h.of("assigned")[0].person.user_id == users["exec.energy"].id
        assert h.final_answers()[0].person.user_id == users["head.energy"].id
    assert case_history(native.id).of("removed_from_control")
    assert case_history(old.id, as_of=dt.date(2026, 3, 19)).final_answers() == []
