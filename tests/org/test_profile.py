"""The office profile: the demo organisation, idempotent reloads, validation, settings, and the
``flask profile load`` / ``flask demo`` / ``flask init`` commands.
"""

from __future__ import annotations

import copy
import json

import pytest
from sqlalchemy import func, inspect, select, text
from werkzeug.security import check_password_hash

from docflow.core.audit import AuditEntry
from docflow.core.settings import Setting, get_setting
from docflow.extensions import db
from docflow.org import operations
from docflow.org.models import (
    Employee,
    Official,
    Organisation,
    RoleGrant,
    Subdivision,
    User,
    subdivision_by_code,
    user_by_username,
)
from docflow.org.profile import DEMO_PROFILE, ProfileError, load_profile, read_profile

# The codes of /work/shared/samples/org/almaty-city.json, in file order.
SUBDIVISION_CODES = [
    "APPEALS",
    "ENERGY",
    "MOBILITY",
    "EDU",
    "HEALTH",
    "SOCIAL",
    "HOUSING",
    "URBAN",
    "LAND",
    "ECO",
    "BUSINESS",
    "CULTURE",
    "SPORT",
    "COMFORT",
    "CONSTR",
    "ALATAU",
    "ALMALY",
    "AUEZOV",
    "BOSTANDYK",
    "ZHETYSU",
    "MEDEU",
    "NAURYZBAY",
    "TURKSIB",
]
OFFICIAL_CODES = ["AKIM", "DEP1", "DEP2", "DEP3", "DEP4", "HEAD-APP"]
DISTRICTS = {"ALATAU", "ALMALY", "AUEZOV", "BOSTANDYK", "ZHETYSU", "MEDEU", "NAURYZBAY", "TURKSIB"}
SUPERVISORS = {
    "ENERGY": "DEP1",
    "HOUSING": "DEP1",
    "COMFORT": "DEP1",
    "EDU": "DEP2",
    "HEALTH": "DEP2",
    "SOCIAL": "DEP2",
    "CULTURE": "DEP2",
    "SPORT": "DEP2",
    "URBAN": "DEP3",
    "LAND": "DEP3",
    "CONSTR": "DEP3",
    "MOBILITY": "DEP3",
    "BUSINESS": "DEP4",
    "ECO": "DEP4",
}
DEMO_GRANTS = {
    "admin": {("admin", None)},
    "clerk": {("registrar", None)},
    "controller": {("controller", None)},
    "head.energy": {("head", "ENERGY")},
    "exec.energy": {("executor", "ENERGY")},
    "exec2.energy": {("executor", "ENERGY")},
    "head.edu": {("head", "EDU")},
    "exec.edu": {("executor", "EDU")},
    "akim": {("official", None)},
    "inspector": {("inspector", None)},
}
# Employees linked to a user: username → (subdivision, is_head).
DEMO_EMPLOYEES = {
    "clerk": ("APPEALS", False),
    "controller": ("APPEALS", False),
    "head.energy": ("ENERGY", True),
    "exec.energy": ("ENERGY", False),
    "exec2.energy": ("ENERGY", False),
    "head.edu": ("EDU", True),
    "exec.edu": ("EDU", False),
}
COUNTED = (Organisation, Subdivision, Official, Employee, User, RoleGrant, Setting, AuditEntry)


def counts() -> dict[str, int]:
    return {
        model.__name__: db.session.scalar(select(func.count()).select_from(model))
        for model in COUNTED
    }


def demo_data():
    return read_profile(DEMO_PROFILE)


# --- the demo organisation -------------------------------------------------------------------


