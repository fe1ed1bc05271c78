"""Roles, named permissions and the one question code asks: ``has_permission``.

Code checks permissions, never role names. A role is held globally or locally, for one
subdivision (Plone's local roles): a head of the Energy department is ``head`` only on items
whose subdivisions include ENERGY. On an object under a workflow, the permissions its current
state governs are decided by that state's permission → roles map; everything else falls back
to the site-wide ``ROLE_PERMISSIONS`` below.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from enum import StrEnum
from typing import Protocol, runtime_checkable

from flask_babel import lazy_gettext as _l

from docflow.core.errors import DomainError


class Role(StrEnum):
    REGISTRAR = "registrar"
    CONTROLLER = "controller"
    HEAD = "head"
    EXECUTOR = "executor"
    OFFICIAL = "official"
    INSPECTOR = "inspector"
    ADMIN = "admin"


ROLE_TITLES = {
    Role.REGISTRAR: _l("Records-office clerk"),
    Role.CONTROLLER: _l("Appeals controller"),
    Role.HEAD: _l("Head of subdivision"),
    Role.EXECUTOR: _l("Executor"),
    Role.OFFICIAL: _l("Receiving official"),
    Role.INSPECTOR: _l("Inspector"),
    Role.ADMIN: _l("Administrator"),
}

# Roles that only make sense for one subdivision (local roles).
LOCAL_ROLES = frozenset({Role.HEAD, Role.EXECUTOR})


class Permission(StrEnum):
    VIEW = "view"  # see an item and its history
    VIEW_REGISTRY = "view_registry"  # see the whole journal of incoming items
    REGISTER = "register"  # register incoming items
    MODIFY = "modify"  # annotate/correct registration data (new version, R-AUDIT-3)
    DISTRIBUTE = "distribute"  # route to a subdivision, forward to another body
    ASSIGN = "assign"  # choose executors inside a subdivision
    ANSWER = "answer"  # prepare and attach an answer
    APPROVE = "approve"  # approve/sign for a subdivision
    CONTROL = "control"  # extend terms, send back for rework, remove from control
    MANAGE_RECEPTION = "manage_reception"
    HOLD_RECEPTION = "hold_reception"
    APPROVE_SCHEDULE = "approve_schedule"  # the head of the office approves reception schedules
    READ_AUDIT = "read_audit"
    MANAGE_ORG = "manage_org"
    MANAGE_USERS = "manage_users"
    INSPECT = "inspect"  # run inspections of office work, record findings (R-AUDIT-1); no case


R, P = Role, Permission

# Site-wide grants. Workflow states narrow object permissions further.
ROLE_PERMISSIONS: dict[Role, frozenset[Permission]] = {
    R.REGISTRAR: frozenset({P.VIEW, P.VIEW_REGISTRY, P.REGISTER, P.MODIFY}),
    R.CONTROLLER: frozenset(
        {P.VIEW, P.VIEW_REGISTRY, P.DISTRIBUTE, P.CONTROL, P.MANAGE_RECEPTION, P.MODIFY}
    ),
    R.HEAD: frozenset({P.VIEW, P.ASSIGN, P.ANSWER, P.APPROVE}),
    R.EXECUTOR: frozenset({P.VIEW, P.ANSWER}),
    R.OFFICIAL: frozenset({P.VIEW, P.HOLD_RECEPTION, P.APPROVE_SCHEDULE}),
    R.INSPECTOR: frozenset({P.VIEW, P.VIEW_REGISTRY, P.READ_AUDIT, P.INSPECT}),
    R.ADMIN: frozenset({P.VIEW, P.VIEW_REGISTRY, P.READ_AUDIT, P.MANAGE_ORG, P.MANAGE_USERS}),
}

# Permissions that change something. Inspectors must never get one (read-only auditors); INSPECT
# writes only the inspection's own records (runs, findings, remediation tasks), never a case.
WRITE_PERMISSIONS = frozenset(set(Permission) - {P.VIEW, P.VIEW_REGISTRY, P.READ_AUDIT, P.INSPECT})


@runtime_checkable
class Principal(Protocol):
    """What security needs of a user (``docflow.org.models.User`` implements it)."""

    id: int
    is_active: bool

    def role_grants(self) -> Iterable[tuple[str, str | None]]:
        """(role, subdivision code or None for a global grant)."""


@runtime_checkable
class LocallyRoled(Protocol):
    """An object whose local roles come from the subdivisions it belongs to."""

    def local_role_subdivisions(self) -> Iterable[str]: ...


def roles_for(user: Principal | None, obj: object | None = None) -> frozenset[Role]:
    """The roles ``user`` has on ``obj`` (or anywhere, when obj is None)."""
    if user is None or not getattr(user, "is_active", False) or not hasattr(user, "role_grants"):
        return frozenset()
    grants = list(user.role_grants())
    local_scope: set[str] | None = None
    if obj is not None and isinstance(obj, LocallyRoled):
        local_scope = set(obj.local_role_subdivisions())
    roles: set[Role] = set()
    for role, subdivision in grants:
        try:
            r = Role(role)
        except ValueError:
            continue
        if (
            subdivision is None
            or obj is None
            or (local_scope is not None and subdivision in local_scope)
        ):
            roles.add(r)
    return frozenset(roles)


def has_permission(
    user: Principal | None, permission: Permission | str, obj: object = None
) -> bool:
    permission = Permission(permission)
    roles = roles_for(user, obj)
    if permission in WRITE_PERMISSIONS:
        # Inspectors read everything and change nothing, whatever a workflow state says.
        roles = roles - {Role.INSPECTOR}
    if not roles:
        return False
    if obj is not None:
        state_roles = state_permission_roles(obj, permission)
        if state_roles is not None:
            return bool(roles & state_roles)
    return any(permission in ROLE_PERMISSIONS.get(r, ()) for r in roles)


def require_permission(
    user: Principal | None, permission: Permission | str, obj: object = None
) -> None:
    """For operations: raise ``AccessDenied`` (403) unless ``user`` has ``permission``."""
    if not has_permission(user, permission, obj):
        raise AccessDenied()


# --- per-state permissions ----------------------------------------------------------------
# Owned here, next to the site-wide grants: workflow id → state id → permission → roles. The
# workflow engine declares each registered workflow's states (``declare_state_permissions``)
# and asks nothing back; security never imports the engine.

_STATE_PERMISSIONS: dict[str, dict[str, Mapping[str, frozenset[str]]]] = {}


def declare_state_permissions(
    workflow_id: str, states: Mapping[str, Mapping[str, frozenset[str]]]
) -> None:
    """What each state of ``workflow_id`` grants (replaces an earlier declaration)."""
    _STATE_PERMISSIONS[workflow_id] = {
        st: {str(p): frozenset(r) for p, r in perms.items()} for st, perms in states.items()
    }


def state_permission_roles(obj: object, permission: Permission | str) -> frozenset[str] | None:
    """Roles the object's current state grants ``permission`` to; None if it does not say."""
    states = _STATE_PERMISSIONS.get(getattr(obj, "__workflow__", None) or "")
    current = getattr(obj, "state", None)
    if states is None or current not in states:
        return None
    return states[current].get(str(permission))


class AccessDenied(DomainError):
    """The actor lacks a permission; views and the API turn it into 403."""

    status = 403
    code = "forbidden"

    def __init__(self, message: str | None = None) -> None:
        super().__init__(message or _l("You do not have permission to do this."))
