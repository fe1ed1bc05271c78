"""Outgoing letters: drafting, versions, submission, approval and return (the workflow moves).

Signing and outgoing registration are in :mod:`docflow.outgoing.letter_signing`, the PDF in
:mod:`docflow.outgoing.letter_pdf`. Authors, approvers and signers of letters count as handlers
of the case for R-ROUTE-4 (``_letter_handlers`` on ``routing.handlers``); a final answer letter
counts for R-CTRL-1 only once signed and sent (``_r_ctrl_1``).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select

from docflow.core.db import atomic
from docflow.core.security import AccessDenied, Permission, has_permission
from docflow.core.settings import get_setting
from docflow.core.workflow import InvalidParameters, WorkflowError
from docflow.extensions import db
from docflow.org.models import Subdivision
from docflow.outgoing.letter_models import (
    DECISIONS,
    LETTER_KINDS,
    LETTER_LANGUAGES,
    Letter,
    LetterVersion,
)
from docflow.outgoing.letter_workflow import LETTER
from docflow.registry.models import IncomingItem

# R-ANS-1: where and when the applicant may complain; a profile's ``letters.complaint`` overrides.
DEFAULT_COMPLAINT = {
    "body": {
        "kk": "жоғары тұрған әкімшілік органға (лауазымды адамға) немесе сотқа",
        "ru": "в вышестоящий административный орган (вышестоящему должностному лицу) или в суд",
    },
    "term": {
        "kk": "Қазақстан Республикасының Әкімшілік рәсімдік-процестік кодексінде белгіленген мерзімде",
        "ru": "в сроки, установленные Административным процедурно-процессуальным кодексом Республики Казахстан",
    },
}
COMPLAINT_TEXT = {
    "kk": "Қазақстан Республикасы Әкімшілік рәсімдік-процестік кодексінің 91-бабына сәйкес Сіз осы шешімге {term} {body} шағым жасауға құқылысыз.",
    "ru": "В соответствии со статьей 91 Административного процедурно-процессуального кодекса Республики Казахстан Вы вправе обжаловать настоящее решение {body} {term}.",
}


class LetterError(WorkflowError):
    """A rule refused the action on a letter (422)."""

    status = 422
    code = "rule_violation"


def complaint_paragraph(language: str) -> str:
    """R-ANS-1: the paragraph on the right to complain, from the profile (body and term)."""
    conf = (get_setting("letters") or {}).get("complaint") or {}
    lang = language if language in LETTER_LANGUAGES else "kk"
    body = (conf.get("body") or DEFAULT_COMPLAINT["body"]).get(lang) or DEFAULT_COMPLAINT["body"][
        lang
    ]
    term = (conf.get("term") or DEFAULT_COMPLAINT["term"]).get(lang) or DEFAULT_COMPLAINT["term"][
        lang
    ]
    return COMPLAINT_TEXT[lang].format(body=body, term=term)


def _responsible_subdivision(item: IncomingItem, actor: Any) -> Subdivision:
    from docflow.routing.handlers import active_executors

    for a in active_executors(item):
        if a.responsible:
            return a.subdivision
    if item.subdivision is not None:
        return item.subdivision
    raise LetterError(_l("The item has no responsible subdivision yet."))


def _clean(value: Any) -> str | None:
    if value is None:
        return None
    if not isinstance(value, str):
        raise InvalidParameters(_l("The data is not valid."))
    return value.strip() or None


def _validated(fields: dict[str, Any]) -> dict[str, Any]:
    errors: dict[str, Any] = {}
    if "kind" in fields and fields["kind"] not in LETTER_KINDS:
        errors["kind"] = " | ".join(LETTER_KINDS)
    if "language" in fields and fields["language"] not in LETTER_LANGUAGES:
        errors["language"] = " | ".join(LETTER_LANGUAGES)
    if fields.get("decision") is not None and fields["decision"] not in DECISIONS:
        errors["decision"] = " | ".join(DECISIONS)
    if errors:
        raise InvalidParameters(_l("The data is not valid."), fields=errors)
    return fields


def _save_version(letter: Letter, actor: Any) -> LetterVersion:
    db.session.flush()
    last = db.session.scalar(
        select(func.max(LetterVersion.number)).where(LetterVersion.letter_id == letter.id)
    )
    version = LetterVersion(
        letter_id=letter.id,
        number=(last or 0) + 1,
        body=letter.body,
        legal_basis=letter.legal_basis,
        complaint=letter.complaint,
        decision=letter.decision,
        author_id=getattr(actor, "id", None),
    )
    db.session.add(version)
    db.session.flush()
    return version


@atomic
def create_letter(
    item: IncomingItem,
    actor: Any,
    *,
    kind: str = "answer",
    final: bool = False,
    language: str | None = None,
    decision: str | None = None,
    body: str = "",
    legal_basis: str | None = None,
    complaint: str | None = None,
) -> Letter:
    """The executor (or the head) drafts a letter on the item; the complaint paragraph of an
    answer is filled in from the profile unless given (R-ANS-1); without a body the draft starts
    from its template's pre-filled text (addressee, incoming number and date, the question)."""
    from docflow.routing.handlers import executor_refusal
    from docflow.routing.operations import require_executor_or_head

    require_executor_or_head(item, actor)  # who may write: 403
    refusal = executor_refusal(item, actor)  # R-ROUTE-4: writing the answer is executing
    if refusal is not None:
        raise LetterError(refusal)
    language = language or (item.language if item.language in LETTER_LANGUAGES else "kk")
    fields = _validated(
        {"kind": kind, "language": language, "decision": _clean(decision) if decision else None}
    )
    letter = Letter(
        item_id=item.id,
        subdivision_id=_responsible_subdivision(item, actor).id,
        kind=fields["kind"],
        final=bool(final),
        language=fields["language"],
        decision=fields["decision"],
        body=_clean(body) or _prefilled(item, fields["kind"], final, fields["language"]),
        legal_basis=_clean(legal_basis),
        complaint=_clean(complaint)
        if complaint is not None
        else (complaint_paragraph(fields["language"]) if kind == "answer" else None),
        author_id=getattr(actor, "id", None),
        state=LETTER.initial,
    )
    db.session.add(letter)
    db.session.flush()
    LETTER.initialize(letter, actor)
    _save_version(letter, actor)
    return letter


