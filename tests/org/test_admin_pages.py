"""The admin pages (issue 14): users, roles, IIN, deactivation, password reset, subdivisions,
heads, the calendar, terms and journals — each page, each change audited, non-admins refused
(403), bad input refused with a readable message and nothing changed; and terms and calendar
days changed *from a date*, so the due dates already computed stay as they were."""

from __future__ import annotations

import datetime as dt
import io
import json

import pytest
from sqlalchemy import func, select

from docflow.core.audit import AuditEntry
from docflow.core.calendar import ALMATY, WorkingCalendar, get_calendar
from docflow.core.settings import get_setting
from docflow.extensions import db
from docflow.inspection.history_settings import SettingsHistory
from docflow.org import admin_ops
from docflow.org.admin_models import ScheduledChange
from docflow.org.models import RoleGrant, Subdivision, user_by_username
from docflow.org.profile import DEMO_PROFILE, read_profile
from tests.conftest import fake_iin
from tests.fixtures import page

PAGES = (
    "/admin/",
    "/admin/users",
    "/admin/users/new",
    "/admin/subdivisions",
    "/admin/subdivisions/ENERGY",
    "/admin/heads",
    "/admin/calendar",
    "/admin/terms",
    "/admin/profile",
)


def entries(action: str) -> list[AuditEntry]:
    db.session.expire_all()
    return list(db.session.scalars(select(AuditEntry).where(AuditEntry.action == action)))


def count(model, *where) -> int:
    return db.session.scalar(select(func.count()).select_from(model).where(*where))


def today() -> dt.date:
    return get_calendar().local_now().date()


@pytest.fixture
def as_user(app, login):
    """``as_user("clerk")`` → a test client logged in as that demo user (English pages);
    ``as_user()`` anonymous. (``web`` in tests/org is an app of its own.)"""

    def make(username: str | None = None):
        c = app.test_client()
        c.environ_base["HTTP_ACCEPT_LANGUAGE"] = "en"
        if username:
            assert login(username, c=c).status_code == 302
        return c

    return make


@pytest.fixture
def admin(as_user):
    return as_user("admin")


@pytest.fixture
def on_day(monkeypatch):
    """``on_day(d)``: the office's clock says it is ``d``, 10:00."""

    def move(day: dt.date) -> None:
        monkeypatch.setattr(
            WorkingCalendar,
            "local_now",
            lambda self: dt.datetime(day.year, day.month, day.day, 10, 0, tzinfo=self.tz),
        )

    return move


def test_every_admin_page_opens_for_the_admin(admin):
    for path in PAGES:
        r = admin.get(path)
        assert r.status_code == 200, path
    text = page(admin.get("/admin/"))
    assert "/admin/letter-templates/" in text and "/org/substitutes" in text
    assert "/org/substitutes" in page(admin.get("/admin/heads"))
    assert 'id="nav-admin"' in page(admin.get("/"))


@pytest.mark.parametrize("who", ["clerk", "head.energy", "inspector", "controller"])
def test_r_audit_1_non_admins_are_refused_every_admin_page_and_change(as_user, users, who):
    c = as_user(who)
    assert 'id="nav-admin"' not in page(c.get("/"))
    for path in PAGES:
        assert c.get(path).status_code == 403, path
    target = users["exec.edu"]
    before = count(RoleGrant)
    posts = {
        "/admin/users/new": {"username": "intruder", "full_name": "X", "global_roles": "admin"},
        f"/admin/users/{target.id}/roles": {"role": "admin", "subdivision": 0},
        f"/admin/users/{target.id}/roles/{target.grants[0].id}/remove": {},
        f"/admin/users/{target.id}/iin": {"iin": fake_iin(5)},
        f"/admin/users/{target.id}/deactivate": {},
        f"/admin/users/{target.id}/reactivate": {},
        f"/admin/users/{target.id}/password": {},
        f"/admin/users/{target.id}/token": {},
        "/admin/subdivisions/ENERGY": {"name_kk": "a", "name_ru": "b", "kind": "other"},
        "/admin/subdivisions/ENERGY/heads": {"user": target.id},
        f"/admin/subdivisions/EDU/heads/{users['head.edu'].id}/remove": {},
        "/admin/calendar": {"day": "2027-03-01", "kind": "off", "effective_from": "2027-01-01"},
        "/admin/terms/complaint": {"t-complaint-days": 3, "t-complaint-unit": "working"},
        "/admin/profile": {"file": (io.BytesIO(b"{}"), "p.json")},
        "/admin/journals/legal": {
            "j-legal-name_kk": "a",
            "j-legal-name_ru": "b",
            "j-legal-prefix": "Q",
        },
    }
    for path, data in posts.items():
        assert c.post(path, data=data).status_code == 403, path
    db.session.expire_all()
    assert user_by_username("intruder") is None
    assert count(RoleGrant) == before and user_by_username("exec.edu").active
    assert count(ScheduledChange) == 0


