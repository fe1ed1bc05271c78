"""Dispatch of a signed letter — e-mail, post, e-Otinish, by hand — and its delivery.

Only a signed letter goes out (422 otherwise); the records office (the letter's ``modify``
permission while signed or sent) dispatches it. Each dispatch is a :class:`LetterDispatch` in
the ``dispatch`` workflow; the first that goes out fires the letter's ``send`` (signed → sent),
which is what R-CTRL-1 waits for (:func:`docflow.outgoing.letters._r_ctrl_1`).

- ``email``: sent through SMTP with the signed PDF attached; a failure (no connection, refused
  recipient…) is recorded — state ``failed`` with the error — never raised; a retry is a new
  dispatch.
- ``post``: an entry of the dispatch register (реестр отправки) with the envelope's address;
  with its tracking number it is sent, without one it waits in the register until the post
  office gives one (:func:`record_posted`).
- ``eotinish``: the export package (:mod:`docflow.outgoing.dispatch_package`), kept as made.
- ``hand``: handed over against a receipt: who received it, when — delivered at once.

Delivery is recorded with :func:`record_delivery` (when, who received it, how it is known).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import re
import smtplib
from typing import Any

from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from docflow.core import tasks
from docflow.core.calendar import get_calendar
from docflow.core.db import atomic
from docflow.core.errors import DomainError
from docflow.core.security import Permission, has_permission
from docflow.core.workflow import TransitionForbidden
from docflow.extensions import db
from docflow.outgoing import dispatch_mail
from docflow.outgoing.dispatch_models import CHANNELS, DISPATCH, LetterDispatch
from docflow.outgoing.letter_models import Letter
from docflow.outgoing.letter_workflow import LETTER

# The letter's own "sent" record names the channel in the outgoing journal's words.
JOURNAL_CHANNEL = {"email": "email", "post": "post", "eotinish": "egov", "hand": "handed"}
_TRACKING = re.compile(r"^[A-Z0-9][A-Z0-9-]{3,39}$")
MAX_TEXT = 300


class DispatchError(DomainError):
    """A dispatch was refused (422); nothing was recorded."""

    status = 422
    code = "dispatch_refused"


GOES_OUT = ("signed", "registered", "sent")


def may_dispatch(user: Any, letter: Letter) -> bool:
    return letter.state in GOES_OUT and has_permission(user, Permission.MODIFY, letter)


def document_pdf(letter: Letter) -> bytes:
    """What goes to the applicant: the signed PDF, or — for a letter the profile lets go out
    unsigned — the PDF with its outgoing number and date."""
    if letter.signed_pdf is not None:
        return letter.signed_pdf
    from docflow.outgoing.letter_pdf import render_letter

    pdf, _hash = render_letter(letter, reg_number=letter.reg_number, reg_date=letter.registered_on)
    return pdf


def _require(letter: Letter, actor: Any) -> None:
    unsigned_ok = letter.signed_pdf is None and letter.reg_number is not None
    if letter.state not in GOES_OUT or (letter.signed_pdf is None and not unsigned_ok):
        raise DispatchError(
            _l("Only a signed letter can be dispatched: it has to be signed by the head first."),
            code="not_signed",
        )
    if not has_permission(actor, Permission.MODIFY, letter):
        raise TransitionForbidden(_l("Only the records office dispatches letters."))


def _text(value: Any, field: str, *, required: bool = False, limit: int = MAX_TEXT) -> str | None:
    if value is not None and not isinstance(value, str):
        raise DispatchError(_l("The data is not valid."), fields={field: _l("Text is expected.")})
    value = " ".join((value or "").split())  # one line: it goes on an envelope or a receipt
    if required and not value:
        raise DispatchError(_l("The data is not valid."), fields={field: _l("Required.")})
    if len(value) > limit:
        raise DispatchError(_l("The data is not valid."), fields={field: _l("Too long.")})
    return value or None


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def _moment(value: dt.datetime | None, field: str) -> dt.datetime:
    if value is None:
        return _now()
    if value.tzinfo is None:
        value = value.replace(tzinfo=get_calendar().tz)
    if value > _now() + dt.timedelta(minutes=5):
        raise DispatchError(
            _l("The moment cannot be in the future."), fields={field: _l("In the future.")}
        )
    return value.astimezone(dt.UTC)


def _applicant(letter: Letter):
    return letter.item.applicants[0] if letter.item.applicants else None


def _new(letter: Letter, actor: Any, channel: str, **fields: Any) -> LetterDispatch:
    d = LetterDispatch(
        letter_id=letter.id, channel=channel, by_id=actor.id, state=DISPATCH.initial, **fields
    )
    d.letter = letter
    db.session.add(d)
    db.session.flush()
    DISPATCH.initialize(d, actor)
    return d


def _went_out(d: LetterDispatch, actor: Any, at: dt.datetime | None = None) -> None:
    """The dispatch is sent; the first one sends the letter (R-CTRL-1 counts it then)."""
    DISPATCH.fire(d, "send", actor, comment=d.tracking)
    d.sent_at = at or _now()
    letter = d.letter
    if letter.state in ("signed", "registered"):
        if letter.channel is None:
            letter.channel = JOURNAL_CHANNEL[d.channel]
        LETTER.fire(letter, "send", actor, comment=str(CHANNELS[d.channel]))


def _delivered(d: LetterDispatch, actor: Any, at: dt.datetime, received_by, note) -> None:
    DISPATCH.fire(d, "deliver", actor, comment=note)
    d.delivered_at, d.delivered_by_id = at, actor.id
    if received_by:
        d.received_by = received_by
    if note:
        d.delivery_note = note


# --- the channels ------------------------------------------------------------------------


@atomic
def dispatch_email(letter: Letter, actor: Any, to: str | None = None) -> LetterDispatch:
    """E-mail the signed PDF to ``to`` (default: the applicant's e-mail). A sending failure is
    recorded on the dispatch (``failed``, ``error``) and returned, not raised."""
    _require(letter, actor)
    settings = dispatch_mail.smtp_settings()
    if not settings.host:
        raise DispatchError(
            _l("E-mail is not configured: the administrator sets DOCFLOW_SMTP_HOST."),
            code="email_not_configured",
        )
    address = _text(to, "to") or dispatch_mail.applicant_email(letter)
    if not address:
        raise DispatchError(
            _l("The applicant has no e-mail address on record: give the address to send to."),
            fields={"to": _l("Required.")},
        )
    if not dispatch_mail.is_email(address):
        raise DispatchError(
            _l("The data is not valid."), fields={"to": _l("Not an e-mail address.")}
        )
    applicant = _applicant(letter)
    d = _new(
        letter,
        actor,
        "email",
        address=address,
        recipient=applicant.display_name if applicant else None,
    )
    if tasks.distributed():  # queued: a worker sends it after the commit (worker_tasks.py)
        tasks.enqueue("outgoing.send_email", d.id, idempotency_key=f"dispatch-email:{d.id}")
        return d
    return send_queued_email(d, actor)


def send_queued_email(d: LetterDispatch, actor: Any, *, raise_unreachable: bool = False):
    """Send a queued e-mail dispatch; a failure is recorded on it (``failed``), except that
    with ``raise_unreachable`` a server that cannot be reached raises (the task retries)."""
    settings = dispatch_mail.smtp_settings()
    try:
        dispatch_mail.send(
            settings, dispatch_mail.letter_message(d.letter, d.address, settings.sender)
        )
    except (OSError, smtplib.SMTPException, ValueError) as exc:
        if raise_unreachable and isinstance(exc, OSError | smtplib.SMTPServerDisconnected):
            raise
        DISPATCH.fire(d, "fail", actor)
        d.error = (f"{type(exc).__name__}: {exc}")[:1000]
        return d
    _went_out(d, actor)
    return d


def _tracking(value: Any) -> str | None:
    tracking = _text(value, "tracking", limit=40)
    if tracking is None:
        return None
    tracking = tracking.upper().replace(" ", "")
    if not _TRACKING.match(tracking):
        raise DispatchError(
            _l("The data is not valid."),
            fields={"tracking": _l("Letters, digits and dashes, 4 to 40 (e.g. RR123456785KZ).")},
        )
    return tracking


@atomic
def dispatch_post(
    letter: Letter,
    actor: Any,
    *,
    address: str | None = None,
    tracking: str | None = None,
    recipient: str | None = None,
) -> LetterDispatch:
    """Enter the letter in the dispatch register: the envelope's recipient and address
    (default: the applicant's), and the tracking number when the post office gave one."""
    _require(letter, actor)
    applicant = _applicant(letter)
    recipient = _text(recipient, "recipient") or (applicant.display_name if applicant else None)
    address = _text(address, "address") or (applicant.address if applicant else None)
    if not address:
        raise DispatchError(
            _l("The applicant has no postal address on record: give the address."),
            fields={"address": _l("Required.")},
        )
    d = _new(
        letter, actor, "post", recipient=recipient, address=address, tracking=_tracking(tracking)
    )
    if d.tracking:
        _went_out(d, actor)
    return d


def _require_office(d: LetterDispatch, actor: Any) -> None:
    # who may act first (403); a dispatch past its last step is the workflow's 409
    if d.state in ("queued", "sent") and not has_permission(actor, Permission.MODIFY, d):
        raise TransitionForbidden(_l("Only the records office dispatches letters."))


@atomic
def record_posted(d: LetterDispatch, actor: Any, tracking: str) -> LetterDispatch:
    """A letter waiting in the dispatch register was handed to the post: its tracking number."""
    _require_office(d, actor)
    if d.channel != "post":
        raise DispatchError(_l("Only a letter sent by post has a tracking number."))
    d.tracking = _tracking(tracking) or _text(None, "tracking", required=True)
    _went_out(d, actor)
    return d


@atomic
def dispatch_eotinish(letter: Letter, actor: Any) -> LetterDispatch:
    """Make the e-Otinish export package (the case, the signed PDF, the CMS) and keep it."""
    from docflow.outgoing.dispatch_package import build_package

    _require(letter, actor)
    package = build_package(letter)
    d = _new(
        letter,
        actor,
        "eotinish",
        package=package,
        package_sha256=hashlib.sha256(package).hexdigest(),
    )
    _went_out(d, actor)
    return d


@atomic
def dispatch_by_hand(
    letter: Letter, actor: Any, received_by: str, at: dt.datetime | None = None
) -> LetterDispatch:
    """Handed over against a receipt: who received it and when (delivered at once)."""
    _require(letter, actor)
    who = _text(received_by, "received_by", required=True)
    moment = _moment(at, "at")
    applicant = _applicant(letter)
    d = _new(letter, actor, "hand", recipient=applicant.display_name if applicant else None)
    _went_out(d, actor, moment)
    _delivered(d, actor, moment, who, None)
    return d


@atomic
def record_delivery(
    d: LetterDispatch,
    actor: Any,
    *,
    at: dt.datetime | None = None,
    received_by: str | None = None,
    note: str | None = None,
) -> LetterDispatch:
    """The letter reached the applicant: when, who received it, how it is known (the post's
    delivery notice, the applicant's confirmation…)."""
    _require_office(d, actor)
    moment = _moment(at, "at")
    if d.sent_at is not None and moment < d.sent_at:
        raise DispatchError(
            _l("A letter cannot be delivered before it was sent."), fields={"at": _l("Too early.")}
        )
    _delivered(d, actor, moment, _text(received_by, "received_by"), _text(note, "note", limit=1000))
    return d


DISPATCHERS = {
    "email": dispatch_email,
    "post": dispatch_post,
    "eotinish": dispatch_eotinish,
    "hand": dispatch_by_hand,
}


# --- the dispatch register (реестр отправки) ------------------------------------------------


def _day_bounds(day_from: dt.date, day_to: dt.date) -> tuple[dt.datetime, dt.datetime]:
    tz = get_calendar().tz
    start = dt.datetime.combine(day_from, dt.time.min, tzinfo=tz).astimezone(dt.UTC)
    end = dt.datetime.combine(day_to + dt.timedelta(days=1), dt.time.min, tzinfo=tz)
    return start, end.astimezone(dt.UTC)


def post_register(day_from: dt.date, day_to: dt.date) -> list[LetterDispatch]:
    """The letters entered for the post from ``day_from`` to ``day_to`` (local days), in order."""
    start, end = _day_bounds(day_from, day_to)
    return list(
        db.session.scalars(
            select(LetterDispatch)
            .where(
                LetterDispatch.channel == "post",
                LetterDispatch.at >= start,
                LetterDispatch.at < end,
            )
            .order_by(LetterDispatch.at, LetterDispatch.id)
        )
    )


REGISTER_COLUMNS = (
    ("n", _l("No.")),
    ("outgoing_number", _l("Outgoing number")),
    ("date", _l("Date")),
    ("recipient", _l("Recipient")),
    ("address", _l("Address")),
    ("tracking", _l("Tracking number")),
    ("status", _l("Status")),
)


def register_rows(rows: list[LetterDispatch]) -> list[dict[str, Any]]:
    tz = get_calendar().tz
    out = []
    for n, d in enumerate(rows, 1):
        letter = d.letter
        out.append(
            {
                "n": n,
                "outgoing_number": letter.reg_number,
                "date": d.at.astimezone(tz).date().strftime("%d.%m.%Y"),
                "recipient": d.recipient or "",
                "address": d.address or "",
                "tracking": d.tracking or "",
                "status": str(DISPATCH.states[d.state].title),
                "dispatch": d,
            }
        )
    return out
