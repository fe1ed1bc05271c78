"""Working calendar: holidays, decree transfers, profile overrides and term counting."""

from __future__ import annotations

from datetime import UTC, date, datetime, time
from zoneinfo import ZoneInfo

import pytest
from click.testing import Result
from flask import Flask, g

from docflow.core.calendar import (
    WorkingCalendar,
    add_day_overrides,
    calendar_from_settings,
    get_calendar,
)
from docflow.core.calendar_cli import calendar_cli
from docflow.core.settings import get_setting, set_setting
from docflow.extensions import db

ALMATY = ZoneInfo("Asia/Almaty")
D = date.fromisoformat


@pytest.fixture(scope="module")
def cal() -> WorkingCalendar:
    return WorkingCalendar()


# -- R-DEADLINE-3: statutory days off from the holidays package ---------------------------------

STATUTORY_DAYS_OFF = [
    # 2024
    "2024-01-01",
    "2024-01-02",
    "2024-03-08",
    "2024-03-21",
    "2024-03-22",
    "2024-03-25",  # Nauryz 23 March (Saturday) observed
    "2024-05-01",
    "2024-05-07",
    "2024-05-08",  # decree: day off moved from Saturday 2024-05-04
    "2024-05-09",
    "2024-07-08",  # Capital Day (Saturday) observed
    "2024-08-30",
    "2024-10-25",
    "2024-12-16",
    # 2025
    "2025-01-01",
    "2025-01-02",
    "2025-01-03",  # decree: day off moved from Sunday 2025-01-05
    "2025-01-07",
    "2025-03-10",  # 8 March (Saturday) observed
    "2025-03-21",
    "2025-03-24",  # Nauryz 22-23 (weekend) observed
    "2025-03-25",
    "2025-05-01",
    "2025-05-07",
    "2025-05-09",
    "2025-06-06",  # Kurban ait, first day
    "2025-07-07",  # Capital Day (Sunday) observed
    "2025-09-01",  # Constitution Day (Saturday) observed
    "2025-10-27",  # Republic Day (Saturday) observed
    "2025-12-16",
    # 2026
    "2026-01-01",
    "2026-01-02",
    "2026-01-07",
    "2026-03-09",  # 8 March (Sunday) observed
    "2026-03-23",
    "2026-03-24",  # Nauryz 21-22 (weekend) observed
    "2026-03-25",
    "2026-05-01",
    "2026-05-07",
    "2026-05-11",  # Victory Day (Saturday) observed
    "2026-05-27",  # Kurban ait (estimated by the package)
    "2026-07-06",
    "2026-10-26",  # Republic Day (Sunday) observed
    "2026-12-16",
]


@pytest.mark.parametrize("day", STATUTORY_DAYS_OFF)
def test_r_deadline_3_statutory_days_off(cal: WorkingCalendar, day: str) -> None:
    assert not cal.is_working_day(D(day))
    assert cal.is_holiday(D(day))


@pytest.mark.parametrize(
    ("day", "name"),
    [
        ("2024-05-08", "Day off (substituted from 05/04/2024)"),
        ("2026-03-24", "Nowruz Holiday (observed)"),
        ("2026-10-26", "Republic Day (observed)"),
        ("2025-09-01", "Constitution Day (observed)"),
    ],
)
def test_r_deadline_3_holiday_names(cal: WorkingCalendar, day: str, name: str) -> None:
    assert cal.is_holiday(D(day)) == name


@pytest.mark.parametrize(
    "day",
    [
        "2024-05-04",  # Saturday worked for the 2024-05-08 day off
        "2025-01-05",  # Sunday worked for the 2025-01-03 day off
        "2022-03-05",
        "2013-12-28",  # worked for 2014-01-03: the transfer is listed under the next year
    ],
)
def test_r_deadline_3_decree_working_weekend_days(cal: WorkingCalendar, day: str) -> None:
    assert D(day).weekday() >= 5
    assert cal.is_working_day(D(day))
    assert cal.is_holiday(D(day)) is None


def test_r_deadline_3_ordinary_days(cal: WorkingCalendar) -> None:
    assert cal.is_working_day(D("2026-03-26"))  # Thursday after Nauryz
    assert not cal.is_working_day(D("2026-03-28"))  # plain Saturday
    assert cal.is_holiday(D("2026-03-28")) is None
    assert cal.is_holiday(D("2026-03-26")) is None


