"""The checks of handlers, scans, answers, termination, return and reception, on imported cases.

March 2026 as in test_checks_terms.py: Thu 5 → the 3rd working day is Tue 10 (Mon 9 off); a
request of Mon 2 March has its sign-up inclusion notice due on Thu 26 March (15 WD).
"""

from __future__ import annotations

import datetime as dt

from tests.inspection.conftest import (
    EXEC,
    EXEC2,
    HEAD,
    answered,
    ev,
    imported,
    notice,
)

N = "ЖТ-2026-8000000"
FORMER = {"iin": "880917307897", "full_name": "Маман Бұрынғы"}


def run(import_cases, checks, records, as_of="2026-06-30"):
    import_cases(records)
    return checks("2026-01-01", "2026-06-30", as_of=as_of)


def assigned(when: str, person) -> dict:
    return ev("assigned", when, person=person, subdivision="ENERGY", responsible=True, by=HEAD)


# --- REPEAT_HANDLER (R-ROUTE-4) -------------------------------------------------------------------


def test_r_route_4_repeat_handler_executor_of_the_earlier_case(import_cases, checks):
    earlier = imported(N + "1", events=[answered("2026-03-10 10:00")])  # exec.energy executed
    same = imported(N + "2", received="2026-03-16 10:00", is_duplicate_of=N + "1")
    other = imported(
        N + "3",
        received="2026-03-16 10:00",
        is_duplicate_of=N + "1",
        assign=False,
        events=[assigned("2026-03-16 12:30", EXEC2)],
    )
    _, found = run(import_cases, checks, [earlier, same, other])
    finding = found[("ЖТ-2026-80000002", "REPEAT_HANDLER")]
    assert "ЖТ-2026-80000001" in finding.evidence
    assert finding.facts["earlier_case"] == "ЖТ-2026-80000001"
    assert ("ЖТ-2026-80000003", "REPEAT_HANDLER") not in found


def test_r_route_4_repeat_handler_signer_through_a_chain_of_links(import_cases, checks):
    first = imported(N + "4", events=[answered("2026-03-10 10:00")])  # signed by head.energy
    second = imported(N + "5", received="2026-03-16 10:00", is_duplicate_of=N + "4")
    third = imported(
        N + "6",
        kind="complaint",
        received="2026-03-30 10:00",
        parent_id=N + "5",
        assign=False,
        events=[assigned("2026-03-30 12:30", HEAD)],
    )
    _, found = run(import_cases, checks, [first, second, third])
    finding = found[("ЖТ-2026-80000006", "REPEAT_HANDLER")]
    assert finding.facts["earlier_case"] == "ЖТ-2026-80000004"
    assert finding.facts["role"] == "signer"


def test_r_route_4_repeat_handler_compares_by_iin_never_by_name(import_cases, checks):
    earlier = imported(N + "7", assign=False, events=[assigned("2026-03-02 12:30", FORMER)])
    same_iin = imported(
        N + "8",
        received="2026-03-16 10:00",
        is_duplicate_of=N + "7",
        assign=False,
        events=[assigned("2026-03-16 12:30", {"iin": FORMER["iin"], "full_name": "Другое Имя"})],
    )
    same_name = imported(
        N + "9",
        received="2026-03-16 10:00",
        is_duplicate_of=N + "7",
        assign=False,
        events=[
            assigned("2026-03-16 12:30", {"iin": "900101300811", "full_name": FORMER["full_name"]})
        ],
    )
    _, found = run(import_cases, checks, [earlier, same_iin, same_name])
    assert ("ЖТ-2026-80000008", "REPEAT_HANDLER") in found
    assert ("ЖТ-2026-80000009", "REPEAT_HANDLER") not in found


def test_r_route_4_repeat_handler_not_judged_when_the_earlier_case_is_elsewhere(
    import_cases, checks
):
    orphan = imported(N + "10", is_duplicate_of="ЖТ-2020-00000001")
    run_, found = run(import_cases, checks, [orphan])
    assert ("ЖТ-2026-800000010", "REPEAT_HANDLER") not in found
    assert run_.not_judged.get("REPEAT_HANDLER") == 1