def test_demo_organisation_matches_the_sample(app):
    org = db.session.scalar(select(Organisation))
    assert org.code == "ALMATY-CITY"
    assert set(org.names) == {"kk", "ru", "en"}
    assert org.names["en"] == "Office of the Akim of Almaty City"

    subs = list(db.session.scalars(select(Subdivision).order_by(Subdivision.id)))
    assert [s.code for s in subs] == SUBDIVISION_CODES
    for sub in subs:
        assert sub.organisation_id == org.id
        assert all(sub.names.get(lang) for lang in ("kk", "ru", "en")), sub.code
        expected_kind = (
            "apparatus"
            if sub.code == "APPEALS"
            else "district"
            if sub.code in DISTRICTS
            else "department"
        )
        assert sub.kind == expected_kind, sub.code
        assert sub.supervisor_code == SUPERVISORS.get(sub.code), sub.code
        assert sub.active
    assert subdivision_by_code("ENERGY").names["en"] == "Energy and Water Supply Department"
    assert subdivision_by_code("TURKSIB").names["ru"]

    officials = list(db.session.scalars(select(Official).order_by(Official.id)))
    assert [o.code for o in officials] == OFFICIAL_CODES
    dep1 = next(o for o in officials if o.code == "DEP1")
    assert dep1.supervises == ["ENERGY", "HOUSING", "COMFORT"]
    akim = next(o for o in officials if o.code == "AKIM")
    assert akim.user_id == user_by_username("akim").id


def test_every_subdivision_head_is_an_employee(app):
    heads = list(db.session.scalars(select(Employee).where(Employee.is_head)))
    assert sorted(e.subdivision.code for e in heads) == sorted(SUBDIVISION_CODES)
    for emp in heads:
        assert emp.full_name == emp.subdivision.head_name
        assert emp.positions == {"kk": "Басшы", "ru": "Руководитель", "en": "Head"}
    energy_head = next(e for e in heads if e.subdivision.code == "ENERGY")
    assert energy_head.user == user_by_username("head.energy")
    assert energy_head.full_name == "Бақытжан Ерланұлы Қасымов"
    # 23 heads + 5 other employees; heads named again in "employees" are not duplicated.
    assert db.session.scalar(select(func.count()).select_from(Employee)) == 28


def test_demo_users_and_grants(app):
    users = {u.username: u for u in db.session.scalars(select(User))}
    assert set(users) == set(DEMO_GRANTS)
    for name, grants in DEMO_GRANTS.items():
        assert set(users[name].role_grants()) == grants, name
        assert users[name].active
        assert check_password_hash(users[name].password_hash, "docflow-demo")
    for name, (code, is_head) in DEMO_EMPLOYEES.items():
        emp = users[name].employee
        assert emp is not None, name
        assert (emp.subdivision.code, emp.is_head) == (code, is_head), name


def test_settings_are_stored(app):
    terms = get_setting("terms")
    assert terms["complaint"] == {"days": 20, "unit": "working"}  # R-KIND-2
    for kind in ("statement", "request", "proposal", "response", "report"):
        assert terms[kind] == {"days": 15, "unit": "working"}, kind  # R-KIND-2, R-DEADLINE-1
    assert terms["information_request"] == {"days": 15, "unit": "calendar"}
    assert get_setting("work_hours") == {"start": "09:00", "end": "18:30", "lunch": "13:00-14:30"}
    journals = {j["code"]: j["prefix"] for j in get_setting("journals")}  # R-REG-4
    assert journals == {"individuals": "ЖТ", "legal": "ЗТ", "correspondence": "КХ"}
    assert get_setting("calendar")["days_off"] == []
    assert get_setting("profile")["name"] == "almaty-city-demo"


# --- reloads ---------------------------------------------------------------------------------


def test_reload_is_idempotent_no_rows_and_no_audit_entries(app):
    before = counts()
    report = load_profile(demo_data())
    db.session.commit()
    assert counts() == before
    assert report.created == {}
    assert report.updated["subdivision"] == 23
    assert report.updated["user"] == 10


def test_reload_applies_a_change_and_audits_only_that(app):
    data = demo_data()
    data["subdivisions"][1]["name"]["en"] = "Energy Department"
    data["terms"]["complaint"]["days"] = 25
    before = counts()
    last = db.session.scalar(select(func.max(AuditEntry.seq)))
    load_profile(data)
    db.session.commit()
    assert subdivision_by_code("ENERGY").names["en"] == "Energy Department"
    assert get_setting("terms")["complaint"]["days"] == 25
    changed = {
        (e.action, e.object_type, e.object_id)
        for e in db.session.scalars(select(AuditEntry).where(AuditEntry.seq > last))
    }
    energy_id = str(subdivision_by_code("ENERGY").id)
    assert changed == {("update", "subdivision", energy_id), ("update", "setting", "terms")}
    assert counts()["AuditEntry"] == before["AuditEntry"] + 2