def test_r_deadline_3_orthodox_christmas_and_kurban_ait_not_moved(cal: WorkingCalendar) -> None:
    # Labour Code art. 85: 7 January and Kurban ait are not transferred when on a weekend.
    assert cal.is_holiday(D("2024-01-07")) == "Orthodox Christmas"  # Sunday
    assert cal.is_working_day(D("2024-01-08"))
    assert cal.is_working_day(D("2024-06-17"))  # Kurban ait 2024-06-16 was a Sunday


def test_r_deadline_3_without_statutory() -> None:
    plain = WorkingCalendar(use_statutory=False)
    assert plain.is_working_day(D("2026-03-24"))
    assert not plain.is_working_day(D("2024-05-04"))
    assert plain.is_holiday(D("2026-03-24")) is None


# -- R-DEADLINE-3: profile overrides win -----------------------------------------------------


def test_r_deadline_3_profile_day_off_wins() -> None:
    c = WorkingCalendar(days_off=[D("2026-12-31"), D("2024-05-04")], notes={D("2026-12-31"): "X"})
    assert not c.is_working_day(D("2026-12-31"))
    assert c.is_holiday(D("2026-12-31")) == "X"
    assert not c.is_working_day(D("2024-05-04"))  # even against a package transfer
    assert c.is_holiday(D("2024-05-04")) == "Day off (profile)"


def test_r_deadline_3_profile_working_day_wins() -> None:
    c = WorkingCalendar(working_days=[D("2026-12-26"), D("2026-03-24")])
    assert c.is_working_day(D("2026-12-26"))  # a Saturday
    assert c.is_working_day(D("2026-03-24"))  # even against a holiday
    assert c.is_holiday(D("2026-03-24")) is None


def test_r_deadline_3_profile_day_both_ways_rejected() -> None:
    with pytest.raises(ValueError, match="2026-12-31"):
        WorkingCalendar(days_off=[D("2026-12-31")], working_days=[D("2026-12-31")])


def test_calendar_is_immutable(cal: WorkingCalendar) -> None:
    with pytest.raises(AttributeError):
        cal.arrival_day_counts = False  # type: ignore[misc]
    c = WorkingCalendar(days_off=[D("2026-12-31")])
    assert isinstance(c.days_off, frozenset)


def test_r_deadline_3_special_days_listing() -> None:
    c = WorkingCalendar(days_off=[D("2024-12-31")], working_days=[D("2024-12-28")])
    days = {d.day.isoformat(): (d.kind, d.name) for d in c.special_days(2024)}
    assert days["2024-05-08"][0] == "decree-day-off"
    assert days["2024-05-04"][0] == "decree-working-day"
    assert days["2024-03-25"] == ("observed", "Nowruz Holiday (observed)")
    assert days["2024-01-01"] == ("holiday", "New Year's Day")
    assert days["2024-12-31"][0] == "profile-day-off"
    assert days["2024-12-28"][0] == "profile-working-day"
    assert list(days) == sorted(days)


# -- R-DEADLINE-1: working-day terms -----------------------------------------------------------


def test_r_deadline_1_worked_example(cal: WorkingCalendar) -> None:
    """R-DEADLINE-1: arrival 2022-05-26 → due 2022-06-15 (arrival day is day 1)."""
    assert cal.add_working_days(D("2022-05-26"), 15) == D("2022-06-15")


def test_r_deadline_1_term_over_republic_day(cal: WorkingCalendar) -> None:
    # 2026-10-26 (Republic Day observed) does not count.
    assert cal.add_working_days(D("2026-10-15"), 15) == D("2026-11-05")


def test_r_deadline_1_arrival_day_counts(cal: WorkingCalendar) -> None:
    assert cal.add_working_days(D("2026-11-23"), 1) == D("2026-11-23")
    # Non-working start: day 1 is the next working day.
    assert cal.add_working_days(D("2026-11-21"), 1) == D("2026-11-23")
    assert cal.add_working_days(D("2026-03-20"), 2) == D("2026-03-26")


def test_r_deadline_1_arrival_day_not_counted() -> None:
    c = WorkingCalendar(arrival_day_counts=False)
    assert c.add_working_days(D("2026-11-23"), 1) == D("2026-11-24")
    assert c.add_working_days(D("2026-11-21"), 1) == D("2026-11-23")
    assert c.add_working_days(D("2022-05-26"), 15) == D("2022-06-16")


def test_r_deadline_1_decree_working_saturday_counts(cal: WorkingCalendar) -> None:
    # Fri 2024-05-03 (1), Sat 2024-05-04 worked (2), Mon 05-06 (3); 05-07..05-09 off; Fri 05-10.
    assert cal.add_working_days(D("2024-05-03"), 4) == D("2024-05-10")