# --- RECEPTION_SCAN_LATE (R-REG-7) ----------------------------------------------------------------


def reception(number, events=(), **kw):
    return imported(
        number,
        received="2026-03-05 11:00",
        channel="reception",
        from_reception=True,
        events=list(events),
        **kw,
    )


def test_r_reg_7_reception_scan_within_3_working_days(import_cases, checks):
    in_time = reception(N + "11", [ev("scan_attached", "2026-03-10 17:00")])
    late = reception(N + "12", [ev("scan_attached", "2026-03-11 09:00")])
    never = reception(N + "13")
    not_reception = imported(N + "14", received="2026-03-05 11:00")
    _, found = run(import_cases, checks, [in_time, late, never, not_reception])
    assert ("ЖТ-2026-800000011", "RECEPTION_SCAN_LATE") not in found
    assert ("ЖТ-2026-800000012", "RECEPTION_SCAN_LATE") in found
    assert ("ЖТ-2026-800000013", "RECEPTION_SCAN_LATE") in found
    assert ("ЖТ-2026-800000014", "RECEPTION_SCAN_LATE") not in found


def test_r_reg_7_reception_scan_missing_judged_once_the_term_ended(import_cases, checks):
    import_cases([reception(N + "13")])
    _, found = checks("2026-03-01", "2026-03-31", as_of="2026-03-10")
    assert ("ЖТ-2026-800000013", "RECEPTION_SCAN_LATE") not in found
    _, found = checks("2026-03-01", "2026-03-31", as_of="2026-03-11")
    assert ("ЖТ-2026-800000013", "RECEPTION_SCAN_LATE") in found


# --- ANSWER_SIGNER (R-ANS-2) ----------------------------------------------------------------------


def test_r_ans_2_answer_signer_head_or_the_days_substitute(import_cases, checks, users):
    from docflow.org.substitutes import add_substitution

    add_substitution(
        users["head.energy"], users["exec2.energy"], dt.date(2026, 3, 16), dt.date(2026, 3, 20)
    )
    by_head = imported(N + "15", events=[answered("2026-03-18 10:00")])
    by_substitute = imported(N + "16", events=[answered("2026-03-18 10:00", signed_by=EXEC2)])
    substitute_other_day = imported(
        N + "17", events=[answered("2026-03-23 10:00", signed_by=EXEC2)]
    )
    by_executor = imported(N + "18", events=[answered("2026-03-18 10:00", signed_by=EXEC)])
    _, found = run(
        import_cases, checks, [by_head, by_substitute, substitute_other_day, by_executor]
    )
    assert ("ЖТ-2026-800000015", "ANSWER_SIGNER") not in found
    assert ("ЖТ-2026-800000016", "ANSWER_SIGNER") not in found
    assert ("ЖТ-2026-800000017", "ANSWER_SIGNER") in found
    assert ("ЖТ-2026-800000018", "ANSWER_SIGNER") in found


def test_r_ans_2_answer_signer_not_judged_without_a_signer(import_cases, checks):
    unsigned = answered("2026-03-18 10:00")
    del unsigned["signed_by"]
    run_, found = run(import_cases, checks, [imported(N + "19", events=[unsigned])])
    assert ("ЖТ-2026-800000019", "ANSWER_SIGNER") not in found
    assert run_.not_judged["ANSWER_SIGNER"] == 1


def test_r_ans_2_signature_of_imported_answers_is_not_judged(import_cases, checks):
    run_, found = run(
        import_cases, checks, [imported(N + "20", events=[answered("2026-03-18 10:00")])]
    )
    assert ("ЖТ-2026-800000020", "SIGNATURE_INVALID") not in found
    assert run_.not_judged["SIGNATURE_INVALID"] == 1


# --- ANSWER_LANGUAGE (R-ANS-1, R-RECV-10) ---------------------------------------------------------


