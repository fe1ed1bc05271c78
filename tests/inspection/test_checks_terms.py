"""The checks of registration, forwarding, terms, extensions and control, on imported cases.

The calendar of March 2026 the boundaries lean on (Kazakhstan, the demo profile): Mon 2, Tue 3,
Wed 4, Thu 5, Fri 6 working; Sat 7, Sun 8 and Mon 9 (Women's Day observed) off; 21–25 off
(Nauryz). A statement of Mon 2 March (15 WD, arrival day counted) is due Thu 26 March; a
complaint (20 WD) on Thu 2 April; "within 3 WD" of Thu 5 March ends on Tue 10 March.
"""

from __future__ import annotations

from tests.inspection.conftest import (
    CONTROLLER,
    answered,
    ev,
    extended,
    imported,
    notice,
)

N = "ЖТ-2026-7000000"


def run(import_cases, checks, records, as_of="2026-06-30", **kw):
    import_cases(records)
    return checks("2026-01-01", "2026-06-30", as_of=as_of, **kw)


# --- REG_LATE (R-REG-3) -------------------------------------------------------------------------


def test_r_reg_3_reg_late_registered_the_day_after_arrival(import_cases, checks):
    late = imported(N + "1", received="2026-03-05 10:00", registered="2026-03-06 09:10")
    same_day = imported(N + "2", received="2026-03-05 10:00", registered="2026-03-05 17:59")
    _, found = run(import_cases, checks, [late, same_day])
    assert ("ЖТ-2026-70000001", "REG_LATE") in found
    assert "2026-03-05" in found[("ЖТ-2026-70000001", "REG_LATE")].evidence
    assert ("ЖТ-2026-70000002", "REG_LATE") not in found


def test_r_reg_3_reg_late_arrival_after_working_hours_counts_for_the_next_working_day(
    import_cases, checks
):
    # Fri 6 March 19:00 (after 18:30) → lawful date Tue 10 March (Mon 9 is a holiday)
    on_time = imported(N + "3", received="2026-03-06 19:00", registered="2026-03-10 09:10")
    late = imported(N + "4", received="2026-03-06 19:00", registered="2026-03-11 09:10")
    _, found = run(import_cases, checks, [on_time, late])
    assert ("ЖТ-2026-70000003", "REG_LATE") not in found
    assert ("ЖТ-2026-70000004", "REG_LATE") in found
    assert "2026-03-10" in found[("ЖТ-2026-70000004", "REG_LATE")].evidence


# --- FORWARD_LATE, FORWARD_NO_NOTICE (R-ROUTE-2) ---------------------------------------------------


def forwarded(when: str, partial: bool = False):
    return ev("forwarded", when, body="Министерство энергетики", partial=partial, by=CONTROLLER)


def test_r_route_2_forward_late_on_the_3rd_working_day_is_in_time(import_cases, checks):
    # registered Thu 5 March: 5, 6, (7, 8, 9 off), 10 → the 3rd working day is 10 March
    in_time = imported(
        N + "5",
        received="2026-03-05 10:00",
        events=[forwarded("2026-03-10 17:00"), notice("forwarding", "2026-03-10 17:30")],
    )
    late = imported(
        N + "6",
        received="2026-03-05 10:00",
        events=[forwarded("2026-03-11 09:00"), notice("forwarding", "2026-03-11 10:00")],
    )
    _, found = run(import_cases, checks, [in_time, late])
    assert ("ЖТ-2026-70000005", "FORWARD_LATE") not in found
    assert ("ЖТ-2026-70000006", "FORWARD_LATE") in found
    assert ("ЖТ-2026-70000006", "FORWARD_NO_NOTICE") not in found