def test_reload_does_not_reset_a_changed_password(app):
    clerk = user_by_username("clerk")
    operations.set_password(clerk, "a-changed-password")
    db.session.commit()
    load_profile(demo_data())
    db.session.commit()
    db.session.refresh(clerk)
    assert check_password_hash(clerk.password_hash, "a-changed-password")
    assert not check_password_hash(clerk.password_hash, "docflow-demo")


def test_reload_replaces_grants_that_the_profile_changed(app):
    data = demo_data()
    exec_edu = next(u for u in data["users"] if u["username"] == "exec.edu")
    exec_edu["roles"] = [{"role": "executor", "subdivision": "HEALTH"}]
    load_profile(data)
    db.session.commit()
    assert set(user_by_username("exec.edu").role_grants()) == {("executor", "HEALTH")}


# --- validation ------------------------------------------------------------------------------


def _user(data, name):
    return next(u for u in data["users"] if u["username"] == name)


INVALID = {
    "unknown role": (
        lambda d: _user(d, "clerk").__setitem__("roles", [{"role": "superuser"}]),
        "users[1]: unknown role superuser",
    ),
    "local role without subdivision": (
        lambda d: _user(d, "head.energy").__setitem__("roles", [{"role": "head"}]),
        "users[3]: role head needs a known subdivision",
    ),
    "local role in unknown subdivision": (
        lambda d: _user(d, "exec.edu").__setitem__(
            "roles", [{"role": "executor", "subdivision": "NOWHERE"}]
        ),
        "users[7]: role executor needs a known subdivision",
    ),
    "role written as a string": (
        lambda d: _user(d, "head.energy").__setitem__("roles", ["head@ENERGY"]),
        "users[3].roles[0] must be an object",
    ),
    "duplicate code": (
        lambda d: d["subdivisions"].append(copy.deepcopy(d["subdivisions"][1])),
        "subdivisions[23]: duplicate code ENERGY",
    ),
    "unknown parent": (
        lambda d: d["subdivisions"][16].__setitem__("parent", "NOWHERE"),
        "subdivisions[16]: unknown parent NOWHERE",
    ),
    "unknown kind": (
        lambda d: d["subdivisions"][2].__setitem__("kind", "ministry"),
        "subdivisions[2]: kind must be one of",
    ),
    "bad calendar date": (
        lambda d: d["calendar"].__setitem__("days_off", ["2026-02-30"]),
        "calendar.days_off: '2026-02-30' is not a date YYYY-MM-DD",
    ),
    "bad term unit": (
        lambda d: d["terms"]["complaint"].__setitem__("unit", "weeks"),
        "terms.complaint: must be",
    ),
    "zero term": (
        lambda d: d["terms"]["statement"].__setitem__("days", 0),
        "terms.statement: must be",
    ),
    "bad working hours": (
        lambda d: d["work_hours"].__setitem__("end", "18h30"),
        "work_hours.end: '18h30' is not a time HH:MM",
    ),
    "supervises unknown subdivision": (
        lambda d: d["officials"][1]["supervises"].append("NOWHERE"),
        "officials[1]: supervises unknown subdivision NOWHERE",
    ),
    "two supervisors for one subdivision": (
        lambda d: d["officials"][2]["supervises"].append("ENERGY"),
        "officials[2]: ENERGY is already supervised by DEP1",
    ),
    "employee of unknown user": (
        lambda d: d["employees"][0].__setitem__("user", "nobody"),
        "employees[0]: unknown user nobody",
    ),
    "one user, two employees": (
        lambda d: d["employees"].append({"name": "Another", "subdivision": "EDU", "user": "clerk"}),
        "employees[7]: user clerk is already another employee",
    ),
    "entry is not an object": (
        lambda d: d["officials"].append("DEP5"),
        "officials[6] must be an object",
    ),
    "terms is not an object": (
        lambda d: d.__setitem__("terms", [15, 20]),
        "terms must be an object",
    ),
    "missing organisation": (lambda d: d.pop("organization"), "organization.code is required"),
}


@pytest.mark.parametrize("case", list(INVALID))
def test_invalid_profile_names_the_entry_and_writes_nothing(app, case):
    mutate, message = INVALID[case]
    data = demo_data()
    mutate(data)
    before = counts()
    with pytest.raises(ProfileError) as info:
        load_profile(data)
    assert message in str(info.value)
    assert not db.session.new and not db.session.dirty
    db.session.rollback()
    assert counts() == before


