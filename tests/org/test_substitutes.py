"""Heads' substitutes by date (R-ANS-2): the record, ``org substitute``, the admin page, and the
substitute holding the head's role only on their dates (queues, assignment, approval, signing)."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select

from docflow.core.calendar import WorkingCalendar, get_calendar
from docflow.extensions import db
from docflow.org import substitutes
from docflow.org.substitutes import Substitution, acting_for, heads_on
from docflow.routing.dashboards import visible_active
from tests.fixtures import page
from tests.outgoing.letter_helpers import (
    ANSWER,
    OTHER_IIN,
    PASSPHRASE,
    Api,
    make_letter_pki,
    setup_signer,
)


def today() -> dt.date:
    return get_calendar().local_now().date()


@pytest.fixture
def api(app, users):
    return Api(app, users)


@pytest.fixture
def on_day(monkeypatch):
    """``on_day(d)``: the office's clock says it is ``d``, 10:00 (every later request too)."""

    def move(day: dt.date) -> None:
        monkeypatch.setattr(
            WorkingCalendar,
            "local_now",
            lambda self: dt.datetime(day.year, day.month, day.day, 10, 0, tzinfo=self.tz),
        )

    return move


def substitute(users, start: dt.date, end: dt.date, who: str = "exec2.energy", **kw):
    row = substitutes.add_substitution(
        users["head.energy"], users[who], start, end, users["clerk"], **kw
    )
    db.session.commit()
    return row


def energy_id(users) -> int:
    return users["head.energy"].grants[0].subdivision_id


# --- the record ------------------------------------------------------------------------------


def test_r_ans_2_heads_on_and_acting_for_follow_the_dates(app, users):
    d = today() + dt.timedelta(days=10)
    substitute(users, d, d + dt.timedelta(days=2))
    head, sub = users["head.energy"].id, users["exec2.energy"].id
    assert heads_on(energy_id(users), d - dt.timedelta(days=1)) == {head}
    assert heads_on(energy_id(users), d) == {head, sub}
    assert heads_on(energy_id(users), d + dt.timedelta(days=2)) == {head, sub}  # inclusive
    assert heads_on(energy_id(users), d + dt.timedelta(days=3)) == {head}
    assert acting_for(sub, d + dt.timedelta(days=1)) == [head]
    assert acting_for(sub, d + dt.timedelta(days=3)) == []
    assert acting_for(head, d) == []
    # not the head of EDU, whatever the substitution
    edu = users["head.edu"].grants[0].subdivision_id
    assert sub not in heads_on(edu, d)


def test_r_ans_2_a_substitution_for_one_subdivision_only(app, users):
    from docflow.org.models import subdivision_by_code

    d = today() + dt.timedelta(days=5)
    with pytest.raises(substitutes.SubstitutionError, match="not the head of EDU"):
        substitute(users, d, d, subdivision=subdivision_by_code("EDU"))
    db.session.rollback()
    substitute(users, d, d, subdivision=subdivision_by_code("ENERGY"))
    assert users["exec2.energy"].id in heads_on(energy_id(users), d)


@pytest.mark.parametrize(
    ("start", "end", "who", "message"),
    [
        (3, 1, "exec2.energy", "ends before it begins"),
        (1, 3, "head.energy", "cannot be their own substitute"),
        (4, 9, "exec.energy", "the dates overlap"),  # overlaps 5..8 below
        (8, 8, "exec.edu", "the dates overlap"),  # touches the last day
    ],
)
def test_refused_substitutions(app, users, start, end, who, message):
    base = today()
    substitute(users, base + dt.timedelta(days=5), base + dt.timedelta(days=8))
    with pytest.raises(substitutes.SubstitutionError, match=message):
        substitute(users, base + dt.timedelta(days=start), base + dt.timedelta(days=end), who)
    db.session.rollback()
    assert len(db.session.scalars(select(Substitution)).all()) == 1


def test_a_non_head_has_no_substitute(app, users):
    with pytest.raises(substitutes.SubstitutionError, match="not the head of a subdivision"):
        substitutes.add_substitution(users["exec.energy"], users["exec2.energy"], today(), today())


def test_ending_keeps_the_past_days_and_frees_the_dates(app, users, on_day):
    start = today()
    row = substitute(users, start - dt.timedelta(days=3), start + dt.timedelta(days=3))
    sub = users["exec2.energy"].id
    substitutes.end_substitution(row, users["clerk"])
    db.session.commit()
    assert row.last_day == start - dt.timedelta(days=1)
    assert sub in heads_on(energy_id(users), start - dt.timedelta(days=2))  # past stays
    assert sub not in heads_on(energy_id(users), start)
    with pytest.raises(substitutes.SubstitutionError, match="already ended"):
        substitutes.end_substitution(row, users["clerk"])
    db.session.rollback()
    # the rest of the range is free again for another substitute
    substitute(users, start, start + dt.timedelta(days=3), "exec.energy")


