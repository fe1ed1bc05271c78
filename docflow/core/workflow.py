"""A small declarative workflow engine in the manner of Plone's DCWorkflow.

A ``Workflow`` has states (each with a permission → roles map deciding what may be done to an
object while it is in that state) and transitions (source states, destination, guards on a
permission, on roles and on a condition function, declared parameters, optionally automatic).
``fire()`` is the only way an object changes state: it checks the guards, moves the object,
writes a history row (who, what, comment, parameters, UTC time) and sends ``after_transition``
for other modules to hook into, all inside one savepoint: if anything fails, nothing happened.
Every write is also in the audit trail (``docflow.core.audit`` records the history row).

The per-state permission maps are declared here but owned by ``docflow.core.security`` (which
``has_permission`` consults): ``register``/``extend`` hand them over, security never asks back.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from blinker import Namespace
from flask_babel import lazy_gettext as _l
from sqlalchemy import Integer, String, Text, select
from sqlalchemy.orm import Mapped, mapped_column

from docflow.core.db import JSONType, UTCDateTime, utcnow
from docflow.core.errors import DomainError
from docflow.core.security import (
    Principal,
    Role,
    declare_state_permissions,
    has_permission,
    roles_for,
    state_permission_roles,  # noqa: F401  (re-exported: asked of security, owned there)
)
from docflow.extensions import db

signals = Namespace()
before_transition = signals.signal("docflow.workflow.before_transition")
after_transition = signals.signal("docflow.workflow.after_transition")

MAX_AUTOMATIC_CHAIN = 10


# --- errors: each maps to an HTTP status for views and the API ---------------------------


class WorkflowError(DomainError):
    status = 409
    code = "workflow_error"


class UnknownTransition(WorkflowError):
    status = 400
    code = "unknown_transition"


class TransitionNotAvailable(WorkflowError):
    """The transition exists but not from the object's current state."""

    status = 409
    code = "wrong_state"


class TransitionForbidden(WorkflowError):
    status = 403
    code = "forbidden"


class GuardRefused(WorkflowError):
    """A business rule (the transition's condition) said no."""

    status = 422
    code = "rule_violation"


class InvalidParameters(WorkflowError):
    status = 422
    code = "invalid_parameters"


# --- definitions --------------------------------------------------------------------------


@dataclass(frozen=True)
class State:
    id: str
    title: Any
    permissions: Mapping[str, frozenset[str]] = field(default_factory=dict)
    final: bool = False


@dataclass(frozen=True)
class Param:
    name: str
    title: Any = None
    required: bool = True
    convert: Callable[[Any], Any] = str


@dataclass(frozen=True)
class TransitionContext:
    workflow: Workflow
    transition: Transition
    obj: Any
    actor: Principal | None
    params: Mapping[str, Any]
    comment: str | None


# A condition returns True/None to allow, False or a message to refuse.
Condition = Callable[[TransitionContext], bool | str | None]


@dataclass(frozen=True)
class Transition:
    id: str
    title: Any
    source: frozenset[str]
    dest: str | None  # None: the object stays in its state (an action recorded in the history)
    permission: str | None = None
    roles: frozenset[str] | None = None
    condition: Condition | None = None
    params: tuple[Param, ...] = ()
    auto: bool = False
    comment_required: bool = False


def state(id: str, title: Any, final: bool = False, **permissions: Iterable[str]) -> State:
    """Shorthand: ``state("registered", _l("Registered"), view=["registrar", ...])``."""
    return State(id, title, {p: frozenset(r) for p, r in permissions.items()}, final)


def transition(
    id: str,
    title: Any,
    source: Iterable[str] | str,
    dest: str | None,
    *,
    permission: str | None = None,
    roles: Iterable[str] | None = None,
    condition: Condition | None = None,
    params: Iterable[Param] = (),
    auto: bool = False,
    comment_required: bool = False,
) -> Transition:
    src = frozenset([source] if isinstance(source, str) else source)
    return Transition(
        id,
        title,
        src,
        dest,
        permission=permission,
        roles=frozenset(roles) if roles is not None else None,
        condition=condition,
        params=tuple(params),
        auto=auto,
        comment_required=comment_required,
    )


class WorkflowHistory(db.Model):
    """One row per transition (DCWorkflow's ``review_history``)."""

    __tablename__ = "workflow_history"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    object_type: Mapped[str] = mapped_column(String(64), nullable=False)
    object_id: Mapped[str] = mapped_column(String(64), nullable=False)
    workflow: Mapped[str] = mapped_column(String(64), nullable=False)
    transition: Mapped[str] = mapped_column(String(64), nullable=False)
    from_state: Mapped[str | None] = mapped_column(String(64), nullable=True)
    to_state: Mapped[str] = mapped_column(String(64), nullable=False)
    actor_id: Mapped[int | None] = mapped_column(Integer, nullable=True)
    actor_name: Mapped[str] = mapped_column(String(200), nullable=False)
    comment: Mapped[str | None] = mapped_column(Text, nullable=True)
    params: Mapped[Any] = mapped_column(JSONType, nullable=True)
    at: Mapped[dt.datetime] = mapped_column(UTCDateTime, nullable=False, default=utcnow)

    __table_args__ = (db.Index("ix_workflow_history_object", "object_type", "object_id", "id"),)