def test_r_ans_1_answer_language_appeal_or_state_language(import_cases, checks):
    ru_in_kk = imported(
        N + "21", language="ru", events=[answered("2026-03-18 10:00", language="kk")]
    )
    ru_in_ru = imported(
        N + "22", language="ru", events=[answered("2026-03-18 10:00", language="ru")]
    )
    kk_in_ru = imported(
        N + "23", language="kk", events=[answered("2026-03-18 10:00", language="ru")]
    )
    interim = imported(
        N + "24",
        language="kk",
        events=[
            answered("2026-03-10 10:00", final=False, language="ru"),
            answered("2026-03-18 10:00", language="kk"),
        ],
    )
    _, found = run(import_cases, checks, [ru_in_kk, ru_in_ru, kk_in_ru, interim])
    assert ("ЖТ-2026-800000021", "ANSWER_LANGUAGE") not in found
    assert ("ЖТ-2026-800000022", "ANSWER_LANGUAGE") not in found
    assert ("ЖТ-2026-800000023", "ANSWER_LANGUAGE") in found
    assert ("ЖТ-2026-800000024", "ANSWER_LANGUAGE") not in found


# --- TERMINATION_* (R-ROUTE-5) --------------------------------------------------------------------


def test_r_route_5_termination_notice_within_3_working_days(import_cases, checks):
    earlier = imported(N + "25", received="2026-02-02 10:00", events=[answered("2026-02-10 10:00")])
    told = imported(
        N + "26",
        is_duplicate_of=N + "25",
        events=[
            ev("terminated", "2026-03-05 10:00", reason="повтор"),
            notice("termination", "2026-03-10 16:00"),
        ],
    )
    late = imported(
        N + "27",
        is_duplicate_of=N + "25",
        events=[
            ev("terminated", "2026-03-05 10:00", reason="повтор"),
            notice("termination", "2026-03-11 09:00"),
        ],
    )
    _, found = run(import_cases, checks, [earlier, told, late])
    assert ("ЖТ-2026-800000026", "TERMINATION_NO_NOTICE") not in found
    assert ("ЖТ-2026-800000027", "TERMINATION_NO_NOTICE") in found
    assert ("ЖТ-2026-800000026", "TERMINATION_WITHOUT_DECISION") not in found


def test_r_route_5_termination_without_a_decision_in_the_earlier_case(import_cases, checks):
    earlier = imported(N + "28", received="2026-02-02 10:00", events=[answered("2026-03-06 10:00")])
    too_early = imported(
        N + "29",
        is_duplicate_of=N + "28",
        events=[
            ev("terminated", "2026-03-05 10:00", reason="повтор"),
            notice("termination", "2026-03-05 11:00"),
        ],
    )
    after = imported(
        N + "30",
        received="2026-03-10 10:00",
        is_duplicate_of=N + "28",
        events=[
            ev("terminated", "2026-03-10 15:00", reason="повтор"),
            notice("termination", "2026-03-10 16:00"),
        ],
    )
    _, found = run(import_cases, checks, [earlier, too_early, after])
    assert ("ЖТ-2026-800000029", "TERMINATION_WITHOUT_DECISION") in found
    assert ("ЖТ-2026-800000030", "TERMINATION_WITHOUT_DECISION") not in found


# --- RETURN_WITHOUT_REQUEST (R-REG-5) -------------------------------------------------------------


def requested(when: str, term: str) -> dict:
    return ev("correction_requested", when, missing=["address"], term=term)


