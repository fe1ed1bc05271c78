"""The public status page: a citizen checks an item with its number and the slip's code.

No login. The receipt slip carries the registration number, a random code
(:func:`docflow.registry.models.new_status_code`, 8 characters of an alphabet without 0/O,
1/I/L) and the page's address; its QR code holds that address with the number in the query and
the code in the URL fragment, which a browser never sends (so no server or proxy logs it). The
IIN is never asked for: it would be personal data in a form anyone may post to (R-PD-1).

What the page tells (:class:`PublicStatus`): the number, the registration date, the state in
plain words, the answer term and — once an answer letter is signed and sent — that answer
(its outgoing number and date, the public verification page, the signed PDF). Never a name, an
IIN, an address or the text of the appeal.

Guessing is made useless: a wrong number and a wrong code are the same "not found"; every
failure is counted per address with the login's failures (``docflow.org.operations``), and an
address over the limit is refused before anything is looked up. A success does not reset the
count, so one's own valid code cannot be used to keep on guessing others.
"""

from __future__ import annotations

import datetime as dt
import hmac
import re
from dataclasses import dataclass, field
from typing import Any

from flask import current_app, has_request_context, request, url_for
from flask_babel import lazy_gettext as _l

from docflow.core import access_log, audit
from docflow.core.db import atomic
from docflow.core.errors import DomainError
from docflow.extensions import db
from docflow.i18n import format_date
from docflow.org.models import LoginFailure
from docflow.org.operations import is_throttled
from docflow.registry.models import (
    STATUS_CODE_ALPHABET,
    STATUS_CODE_LENGTH,
    IncomingItem,
    item_by_number,
)

# The throttle's key in the login-failure table: not a username anyone can have (a "~").
THROTTLE_KEY = "~public-status"
MAX_NUMBER = 64
_NOTHING = "-" * STATUS_CODE_LENGTH  # compared when there is no item: the same work

# Cyrillic letters typed for the Latin ones they look like (a Kazakh or Russian keyboard).
_LOOKALIKES = str.maketrans("АВЕКМНОРСТУХ", "ABEKMHOPCTYX")
_DASHES = re.compile(r"[\u2010-\u2015\u2212]")


class StatusNotFound(DomainError):
    """The number and the code do not name an item: one message, whichever part was wrong."""

    status = 404
    code = "not_found"

    def __init__(self) -> None:
        super().__init__(
            _l(
                "Nothing was found for this number and code. Check both as printed on the "
                "receipt slip and try again."
            )
        )


class StatusThrottled(DomainError):
    """Too many failed lookups from this address: wait before the next one."""

    status = 429
    code = "throttled"

    def __init__(self) -> None:
        super().__init__(_l("Too many failed attempts. Wait a few minutes and try again."))


# --- input ----------------------------------------------------------------------------------


def normalise_number(text: str | None) -> str:
    """The number as printed, whatever dashes, spaces or letter case were typed."""
    text = _DASHES.sub("-", (text or "").strip())
    return re.sub(r"\s*-\s*", "-", re.sub(r"\s+", " ", text)).upper()[:MAX_NUMBER]


def normalise_code(text: str | None) -> str:
    """The code without spaces and dashes, in capitals, Cyrillic look-alikes read as Latin."""
    text = re.sub(r"[\s\-_.]", "", _DASHES.sub("", text or "")).upper()
    return text.translate(_LOOKALIKES)[: STATUS_CODE_LENGTH * 2]


def is_well_formed(code: str) -> bool:
    return len(code) == STATUS_CODE_LENGTH and all(c in STATUS_CODE_ALPHABET for c in code)


# --- the address on the slip -----------------------------------------------------------------


def status_url(reg_number: str | None = None) -> str:
    """The page's public address (``PUBLIC_URL``, as the letters' QR codes), with the number
    when given; printed without it, for typing."""
    path = url_for("public.status", number=reg_number) if reg_number else url_for("public.status")
    base = current_app.config.get("PUBLIC_URL") or (
        request.url_root if has_request_context() else "http://localhost/"
    )
    return f"{base.rstrip('/')}{path}"


def qr_url(reg_number: str, code: str | None) -> str:
    """What the slip's QR code opens: the address, the code in the fragment (never sent)."""
    url = status_url(reg_number)
    return f"{url}#code={code}" if code else url


# --- the lookup ------------------------------------------------------------------------------


def _matching(number: str, code: str) -> IncomingItem | None:
    item = item_by_number(number) if number else None
    stored = item.status_code if item is not None and item.status_code else None
    # compared in constant time, and also when there is no item: timing tells nothing
    expected = stored or _NOTHING
    given = code if is_well_formed(code) else "+" * STATUS_CODE_LENGTH
    matches = hmac.compare_digest(expected.encode(), given.encode())
    return item if stored is not None and matches else None


@dataclass
class Lookup:
    item: IncomingItem | None
    refusal: DomainError | None = None