def new_user(admin, **extra):
    data = {
        "username": "aigerim.energy",
        "full_name": "Айгерім Болатқызы Серікова",
        "local_role": "executor",
        "local_subdivision": db.session.scalar(
            select(Subdivision.id).where(Subdivision.code == "ENERGY")
        ),
        "password": "a-long-password-1",
    } | extra
    return admin.post("/admin/users/new", data=data)


def test_the_admin_creates_a_user_with_a_local_role_who_then_logs_in(admin, as_user, login):
    r = new_user(admin)
    assert r.status_code == 303
    user = user_by_username("aigerim.energy")
    assert [(g.role, g.subdivision.code) for g in user.grants] == [("executor", "ENERGY")]
    (entry,) = entries("create_user")
    assert entry.summary == {"username": "aigerim.energy", "roles": ["executor@ENERGY"]}
    assert entry.actor_name == user_by_username("admin").display_name
    c = as_user()
    assert login("aigerim.energy", "a-long-password-1", c=c).status_code == 302
    assert "aigerim.energy" in page(
        admin.get("/admin/users?role=executor&subdivision=" + str(user.grants[0].subdivision_id))
    )


def test_without_a_password_a_temporary_one_is_shown_once(admin, as_user, login):
    r = new_user(admin, password="")
    assert r.status_code == 200
    text = page(r)
    start = text.index('id="temporary-password">') + len('id="temporary-password">')
    password = text[start : text.index("</code>", start)]
    assert len(password) >= 12
    with admin.session_transaction() as s:
        assert password not in str(s.get("_flashes"))  # never into the session cookie
    assert password not in page(admin.get(f"/admin/users/{user_by_username('aigerim.energy').id}"))
    assert login("aigerim.energy", password, c=as_user()).status_code == 302


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        ({"username": "clerk"}, "The username clerk is taken."),
        ({"local_subdivision": 0}, "is held for a subdivision"),
        ({"username": "Bad Name!"}, "The username must be"),
        ({"password": "short"}, "between 10 and 200 characters"),
    ],
)
def test_bad_user_input_is_refused_readably_and_nothing_is_created(admin, extra, message):
    users_before = count(RoleGrant)
    r = new_user(admin, **extra)
    assert r.status_code == 422
    assert message in page(r)
    assert user_by_username("aigerim.energy") is None and count(RoleGrant) == users_before
    assert entries("create_user") == []


def test_roles_given_and_taken_away_are_audited(admin, users):
    user = users["exec.edu"]
    sub_id = db.session.scalar(select(Subdivision.id).where(Subdivision.code == "HEALTH"))
    assert (
        admin.post(
            f"/admin/users/{user.id}/roles", data={"role": "head", "subdivision": sub_id}
        ).status_code
        == 303
    )
    db.session.expire_all()
    grant = next(g for g in user_by_username("exec.edu").grants if g.role == "head")
    assert grant.subdivision.code == "HEALTH"
    assert entries("grant_role")[0].summary["subdivision"] == "HEALTH"
    # a local role without its subdivision: refused, nothing added
    r = admin.post(f"/admin/users/{user.id}/roles", data={"role": "executor", "subdivision": 0})
    assert r.status_code == 422 and "choose the subdivision" in page(r)
    r = admin.post(f"/admin/users/{user.id}/roles/{grant.id}/remove")
    assert r.status_code == 303
    db.session.expire_all()
    assert all(g.role != "head" for g in user_by_username("exec.edu").grants)
    assert entries("revoke_role")[0].summary["role"] == "head"


def test_the_last_administrator_keeps_the_role(admin, users):
    me = user_by_username("admin")
    grant = next(g for g in me.grants if g.role == "admin")
    r = admin.post(f"/admin/users/{me.id}/roles/{grant.id}/remove")
    assert r.status_code == 422 and "last active administrator" in page(r)
    db.session.expire_all()
    assert any(g.role == "admin" for g in user_by_username("admin").grants)


