"""Who may call each write route: every POST/PUT/PATCH/DELETE rule of the app's URL map (web and
/api/v1) × every demo user, against the table below (R-AUDIT-1: inspectors read, never change).

    X  may: passes the permission check and the action is done (2xx/3xx, no error message)
    g  passes the permission check (not 401/403), then the action itself says no — the route
       checks per object (bulk assignment of another subdivision's items)
    .  may not: exactly 403

Each request is made against real objects in a state where the action is possible (an item
registered, sent to ENERGY, assigned to exec.energy, a sign-up with its reception…) with valid
input (the requests: tests/org/access_cases.py), so a refusal is the permission and nothing else.
A write route of the URL map without a row fails ``test_every_write_route_has_a_row``. One
database for the module (speed): each row builds its own objects, reused by the next user only
while requests are refused.
"""

from __future__ import annotations

from typing import Any

import pytest

from docflow import create_app
from docflow.extensions import db
from tests.conftest import base_config
from tests.org.access_cases import CASES, VARIANTS, World

ROLES = (
    "admin",
    "clerk",
    "controller",
    "head.energy",
    "exec.energy",
    "exec2.energy",
    "head.edu",
    "exec.edu",
    "akim",
    "inspector",
)

TABLE = """
case                                             admin clerk ctrl h.en ex.en ex2.en h.edu ex.edu akim insp
org.login                                          X     X    X    X     X     X      X     X     X    X
org.logout                                         X     X    X    X     X     X      X     X     X    X
org.change_password                                X     X    X    X     X     X      X     X     X    X
org.add_substitute                                 X     .    .    .     .     .      .     .     .    .
org.end_substitute                                 X     .    .    .     .     .      .     .     .    .
org.admin_create_user                              X     .    .    .     .     .      .     .     .    .
org.admin_add_role                                 X     .    .    .     .     .      .     .     .    .
org.admin_remove_role                              X     .    .    .     .     .      .     .     .    .
org.admin_set_iin                                  X     .    .    .     .     .      .     .     .    .
org.admin_deactivate                               X     .    .    .     .     .      .     .     .    .
org.admin_reactivate                               X     .    .    .     .     .      .     .     .    .
org.admin_reset_password                           X     .    .    .     .     .      .     .     .    .
org.admin_issue_token                              X     .    .    .     .     .      .     .     .    .
org.admin_edit_subdivision                         X     .    .    .     .     .      .     .     .    .
org.admin_add_head                                 X     .    .    .     .     .      .     .     .    .
org.admin_remove_head                              X     .    .    .     .     .      .     .     .    .
org.admin_calendar_change                          X     .    .    .     .     .      .     .     .    .
org.admin_cancel_change                            X     .    .    .     .     .      .     .     .    .
org.admin_term_change                              X     .    .    .     .     .      .     .     .    .
org.admin_journal_edit                             X     .    .    .     .     .      .     .     .    .
org.admin_load_profile                             X     .    .    .     .     .      .     .     .    .
main.set_language                                  X     X    X    X     X     X      X     X     X    X
registry.register                                  .     X    .    .     .     .      .     .     .    .
registry.repeats                                   .     X    .    .     .     .      .     .     .    .
registry.search                                    X     X    X    .     .     .      .     .     .    X
registry.scans                                     .     X    .    .     .     .      .     .     .    .
registry.resolve_scan                              .     X    .    .     .     .      .     .     .    .
registry.upload                                    .     X    X    .     .     .      .     .     .    .
registry.annotate                                  .     X    X    .     .     .      .     .     .    .
registry.supply                                    .     X    X    .     .     .      .     .     .    .
registry.link                                      .     X    X    X     .     .      .     .     .    .
registry.oral_appeal                               .     X    .    .     .     .      .     .     .    .
registry.replace_file                              .     X    X    .     .     .      .     .     .    .
registry.remove_file                               .     X    X    .     .     .      .     .     .    .
registry.correct_applicant                         .     X    X    .     .     .      .     .     .    .
registry.transition[withdraw]                      .     X    X    .     .     .      .     .     .    .
registry.transition[return_to_applicant]           .     X    X    .     .     .      .     .     .    .
registry.transition[leave_without_consideration]   .     X    X    .     .     .      .     .     .    .
outgoing.mark_sent                                 .     X    X    .     .     .      .     .     .    .
routing.distribute                                 .     .    X    .     .     .      .     .     .    .
routing.distribute[redistribute]                   .     .    X    .     .     .      .     .     .    .
routing.assign[assign]                             .     .    .    X     .     .      .     .     .    .
routing.assign[reassign]                           .     .    .    X     .     .      .     .     .    .
routing.assign[add]                                .     .    .    X     .     .      .     .     .    .
routing.assign[delegate]                           .     .    .    X     X     .      .     .     .    .
routing.decide_repeat                              .     X    X    X     .     .      .     .     .    .
routing.assign_outside                             .     .    X    .     .     .      .     .     .    .
routing.answer                                     .     .    .    X     X     .      .     .     .    .
routing.act[approve]                               .     .    .    X     .     .      .     .     .    .
routing.act[return]                                .     .    .    X     .     .      .     .     .    .
routing.act[close]                                 .     .    X    .     .     .      .     .     .    .
routing.act[rework]                                .     .    X    .     .     .      .     .     .    .
routing.act[terminate]                             .     .    X    .     .     .      .     .     .    .
routing.extend[letter]                             .     .    X    X     .     .      .     .     .    .
routing.extend[decision]                           .     .    .    X     .     .      .     .     .    .
routing.forward                                    .     .    X    .     .     .      .     .     .    .
routing.bulk_assign                                .     .    .    X     .     .      g     .     .    .
routing.notice_sent[extension]                     .     .    X    X     .     .      .     .     .    .
routing.notice_sent[forwarding]                    .     .    X    .     .     .      .     .     .    .
routing.read_notification                          X     X    X    X     X     X      X     X     X    X
protocols.create_signup                            .     .    X    .     .     .      .     .     .    .
protocols.signup_action[propose_date]              .     .    X    .     .     .      .     .     .    .
protocols.signup_action[propose_refusal]           .     .    X    .     .     .      .     .     .    .
protocols.signup_action[objection]                 .     .    X    .     .     .      .     .     .    .
protocols.signup_action[refuse]                    .     .    X    .     .     .      .     .     .    .
protocols.signup_action[reschedule]                .     .    X    .     .     .      .     .     .    .
protocols.participants                             .     .    X    .     .     .      .     .     .    .
protocols.distribute_list                          .     .    X    .     .     .      .     .     .    .
protocols.distribute_list[no_one_proposed]         .     .    X    .     .     .      .     .     .    .
protocols.visit                                    .     .    X    .     .     .      .     .     .    .
protocols.video_consent                            .     .    X    .     .     .      .     .     .    .
protocols.extend_signup[letter]                    .     .    X    .     .     .      .     .     .    .
protocols.extend_signup[decision]                  .     .    X    .     .     .      .     .     .    .
protocols.record_participant                       .     .    X    .     .     .      .     .     .    .
protocols.restrictions                             .     .    X    .     .     .      .     .     .    .
protocols.hold_session                             .     .    X    .     .     .      .     .     .    .
protocols.session_minutes                          .     .    X    .     .     .      .     .     .    .
protocols.minutes_upload                           .     .    X    .     .     .      .     .     .    .
protocols.minutes                                  .     .    X    .     .     .      .     .     .    .
protocols.schedule_create                          .     .    X    .     .     .      .     .     .    .
protocols.schedule_approve                         .     .    .    .     .     .      .     .     X    .
protocols.schedule_generate                        .     .    X    .     .     .      .     .     .    .
protocols.schedule_one_off                         .     .    X    .     .     .      .     .     .    .
protocols.schedule_cancel_session                  .     .    X    .     .     .      .     .     .    .
protocols.satisfaction_record                      .     .    X    .     .     .      .     .     .    .
api.register_item                                  .     X    .    .     .     .      .     .     .    .
api.register_oral_item                             .     X    .    .     .     .      .     .     .    .
api.add_attachments                                .     X    X    .     .     .      .     .     .    .
api.search_items                                   X     X    X    .     .     .      .     .     .    X
api.link_item                                      .     X    X    X     .     .      .     .     .    .
api.decide_repeat_candidate                        .     X    X    X     .     .      .     .     .    .
api.fire_transition[withdraw]                      .     X    X    .     .     .      .     .     .    .
api.fire_transition[return_to_applicant]           .     X    X    .     .     .      .     .     .    .
api.fire_transition[leave_without_consideration]   .     X    X    .     .     .      .     .     .    .
api.routing_action[distribute]                     .     .    X    .     .     .      .     .     .    .
api.routing_action[assign]                         .     .    .    X     .     .      .     .     .    .
api.routing_action[assign/reassign]                .     .    .    X     .     .      .     .     .    .
api.routing_action[assign/add]                     .     .    .    X     .     .      .     .     .    .
api.routing_action[assign/delegate]                .     .    .    X     X     .      .     .     .    .
api.routing_action[extend]                         .     .    X    X     .     .      .     .     .    .
api.routing_action[answer]                         .     .    .    X     X     .      .     .     .    .
api.routing_action[approve]                        .     .    .    X     .     .      .     .     .    .
api.routing_action[return]                         .     .    .    X     .     .      .     .     .    .
api.routing_action[close]                          .     .    X    .     .     .      .     .     .    .
api.routing_action[rework]                         .     .    X    .     .     .      .     .     .    .
api.routing_action[forward]                        .     .    X    .     .     .      .     .     .    .
api.routing_action[terminate]                      .     .    X    .     .     .      .     .     .    .
api.bulk_assign                                    .     .    .    X     .     .      g     .     .    .
api.create_letter                                  .     .    .    X     X     .      .     .     .    .
api.submit_letter                                  .     .    .    X     X     .      .     .     .    .
api.approve_letter                                 .     .    .    X     .     .      .     .     .    .
api.return_letter                                  .     .    .    X     .     .      .     .     .    .
api.start_signing                                  .     .    .    X     .     .      .     .     .    .
api.finish_signing                                 .     .    .    X     .     .      .     .     .    .
api.sign_letter                                    .     .    .    X     .     .      .     .     .    .
api.dispatch_letter                                .     X    X    .     .     .      .     .     .    .
api.dispatch_posted                                .     X    X    .     .     .      .     .     .    .
api.dispatch_delivered                             .     X    X    .     .     .      .     .     .    .
api.rate_letter                                    .     X    X    .     .     .      .     .     .    .
public.status_lookup                               X     X    X    X     X     X      X     X     X    X
public.status_answer                               X     X    X    X     X     X      X     X     X    X
verification.rate                                  X     X    X    X     X     X      X     X     X    X
dispatch.send                                      .     X    X    .     .     .      .     .     .    .
dispatch.posted                                    .     X    X    .     .     .      .     .     .    .
dispatch.delivered                                 .     X    X    .     .     .      .     .     .    .
dispatch.rate                                      .     X    X    .     .     .      .     .     .    .
letter_templates.upload                            X     .    .    .     .     .      .     .     .    .
letter_templates.reset                             X     .    .    .     .     .      .     .     .    .
analytics.district_map                             X     .    .    .     .     .      .     .     .    .
letters.create                                     .     .    .    X     X     .      .     .     .    .
letters.edit                                       .     .    .    X     X     .      .     .     .    .
letters.act[submit]                                .     .    .    X     X     .      .     .     .    .
letters.act[approve]                               .     .    .    X     .     .      .     .     .    .
letters.act[return]                                .     .    .    X     .     .      .     .     .    .
letters.sign                                       .     .    .    X     .     .      .     .     .    .
letters.start_signing                              .     .    .    X     .     .      .     .     .    .
letters.finish_signing                             .     .    .    X     .     .      .     .     .    .
letters.sign_selected                              .     .    .    X     .     .      g     .     .    .
inspection.new                                     .     .    .    .     .     .      .     .     .    X
inspection.run                                     .     .    .    .     .     .      .     .     .    X
inspection.close                                   .     .    .    .     .     .      .     .     .    X
inspection.texts                                   .     .    .    .     .     .      .     .     .    X
inspection.add_finding                             .     .    .    .     .     .      .     .     .    X
inspection.sample                                  .     .    .    .     .     .      .     .     .    X
inspection.checklist                               .     .    .    .     .     .      .     .     .    X
inspection.send_remediation                        .     .    .    .     .     .      .     .     .    X
inspection.report_task                             .     .    .    X     .     .      .     .     .    .
inspection.accept_task                             .     .    .    .     .     .      .     .     .    X
inspection.return_task                             .     .    .    .     .     .      .     .     .    X
"""