def test_r_deadline_1_invalid_term(cal: WorkingCalendar) -> None:
    with pytest.raises(ValueError):
        cal.add_working_days(D("2026-01-05"), 0)
    with pytest.raises(ValueError):
        cal.add_calendar_days(D("2026-01-05"), -1)


def test_r_kind_2_complaint_term_20_working_days(cal: WorkingCalendar) -> None:
    """R-KIND-2: a complaint gets 20 working days; Nauryz 2026 pushes the due date."""
    assert cal.due_date(datetime(2026, 3, 16, 10, 0), 20) == D("2026-04-15")


# -- R-DEADLINE-2: calendar-day terms -------------------------------------------------------------


def test_r_deadline_2_calendar_days(cal: WorkingCalendar) -> None:
    assert cal.add_calendar_days(D("2026-11-02"), 30) == D("2026-12-02")  # a Wednesday


def test_r_deadline_2_calendar_term_ending_on_weekend_moves(cal: WorkingCalendar) -> None:
    # 2026-11-05 + 30 = Saturday 2026-12-05 → Monday 2026-12-07.
    assert cal.add_calendar_days(D("2026-11-05"), 30) == D("2026-12-07")
    # 2026-11-16 + 30 = Wednesday 2026-12-16 (Independence Day) → 2026-12-17.
    assert cal.add_calendar_days(D("2026-11-16"), 30) == D("2026-12-17")


def test_r_deadline_2_due_date_calendar_unit(cal: WorkingCalendar) -> None:
    # Registered Monday 2026-11-23 (arrived Friday evening) + 30 days = Wednesday 2026-12-23.
    assert cal.due_date(datetime(2026, 11, 20, 19, 5), 30, "calendar") == D("2026-12-23")
    with pytest.raises(ValueError):
        cal.due_date(datetime(2026, 11, 20, 10, 0), 30, "weeks")  # type: ignore[arg-type]


def test_working_days_between(cal: WorkingCalendar) -> None:
    assert cal.working_days_between(D("2026-03-16"), D("2026-03-27")) == 7  # 23-25 off
    assert cal.working_days_between(D("2024-05-04"), D("2024-05-04")) == 1
    assert cal.working_days_between(D("2026-11-21"), D("2026-11-22")) == 0
    assert cal.working_days_between(D("2026-11-27"), D("2026-11-23")) == 0
    start = D("2022-05-26")
    assert cal.working_days_between(start, cal.add_working_days(start, 15)) == 15


def test_next_working_day(cal: WorkingCalendar) -> None:
    assert cal.next_working_day(D("2026-03-20")) == D("2026-03-26")
    assert cal.next_working_day(D("2026-03-26"), include_self=True) == D("2026-03-26")
    assert cal.next_working_day(D("2026-03-26")) == D("2026-03-27")


# -- R-REG-3: registration date --------------------------------------------------------------


def test_r_reg_3_after_hours_friday(cal: WorkingCalendar) -> None:
    assert cal.registration_date(datetime(2026, 11, 20, 19, 5)) == D("2026-11-23")


def test_r_reg_3_within_hours_and_before_opening(cal: WorkingCalendar) -> None:
    assert cal.registration_date(datetime(2026, 11, 20, 18, 29)) == D("2026-11-20")
    assert cal.registration_date(datetime(2026, 11, 20, 7, 0)) == D("2026-11-20")
    assert cal.registration_date(datetime(2026, 11, 20, 18, 30)) == D("2026-11-23")


def test_r_reg_3_weekend_and_holiday_arrival(cal: WorkingCalendar) -> None:
    assert cal.registration_date(datetime(2026, 11, 21, 11, 0)) == D("2026-11-23")
    assert cal.registration_date(datetime(2026, 3, 20, 19, 0)) == D("2026-03-26")
    assert cal.registration_date(datetime(2026, 3, 24, 10, 0)) == D("2026-03-26")
    assert cal.registration_date(datetime(2024, 5, 4, 10, 0)) == D("2024-05-04")  # worked Saturday


def test_r_reg_3_aware_datetime_converted_to_almaty(cal: WorkingCalendar) -> None:
    # 13:00 UTC is 18:00 in Almaty (UTC+5 since 2024-03-01): still the same day.
    assert cal.registration_date(datetime(2026, 11, 20, 13, 0, tzinfo=UTC)) == D("2026-11-20")
    # 13:45 UTC is 18:45 in Almaty: after hours.
    assert cal.registration_date(datetime(2026, 11, 20, 13, 45, tzinfo=UTC)) == D("2026-11-23")
    # 20:00 UTC Sunday is 01:00 Monday in Almaty.
    assert cal.registration_date(datetime(2026, 11, 22, 20, 0, tzinfo=UTC)) == D("2026-11-23")


