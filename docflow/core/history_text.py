"""History as sentences: audit entries and workflow history rows in the reader's language.

The audit trail (R-AUDIT-3) stores what happened as data — an action code, the object's table
and id, a JSON summary. People read sentences: "Records-office clerk Aigul Serikova
registered: statement ЖТ-2026-00000123". This module turns one into the other, generically:

- an **action** (``register``, ``outgoing_sent``, …) has a sentence template, a translatable
  string with ``%(actor)s``, ``%(object)s`` and fields taken from the summary;
- an **object type** (``incoming_item``, ``letter``, …) has a noun and, optionally, a label (the
  registration number) and the create/update/delete sentences of its rows;
- a **workflow transition** may have its own sentence; otherwise its title is quoted.

Domains register their own with ``register_action``, ``register_object`` and
``register_transition`` (small public functions; nothing here knows a domain). What nobody
registered still reads as a sentence: the action's code in words and the summary as "key:
value" pairs — never raw JSON. Actions belong to **groups** (registration, routing, …), which
the audit page filters by.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import String, and_, cast, false, or_, select

from docflow.core.history_text_values import (  # noqa: F401  (re-exported for the domains)
    field_title,
    register_field_titles,
    value_text,
)
from docflow.core.rules_text import rule_words_text

ROW_ACTIONS = ("create", "update", "delete")
MAX_CHANGES = 4  # changed fields named in an update sentence
MAX_DETAILS = 300  # characters of the details under a sentence

Fields = Callable[[Mapping[str, Any], "Context"], Mapping[str, Any]]
Label = Callable[[str], str | None]


@dataclass
class ActionText:
    text: Any  # a lazy translatable template
    group: str
    fields: Fields | None = None


@dataclass
class ObjectKind:
    noun: Any
    group: str
    label: Label | None = None
    created: Any = None  # sentence templates for its rows' create/update/delete, if any
    updated: Any = None
    deleted: Any = None
    fields: Fields | None = None
    hidden_fields: frozenset[str] = frozenset()
    values: Mapping[str, Callable[[Any], str]] = field(default_factory=dict)

    def value(self, key: str, value: Any) -> str:
        reader = self.values.get(key)
        if reader is not None and value is not None:
            try:
                return str(reader(value))
            except (TypeError, ValueError, LookupError):
                pass
        return value_text(value)


@dataclass
class Group:
    title: Any
    actions: set[str] = field(default_factory=set)
    object_types: set[str] = field(default_factory=set)
    steps: dict[str, set[str] | None] = field(default_factory=dict)  # workflow → transitions


_actions: dict[str, ActionText] = {}
_objects: dict[str, ObjectKind] = {}
_transitions: dict[tuple[str, str], tuple[Any, Callable[[str], str] | None]] = {}
_groups: dict[str, Group] = {}


def register_group(group: str, title: Any) -> None:
    """A filter group of the audit page ("what"): registration, routing, letters, …"""
    _groups.setdefault(group, Group(title)).title = title


def register_action(action: str, text: Any, *, group: str, fields: Fields | None = None) -> None:
    """The sentence of an audit action: ``text`` with %(actor)s, %(object)s and summary fields.

    ``fields(summary, ctx)`` returns the values the template names (already readable); without
    it the summary's own scalar values are offered as they are.
    """
    _actions[action] = ActionText(text, group, fields)
    _groups.setdefault(group, Group(group)).actions.add(action)


def register_object(
    object_type: str,
    noun: Any,
    *,
    group: str,
    label: Label | None = None,
    created: Any = None,
    updated: Any = None,
    deleted: Any = None,
    fields: Fields | None = None,
    hidden_fields: tuple[str, ...] = (),
    values: Mapping[str, Callable[[Any], str]] | None = None,
) -> None:
    """An object type's noun (and label: its registration number) and its rows' sentences.

    ``values``: readers of its columns' stored values (a state id → its title, a subdivision
    id → its name), used wherever a sentence or its details show that column.
    """
    _objects[object_type] = ObjectKind(
        noun,
        group,
        label,
        created,
        updated,
        deleted,
        fields,
        frozenset(hidden_fields),
        dict(values or {}),
    )
    _groups.setdefault(group, Group(group)).object_types.add(object_type)


def register_workflow(workflow: str, *, group: str) -> None:
    """Every step of ``workflow`` (its history rows in the trail) belongs to ``group``."""
    _groups.setdefault(group, Group(group)).steps[workflow] = None


def register_transition(
    workflow: str,
    transition: str,
    text: Any,
    *,
    comment: Callable[[str], str] | None = None,
    group: str | None = None,
) -> None:
    """The sentence of one workflow step (``%(actor)s``); ``comment`` reads its stored comment.

    ``group``: the filter group its history rows belong to (else its workflow's, if any).
    """
    _transitions[(workflow, transition)] = (text, comment)
    if group is not None:
        steps = _groups.setdefault(group, Group(group)).steps
        if workflow not in steps or steps[workflow] is not None:
            steps.setdefault(workflow, set()).add(transition)


def groups() -> list[tuple[str, str]]:
    """(id, title) of every group, for the "what" filter."""
    return [(key, str(g.title)) for key, g in _groups.items()]


def group_condition(group: str, table: Any) -> Any:
    """SQL condition on the audit table: the entries of ``group``."""
    g = _groups.get(group)
    if g is None:
        return false()
    conds = []
    if g.actions:
        conds.append(table.action.in_(sorted(g.actions)))
    if g.object_types:
        conds.append(
            and_(table.action.in_(ROW_ACTIONS), table.object_type.in_(sorted(g.object_types)))
        )
    if g.steps:
        from docflow.core.workflow import WorkflowHistory as WH

        which = or_(
            *(
                WH.workflow == wf if ts is None else and_(WH.workflow == wf, WH.transition.in_(ts))
                for wf, ts in sorted(g.steps.items())
            )
        )
        rows = select(cast(WH.id, String)).where(which)
        conds.append(and_(table.object_type == "workflow_history", table.object_id.in_(rows)))
    return or_(*conds) if conds else false()


# --- the context: names of people and objects, looked up once per page --------------------


class Context:
    """Looks up actors' names and roles and objects' labels, caching them for one rendering."""

    def __init__(self) -> None:
        self._users: dict[Any, str] = {}
        self._labels: dict[tuple[str, str], str] = {}

    def user(self, user_id: Any, fallback: str | None = None) -> str:
        """ "Role Name" of a user id (or ``fallback``, the name stored in the entry)."""
        if user_id is None:
            return fallback if fallback and fallback != "system" else _("The system")
        if user_id not in self._users:
            self._users[user_id] = _person(user_id, fallback)
        return self._users[user_id]

    def label(self, object_type: str | None, object_id: Any) -> str:
        """What an object is called: "statement ЖТ-2026-00000001", "applicant #3", "journal"."""
        if not object_type:
            return ""
        key = (object_type, "" if object_id is None else str(object_id))
        if key not in self._labels:
            self._labels[key] = _object_label(object_type, key[1])
        return self._labels[key]


def _person(user_id: Any, fallback: str | None) -> str:
    from docflow.core.security import ROLE_TITLES, Role
    from docflow.extensions import db
    from docflow.org.models import User

    try:
        user = db.session.get(User, int(user_id))
    except (TypeError, ValueError):
        user = None
    if user is None:
        return fallback or str(user_id)
    name = user.display_name
    grants = [r for r, _code in user.role_grants()]
    for role in grants:
        try:
            title = ROLE_TITLES.get(Role(role))
        except ValueError:
            title = None
        if title:
            return f"{title} {name}"
    return name


def _object_label(object_type: str, object_id: str) -> str:
    kind = _objects.get(object_type)
    if kind is None:
        words = object_type.replace("_", " ")
        return f"{words} #{object_id}" if object_id else words
    if kind.label is not None and object_id:
        try:
            found = kind.label(object_id)
        except (TypeError, ValueError, LookupError):
            found = None
        if found:
            return found
    return f"{kind.noun} #{object_id}" if object_id else str(kind.noun)


# --- values in words ----------------------------------------------------------------------


def details_text(
    summary: Any, hidden: frozenset[str] = frozenset(), kind: ObjectKind | None = None
) -> str:
    """A summary as "key: value; …" (what a generic sentence shows), never JSON."""
    if not summary:
        return ""
    if not isinstance(summary, dict):
        return value_text(summary)

    def show(key: str, value: Any) -> str:
        return kind.value(key, value) if kind is not None else value_text(value)

    readers = kind.values if kind is not None else {}
    parts = [
        f"{field_title(str(k))}: {show(str(k), v)}"
        for k, v in summary.items()
        if k not in hidden
        and not isinstance(v, dict)
        # a bare row id ("user_id: 8") says nothing to a reader, unless a reader names it
        and (not str(k).endswith("_id") or k in readers)
    ]
    text = "; ".join(parts)
    return text if len(text) <= MAX_DETAILS else text[: MAX_DETAILS - 1].rstrip() + "…"


class _Values(dict):
    """Template values: a name the template uses but nobody gave reads as a dash."""

    def __missing__(self, key: str) -> str:
        return "—"


def _fill(text: Any, values: Mapping[str, Any]) -> str:
    template = str(text)
    try:
        return template % _Values(values)
    except (TypeError, ValueError):
        return template


# --- sentences ----------------------------------------------------------------------------


@dataclass(frozen=True)
class Sentence:
    """One readable line of history."""

    text: str
    actor: str
    details: str = ""
    failed: bool = False


def _actor_of(entry: Any, ctx: Context) -> str:
    return ctx.user(getattr(entry, "actor_id", None), getattr(entry, "actor_name", None))


def describe(entry: Any, ctx: Context | None = None) -> Sentence:
    """The sentence of one audit entry (``AuditEntry`` or anything with its attributes)."""
    ctx = ctx or Context()
    summary = entry.summary if isinstance(entry.summary, dict) else {}
    action = entry.action
    failed = (entry.outcome or "ok") != "ok"
    if action in ROW_ACTIONS and entry.object_type == "workflow_history":
        return _describe_history_row(entry, summary, ctx)
    actor = _actor_of(entry, ctx)
    obj = ctx.label(entry.object_type, entry.object_id)
    values: dict[str, Any] = {"actor": actor, "object": obj, "outcome": _outcome(entry.outcome)}
    if action in _actions:
        spec = _actions[action]
        values.update(_scalars(summary))
        if spec.fields is not None:
            values.update(spec.fields(summary, ctx))
        text = _fill(spec.text, values)
        if failed:
            text = _("%(sentence)s (%(outcome)s)", sentence=text, outcome=values["outcome"])
        return Sentence(text, actor, failed=failed)
    if action in ROW_ACTIONS:
        return _describe_row(entry, summary, actor, obj, ctx)
    words = action.replace("_", " ")
    text = (
        _("%(actor)s: %(action)s — %(object)s", actor=actor, action=words, object=obj)
        if obj
        else _("%(actor)s: %(action)s", actor=actor, action=words)
    )
    if failed:
        text = _("%(sentence)s (%(outcome)s)", sentence=text, outcome=values["outcome"])
    return Sentence(text, actor, details_text(summary), failed)


def _outcome(outcome: str | None) -> str:
    return {
        "ok": _("done"),
        "failed": _("failed"),
        "throttled": _("refused: too many attempts"),
        "denied": _("refused"),
    }.get(outcome or "ok", outcome or "")


def _scalars(summary: Mapping[str, Any]) -> dict[str, str]:
    return {str(k): value_text(v) for k, v in summary.items() if not isinstance(v, dict)}


def _describe_row(
    entry: Any, summary: Mapping[str, Any], actor: str, obj: str, ctx: Context
) -> Sentence:
    kind = _objects.get(entry.object_type or "")
    hidden = kind.hidden_fields if kind else frozenset()
    values: dict[str, Any] = {"actor": actor, "object": obj}
    row = summary.get("after") or summary.get("before") or {}
    if isinstance(row, dict):
        values.update(_scalars(row))
    if kind is not None and kind.fields is not None and isinstance(row, dict):
        values.update(kind.fields(row, ctx))
    if entry.action == "update":
        before, after = summary.get("before") or {}, summary.get("after") or {}
        keys = [k for k in after if k not in hidden] or [k for k in before if k not in hidden]
        changes = "; ".join(
            _(
                "%(field)s: %(old)s → %(new)s",
                field=field_title(k),
                old=kind.value(k, before.get(k)) if kind else value_text(before.get(k)),
                new=kind.value(k, after.get(k)) if kind else value_text(after.get(k)),
            )
            for k in keys[:MAX_CHANGES]
        )
        if len(keys) > MAX_CHANGES:
            changes += "; …"
        values["changes"] = changes
        text = kind.updated if kind is not None and kind.updated is not None else None
        if text is None:
            return Sentence(_fill(_l("%(actor)s changed %(object)s: %(changes)s"), values), actor)
        return Sentence(_fill(text, values), actor)
    template = None
    if kind is not None:
        template = kind.created if entry.action == "create" else kind.deleted
    if template is not None:
        return Sentence(_fill(template, values), actor)
    generic = (
        _l("%(actor)s created %(object)s")
        if entry.action == "create"
        else _l("%(actor)s deleted %(object)s")
    )
    shown = {k: v for k, v in row.items() if k not in hidden} if isinstance(row, dict) else {}
    return Sentence(_fill(generic, values), actor, details_text(shown, _NOISE_FIELDS, kind))


_NOISE_FIELDS = frozenset({"id", "public_id", "created_at", "updated_at", "password_hash"})


def _describe_history_row(entry: Any, summary: Mapping[str, Any], ctx: Context) -> Sentence:
    row = summary.get("after") or summary.get("before") or {}
    if not isinstance(row, dict):
        row = {}
    actor = ctx.user(row.get("actor_id"), row.get("actor_name"))
    obj = ctx.label(row.get("object_type"), row.get("object_id"))
    return transition_sentence(
        row.get("workflow") or "",
        row.get("transition") or "",
        actor=actor,
        obj=obj,
        comment=row.get("comment"),
    )


def transition_sentence(
    workflow: str, transition: str, *, actor: str, obj: str = "", comment: str | None = None
) -> Sentence:
    """The sentence of one workflow step: a registered one, or the transition's title quoted.

    ``obj`` (on the audit page: which item) is appended; on the item's own page it is left out.
    The comment is the details, rule ids in words (a registered comment reader may say more).
    """
    spec = _transitions.get((workflow, transition))
    if spec is not None:
        sentence = _fill(spec[0], {"actor": actor})
    else:
        title = _transition_title(workflow, transition)
        sentence = _("%(actor)s: “%(step)s”", actor=actor, step=title)
    if obj:
        sentence = _("%(sentence)s — %(object)s", sentence=sentence, object=obj)
    details = ""
    if comment:
        reader = spec[1] if spec is not None else None
        details = reader(comment) if reader is not None else comment
        details = rule_words_text(details)
    return Sentence(sentence, actor, details)


def _transition_title(workflow: str, transition: str) -> str:
    from docflow.core import workflow as wf

    if transition == "create":
        return _("created")
    try:
        found = wf.get_workflow(workflow).transitions.get(transition)
    except KeyError:
        found = None
    return str(found.title) if found is not None else transition.replace("_", " ")


def describe_history(rows: list[Any], ctx: Context | None = None) -> list[Sentence]:
    """Sentences of an object's workflow history rows (the item page's history)."""
    ctx = ctx or Context()
    return [
        transition_sentence(
            h.workflow,
            h.transition,
            actor=ctx.user(h.actor_id, h.actor_name),
            comment=h.comment,
        )
        for h in rows
    ]