def test_r_route_2_forward_no_notice_within_3_working_days_of_the_forwarding(import_cases, checks):
    told = imported(
        N + "7",
        received="2026-03-05 10:00",
        events=[forwarded("2026-03-05 15:00"), notice("forwarding", "2026-03-10 16:00")],
    )
    late = imported(
        N + "8",
        received="2026-03-05 10:00",
        events=[forwarded("2026-03-05 15:00"), notice("forwarding", "2026-03-11 09:00")],
    )
    never = imported(N + "9", received="2026-03-05 10:00", events=[forwarded("2026-03-05 15:00")])
    _, found = run(import_cases, checks, [told, late, never])
    assert ("ЖТ-2026-70000007", "FORWARD_NO_NOTICE") not in found
    assert ("ЖТ-2026-70000008", "FORWARD_NO_NOTICE") in found
    assert ("ЖТ-2026-70000009", "FORWARD_NO_NOTICE") in found


def test_r_route_2_forward_no_notice_judged_only_once_the_term_ended(import_cases, checks):
    never = imported(N + "9", received="2026-03-05 10:00", events=[forwarded("2026-03-05 15:00")])
    import_cases([never])
    _, found = checks("2026-03-01", "2026-03-31", as_of="2026-03-10")
    assert ("ЖТ-2026-70000009", "FORWARD_NO_NOTICE") not in found  # the 3rd WD is not over
    _, found = checks("2026-03-01", "2026-03-31", as_of="2026-03-11")
    assert ("ЖТ-2026-70000009", "FORWARD_NO_NOTICE") in found


# --- ANSWER_LATE (R-DEADLINE-1, R-KIND-2) ----------------------------------------------------------


def test_r_deadline_1_answer_late_on_the_due_date_itself_is_in_time(import_cases, checks):
    on_due = imported(N + "10", events=[answered("2026-03-26 17:00")])  # due Thu 26 March
    day_after = imported(N + "11", events=[answered("2026-03-27 09:00")])
    _, found = run(import_cases, checks, [on_due, day_after])
    assert ("ЖТ-2026-700000010", "ANSWER_LATE") not in found
    finding = found[("ЖТ-2026-700000011", "ANSWER_LATE")]
    assert "2026-03-26" in finding.evidence and "2026-03-27" in finding.evidence
    assert finding.rule == "R-DEADLINE-1, R-KIND-2" and finding.severity == "high"


def test_r_kind_2_answer_late_uses_the_kinds_term(import_cases, checks):
    # a complaint has 20 WD: due Thu 2 April; the same day is late for a statement
    complaint = imported(N + "12", kind="complaint", events=[answered("2026-04-02 12:00")])
    statement = imported(N + "13", kind="statement", events=[answered("2026-04-02 12:00")])
    _, found = run(import_cases, checks, [complaint, statement])
    assert ("ЖТ-2026-700000012", "ANSWER_LATE") not in found
    assert ("ЖТ-2026-700000013", "ANSWER_LATE") in found


def test_r_deadline_1_answer_late_counts_from_the_lawful_date_not_the_late_registration(
    import_cases, checks
):
    # arrived 2 March, registered only on 4 March: still due 26 March
    record = imported(
        N + "14",
        received="2026-03-02 10:00",
        registered="2026-03-04 10:00",
        start_date="2026-03-04",
        events=[answered("2026-03-27 10:00")],
    )
    _, found = run(import_cases, checks, [record])
    assert ("ЖТ-2026-700000014", "ANSWER_LATE") in found
    assert ("ЖТ-2026-700000014", "REG_LATE") in found


def test_r_deadline_2_an_extension_moves_the_due_date(import_cases, checks):
    record = imported(
        N + "15",
        events=[
            extended("2026-03-20 10:00", "2026-03-26", "2026-04-01"),
            notice("extension", "2026-03-20 11:00"),
            answered("2026-03-31 10:00"),
        ],
        prolong_count=1,
        prolong_days=6,
    )
    _, found = run(import_cases, checks, [record])
    assert not [k for k in found if k[0] == "ЖТ-2026-700000015"]