class WorkflowMixin:
    """Objects under a workflow: ``__workflow__`` names it, ``state`` holds the current state."""

    __workflow__: str
    state: Mapped[str] = mapped_column(String(64), nullable=False, index=True)


_registry: dict[str, Workflow] = {}


def register(workflow: Workflow) -> Workflow:
    _registry[workflow.id] = workflow
    workflow._declare_permissions()
    return workflow


def get_workflow(workflow_id: str) -> Workflow:
    return _registry[workflow_id]


def workflow_for(obj: Any) -> Workflow | None:
    wf_id = getattr(obj, "__workflow__", None)
    return _registry.get(wf_id) if wf_id else None


def history(obj: Any) -> list[WorkflowHistory]:
    return list(
        db.session.scalars(
            select(WorkflowHistory)
            .where(
                WorkflowHistory.object_type == obj.__tablename__,
                WorkflowHistory.object_id == str(_object_id(obj)),
            )
            .order_by(WorkflowHistory.id)
        )
    )


def _object_id(obj: Any) -> Any:
    if getattr(obj, "id", None) is None:
        db.session.flush()
    return obj.id


def _actor_name(actor: Principal | None) -> str:
    if actor is None:
        return "system"
    return getattr(actor, "display_name", None) or getattr(actor, "username", None) or str(actor.id)