def test_r_ans_2_role_cache_follows_changes_in_one_request(app, users):
    sub = users["exec2.energy"]
    assert ("head", "ENERGY") not in sub.role_grants()
    substitute(users, today(), today())
    assert ("head", "ENERGY") in sub.role_grants()  # the same app context: the cache was emptied


# --- the command ----------------------------------------------------------------------------------


def test_org_substitute_command(app, runner, users):
    d = today() + dt.timedelta(days=20)
    args = ["org", "substitute", "head.energy", "exec2.energy"]
    ok = runner.invoke(args=[*args, "--from", d.isoformat(), "--to", (d + dt.timedelta(days=4)).isoformat(), "--reason", "еңбек демалысы"])  # fmt: skip
    assert ok.exit_code == 0, ok.output
    assert users["exec2.energy"].id in heads_on(energy_id(users), d + dt.timedelta(days=4))
    listed = runner.invoke(args=["org", "substitute", "--list", "--json"])
    assert listed.exit_code == 0 and '"substitute": "exec2.energy"' in listed.output
    day = dt.timedelta(days=1)
    for bad, message in (
        (["--from", d.isoformat(), "--to", (d - day).isoformat()], "ends before it begins"),
        (["--from", (d + 2 * day).isoformat(), "--to", (d + 9 * day).isoformat()], "overlap"),
        (["--from", "02.12.2026", "--to", d.isoformat()], "YYYY-MM-DD"),
    ):
        r = runner.invoke(args=[*args, *bad])
        assert r.exit_code == 2, r.output
        assert message in r.output
    same = runner.invoke(args=["org", "substitute", "head.energy", "head.energy", "--from", d.isoformat(), "--to", d.isoformat()])  # fmt: skip
    assert same.exit_code == 2 and "own substitute" in same.output
    nobody = runner.invoke(args=["org", "substitute", "head.energy", "nobody", "--from", d.isoformat(), "--to", d.isoformat()])  # fmt: skip
    assert nobody.exit_code == 2 and "no user nobody" in nobody.output
    row = db.session.scalar(select(Substitution))
    ended = runner.invoke(args=["org", "substitute", "--end", str(row.id)])
    assert ended.exit_code == 0, ended.output
    db.session.expire_all()
    assert users["exec2.energy"].id not in heads_on(energy_id(users), d)


# --- the admin page ------------------------------------------------------------------------------


@pytest.fixture
def browser(app, login):
    """``browser("admin")``: a test client logged in as that demo user (pages in English)."""

    def make(username: str):
        c = app.test_client()
        c.environ_base["HTTP_ACCEPT_LANGUAGE"] = "en"
        assert login(username, c=c).status_code == 302
        return c

    return make


def test_admin_page_lists_adds_and_ends(app, browser, users):
    admin = browser("admin")
    d = today() + dt.timedelta(days=30)
    form = {
        "head": users["head.energy"].id,
        "substitute": users["exec2.energy"].id,
        "subdivision": 0,
        "date_from": d.isoformat(),
        "date_to": (d + dt.timedelta(days=1)).isoformat(),
        "reason": "іссапар",
    }
    r = admin.post("/org/substitutes", data=form)
    assert r.status_code == 303, page(r)[:500]
    shown = page(admin.get("/org/substitutes"))
    assert users["exec2.energy"].display_name in shown and "іссапар" in shown
    again = admin.post("/org/substitutes", data=form)  # overlapping: shown again, why
    assert again.status_code == 422 and "overlap" in page(again)
    row = db.session.scalar(select(Substitution))
    assert admin.post(f"/org/substitutes/{row.id}/end", data={}).status_code == 303
    db.session.expire_all()
    assert row.ended_on is not None
    for who in ("head.energy", "clerk", "inspector"):
        assert browser(who).get("/org/substitutes").status_code == 403, who
        assert browser(who).post("/org/substitutes", data=form).status_code == 403, who


# --- the substitute acts as the head on their dates only ------------------------------------------


def test_r_ans_2_substitute_sees_the_heads_queue_on_their_dates(app, users, routed, on_day):
    """A substitute from another subdivision (EDU) sees ENERGY's items only on their dates."""
    item = routed("distributed")
    d = today() + dt.timedelta(days=1)
    substitute(users, d, d, "exec.edu")
    sub = users["exec.edu"]

    def queue() -> set[int]:
        return {i.id for i in db.session.scalars(visible_active(sub))}

    assert item.id not in queue()
    on_day(d)
    assert ("head", "ENERGY") in sub.role_grants() and item.id in queue()
    on_day(d + dt.timedelta(days=1))
    assert ("head", "ENERGY") not in sub.role_grants() and item.id not in queue()


