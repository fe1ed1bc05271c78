"""Who may do what: a golden matrix of the demo users' site-wide permissions, local roles, and
the inspectors' read-only rule (R-AUDIT-1: inspectors check office work; they read everything and
change nothing).

The matrix is written out by hand on purpose: a change to the grants must show up as a diff here.
"""

from __future__ import annotations

import pytest

from docflow.core import security, workflow
from docflow.core.security import (
    WRITE_PERMISSIONS,
    Permission,
    Role,
    has_permission,
    roles_for,
)
from docflow.extensions import db
from docflow.org.models import RoleGrant, subdivision_by_code, user_by_username
from tests.org.test_profile import SUBDIVISION_CODES

P = Permission

# Column name → permission. Every permission must have a column.
COLUMNS = {
    "view": P.VIEW,
    "vreg": P.VIEW_REGISTRY,
    "reg": P.REGISTER,
    "mod": P.MODIFY,
    "dist": P.DISTRIBUTE,
    "asgn": P.ASSIGN,
    "ans": P.ANSWER,
    "appr": P.APPROVE,
    "ctrl": P.CONTROL,
    "mrec": P.MANAGE_RECEPTION,
    "hrec": P.HOLD_RECEPTION,
    "apsch": P.APPROVE_SCHEDULE,
    "audit": P.READ_AUDIT,
    "org": P.MANAGE_ORG,
    "users": P.MANAGE_USERS,
    "insp": P.INSPECT,
}

# Site-wide answer of has_permission(user, perm) (no object: local roles count anywhere).
MATRIX = """
user          view vreg reg mod dist asgn ans appr ctrl mrec hrec apsch audit org users insp
admin          X    X    .   .   .    .    .   .    .    .    .    .     X     X   X   .
clerk          X    X    X   X   .    .    .   .    .    .    .    .     .     .   .   .
controller     X    X    .   X   X    .    .   .    X    X    .    .     .     .   .   .
head.energy    X    .    .   .   .    X    X   X    .    .    .    .     .     .   .   .
exec.energy    X    .    .   .   .    .    X   .    .    .    .    .     .     .   .   .
exec2.energy   X    .    .   .   .    .    X   .    .    .    .    .     .     .   .   .
head.edu       X    .    .   .   .    X    X   X    .    .    .    .     .     .   .   .
exec.edu       X    .    .   .   .    .    X   .    .    .    .    .     .     .   .   .
akim           X    .    .   .   .    .    .   .    .    .    X    X     .     .   .   .
inspector      X    X    .   .   .    .    .   .    .    .    .    .     X     .   .   X
"""

DEMO_USERS = [
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
]


def parse_matrix() -> dict[str, dict[Permission, bool]]:
    header, *rows = MATRIX.strip().splitlines()
    columns = header.split()[1:]
    out = {}
    for row in rows:
        user, *cells = row.split()
        assert len(cells) == len(columns), row
        assert set(cells) <= {"X", "."}, row
        out[user] = {COLUMNS[c]: cell == "X" for c, cell in zip(columns, cells, strict=True)}
    return out


class Item:
    """A minimal object whose local roles come from the subdivisions it belongs to."""

    def __init__(self, *codes: str) -> None:
        self.codes = codes

    def local_role_subdivisions(self) -> list[str]:
        return list(self.codes)


ALL_CODES = SUBDIVISION_CODES


def user(name):
    found = user_by_username(name)
    assert found is not None, name
    return found


def test_matrix_covers_every_permission_and_demo_user():
    assert set(COLUMNS.values()) == set(Permission)
    assert list(parse_matrix()) == DEMO_USERS


def test_golden_site_wide_permissions(app):
    expected = parse_matrix()
    actual = {
        name: {perm: has_permission(user(name), perm) for perm in Permission} for name in DEMO_USERS
    }
    diff = [
        f"{name} {perm.value}: expected {expected[name][perm]}, got {actual[name][perm]}"
        for name in DEMO_USERS
        for perm in Permission
        if expected[name][perm] != actual[name][perm]
    ]
    assert not diff, "\n".join(diff)


def test_permission_names_are_accepted_as_strings(app):
    assert has_permission(user("clerk"), "register") is True
    assert has_permission(user("clerk"), "assign") is False
    with pytest.raises(ValueError):
        has_permission(user("admin"), "do_anything")


# --- local roles -----------------------------------------------------------------------------


def test_head_assigns_only_in_own_subdivision(app):
    energy, edu = Item("ENERGY"), Item("EDU")
    assert has_permission(user("head.energy"), P.ASSIGN, energy)
    assert not has_permission(user("head.edu"), P.ASSIGN, energy)
    assert has_permission(user("head.edu"), P.ASSIGN, edu)
    assert not has_permission(user("head.energy"), P.ASSIGN, edu)
    both = Item("ENERGY", "EDU")
    assert has_permission(user("head.energy"), P.ASSIGN, both)
    assert has_permission(user("head.edu"), P.ASSIGN, both)
    assert roles_for(user("head.energy"), energy) == {Role.HEAD}
    assert roles_for(user("head.energy"), edu) == frozenset()