def test_the_iin_is_recorded_and_audited_without_the_number(admin, users):
    user = users["head.edu"]
    iin = fake_iin(77)
    assert admin.post(f"/admin/users/{user.id}/iin", data={"iin": iin}).status_code == 303
    db.session.expire_all()
    assert user_by_username("head.edu").employee.iin == iin
    assert entries("set_iin")[0].summary == {"username": "head.edu"}
    assert iin not in str([e.summary for e in entries("update") + entries("create")])
    r = admin.post(f"/admin/users/{user.id}/iin", data={"iin": "123456789012"})
    assert r.status_code == 422 and "IIN is not valid" in page(r)
    db.session.expire_all()
    assert user_by_username("head.edu").employee.iin == iin


def test_deactivate_and_reactivate(admin, as_user, login, users):
    user = users["exec2.energy"]
    other = as_user("exec2.energy")
    assert admin.post(f"/admin/users/{user.id}/deactivate").status_code == 303
    assert other.get("/").status_code == 302  # the session ended at once
    assert login("exec2.energy", c=as_user()).status_code == 401
    assert len(entries("deactivate_user")) == 1
    assert "exec2.energy" in page(admin.get("/admin/users?status=inactive"))
    assert admin.post(f"/admin/users/{user.id}/reactivate").status_code == 303
    assert login("exec2.energy", c=as_user()).status_code == 302
    assert len(entries("reactivate_user")) == 1


def test_reset_password_gives_a_one_time_password(admin, as_user, login, users):
    user = users["exec.energy"]
    other = as_user("exec.energy")
    r = admin.post(f"/admin/users/{user.id}/password")
    assert r.status_code == 200
    text = page(r)
    start = text.index('id="temporary-password">') + len('id="temporary-password">')
    password = text[start : text.index("</code>", start)]
    assert other.get("/").status_code == 302  # old sessions end
    assert login("exec.energy", c=as_user()).status_code == 401  # the old password is gone
    assert login("exec.energy", password, c=as_user()).status_code == 302
    (entry,) = entries("reset_password")
    assert password not in str(entry.summary)


def test_a_subdivision_is_edited_and_audited(admin):
    data = {"name_kk": "Энергетика басқармасы", "name_ru": "Управление энергетики", "name_en": "", "kind": "department", "active": "y"}  # fmt: skip
    assert admin.post("/admin/subdivisions/ENERGY", data=data).status_code == 303
    db.session.expire_all()
    sub = db.session.scalar(select(Subdivision).where(Subdivision.code == "ENERGY"))
    assert sub.names == {"kk": "Энергетика басқармасы", "ru": "Управление энергетики"}
    assert entries("update_subdivision")[0].summary["after"]["names"] == sub.names
    # no Russian name: refused, nothing changed
    r = admin.post("/admin/subdivisions/ENERGY", data=data | {"name_ru": "", "kind": "other"})
    assert r.status_code == 422
    db.session.expire_all()
    sub = db.session.scalar(select(Subdivision).where(Subdivision.code == "ENERGY"))
    assert sub.kind == "department" and sub.names["ru"] == "Управление энергетики"
    # out of use
    assert admin.post("/admin/subdivisions/ENERGY", data=data | {"active": ""}).status_code == 303
    db.session.expire_all()
    assert not db.session.scalar(select(Subdivision.active).where(Subdivision.code == "ENERGY"))


def test_heads_are_set_and_removed(admin, users):
    exec_edu = users["exec.edu"]
    assert (
        admin.post("/admin/subdivisions/EDU/heads", data={"user": exec_edu.id}).status_code == 303
    )
    db.session.expire_all()
    edu = db.session.scalar(select(Subdivision).where(Subdivision.code == "EDU"))
    assert {u.username for u in admin_ops.heads_of(edu)} == {"head.edu", "exec.edu"}
    assert entries("set_head")[0].summary == {"code": "EDU", "username": "exec.edu"}
    assert edu.head_name == exec_edu.full_name
    r = admin.post("/admin/subdivisions/EDU/heads", data={"user": exec_edu.id})
    assert r.status_code == 422 and "already heads EDU" in page(r)
    assert admin.post(f"/admin/subdivisions/EDU/heads/{exec_edu.id}/remove").status_code == 303
    db.session.expire_all()
    assert {u.username for u in admin_ops.heads_of(edu)} == {"head.edu"}
    assert edu.head_name == user_by_username("head.edu").full_name
    assert len(entries("remove_head")) == 1
    assert "head.edu" in page(admin.get("/admin/heads"))