WRITE_METHODS = {"POST", "PUT", "PATCH", "DELETE"}


def parse_table() -> dict[str, dict[str, str]]:
    header, *rows = TABLE.strip().splitlines()
    assert len(header.split()) == len(ROLES) + 1
    out = {}
    for row in rows:
        key, *cells = row.split()
        assert len(cells) == len(ROLES) and set(cells) <= {"X", "g", "."}, row
        assert key not in out, key
        out[key] = dict(zip(ROLES, cells, strict=True))
    return out


EXPECTED = parse_table()


def endpoint_of(key: str) -> str:
    return key.split("[", 1)[0]


# --- the module's app and its requests ----------------------------------------------------------


@pytest.fixture(scope="module")
def world(databases, tmp_path_factory):
    mp = pytest.MonkeyPatch()
    mp.setenv("DOCFLOW_INSTANCE_PATH", str(tmp_path_factory.mktemp("matrix-instance")))
    url = databases.clone("demo")
    app = create_app(base_config(url))
    with app.app_context():
        w = World(app, ROLES)
    yield w
    with app.app_context():
        db.session.remove()
        db.engine.dispose()
    databases.drop(url)
    mp.undo()


def send(w: World, role: str, req) -> Any:
    if req.api:
        headers = {"Authorization": f"Bearer {w.tokens[role]}", "Accept-Language": "en"}
        client = w.app.test_client()
    else:
        headers = {"Accept-Language": "en"}
        client = w.fresh_client(role if req.logged_in else None) if req.fresh else w.client(role)
    kwargs: dict[str, Any] = {"headers": headers}
    if req.json is not None:
        kwargs["json"] = req.json
    elif req.data is not None:
        kwargs["data"] = req.data
    r = client.post(req.path, **kwargs)
    flashes = []
    if not req.api and not req.fresh:
        with client.session_transaction() as s:
            flashes = s.pop("_flashes", [])
    return r, flashes