def _prefilled(item: IncomingItem, kind: str, final: bool, language: str) -> str:
    from docflow.outgoing.docx_templates import prefill, template_kind

    return prefill(item, template_kind(kind, bool(final)), language)["body"]


EDITABLE = ("body", "legal_basis", "complaint", "decision")


@atomic
def edit_letter(letter: Letter, actor: Any, **changes: Any) -> LetterVersion:
    """A new version of the draft's text (every version is kept)."""
    if letter.state != "draft":
        raise LetterError(_l("Only a draft letter can be edited."))
    if not has_permission(actor, Permission.ANSWER, letter):
        raise AccessDenied()
    from docflow.routing.handlers import executor_refusal
    from docflow.routing.operations import require_executor_or_head

    require_executor_or_head(letter.item, actor)  # not any executor of the subdivision: 403
    refusal = executor_refusal(letter.item, actor)  # R-ROUTE-4: editing the answer is executing
    if refusal is not None:
        raise LetterError(refusal)
    unknown = set(changes) - set(EDITABLE)
    if unknown:
        raise InvalidParameters(
            _l("Unexpected parameters: %(names)s.", names=", ".join(sorted(unknown)))
        )
    cleaned = {k: _clean(v) for k, v in changes.items()}
    _validated({k: v for k, v in cleaned.items() if k == "decision"})
    for key, value in cleaned.items():
        setattr(letter, key, value if key != "body" else (value or ""))
    return _save_version(letter, actor)