def test_r_ans_2_substitute_assigns_only_on_their_dates(app, users, routed, api, on_day):
    d = today() + dt.timedelta(days=2)
    substitute(users, d, d + dt.timedelta(days=1))
    body = {"executors": ["exec.energy"]}
    item = routed("distributed")
    before = api.post("exec2.energy", f"/items/{item.public_id}/routing/assign", body)
    assert before.status_code == 403, before.get_json()
    on_day(d + dt.timedelta(days=3))  # after
    after = api.post("exec2.energy", f"/items/{item.public_id}/routing/assign", body)
    assert after.status_code == 403, after.get_json()
    on_day(d + dt.timedelta(days=1))  # during
    during = api.post("exec2.energy", f"/items/{item.public_id}/routing/assign", body)
    assert during.status_code == 200, during.get_json()
    # the head keeps their role during the substitution
    other = routed("distributed")
    kept = api.post("head.energy", f"/items/{other.public_id}/routing/assign", body)
    assert kept.status_code == 200, kept.get_json()


def _submitted_letter(api, routed) -> str:
    item = routed("in_work")
    lid = api.post("exec.energy", f"/items/{item.public_id}/letters", ANSWER).get_json()["id"]
    assert api.post("exec.energy", f"/letters/{lid}/submit").status_code == 200
    return lid


def test_r_ans_2_substitute_approves_only_on_their_dates(app, users, routed, api, on_day):
    d = today() + dt.timedelta(days=2)
    substitute(users, d, d)
    lid = _submitted_letter(api, routed)
    assert api.post("exec2.energy", f"/letters/{lid}/approve").status_code == 403  # before
    on_day(d + dt.timedelta(days=1))
    assert api.post("exec2.energy", f"/letters/{lid}/approve").status_code == 403  # after
    on_day(d)
    r = api.post("exec2.energy", f"/letters/{lid}/approve")
    assert r.status_code == 200 and r.get_json()["state"] == "approved", r.get_json()
    assert r.get_json()["approved_by"] == "exec2.energy"


def test_r_ans_2_substitute_signs_only_on_their_dates(app, users, routed, api, on_day):
    pki = make_letter_pki()
    setup_signer(users, pki)
    from docflow.outgoing.letter_signing import import_keystore

    deputy = users["exec2.energy"]
    deputy.employee.iin = OTHER_IIN
    import_keystore(deputy, pki.wrong_iin.pkcs12(PASSPHRASE), PASSPHRASE)
    db.session.commit()
    d = today() + dt.timedelta(days=2)
    substitute(users, d, d)
    lid = _submitted_letter(api, routed)
    assert api.post("head.energy", f"/letters/{lid}/approve").status_code == 200
    sign = {"passphrase": PASSPHRASE}
    assert api.post("exec2.energy", f"/letters/{lid}/sign", sign).status_code == 403  # before
    on_day(d + dt.timedelta(days=1))
    assert api.post("exec2.energy", f"/letters/{lid}/sign", sign).status_code == 403  # after
    assert api.post("exec2.energy", f"/letters/{lid}/signing").status_code == 403
    on_day(d)
    r = api.post("exec2.energy", f"/letters/{lid}/sign", sign)
    assert r.status_code == 200, r.get_json()
    assert r.get_json()["state"] == "signed" and r.get_json()["signed_by"] == "exec2.energy"


def test_r_ans_2_reminders_and_reassignment_notices_reach_the_substitute_on_their_dates(
    app, users, on_day
):
    from docflow.routing.handlers import subdivision_heads

    start = today() + dt.timedelta(days=7)
    substitute(users, start, start + dt.timedelta(days=4))
    names = lambda: {u.username for u in subdivision_heads(energy_id(users))}  # noqa: E731
    assert names() == {"head.energy"}
    on_day(start + dt.timedelta(days=1))
    assert names() == {"head.energy", "exec2.energy"}
    on_day(start + dt.timedelta(days=6))
    assert names() == {"head.energy"}


def test_org_show_json_prints_the_bin(app, runner):
    import json

    from docflow.core.settings import get_setting, set_setting

    set_setting("letters", {**(get_setting("letters") or {}), "bin": "120540012345"})
    db.session.commit()
    result = runner.invoke(args=["org", "show", "--json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert data["bin"] == "120540012345"
    assert "ENERGY" in {s["code"] for s in data["subdivisions"]}