def test_r_reg_5_return_only_after_the_correction_term(import_cases, checks):
    no_request = imported(N + "31", events=[ev("returned", "2026-03-20 10:00")])
    on_term_day = imported(
        N + "32",
        events=[requested("2026-03-03 10:00", "2026-03-17"), ev("returned", "2026-03-17 16:00")],
    )
    after_term = imported(
        N + "33",
        events=[requested("2026-03-03 10:00", "2026-03-17"), ev("returned", "2026-03-18 09:00")],
    )
    _, found = run(import_cases, checks, [no_request, on_term_day, after_term])
    assert ("ЖТ-2026-800000031", "RETURN_WITHOUT_REQUEST") in found
    assert ("ЖТ-2026-800000032", "RETURN_WITHOUT_REQUEST") in found
    assert ("ЖТ-2026-800000033", "RETURN_WITHOUT_REQUEST") not in found


# --- SIGNUP_NOTICE_LATE (R-RECV-11), REFUSAL_NO_HEARING (R-RECV-12) ---------------------------------


def request(number, events=(), **kw):
    return imported(number, kind="reception_request", events=list(events), **kw)


def test_r_recv_11_signup_inclusion_notice_within_15_working_days(import_cases, checks):
    on_last_day = request(N + "34", [notice("signup_inclusion", "2026-03-26 16:00")])
    late = request(N + "35", [notice("signup_inclusion", "2026-03-27 09:00")])
    never = request(N + "36")
    refused = request(
        N + "37",
        [
            ev("hearing_draft_sent", "2026-03-05 10:00"),
            answered("2026-03-12 10:00", character="refused"),
        ],
    )
    _, found = run(import_cases, checks, [on_last_day, late, never, refused])
    assert ("ЖТ-2026-800000034", "SIGNUP_NOTICE_LATE") not in found
    assert ("ЖТ-2026-800000035", "SIGNUP_NOTICE_LATE") in found
    assert ("ЖТ-2026-800000036", "SIGNUP_NOTICE_LATE") in found
    assert ("ЖТ-2026-800000037", "SIGNUP_NOTICE_LATE") not in found


def test_r_recv_11_signup_notice_uses_the_profiles_term(app, import_cases, checks):
    from docflow.core.settings import set_setting

    set_setting("reception", {"inclusion_notice_days": 5})  # 2 March + 5 WD → Fri 6 March
    in_time = request(N + "38", [notice("signup_inclusion", "2026-03-06 16:00")])
    late = request(N + "39", [notice("signup_inclusion", "2026-03-10 09:00")])
    _, found = run(import_cases, checks, [in_time, late])
    assert ("ЖТ-2026-800000038", "SIGNUP_NOTICE_LATE") not in found
    assert ("ЖТ-2026-800000039", "SIGNUP_NOTICE_LATE") in found


def test_r_recv_12_refusal_on_the_3rd_working_day_after_the_draft(import_cases, checks):
    # draft Thu 5 March (not counted): Fri 6, Tue 10, Wed 11 → refusal from 11 March
    in_time = request(
        N + "40",
        [
            ev("hearing_draft_sent", "2026-03-05 10:00"),
            answered("2026-03-11 10:00", character="refused"),
        ],
    )
    early = request(
        N + "41",
        [
            ev("hearing_draft_sent", "2026-03-05 10:00"),
            answered("2026-03-10 16:00", character="refused"),
        ],
    )
    by_notice = request(
        N + "42",
        [
            notice("hearing_draft", "2026-03-05 10:00"),
            answered("2026-03-11 10:00", character="refused"),
        ],
    )
    no_draft = request(N + "43", [answered("2026-03-11 10:00", character="refused")])
    not_refused = request(
        N + "44", [notice("signup_inclusion", "2026-03-06 10:00"), answered("2026-03-11 10:00")]
    )
    _, found = run(import_cases, checks, [in_time, early, by_notice, no_draft, not_refused])
    assert ("ЖТ-2026-800000040", "REFUSAL_NO_HEARING") not in found
    assert ("ЖТ-2026-800000041", "REFUSAL_NO_HEARING") in found
    assert ("ЖТ-2026-800000042", "REFUSAL_NO_HEARING") not in found
    assert ("ЖТ-2026-800000043", "REFUSAL_NO_HEARING") in found
    assert ("ЖТ-2026-800000044", "REFUSAL_NO_HEARING") not in found