def versions(letter: Letter) -> list[LetterVersion]:
    return list(
        db.session.scalars(
            select(LetterVersion)
            .where(LetterVersion.letter_id == letter.id)
            .order_by(LetterVersion.number)
        )
    )


@atomic
def submit(letter: Letter, actor: Any, comment: str | None = None) -> None:
    LETTER.fire(letter, "submit", actor, comment=comment)
    letter.return_comment = None


@atomic
def approve(letter: Letter, actor: Any, comment: str | None = None) -> None:
    """The head approves; an answer of a kind the profile lets go out without a head's
    signature (``letters.signature_required``: by default interim answers that refuse nothing)
    is registered at once with the journal's next number, as notices are."""
    from docflow.outgoing.operations import give_number, needs_signature

    LETTER.fire(letter, "approve", actor, comment=comment)
    letter.approved_by_id, letter.approved_at = actor.id, dt.datetime.now(dt.UTC)
    if letter.kind == "answer" and not needs_signature(letter):
        give_number(letter)
        LETTER.fire(letter, "register", actor)


@atomic
def return_for_revision(letter: Letter, actor: Any, comment: str) -> None:
    LETTER.fire(letter, "return", actor, comment=comment)
    letter.return_comment = comment
    letter.approved_by_id = letter.approved_at = None


# --- what other domains ask --------------------------------------------------------------------


def final_letter_status(item: IncomingItem) -> str | None:
    """None: the item has no final answer letter; "signed" once one is signed (or sent);
    otherwise the state of the latest one."""
    letters = list(
        db.session.scalars(
            select(Letter)
            .where(Letter.item_id == item.id, Letter.kind == "answer", Letter.final.is_(True))
            .order_by(Letter.id)
        )
    )
    if not letters:
        return None
    if any(x.state in ("signed", "sent") for x in letters):
        return "signed"
    return letters[-1].state


def final_letter_sent(item: IncomingItem) -> bool:
    """A final answer letter of the item went to the applicant (its first dispatch)."""
    query = select(Letter.id).where(
        Letter.item_id == item.id,
        Letter.kind == "answer",
        Letter.final.is_(True),
        Letter.state == "sent",
    )
    return db.session.scalar(query.limit(1)) is not None


def _r_ctrl_1(item: IncomingItem):
    """R-CTRL-1: a final answer letter counts once signed and sent (dispatched); without one,
    routing decides (the paper answer)."""
    status = final_letter_status(item)
    if status is None:
        return None
    if status == "signed":
        if final_letter_sent(item):
            return True
        return _l(
            "The signed final answer letter must be sent to the applicant before the item is removed from control."
        )
    return _l("The final answer letter must be signed before the item is removed from control.")


def _letter_handlers(item_ids) -> list[tuple[int, int, str]]:
    """R-ROUTE-4: who wrote, approved or signed a letter in the earlier case."""
    out: list[tuple[int, int, str]] = []
    for letter in db.session.scalars(select(Letter).where(Letter.item_id.in_(list(item_ids)))):
        if letter.author_id:
            out.append((letter.author_id, letter.item_id, "answered"))
        for uid in (letter.approved_by_id, letter.signed_by_id):
            if uid:
                out.append((uid, letter.item_id, "signed"))
    from docflow.outgoing.approval import sheet_handlers  # the approvers of the sheet

    out.extend(sheet_handlers(item_ids))
    return out


def _wire() -> None:
    from docflow.routing import handlers
    from docflow.routing import workflow as routing_workflow

    if _letter_handlers not in handlers.PRIOR_HANDLER_PROVIDERS:
        handlers.PRIOR_HANDLER_PROVIDERS.append(_letter_handlers)
    if _r_ctrl_1 not in routing_workflow.FINAL_ANSWER_CHECKS:
        routing_workflow.FINAL_ANSWER_CHECKS.append(_r_ctrl_1)


_wire()