# --- OVERDUE_OPEN (R-DEADLINE-1) ------------------------------------------------------------------


def test_r_deadline_1_overdue_open_after_the_due_date_only(import_cases, checks):
    import_cases([imported(N + "16")])
    _, found = checks("2026-03-01", "2026-03-31", as_of="2026-03-26")
    assert ("ЖТ-2026-700000016", "OVERDUE_OPEN") not in found  # the due date itself
    _, found = checks("2026-03-01", "2026-03-31", as_of="2026-03-27")
    assert ("ЖТ-2026-700000016", "OVERDUE_OPEN") in found


def test_r_deadline_1_overdue_open_not_for_a_wholly_forwarded_case(import_cases, checks):
    whole = imported(
        N + "17", events=[forwarded("2026-03-03 10:00"), notice("forwarding", "2026-03-03 11:00")]
    )
    part = imported(
        N + "18",
        events=[
            forwarded("2026-03-03 10:00", partial=True),
            notice("forwarding", "2026-03-03 11:00"),
        ],
    )
    withdrawn = imported(N + "19", events=[ev("withdrawn", "2026-03-10 10:00")])
    _, found = run(import_cases, checks, [whole, part, withdrawn])
    assert ("ЖТ-2026-700000017", "OVERDUE_OPEN") not in found
    assert ("ЖТ-2026-700000018", "OVERDUE_OPEN") in found
    assert ("ЖТ-2026-700000019", "OVERDUE_OPEN") not in found


def test_r_deadline_1_later_events_than_as_of_are_ignored(import_cases, checks):
    import_cases([imported(N + "20", events=[answered("2026-04-10 10:00")])])
    _, found = checks("2026-03-01", "2026-03-31", as_of="2026-04-01")
    assert ("ЖТ-2026-700000020", "OVERDUE_OPEN") in found
    assert ("ЖТ-2026-700000020", "ANSWER_LATE") not in found
    _, found = checks("2026-03-01", "2026-03-31", as_of="2026-04-30")
    assert ("ЖТ-2026-700000020", "OVERDUE_OPEN") not in found
    assert ("ЖТ-2026-700000020", "ANSWER_LATE") in found


# --- EXTENSION_* (R-DEADLINE-2) -------------------------------------------------------------------


def ext_case(number, when, old, new, basis="letter", told=True, **kw):
    events = [extended(when, old, new, basis)]
    if told:
        events.append(notice("extension", when))
    return imported(number, events=events, **kw)


def test_r_deadline_2_extension_over_cap_by_letter_30_calendar_days(import_cases, checks):
    # registered 2 March: by letter up to 1 April (2 March + 30 days) is still within
    within = ext_case(N + "21", "2026-03-20 10:00", "2026-03-26", "2026-04-01")
    over = ext_case(N + "22", "2026-03-20 10:00", "2026-03-26", "2026-04-02")
    by_decision = ext_case(N + "23", "2026-03-20 10:00", "2026-03-26", "2026-04-02", "decision")
    _, found = run(import_cases, checks, [within, over, by_decision])
    assert ("ЖТ-2026-700000021", "EXTENSION_OVER_CAP") not in found
    assert ("ЖТ-2026-700000022", "EXTENSION_OVER_CAP") in found
    assert ("ЖТ-2026-700000023", "EXTENSION_OVER_CAP") not in found


def test_r_deadline_2_extension_over_cap_two_months_month_end(import_cases, checks):
    # registered 31 December 2025: two months end on 28 February 2026 (no 31 February)
    within = ext_case(
        N + "24",
        "2026-01-15 10:00",
        "2026-01-23",
        "2026-02-28",
        "decision",
        received="2025-12-31 10:00",
    )
    over = ext_case(
        N + "25",
        "2026-01-15 10:00",
        "2026-01-23",
        "2026-03-01",
        "decision",
        received="2025-12-31 10:00",
    )
    import_cases([within, over])
    _, found = checks("2025-12-01", "2026-06-30", as_of="2026-06-30")
    assert ("ЖТ-2026-700000024", "EXTENSION_OVER_CAP") not in found
    assert ("ЖТ-2026-700000025", "EXTENSION_OVER_CAP") in found
    assert "2026-02-28" in found[("ЖТ-2026-700000025", "EXTENSION_OVER_CAP")].evidence