def test_r_reg_3_work_end_from_profile() -> None:
    c = calendar_from_settings(None, {"start": "09:00", "end": "18:00"})
    assert c.registration_date(datetime(2026, 11, 20, 18, 10)) == D("2026-11-23")


def test_r_deadline_1_due_date_counts_from_registration(cal: WorkingCalendar) -> None:
    """R-DEADLINE-1 + R-REG-3: an after-hours arrival starts counting on the next working day."""
    assert cal.due_date(datetime(2022, 5, 26, 10, 0), 15) == D("2022-06-15")
    assert cal.due_date(datetime(2022, 5, 26, 19, 0), 15) == D("2022-06-16")


def test_is_working_time() -> None:
    c = WorkingCalendar(lunch=(time(13, 0), time(14, 30)))
    assert c.is_working_time(datetime(2026, 11, 20, 9, 0))
    assert not c.is_working_time(datetime(2026, 11, 20, 8, 59))
    assert not c.is_working_time(datetime(2026, 11, 20, 13, 30))
    assert c.is_working_time(datetime(2026, 11, 20, 14, 30))
    assert not c.is_working_time(datetime(2026, 11, 20, 18, 30))
    assert not c.is_working_time(datetime(2026, 11, 21, 10, 0))  # Saturday
    assert c.is_working_time(datetime(2026, 11, 20, 5, 0, tzinfo=UTC))  # 10:00 local


def test_local_now(cal: WorkingCalendar) -> None:
    assert cal.local_now().utcoffset() == ALMATY.utcoffset(datetime(2026, 1, 1))


# -- profile data --------------------------------------------------------------------------


def test_calendar_from_settings_full() -> None:
    c = calendar_from_settings(
        {
            "arrival_day_counts": False,
            "days_off": ["2026-12-31"],
            "working_days": ["2026-12-26"],
            "notes": {"2026-12-31": "Decree No. 1"},
        },
        {"start": "08:30", "end": "17:30", "lunch": "13:00-14:00"},
    )
    assert c.arrival_day_counts is False
    assert c.days_off == {D("2026-12-31")}
    assert c.working_days == {D("2026-12-26")}
    assert (c.work_start, c.work_end) == (time(8, 30), time(17, 30))
    assert c.lunch == (time(13, 0), time(14, 0))
    assert c.is_holiday(D("2026-12-31")) == "Decree No. 1"


def test_calendar_from_settings_defaults() -> None:
    c = calendar_from_settings(None, None)
    assert c == WorkingCalendar()
    assert c.arrival_day_counts is True
    assert (c.work_start, c.work_end, c.lunch) == (time(9, 0), time(18, 30), None)


@pytest.mark.parametrize(
    ("cal_data", "hours", "bad"),
    [
        ({"days_off": ["2026-02-30"]}, None, "2026-02-30"),
        ({"days_off": ["31.12.2026"]}, None, "31.12.2026"),
        ({"working_days": [20261226]}, None, "20261226"),
        ({"days_off": "2026-12-31"}, None, "2026-12-31"),
        ({"arrival_day_counts": "yes"}, None, "yes"),
        ({"notes": {"someday": "x"}}, None, "someday"),
        (["2026-12-31"], None, "2026-12-31"),
        (None, {"start": "9h"}, "9h"),
        (None, {"end": "25:00"}, "25:00"),
        (None, {"lunch": "13:00"}, "13:00"),
        (None, {"start": "18:00", "end": "09:00"}, "18:00"),
        (None, {"lunch": "19:00-20:00"}, "19:00"),
    ],
)
def test_calendar_from_settings_invalid(cal_data: object, hours: object, bad: str) -> None:
    with pytest.raises(ValueError, match=bad):
        calendar_from_settings(cal_data, hours)  # type: ignore[arg-type]


# -- Flask: get_calendar, add_day_overrides, CLI -------------------------------------------------


@pytest.fixture
def app(make_app) -> Flask:
    # The schema as production has it (built by the Alembic migrations), with no settings yet;
    # no app context is pushed: each test opens its own.
    return make_app("empty")


def test_get_calendar_reads_settings_and_caches_on_g(app: Flask) -> None:
    with app.app_context():
        set_setting("calendar", {"days_off": ["2026-12-31"], "arrival_day_counts": False})
        set_setting("work_hours", {"start": "09:00", "end": "18:00"})
        db.session.commit()
        c = get_calendar()
        assert not c.is_working_day(D("2026-12-31"))
        assert c.arrival_day_counts is False
        assert c.work_end == time(18, 0)
        assert get_calendar() is c
        assert g._docflow_calendar is c


