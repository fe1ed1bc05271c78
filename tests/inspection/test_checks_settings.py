"""Check settings in force at the time of each case are the ones judged (issue 11, item 2): a
later change of the profile's terms or calendar does not rewrite past results; and the CLI."""

from __future__ import annotations

import datetime as dt
import json

from sqlalchemy import func, select

from docflow.core.calendar import add_day_overrides
from docflow.core.settings import SettingVersion, get_setting, set_setting
from docflow.extensions import db
from tests.inspection.conftest import answered, imported

A, B, C = "ЖТ-2026-60000001", "ЖТ-2026-60000002", "ЖТ-2026-60000003"


def _version(key, value, day: dt.date) -> None:
    moment = dt.datetime.combine(day, dt.time(9, 0), tzinfo=dt.UTC)
    db.session.add(SettingVersion(key=key, value=value, changed_at=moment))


def test_set_setting_keeps_every_value_by_date(app):
    count = select(func.count()).select_from(SettingVersion).where(SettingVersion.key == "terms")
    before = db.session.scalar(count)
    terms = dict(get_setting("terms"))
    set_setting("terms", terms)  # the same value: no new version
    assert db.session.scalar(count) == before
    set_setting("terms", {**terms, "statement": {"days": 10, "unit": "working"}})
    assert db.session.scalar(count) == before + 1
    latest = db.session.scalars(
        select(SettingVersion.value)
        .where(SettingVersion.key == "terms")
        .order_by(SettingVersion.id.desc())
    ).first()
    assert latest["statement"]["days"] == 10


def test_r_kind_2_each_case_judged_by_the_terms_in_force_on_its_day(app, import_cases, checks):
    terms = dict(get_setting("terms"))
    ten = {**terms, "statement": {"days": 10, "unit": "working"}}
    _version("terms", terms, dt.date(2026, 1, 1))  # 15 WD for statements …
    _version("terms", ten, dt.date(2026, 3, 10))  # … 10 WD from 10 March
    db.session.commit()
    # A: 2 March, answered 20 March — within 15 WD (due 26 March), late under 10 WD (16 March)
    # B: 16 March, answered 3 April — late under 10 WD (due 1 April), within 15 WD (8 April)
    import_cases(
        [
            imported(A, events=[answered("2026-03-20 10:00")]),
            imported(B, received="2026-03-16 10:15", events=[answered("2026-04-03 10:00")]),
        ]
    )
    _, found = checks("2026-03-01", "2026-03-31", as_of="2026-04-30")
    assert (A, "ANSWER_LATE") not in found
    assert (B, "ANSWER_LATE") in found
    assert "2026-04-01" in found[(B, "ANSWER_LATE")].evidence

    set_setting("terms", {**terms, "statement": {"days": 5, "unit": "working"}})  # today
    db.session.commit()
    _, again = checks("2026-03-01", "2026-03-31", as_of="2026-04-30")
    assert {k for k in again if k[1] == "ANSWER_LATE"} == {
        k for k in found if k[1] == "ANSWER_LATE"
    }


def test_r_deadline_3_a_later_calendar_change_does_not_rewrite_the_result(
    app, import_cases, checks
):
    # C: 2 March, answered on its due date 26 March
    import_cases([imported(C, events=[answered("2026-03-26 12:00")])])
    _, found = checks("2026-03-01", "2026-03-31", as_of="2026-04-30")
    assert (C, "ANSWER_LATE") not in found
    # a decree made today turning Saturday 21 March into a working day would make the due date
    # 21 March; the case was judged by the calendar of its time
    add_day_overrides(working_days=[dt.date(2026, 3, 21), dt.date(2026, 3, 24)])
    db.session.commit()
    _, found = checks("2026-03-01", "2026-03-31", as_of="2026-04-30")
    assert (C, "ANSWER_LATE") not in found


def test_r_deadline_3_the_calendar_of_the_cases_day_is_used(app, import_cases, checks):
    _version(
        "calendar",
        {"arrival_day_counts": True, "working_days": ["2026-03-21", "2026-03-24"]},
        dt.date(2026, 2, 1),
    )
    db.session.commit()
    import_cases([imported(C, events=[answered("2026-03-26 12:00")])])
    _, found = checks("2026-03-01", "2026-03-31", as_of="2026-04-30")
    assert (C, "ANSWER_LATE") in found  # due Saturday 21 March on that calendar


def test_cli_inspection_run_json_shape(app, runner, import_cases):
    import_cases(
        [
            imported(A, events=[answered("2026-03-27 10:00")]),
            imported(B, received="2026-03-16 10:15", events=[answered("2026-03-20 10:00")]),
        ]
    )
    args = [
        "inspection",
        "run",
        "--from",
        "2026-03-01",
        "--to",
        "2026-03-31",
        "--as-of",
        "2026-04-30",
    ]
    result = runner.invoke(args=[*args, "--subdivision", "ENERGY", "--json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert list(data) == ["period", "checked", "not_judged", "findings"]
    assert data["period"] == {"from": "2026-03-01", "to": "2026-03-31", "as_of": "2026-04-30"}
    assert data["checked"] == 2
    assert data["not_judged"] == {"SIGNATURE_INVALID": 2}
    assert data["findings"] == [
        {
            "check": "ANSWER_LATE",
            "reg_number": A,
            "rule": "R-DEADLINE-1, R-KIND-2",
            "severity": "high",
            "evidence": data["findings"][0]["evidence"],
        }
    ]
    assert "2026-03-26" in data["findings"][0]["evidence"]
    other = runner.invoke(args=[*args, "--subdivision", "EDU", "--json"])
    assert json.loads(other.output)["checked"] == 0
    table = runner.invoke(args=args)
    assert table.exit_code == 0 and "ANSWER_LATE" in table.output and A in table.output
    bad = runner.invoke(args=["inspection", "run", "--from", "2026-03-01", "--to", "2026-02-01"])
    assert bad.exit_code != 0