def register(make_item, kind: str = "statement"):
    """An item arriving now (the real clock: an arrival in the future is refused)."""
    arrived = dt.datetime.now(ALMATY) - dt.timedelta(minutes=1)
    item = make_item(kind=kind, arrived_at=arrived)
    db.session.commit()
    return item


def working_day_after(start: dt.date, n: int) -> dt.date:
    return get_calendar().add_working_days(start, n)


def test_r_deadline_3_a_day_off_from_a_date_leaves_earlier_due_dates(admin, make_item, on_day):
    first = register(make_item)
    old_due = first.due_date
    tomorrow = today() + dt.timedelta(days=1)
    day_off = working_day_after(first.registration_date, 5)
    data = {"day": day_off.isoformat(), "kind": "off", "note": "Decree 1", "effective_from": tomorrow.isoformat()}  # fmt: skip
    assert admin.post("/admin/calendar", data=data).status_code == 303
    db.session.expire_all()
    (row,) = admin_ops.pending_changes("calendar")
    assert entries("schedule_change")[0].summary["effective_from"] == tomorrow.isoformat()
    assert get_calendar().is_working_day(day_off)  # not yet
    assert register(make_item).due_date == old_due
    on_day(tomorrow)
    db.session.expire_all()
    assert [r.id for r in admin_ops.apply_due_changes()] == [row.id]
    db.session.commit()
    cal = get_calendar()
    assert not cal.is_working_day(day_off)
    assert len(entries("apply_change")) == 1
    db.session.refresh(first)
    assert first.due_date == old_due  # computed before the change: its term stays
    later = register(make_item)
    assert later.registration_date == first.registration_date
    assert later.due_date == cal.next_working_day(old_due)  # one working day fewer in between
    assert day_off.isoformat() in page(admin.get(f"/admin/calendar?year={day_off.year}"))


def test_r_deadline_3_a_calendar_change_in_the_past_is_refused(admin):
    yesterday = today() - dt.timedelta(days=1)
    data = {"day": today().isoformat(), "kind": "off", "effective_from": yesterday.isoformat()}
    r = admin.post("/admin/calendar", data=data)
    assert r.status_code == 422 and "cannot take effect in the past" in page(r)
    assert count(ScheduledChange) == 0
    assert get_setting("calendar") == {
        "arrival_day_counts": True,
        "days_off": [],
        "working_days": [],
    }


def test_r_kind_2_a_term_from_a_date_leaves_the_terms_already_computed(admin, make_item, on_day):
    first = register(make_item, "complaint")
    assert first.due_date == working_day_after(first.registration_date, 20)
    start, tomorrow = today(), today() + dt.timedelta(days=1)
    data = {"t-complaint-days": 5, "t-complaint-unit": "working", "t-complaint-effective_from": tomorrow.isoformat()}  # fmt: skip
    assert admin.post("/admin/terms/complaint", data=data).status_code == 303
    db.session.expire_all()
    assert get_setting("terms")["complaint"] == {"days": 20, "unit": "working"}  # not yet
    same_day = register(make_item, "complaint")
    assert same_day.due_date == first.due_date
    on_day(tomorrow)
    admin_ops.apply_due_changes()
    db.session.commit()
    db.session.expire_all()
    assert get_setting("terms")["complaint"] == {"days": 5, "unit": "working"}
    later = register(make_item, "complaint")
    assert later.due_date == working_day_after(later.registration_date, 5)
    db.session.refresh(first)
    assert first.due_date == working_day_after(first.registration_date, 20)
    # the settings' history says which term was in force on each day (inspections judge by it)
    history = SettingsHistory()
    assert history.on(start).term("complaint")["days"] == 20
    assert history.on(tomorrow).term("complaint")["days"] == 5


def test_a_term_today_takes_effect_at_once_and_bad_terms_are_refused(admin):
    base = {"t-complaint-unit": "working", "t-complaint-effective_from": today().isoformat()}
    assert (
        admin.post("/admin/terms/complaint", data=base | {"t-complaint-days": 10}).status_code
        == 303
    )
    db.session.expire_all()
    assert get_setting("terms")["complaint"]["days"] == 10
    assert len(entries("apply_change")) == 1
    r = admin.post("/admin/terms/complaint", data=base | {"t-complaint-days": 0})
    assert r.status_code == 422
    past = base | {"t-complaint-days": 3, "t-complaint-effective_from": "2020-01-01"}
    r = admin.post("/admin/terms/complaint", data=past)
    assert r.status_code == 422 and "cannot take effect in the past" in page(r)
    db.session.expire_all()
    assert get_setting("terms")["complaint"]["days"] == 10
    assert admin.post("/admin/terms/no_such_kind", data=base).status_code == 404