class Workflow:
    def __init__(
        self,
        id: str,
        title: Any,
        states: Iterable[State],
        transitions: Iterable[Transition],
        initial: str,
    ) -> None:
        self.id, self.title, self.initial = id, title, initial
        self.states = {s.id: s for s in states}
        self.transitions = {t.id: t for t in transitions}
        if initial not in self.states:
            raise ValueError(f"workflow {id}: initial state {initial!r} is not defined")
        for t in self.transitions.values():
            unknown = (t.source | ({t.dest} if t.dest else set())) - self.states.keys()
            if unknown:
                raise ValueError(
                    f"workflow {id}: transition {t.id} names unknown {sorted(unknown)}"
                )

    def extend(self, states: Iterable[State] = (), transitions: Iterable[Transition] = ()) -> None:
        """Add states and transitions from another module (routing extends the incoming flow)."""
        for st in states:
            if st.id in self.states:
                raise ValueError(f"workflow {self.id}: state {st.id} already defined")
            self.states[st.id] = st
        for t in transitions:
            if t.id in self.transitions:
                raise ValueError(f"workflow {self.id}: transition {t.id} already defined")
            unknown = (t.source | ({t.dest} if t.dest else set())) - self.states.keys()
            if unknown:
                raise ValueError(
                    f"workflow {self.id}: transition {t.id} names unknown {sorted(unknown)}"
                )
            self.transitions[t.id] = t
        self._declare_permissions()

    def _declare_permissions(self) -> None:
        # Security owns the state → permission map; a registered workflow tells it its states.
        if _registry.get(self.id) is self:
            declare_state_permissions(
                self.id, {st.id: st.permissions for st in self.states.values()}
            )

    # --- queries ---

    def state_of(self, obj: Any) -> State:
        return self.states[obj.state]

    def available(self, obj: Any, actor: Principal | None) -> list[Transition]:
        """Manual transitions the actor could fire now (guards checked, parameters not)."""
        out = []
        for t in self.transitions.values():
            if t.auto:
                continue
            try:
                self._check(t, obj, actor, {}, None, check_params=False)
            except WorkflowError:
                continue
            out.append(t)
        return out

    def _get(self, transition_id: str) -> Transition:
        try:
            return self.transitions[transition_id]
        except KeyError:
            raise UnknownTransition(_l("Unknown action “%(name)s”.", name=transition_id)) from None

    def _check(
        self,
        t: Transition,
        obj: Any,
        actor: Principal | None,
        params: Mapping[str, Any],
        comment: str | None,
        *,
        check_params: bool = True,
        system: bool = False,
    ) -> dict[str, Any]:
        if obj.state not in t.source:
            raise TransitionNotAvailable(
                _l(
                    "“%(action)s” is not possible in the state “%(state)s”.",
                    action=t.title,
                    state=self.states[obj.state].title,
                )
            )
        if not system:
            if actor is None:
                raise TransitionForbidden(_l("You must be logged in to do this."))
            if t.permission is not None and not has_permission(actor, t.permission, obj):
                raise TransitionForbidden(
                    _l("You do not have permission to do “%(action)s”.", action=t.title)
                )
            # Inspectors change nothing, whatever a transition's role guard lists.
            acting_roles = roles_for(actor, obj) - {Role.INSPECTOR}
            if t.roles is not None and not (acting_roles & t.roles):
                raise TransitionForbidden(
                    _l("Your role does not allow “%(action)s”.", action=t.title)
                )
        converted: dict[str, Any] = {}
        if check_params:
            converted = self._convert_params(t, params, comment)
        if t.condition is not None:
            ctx = TransitionContext(self, t, obj, actor, converted or dict(params), comment)
            verdict = t.condition(ctx)
            if verdict is False:
                raise GuardRefused(_l("“%(action)s” is not allowed now.", action=t.title))
            if isinstance(verdict, str) or (verdict not in (None, True)):
                raise GuardRefused(verdict)
        return converted

    def _convert_params(
        self, t: Transition, params: Mapping[str, Any], comment: str | None
    ) -> dict[str, Any]:
        if t.comment_required and not (comment or "").strip():
            raise InvalidParameters(_l("A comment is required for “%(action)s”.", action=t.title))
        declared = {p.name: p for p in t.params}
        extra = set(params) - declared.keys()
        if extra:
            raise InvalidParameters(
                _l("Unexpected parameters: %(names)s.", names=", ".join(sorted(extra)))
            )
        out: dict[str, Any] = {}
        for p in t.params:
            raw = params.get(p.name)
            if raw is None or raw == "":
                if p.required:
                    raise InvalidParameters(_l("“%(param)s” is required.", param=p.title or p.name))
                continue
            try:
                out[p.name] = p.convert(raw)
            except (TypeError, ValueError) as exc:
                raise InvalidParameters(
                    _l("“%(param)s” is invalid: %(error)s", param=p.title or p.name, error=exc)
                ) from None
        return out

    # --- changes ---

    def initialize(self, obj: Any, actor: Principal | None, comment: str | None = None) -> None:
        """Put a new object in the initial state and record its creation in the history."""
        obj.state = self.initial
        self._write_history(obj, "create", None, self.initial, actor, comment, {})

    def fire(
        self,
        obj: Any,
        transition_id: str,
        actor: Principal | None,
        *,
        comment: str | None = None,
        params: Mapping[str, Any] | None = None,
    ) -> WorkflowHistory:
        """Do a transition, all or nothing; then any automatic transitions it enables."""
        t = self._get(transition_id)
        with db.session.begin_nested():
            entry = self._do(t, obj, actor, params or {}, comment, system=False)
            self._run_automatic(obj)
        return entry

    def _do(
        self,
        t: Transition,
        obj: Any,
        actor: Principal | None,
        params: Mapping[str, Any],
        comment: str | None,
        *,
        system: bool,
    ) -> WorkflowHistory:
        converted = self._check(t, obj, actor, params, comment, system=system)
        before_transition.send(self, obj=obj, transition=t, actor=actor, params=converted)
        source = obj.state
        dest = t.dest or source
        obj.state = dest
        entry = self._write_history(obj, t.id, source, dest, actor, comment, converted)
        after_transition.send(
            self, obj=obj, transition=t, actor=actor, params=converted, history=entry
        )
        db.session.flush()
        return entry

    def _run_automatic(self, obj: Any) -> None:
        for _ in range(MAX_AUTOMATIC_CHAIN):
            for t in self.transitions.values():
                if not t.auto or obj.state not in t.source:
                    continue
                try:
                    self._check(t, obj, None, {}, None, system=True)
                except GuardRefused:
                    continue
                self._do(t, obj, None, {}, None, system=True)
                break
            else:
                return
        raise WorkflowError(f"workflow {self.id}: automatic transitions do not settle")

    def _write_history(
        self,
        obj: Any,
        transition_id: str,
        source: str | None,
        dest: str,
        actor: Principal | None,
        comment: str | None,
        params: Mapping[str, Any],
    ) -> WorkflowHistory:
        entry = WorkflowHistory(
            object_type=obj.__tablename__,
            object_id=str(_object_id(obj)),
            workflow=self.id,
            transition=transition_id,
            from_state=source,
            to_state=dest,
            actor_id=getattr(actor, "id", None),
            actor_name=_actor_name(actor),
            comment=comment,
            params={k: _jsonable(v) for k, v in params.items()} or None,
        )
        db.session.add(entry)
        return entry


def _jsonable(value: Any) -> Any:
    if isinstance(value, list | tuple):
        return [_jsonable(v) for v in value]
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, dt.date | dt.datetime):
        return value.isoformat()
    if isinstance(value, str | int | float | bool) or value is None:
        return value
    return str(value)