def test_read_profile_errors(tmp_path):
    broken = tmp_path / "broken.json"
    broken.write_text("{ not json", encoding="utf-8")
    with pytest.raises(ProfileError, match="is not valid JSON"):
        read_profile(broken)
    with pytest.raises(ProfileError, match="cannot read profile"):
        read_profile(tmp_path / "missing.json")
    listed = tmp_path / "list.json"
    listed.write_text("[]", encoding="utf-8")
    with pytest.raises(ProfileError, match="must be a JSON object"):
        read_profile(listed)


# --- CLI -------------------------------------------------------------------------------------


def write(tmp_path, data, name="profile.json"):
    path = tmp_path / name
    path.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    return path


def test_cli_profile_load_with_a_bad_entry_fails_and_changes_nothing(app, runner, tmp_path):
    data = demo_data()
    data["subdivisions"][1]["name"]["en"] = "Renamed before the error"  # valid change first
    _user(data, "clerk")["roles"] = [{"role": "superuser"}]
    before = counts()
    result = runner.invoke(args=["profile", "load", str(write(tmp_path, data))])
    assert result.exit_code != 0
    lines = result.output.strip().splitlines()
    assert lines == ["Error: users[1]: unknown role superuser"]
    db.session.expire_all()
    assert counts() == before
    assert subdivision_by_code("ENERGY").names["en"] == "Energy and Water Supply Department"


@pytest.mark.parametrize("content", ["{ not json", None])
def test_cli_profile_load_with_an_unreadable_file_fails_with_a_message(
    app, runner, tmp_path, content
):
    path = tmp_path / "broken.json"
    if content is not None:
        path.write_text(content, encoding="utf-8")
    before = counts()
    result = runner.invoke(args=["profile", "load", str(path)])
    assert counts() == before
    assert result.exit_code != 0
    assert isinstance(result.exception, SystemExit)  # a ClickException, not a crash
    lines = result.output.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("Error: ")


def test_cli_profile_load_valid_file_reports(app, runner, tmp_path):
    data = demo_data()
    data["subdivisions"].append(
        {"code": "ARCHIVE", "kind": "other", "name": {"kk": "Мұрағат", "ru": "Архив"}}
    )
    result = runner.invoke(args=["profile", "load", str(write(tmp_path, data))])
    assert result.exit_code == 0, result.output
    assert "created: {'subdivision': 1}" in result.output
    assert subdivision_by_code("ARCHIVE").kind == "other"


def test_flask_init_and_demo_are_idempotent(empty_app):
    runner = empty_app.test_cli_runner()

    def schema():
        tables = sorted(inspect(db.engine).get_table_names())
        version = db.session.execute(text("SELECT version_num FROM alembic_version")).scalar()
        db.session.rollback()
        return tables, version

    first = runner.invoke(args=["init"])
    assert first.exit_code == 0, first.output
    assert "database ready" in first.output
    after_first = schema()
    second = runner.invoke(args=["init"])
    assert second.exit_code == 0, second.output
    assert schema() == after_first
    assert "user_account" in after_first[0] and after_first[1]
    assert counts()["User"] == 0

    outputs = []
    for _ in range(2):
        result = runner.invoke(args=["demo"])
        assert result.exit_code == 0, result.output
        outputs.append(result.output)
        if len(outputs) == 1:
            loaded = counts()
    assert counts() == loaded
    assert loaded["User"] == 10 and loaded["Subdivision"] == 23
    assert outputs[0] == outputs[1]
    lines = outputs[0].splitlines()
    assert lines[0] == "Demo logins (username / password, roles):"
    rows = {line.split()[0]: line.split()[1:] for line in lines[1:]}
    assert set(rows) == set(DEMO_GRANTS)
    assert rows["head.energy"] == ["docflow-demo", "head@ENERGY"]
    assert rows["clerk"] == ["docflow-demo", "registrar"]
    # The CLI acted as "cli" in the audit trail.
    assert {e.actor_name for e in db.session.scalars(select(AuditEntry))} == {"cli"}


def test_flask_demo_quiet_prints_nothing(app, runner):
    before = counts()
    result = runner.invoke(args=["demo", "--quiet"])
    assert result.exit_code == 0
    assert result.output == ""
    assert counts() == before