def test_get_calendar_defaults_without_settings(app: Flask) -> None:
    with app.app_context():
        assert get_calendar() == WorkingCalendar()


def test_r_deadline_3_add_day_overrides(app: Flask) -> None:
    with app.app_context():
        before = get_calendar()
        add_day_overrides(days_off=[D("2026-12-31")], note="Decree No. 7")
        add_day_overrides(working_days=[D("2026-12-26")])
        db.session.commit()
        after = get_calendar()
        assert after is not before  # the request cache was dropped
        assert not after.is_working_day(D("2026-12-31"))
        assert after.is_holiday(D("2026-12-31")) == "Decree No. 7"
        assert after.is_working_day(D("2026-12-26"))
        # The latest instruction wins: a day off turned back into a working day.
        add_day_overrides(working_days=[D("2026-12-31")])
        stored = get_setting("calendar")
        assert stored["days_off"] == []
        assert stored["working_days"] == ["2026-12-26", "2026-12-31"]


def _invoke(app: Flask, *args: str) -> Result:
    return app.test_cli_runner().invoke(calendar_cli, list(args))


@pytest.mark.parametrize(
    ("args", "output"),
    [
        (("add-working-days", "2026-10-15", "15"), "2026-11-05"),
        (("add-working-days", "2022-05-26", "15"), "2022-06-15"),
        (("is-working-day", "2026-03-24"), "no"),
        (("is-working-day", "2024-05-04"), "yes"),
        (("registration-date", "2026-11-20T19:05"), "2026-11-23"),
        (("registration-date", "2026-11-20T13:45+00:00"), "2026-11-23"),
    ],
)
def test_cli_queries(app: Flask, args: tuple[str, ...], output: str) -> None:
    """R-DEADLINE-1 / R-REG-3 / R-DEADLINE-3 through the CLI."""
    result = _invoke(app, *args)
    assert result.exit_code == 0, result.output
    assert result.output == output + "\n"


def test_cli_holidays(app: Flask) -> None:
    result = _invoke(app, "holidays", "2024")
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert "2024-05-08\tdecree-day-off\tDay off (substituted from 05/04/2024)" in lines
    assert "2024-05-04\tdecree-working-day\tWorking day (day off moved to 2024-05-08)" in lines
    assert "2024-03-25\tobserved\tNowruz Holiday (observed)" in lines
    assert all(line.count("\t") == 2 for line in lines)


def test_cli_add_day_off_and_working_day(app: Flask) -> None:
    """R-DEADLINE-3: the office stores decree days; they are committed and used."""
    result = _invoke(app, "add-day-off", "2026-12-31", "--note", "Decree No. 7")
    assert result.exit_code == 0, result.output
    result = _invoke(app, "add-working-day", "2026-12-26")
    assert result.exit_code == 0, result.output
    assert _invoke(app, "is-working-day", "2026-12-31").output == "no\n"
    assert _invoke(app, "is-working-day", "2026-12-26").output == "yes\n"
    with app.app_context():
        stored = get_setting("calendar")
    assert stored["days_off"] == ["2026-12-31"]
    assert stored["working_days"] == ["2026-12-26"]
    assert stored["notes"] == {"2026-12-31": "Decree No. 7"}
    lines = _invoke(app, "holidays", "2026").output.splitlines()
    assert "2026-12-31\tprofile-day-off\tDecree No. 7" in lines


@pytest.mark.parametrize(
    "args",
    [
        ("add-working-days", "15.10.2026", "15"),
        ("add-working-days", "2026-10-15", "-1"),
        ("add-working-days", "2026-10-15", "x"),
        ("is-working-day", "2026-13-01"),
        ("registration-date", "yesterday"),
        ("add-day-off", "someday"),
        ("holidays", "twenty"),
    ],
)
def test_cli_bad_input(app: Flask, args: tuple[str, ...]) -> None:
    result = _invoke(app, *args)
    assert result.exit_code != 0
    assert "Error" in result.output
    assert "Traceback" not in result.output
    assert not isinstance(result.exception, ValueError)


def test_cli_negative_term_message(app: Flask) -> None:
    result = _invoke(app, "add-working-days", "2026-10-15", "-1")
    assert result.exit_code == 2
    assert "-1 is not in the range x>=1" in result.output


def test_cli_broken_profile_data(app: Flask) -> None:
    with app.app_context():
        set_setting("calendar", {"days_off": ["2026-02-30"]})
        db.session.commit()
    result = _invoke(app, "is-working-day", "2026-03-24")
    assert result.exit_code == 1
    assert "2026-02-30" in result.output
    assert "Traceback" not in result.output
