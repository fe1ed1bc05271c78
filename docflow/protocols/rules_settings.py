"""The profile's ``reception`` settings of the reception rules, with their defaults, and the
way those rules join the reception workflows' guards (``signup_rules``, ``participant_rules``)."""

from __future__ import annotations

import dataclasses
from typing import Any

from docflow.core.errors import DomainError
from docflow.core.settings import get_setting

AKIM_BODIES = ("prosecutor", "police", "anti_corruption", "court")  # R-RECV-9, seed 004 p.19
DEFAULTS: dict[str, Any] = {
    "signup_registration_days": 0,  # R-REG-7: default the day of arrival
    "inclusion_notice_days": 15,  # R-RECV-11
    "inclusion_notice_unit": "working",
    "note_reminder_days": [2, 1],
    "restrictions_mode": False,  # R-RECV-6
    "required_participants": {"AKIM": list(AKIM_BODIES)},  # R-RECV-9
    "participants_block_hold": False,  # R-RECV-9: True refuses to hold without them
}


class ReceptionRuleError(DomainError, ValueError):
    """A reception rule refused the action (422); the message says which and why."""

    status = 422
    code = "rule_violation"


def setting(name: str) -> Any:
    value = (get_setting("reception") or {}).get(name)
    return DEFAULTS[name] if value is None else value


def setting_or_none(name: str) -> Any:
    return (get_setting("reception") or {}).get(name)


def add_condition(workflow: Any, transition_id: str, extra: Any) -> None:
    """Add ``extra`` to a transition's guard (both must allow); idempotent."""
    t = workflow.transitions[transition_id]
    if getattr(t.condition, "rules_extra", None) is extra:
        return
    first = t.condition

    def both(ctx):
        if first is not None:
            verdict = first(ctx)
            if verdict is not None and verdict is not True:
                return verdict
        return extra(ctx)

    both.rules_extra = extra
    workflow.transitions[transition_id] = dataclasses.replace(t, condition=both)