def test_a_pending_change_can_be_cancelled(admin):
    later = today() + dt.timedelta(days=30)
    row = admin_ops.change_term("statement", 9, "calendar", later)
    db.session.commit()
    assert admin.post(f"/admin/changes/{row.id}/cancel").status_code == 303
    db.session.expire_all()
    assert db.session.get(ScheduledChange, row.id).cancelled_at is not None
    assert admin_ops.apply_due_changes(later) == []
    assert get_setting("terms")["statement"]["days"] == 15
    assert len(entries("cancel_change")) == 1
    r = admin.post(f"/admin/changes/{row.id}/cancel")
    assert r.status_code == 303
    with admin.session_transaction() as s:
        assert "already taken effect or was cancelled" in str(s.get("_flashes"))


def test_a_journal_is_renamed_and_its_prefix_changed(admin):
    data = {"j-legal-name_kk": "Заңды тұлғалар", "j-legal-name_ru": "Юрлица", "j-legal-name_en": "", "j-legal-prefix": "ЮЛ"}  # fmt: skip
    assert admin.post("/admin/journals/legal", data=data).status_code == 303
    db.session.expire_all()
    legal = next(j for j in get_setting("journals") if j["code"] == "legal")
    assert legal["prefix"] == "ЮЛ" and legal["names"] == {"kk": "Заңды тұлғалар", "ru": "Юрлица"}
    assert entries("update_journal")[0].summary["before"]["prefix"] == "ЗТ"
    r = admin.post("/admin/journals/legal", data=data | {"j-legal-prefix": "ЖТ"})
    assert r.status_code == 422 and "Another journal has the prefix" in page(r)
    db.session.expire_all()
    assert next(j for j in get_setting("journals") if j["code"] == "legal")["prefix"] == "ЮЛ"


def test_an_api_token_is_issued_once_and_works(admin, app, users):
    clerk = users["clerk"]
    r = admin.post(f"/admin/users/{clerk.id}/token")
    assert r.status_code == 200
    text = page(r)
    start = text.index('id="api-token">') + len('id="api-token">')
    token = text[start : text.index("</code>", start)]
    api = app.test_client()
    assert api.get("/api/v1/items", headers={"Authorization": f"Bearer {token}"}).status_code == 200
    (entry,) = entries("issue_api_token")
    assert token not in str(entry.summary)
    # a second token ends the first
    admin.post(f"/admin/users/{clerk.id}/token")
    assert api.get("/api/v1/items", headers={"Authorization": f"Bearer {token}"}).status_code == 401


def test_global_roles_are_given_at_creation(admin):
    r = new_user(
        admin, username="dana.office", global_roles=["registrar", "inspector"], local_role=""
    )
    assert r.status_code == 303
    user = user_by_username("dana.office")
    assert sorted((g.role, g.subdivision) for g in user.grants) == [
        ("inspector", None),
        ("registrar", None),
    ]


def profile_file(data) -> tuple[io.BytesIO, str]:
    raw = data if isinstance(data, bytes) else json.dumps(data, ensure_ascii=False).encode()
    return io.BytesIO(raw), "profile.json"


def test_the_profile_is_loaded_from_a_file_and_audited(admin):
    data = read_profile(DEMO_PROFILE)
    data["terms"]["statement"] = {"days": 12, "unit": "working"}
    r = admin.post("/admin/profile", data={"file": profile_file(data)})
    assert r.status_code == 303
    db.session.expire_all()
    assert get_setting("terms")["statement"] == {"days": 12, "unit": "working"}
    (entry,) = entries("load_profile")
    assert entry.summary["updated"]["user"] == len(data["users"])
    assert "/admin/profile" in page(admin.get("/admin/"))
    assert admin.get("/admin/profile").status_code == 200


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"{not json", "The file is not a JSON profile"),
        ({"organization": {"code": "X"}}, "names must be an object"),
    ],
)
def test_a_broken_profile_is_refused_and_nothing_changes(admin, content, message):
    r = admin.post("/admin/profile", data={"file": profile_file(content)})
    assert r.status_code == 422 and message in page(r)
    db.session.expire_all()
    assert entries("load_profile") == []
    assert get_setting("terms")["statement"] == {"days": 15, "unit": "working"}