def outcome(r, flashes) -> str:
    """``refused`` (403), ``done``, or why the action itself was not done (the gate passed)."""
    location = r.headers.get("Location", "")
    assert r.status_code != 401 and not ("/login" in location and "next=" in location), (
        "not logged in"
    )
    assert r.status_code < 500, r.get_data(as_text=True)[:500]
    if r.status_code == 403:
        return "refused"
    if r.status_code >= 400:
        return f"not done: {r.status_code} {r.get_data(as_text=True)[:300]}"
    errors = [m for category, m in flashes if category == "error"]
    return f"not done: {errors}" if errors else "done"


# Refused users first: they share one set of objects; each accepted request then uses up its own.
PAIRS = [
    (key, role)
    for key, cells in EXPECTED.items()
    for role in sorted(ROLES, key=lambda r: ".gX".index(cells[r]))
]


@pytest.mark.parametrize(("key", "role"), PAIRS, ids=[f"{k}-{r}" for k, r in PAIRS])
def test_r_audit_1_access_matrix(world, key, role):
    case = CASES.get(key)
    assert case is not None, f"no request is built for {key}: add it to tests/org/access_cases.py"
    expected = EXPECTED[key][role]
    with world.app.app_context():
        objects = world.objects(key, case, role)
        req = case.request(world, objects, role)
        db.session.commit()
    r, flashes = send(world, role, req)
    result = outcome(r, flashes)
    with world.app.app_context():
        if case.after is not None:
            case.after(world, objects, role)
            db.session.commit()
    if result != "refused":
        world.consumed(key)
    if expected == ".":
        assert result == "refused", f"{role} may not {key}, but: {result}"
    elif expected == "X":
        assert result == "done", f"{role} may {key}, but: {result}"
    else:
        assert result != "refused", f"{role} passes the check of {key}, but was refused"