@atomic
def look_up(number: str | None, code: str | None, remote_addr: str | None) -> Lookup:
    """The item the number and code name, or the refusal: ``StatusThrottled`` first when the
    address failed too often, else ``StatusNotFound``. A refusal is returned, not raised: its
    record (the failure counted, the audit entry) must be committed with it. A success is a
    read in the access log (R-PD-1: who viewed what — here, from which address)."""
    if is_throttled(THROTTLE_KEY, remote_addr):
        audit.record("public_status_lookup", object_type="incoming_item", outcome="throttled")
        return Lookup(None, StatusThrottled())
    item = _matching(normalise_number(number), normalise_code(code))
    if item is None:
        db.session.add(LoginFailure(username=THROTTLE_KEY, remote_addr=remote_addr))
        audit.record("public_status_lookup", object_type="incoming_item", outcome="failed")
        db.session.flush()
        return Lookup(None, StatusNotFound())
    access_log.record("public_status", item)
    return Lookup(item)


# --- what the page shows ---------------------------------------------------------------------


@dataclass
class PublicAnswer:
    """An answer letter that went to the applicant (signed and sent)."""

    letter_id: str
    outgoing_number: str
    registered_on: dt.date | None
    sent_on: dt.date | None
    final: bool
    verification_path: str


@dataclass
class PublicStatus:
    reg_number: str
    registered_on: dt.date
    state: str  # in plain words
    due_date: dt.date | None
    active: bool
    answers: list[PublicAnswer] = field(default_factory=list)


def _plain_state(item: IncomingItem, answered: bool) -> Any:
    state = item.state
    if answered and state in ("answered", "closed"):
        return _l("Answered: the answer has been sent to you.")
    if state == "awaiting_correction":
        if item.correction_due is not None:
            return _l(
                "Waiting for missing details from you: please supply them by %(date)s.",
                date=format_date(item.correction_due),
            )
        return _l("Waiting for missing details from you.")
    words = {
        "registered": _l("Registered: it is being sent to those who will consider it."),
        "returned": _l("Returned to you: the missing details were not supplied in time."),
        "left_without_consideration": _l(
            "Left without consideration: the request did not state the question."
        ),
        "withdrawn": _l("Withdrawn at your request."),
        "distributed": _l("Under consideration."),
        "in_work": _l("Under consideration: an answer is being prepared."),
        "answer_review": _l("Under consideration: the answer is being approved."),
        "answered": _l("The answer has been prepared and is being sent to you."),
        "closed": _l("Consideration completed: the answer has been given."),
        "forwarded": _l("Forwarded to the body competent to consider it."),
        "terminated": _l(
            "Consideration terminated: a decision on the same question was already given."
        ),
    }
    if state in words:
        return words[state]
    from docflow.registry.workflow import INCOMING

    found = INCOMING.states.get(state)
    return found.title if found is not None else state


def sent_answers(item: IncomingItem) -> list[PublicAnswer]:
    """The item's answer letters that were signed and sent (drafts and unsent ones: none)."""
    from docflow.outgoing.letter_models import letters_for_item

    out = []
    for letter in letters_for_item(item.id):
        if letter.kind != "answer" or letter.state != "sent" or letter.signed_pdf is None:
            continue
        if not letter.content_hash or not letter.reg_number:
            continue
        path = url_for(
            "verification.letter", public_id=letter.public_id, digest=letter.content_hash[:16]
        )
        out.append(
            PublicAnswer(
                letter_id=letter.public_id,
                outgoing_number=letter.reg_number,
                registered_on=letter.registered_on,
                sent_on=letter.sent_on,
                final=letter.final,
                verification_path=path,
            )
        )
    return out


def public_status(item: IncomingItem) -> PublicStatus:
    """What the page says about the item: nothing personal (no name, IIN, address, text)."""
    from docflow.registry.workflow import is_active

    answers = sent_answers(item)
    return PublicStatus(
        reg_number=item.reg_number,
        registered_on=item.registration_date,
        state=str(_plain_state(item, any(a.final for a in answers))),
        due_date=item.due_date,
        active=is_active(item.state),
        answers=answers,
    )


def answer_pdf(item: IncomingItem, letter_id: str) -> tuple[str, bytes] | None:
    """The signed PDF of one of the item's sent answers (file name, bytes), else None."""
    from docflow.outgoing.letter_models import letter_by_public_id

    if not any(a.letter_id == letter_id for a in sent_answers(item)):
        return None
    letter = letter_by_public_id(letter_id)
    return f"answer-{letter.reg_number}.pdf", bytes(letter.signed_pdf)


def register_texts() -> None:
    """The audit trail's sentence for a failed or throttled lookup (called with the registry's)."""
    from docflow.core import history_text as ht

    ht.register_action(
        "public_status_lookup",
        _l("Someone looked up an item on the public status page"),
        group="registration",
    )