def test_r_deadline_2_extension_no_notice_within_3_working_days(import_cases, checks):
    # extended Thu 5 March: the notice may go until Tue 10 March (Mon 9 is a holiday)
    told = imported(
        N + "26",
        events=[
            extended("2026-03-05 10:00", "2026-03-26", "2026-04-01"),
            notice("extension", "2026-03-10 17:00"),
        ],
    )
    late = imported(
        N + "27",
        events=[
            extended("2026-03-05 10:00", "2026-03-26", "2026-04-01"),
            notice("extension", "2026-03-11 09:00"),
        ],
    )
    _, found = run(import_cases, checks, [told, late])
    assert ("ЖТ-2026-700000026", "EXTENSION_NO_NOTICE") not in found
    assert ("ЖТ-2026-700000027", "EXTENSION_NO_NOTICE") in found


def test_r_deadline_2_extension_after_due(import_cases, checks):
    on_due = ext_case(N + "28", "2026-03-26 10:00", "2026-03-26", "2026-04-01")
    after = ext_case(N + "29", "2026-03-27 10:00", "2026-03-26", "2026-04-01")
    _, found = run(import_cases, checks, [on_due, after])
    assert ("ЖТ-2026-700000028", "EXTENSION_AFTER_DUE") not in found
    assert ("ЖТ-2026-700000029", "EXTENSION_AFTER_DUE") in found
    # its own flaw, not a second time as lateness (the due date moved to 1 April)
    assert ("ЖТ-2026-700000029", "OVERDUE_OPEN") in found  # no answer at all by 30 June
    assert ("ЖТ-2026-700000029", "ANSWER_LATE") not in found


# --- CONTROL_REMOVED_NO_ANSWER (R-CTRL-1) ---------------------------------------------------------


def removed(when: str):
    return ev("removed_from_control", when, by=CONTROLLER)


def test_r_ctrl_1_control_removed_without_a_final_answer(import_cases, checks):
    answered_first = imported(
        N + "30", events=[answered("2026-03-19 10:00"), removed("2026-03-20 10:00")]
    )
    interim_only = imported(
        N + "31", events=[answered("2026-03-19 10:00", final=False), removed("2026-03-20 10:00")]
    )
    forwarded_first = imported(
        N + "32",
        events=[
            forwarded("2026-03-03 10:00"),
            notice("forwarding", "2026-03-03 11:00"),
            removed("2026-03-20 10:00"),
        ],
    )
    _, found = run(import_cases, checks, [answered_first, interim_only, forwarded_first])
    assert ("ЖТ-2026-700000030", "CONTROL_REMOVED_NO_ANSWER") not in found
    assert ("ЖТ-2026-700000031", "CONTROL_REMOVED_NO_ANSWER") in found
    assert ("ЖТ-2026-700000032", "CONTROL_REMOVED_NO_ANSWER") not in found


def test_r_audit_1_severity_is_a_setting_per_code(app, import_cases, checks):
    from docflow.core.settings import set_setting

    set_setting("inspection", {"severity": {"CONTROL_REMOVED_NO_ANSWER": "low"}})
    interim_only = imported(
        N + "31", events=[answered("2026-03-19 10:00", final=False), removed("2026-03-20 10:00")]
    )
    _, found = run(import_cases, checks, [interim_only])
    assert found[("ЖТ-2026-700000031", "CONTROL_REMOVED_NO_ANSWER")].severity == "low"
    assert found[("ЖТ-2026-700000031", "OVERDUE_OPEN")].severity == "high"
