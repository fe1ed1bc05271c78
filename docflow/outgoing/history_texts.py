"""Outgoing letters' and notices' sentences in the readable history (docflow.core.history_text)."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l

from docflow.core import history_text as ht
from docflow.extensions import db

GROUP = "letters"


def letter_label(object_id: str) -> str | None:
    from docflow.outgoing.letter_models import Letter

    letter = db.session.get(Letter, int(object_id))
    if letter is None:
        return None
    if letter.reg_number:
        return str(_l("letter %(number)s", number=letter.reg_number))
    return str(_l("draft letter to %(item)s", item=letter.item.reg_number))


def _letter_state(state_id: str) -> str:
    from docflow.core.workflow import get_workflow

    found = get_workflow("letter").states.get(state_id)
    return str(found.title) if found is not None else state_id


def _channel(summary: dict, ctx: ht.Context) -> dict:
    from docflow.outgoing.models import CHANNELS

    channel = summary.get("channel")
    return {"channel": str(CHANNELS.get(channel, channel or "—"))}


def register() -> None:
    ht.register_group(GROUP, _l("Letters and notices"))
    ht.register_object(
        "letter", _l("letter"), group=GROUP, label=letter_label, values={"state": _letter_state}
    )
    ht.register_object("letter_version", _l("letter version"), group=GROUP)
    ht.register_object("letter_approval", _l("approval of a letter"), group=GROUP)
    ht.register_object("letter_dispatch", _l("dispatch of a letter"), group=GROUP)
    ht.register_object("letter_template", _l("letter template"), group=GROUP)
    ht.register_object("answer_rating", _l("applicant's rating"), group=GROUP)
    ht.register_action(
        "draft_outgoing", _l("%(actor)s drafted %(object)s for %(item)s"), group=GROUP
    )
    ht.register_action(
        "register_outgoing",
        _l("%(actor)s registered the outgoing %(reg_number)s (answer to %(item)s)"),
        group=GROUP,
    )
    ht.register_action(
        "outgoing_sent",
        _l("%(actor)s sent %(object)s on %(sent_on)s (%(channel)s)"),
        group=GROUP,
        fields=_channel,
    )
    steps = {
        "create": _l("%(actor)s drafted the letter"),
        "submit": _l("%(actor)s sent the letter for approval"),
        "approve": _l("%(actor)s approved the letter"),
        "endorse": _l("%(actor)s endorsed the letter"),
        "return": _l("%(actor)s returned the letter for changes"),
        "sign": _l("%(actor)s signed the letter"),
        "register": _l("%(actor)s registered the letter"),
        "send": _l("%(actor)s sent the letter"),
    }
    for transition, text in steps.items():
        ht.register_transition("letter", transition, text)
    ht.register_workflow("letter", group=GROUP)
    ht.register_field_titles({"sent_on": _l("sent on"), "late": _l("late")})
