"""The registry's sentences in the readable history (docflow.core.history_text)."""

from __future__ import annotations

from typing import Any

from flask_babel import lazy_gettext as _l

from docflow.core import history_text as ht
from docflow.extensions import db

GROUP = "registration"


def item_label(object_id: str) -> str | None:
    """ "statement ЖТ-2026-00000001": the kind in words and the registration number."""
    from docflow.registry.models import IncomingItem
    from docflow.registry.vocab import KINDS

    item = db.session.get(IncomingItem, int(object_id))
    if item is None:
        return None
    kind = KINDS.get(item.kind)
    return f"{str(kind).lower()} {item.reg_number}" if kind else item.reg_number


def _child_label(model: str, noun: Any):
    def label(object_id: str) -> str | None:
        from docflow.registry import models

        row = db.session.get(getattr(models, model), int(object_id))
        if row is None or getattr(row, "item", None) is None:
            return None
        return str(_l("%(what)s of %(item)s", what=noun, item=row.item.reg_number))

    return label


def _state_title(state_id: str) -> str:
    from docflow.registry.workflow import INCOMING

    found = INCOMING.states.get(state_id)
    return str(found.title) if found is not None else state_id


def _subdivision(sub_id) -> str:
    from docflow.org.models import Subdivision, localized

    sub = db.session.get(Subdivision, int(sub_id))
    return (localized(sub.names) or sub.code) if sub is not None else str(sub_id)


def _vocab(name: str):
    def read(value) -> str:
        from docflow.registry import vocab

        return str(getattr(vocab, name).get(value, value))

    return read


def _kind_channel(summary: dict, ctx: ht.Context) -> dict:
    from docflow.registry.vocab import CHANNELS, KINDS

    return {
        "kind": str(KINDS.get(summary.get("kind"), summary.get("kind") or "—")),
        "channel": str(CHANNELS.get(summary.get("channel"), summary.get("channel") or "—")),
    }


def _missing_details(comment: str) -> str:
    """ "R-REG-5: address, signed" → the rule, then the missing details in words."""
    from docflow.registry.vocab import REQUIRED_DETAILS

    rule, sep, rest = comment.partition(": ")
    if not sep:
        return comment
    names = [str(REQUIRED_DETAILS.get(k.strip(), k.strip())) for k in rest.split(",")]
    return f"{rule}: {', '.join(names)}"


def _candidates(summary: dict, ctx: ht.Context) -> dict:
    found = summary.get("candidates") or []
    return {"items": ", ".join(str(c.get("item")) for c in found if isinstance(c, dict)) or "—"}


def register() -> None:
    from docflow.registry import file_versions, public_status

    ht.register_group(GROUP, _l("Registration"))
    public_status.register_texts()  # failed lookups on the public status page
    file_versions.register_texts()  # replaced and removed files, applicant versions
    ht.register_object(
        "incoming_item",
        _l("incoming item"),
        group=GROUP,
        label=item_label,
        hidden_fields=("search_text", "notice_text", "extracted_text"),
        values={
            "state": _state_title,
            "subdivision_id": _subdivision,
            "kind": _vocab("KINDS"),
            "channel": _vocab("CHANNELS"),
        },
    )
    ht.register_object(
        "applicant", _l("applicant"), group=GROUP, label=_child_label("Applicant", _l("applicant"))
    )
    ht.register_object(
        "attachment",
        _l("file"),
        group=GROUP,
        label=_child_label("Attachment", _l("file")),
        created=_l("%(actor)s attached the file “%(filename)s” to %(object)s"),
    )
    ht.register_object("item_link", _l("link between items"), group=GROUP)
    ht.register_object("annotation", _l("correction"), group=GROUP)
    ht.register_object("repeat_candidate", _l("possible repeat appeal"), group=GROUP)
    ht.register_object("scan_batch", _l("batch of scans"), group=GROUP)
    ht.register_object("unmatched_scan", _l("scan"), group=GROUP)
    ht.register_action(
        "register",
        _l("%(actor)s registered %(object)s (%(channel)s)"),
        group=GROUP,
        fields=_kind_channel,
    )
    ht.register_action("link", _l("%(actor)s linked %(object)s with %(item)s"), group=GROUP)
    ht.register_action("attach_scan", _l("%(actor)s attached a scan to %(object)s"), group=GROUP)
    ht.register_action(
        "repeat_candidates_found",
        _l("Possible repeat appeals found for %(object)s: %(items)s"),
        group=GROUP,
        fields=_candidates,
    )
    ht.register_action(
        "repeat_candidate_dismissed",
        _l("%(actor)s decided that %(object)s is not a repeat of %(item)s: %(reason)s"),
        group=GROUP,
    )
    ht.register_transition("incoming", "create", _l("%(actor)s registered the item"), group=GROUP)
    ht.register_transition(
        "incoming",
        "request_correction",
        _l("%(actor)s asked the applicant to supply missing details"),
        comment=_missing_details,
        group=GROUP,
    )
    ht.register_transition(
        "incoming",
        "correction_received",
        _l("%(actor)s recorded the applicant's correction"),
        group=GROUP,
    )
    ht.register_transition(
        "incoming",
        "return_to_applicant",
        _l("%(actor)s returned the appeal to the applicant"),
        group=GROUP,
    )
    ht.register_transition(
        "incoming",
        "leave_without_consideration",
        _l("%(actor)s left the appeal without consideration"),
        group=GROUP,
    )
    ht.register_transition(
        "incoming", "withdraw", _l("%(actor)s recorded the applicant's withdrawal"), group=GROUP
    )
    ht.register_field_titles(
        {
            "reg_number": _l("registration number"),
            "kind": _l("kind"),
            "channel": _l("channel"),
            "summary": _l("essence"),
            "state": _l("state"),
            "due_date": _l("due date"),
            "subdivision_id": _l("subdivision"),
            "reason": _l("reason"),
            "item": _l("item"),
            "filename": _l("file"),
            "rows": _l("rows"),
            "from": _l("from"),
            "to": _l("to"),
            "format": _l("format"),
            "iin": _l("IIN"),
            "bin": _l("BIN"),
            "address": _l("address"),
            "phone": _l("phone"),
            "email": _l("e-mail"),
            "type": _l("type"),
            "journal": _l("journal"),
            "arrived_at": _l("arrived"),
            "registered_at": _l("registered"),
            "registration_date": _l("registration date"),
        }
    )
    from docflow.registry import arrival, duplicates

    arrival.register_texts()  # a late registration and one made despite a likely duplicate
    duplicates.register_texts()
    from docflow.registry import oral

    oral.register_texts()  # R-REG-2: the protocol of an oral appeal