def test_every_write_route_has_a_row(world):
    """A new write route fails here until the table says who may call it."""
    rules = world.app.url_map.iter_rules()
    endpoints = {rule.endpoint for rule in rules if rule.methods & WRITE_METHODS}
    covered = {endpoint_of(key) for key in EXPECTED}
    assert endpoints - covered == set(), "write routes without a row in TABLE"
    assert covered - endpoints == set(), "rows for routes that do not exist"
    assert set(CASES) == set(EXPECTED), "every row needs its request in access_cases.CASES"


def test_every_action_of_a_route_has_a_row():
    """Routes with an action in the URL: each action the view knows has its own row."""
    for endpoint, known in VARIANTS.items():
        rows = {
            key[len(endpoint) + 1 : -1].split("/")[0]
            for key in EXPECTED
            if key.startswith(endpoint + "[")
        }
        assert rows == known(), endpoint


def test_the_inspector_changes_nothing_anywhere():
    """R-AUDIT-1 read as the table: the inspector's only writes are reads sent by POST
    (searches: no identifier in a URL, R-PD-1) and their own session, language and reminders."""
    own = {"org.login", "org.logout", "org.change_password", "main.set_language"}
    own |= {"verification.rate"}  # the public page: whoever holds the letter, no login (R-ANS-3)
    # the public status page: whoever holds the slip's number and code, no login (R-REG-4)
    own |= {"public.status_lookup", "public.status_answer"}
    reads = {"registry.search", "api.search_items", "routing.read_notification"}
    # … and the inspection's own records (docflow/inspection): never a case
    inspecting = {key for key in EXPECTED if key.startswith("inspection.")}
    inspecting -= {"inspection.report_task"}  # the head's report, not the inspector's
    allowed = {key for key, cells in EXPECTED.items() if cells["inspector"] != "."}
    assert allowed == own | reads | inspecting