def test_executor_answers_only_in_own_subdivision(app):
    energy = Item("ENERGY")
    assert has_permission(user("exec.energy"), P.ANSWER, energy)
    assert has_permission(user("exec2.energy"), P.ANSWER, energy)
    assert not has_permission(user("exec.edu"), P.ANSWER, energy)
    # Executors answer; they do not approve or assign, even at home.
    assert not has_permission(user("exec.energy"), P.APPROVE, energy)
    assert not has_permission(user("exec.energy"), P.ASSIGN, energy)


def test_local_roles_do_not_apply_to_objects_outside_any_subdivision(app):
    for obj in (Item(), object()):
        assert not has_permission(user("head.energy"), P.ASSIGN, obj)
        assert not has_permission(user("exec.energy"), P.VIEW, obj)


def test_global_role_applies_everywhere(app):
    controller = user("controller")
    for obj in (Item("ENERGY"), Item("EDU"), Item("TURKSIB"), Item(), object()):
        assert has_permission(controller, P.DISTRIBUTE, obj)
        assert has_permission(controller, P.CONTROL, obj)
        assert not has_permission(controller, P.ASSIGN, obj)
    clerk = user("clerk")
    assert has_permission(clerk, P.REGISTER, Item("EDU"))


def test_a_grant_for_a_second_subdivision_extends_the_head(app):
    head = user("head.energy")
    head.grants.append(RoleGrant(role="head", subdivision=subdivision_by_code("HOUSING")))
    db.session.flush()
    assert has_permission(head, P.ASSIGN, Item("HOUSING"))
    assert has_permission(head, P.ASSIGN, Item("ENERGY"))
    assert not has_permission(head, P.ASSIGN, Item("EDU"))


# --- inspectors (R-AUDIT-1): read everything, change nothing ---------------------------------


def test_inspector_reads_everything(app):
    inspector = user("inspector")
    for perm in (P.VIEW, P.VIEW_REGISTRY, P.READ_AUDIT):
        assert has_permission(inspector, perm)
    assert has_permission(inspector, P.VIEW, Item(*ALL_CODES))


def test_inspector_has_no_write_permission_anywhere(app):
    inspector = user("inspector")
    read_only = {P.VIEW, P.VIEW_REGISTRY, P.READ_AUDIT}
    # INSPECT writes the inspection's own records (docflow/inspection), never a case
    assert set(WRITE_PERMISSIONS) == set(Permission) - read_only - {P.INSPECT}
    for obj in (None, Item(), object(), Item(*ALL_CODES), *(Item(c) for c in ALL_CODES)):
        for perm in WRITE_PERMISSIONS:
            assert not has_permission(inspector, perm, obj), (perm, obj)


class _Tracked(Item):
    __workflow__ = "test-permissive"

    def __init__(self, state: str, *codes: str) -> None:
        super().__init__(*codes)
        self.state = state


@pytest.fixture
def permissive_workflow(monkeypatch):
    """A workflow whose state wrongly lists the inspector for every permission."""
    everyone = ["inspector", "controller", "head"]
    wf = workflow.Workflow(
        "test-permissive",
        "Test",
        [workflow.state("open", "Open", **{p.value: everyone for p in Permission})],
        [],
        initial="open",
    )
    monkeypatch.setitem(workflow._registry, wf.id, wf)
    # Security owns the state → permission map; the registered workflow declares its states.
    monkeypatch.setitem(security._STATE_PERMISSIONS, wf.id, {})  # removed after the test
    wf._declare_permissions()
    return wf


def test_inspector_gets_no_write_permission_even_from_a_workflow_state(app, permissive_workflow):
    obj = _Tracked("open", "ENERGY")
    inspector = user("inspector")
    assert has_permission(inspector, P.VIEW, obj)  # the state map is in force...
    for perm in WRITE_PERMISSIONS:
        assert not has_permission(inspector, perm, obj), perm  # ...except for writes
    # Other roles still get what the state grants them.
    assert has_permission(user("controller"), P.MODIFY, obj)
    assert has_permission(user("head.energy"), P.REGISTER, obj)
    assert not has_permission(user("head.edu"), P.REGISTER, obj)


def test_the_write_ban_strips_only_the_inspector_role(app, permissive_workflow):
    # Someone who is inspector AND controller keeps the controller's rights.
    both = user("inspector")
    both.grants.append(RoleGrant(role="controller", subdivision=None))
    db.session.flush()
    assert has_permission(both, P.DISTRIBUTE)
    assert has_permission(both, P.MODIFY, _Tracked("open"))
    assert not has_permission(both, P.REGISTER)


# --- deactivated users -----------------------------------------------------------------------


@pytest.mark.parametrize("name", ["admin", "controller", "head.energy"])
def test_deactivated_user_has_no_permissions(app, name):
    u = user(name)
    u.active = False
    db.session.flush()
    for obj in (None, Item("ENERGY"), object()):
        for perm in Permission:
            assert not has_permission(u, perm, obj), (perm, obj)
        assert roles_for(u, obj) == frozenset()


def test_nobody_has_permissions():
    for perm in Permission:
        assert not has_permission(None, perm)
        assert not has_permission(None, perm, Item("ENERGY"))
