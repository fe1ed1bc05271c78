"""A likely duplicate registration: the same document registered twice within minutes.

Back + Register again, a second clerk at the window, an integration's retry without an
Idempotency-Key: each would give the applicant two numbers and the office two cases. Before
registering, the form and the API look at what was registered in the last N minutes (the
office setting ``duplicate_window_minutes``, default 30): the same applicant (IIN/BIN, or the
same name written the same way) with a similar summary is a likely duplicate, and registration
asks first — the form shows the earlier registration and a "register anyway" box, the API
answers 409 with the earlier item's number unless ``"confirm_duplicate": true`` is sent.
A registration made anyway is audited with the earlier number.

When the new registration names no applicant at all, the same clerk's registrations of the
window with a similar summary are the candidates (the reported duplicate lost its name).
This is not the repeat appeal of R-ROUTE-4 (an earlier case on the same question, days or years
before, see ``registry.repeats``): a duplicate is the same paper registered again.
"""

from __future__ import annotations

import datetime as dt
import difflib
import functools
import re
from typing import Any

from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from docflow.core import audit
from docflow.core.errors import DomainError
from docflow.core.settings import get_setting
from docflow.extensions import db
from docflow.registry.models import Applicant, IncomingItem
from docflow.registry.similarity import wording_similarity

SETTING = "duplicate_window_minutes"
DEFAULT_WINDOW_MINUTES = 30
SIMILAR_SUMMARY = 0.8  # a retyped summary of the same paper; another question scores far lower
MAX_LOOKED_AT = 200


class LikelyDuplicate(DomainError):
    """Registration asks first: ``earlier`` was registered minutes ago, same applicant (409)."""

    status = 409
    code = "likely_duplicate"

    def __init__(self, earlier: IncomingItem, minutes: int) -> None:
        self.earlier = earlier
        super().__init__(
            _l(
                "This looks like a document already registered %(minutes)d min ago as %(number)s (the same applicant, a similar summary). If it is another document, register it anyway.",
                minutes=minutes,
                number=earlier.reg_number,
            )
        )

    def payload(self) -> dict[str, Any]:
        return {
            **super().payload(),
            "item": self.earlier.public_id,
            "reg_number": self.earlier.reg_number,
            "registered_at": self.earlier.registered_at.isoformat(),
        }


def window_minutes() -> int:
    """The office's window for likely duplicates, in minutes (0 turns the check off)."""
    value = get_setting(SETTING, DEFAULT_WINDOW_MINUTES)
    try:
        return max(0, int(value))
    except (TypeError, ValueError):
        return DEFAULT_WINDOW_MINUTES


def _norm(text: str | None) -> str:
    return re.sub(r"[\W_]+", " ", (text or "").lower()).strip()


# The window's names recur in every registration's look at it: normalised once.
_norm_name = functools.lru_cache(maxsize=4096)(_norm)


def _identity(applicants: list[Any]) -> tuple[set[str], set[str]]:
    """(IINs/BINs, normalised names) of a list of applicants (data or rows)."""
    ids, names = set(), set()
    for a in applicants:
        for ident in (getattr(a, "iin", None), getattr(a, "bin", None)):
            if ident:
                ids.add(str(ident).strip())
        for name in (getattr(a, "full_name", None), getattr(a, "organisation_name", None)):
            if name and (norm := _norm_name(name)):
                names.add(norm)
    return ids, names


def _same_person(row: Any, ids: set[str], names: set[str]) -> bool:
    """Whether an applicant row shares an IIN/BIN or a normalised name with ``ids``/``names``
    (``_identity`` of one row, without building its sets: a busy window has hundreds)."""
    for ident in (row.iin, row.bin):
        if ident and str(ident).strip() in ids:
            return True
    if names:
        for name in (row.full_name, row.organisation_name):
            if name and _norm_name(name) in names:
                return True
    return False


def similar_summary(a: str | None, b: str | None) -> bool:
    """The same summary, retyped: character and word overlap (Kazakh/Russian endings), and
    the same numbers in the same order."""
    a, b = _norm(a), _norm(b)
    if a == b:
        return True
    if not a or not b or re.findall(r"\d+", a) != re.findall(r"\d+", b):
        return False  # other numbers (a house, a date, a sum): another document
    ratio = difflib.SequenceMatcher(None, a, b, autojunk=False).ratio()
    return ratio >= SIMILAR_SUMMARY or wording_similarity(a, b) >= SIMILAR_SUMMARY


def find(
    data: Any, actor: Any, now: dt.datetime | None = None, *, newer_than: int | None = None
) -> IncomingItem | None:
    """The most recent likely duplicate of a registration (``data``: RegistrationData), if any;
    ``newer_than``: among the items with a greater id only."""
    minutes = window_minutes()
    if not minutes or data.imported:
        return None
    now = now or dt.datetime.now(dt.UTC)
    ids, names = _identity(data.applicants)
    if not (ids or names) and not _norm(data.summary):
        return None  # nothing to tell two registrations apart by
    # Plain rows, not items: a busy morning has hundreds of registrations in the window, and
    # only the one found is loaded as an item (registration speed, issue 13).
    window = (
        select(IncomingItem.id)
        .where(
            IncomingItem.registered_at >= now - dt.timedelta(minutes=minutes),
            IncomingItem.kind == data.kind,
            IncomingItem.imported.is_(False),
        )
        .order_by(IncomingItem.id.desc())
        .limit(MAX_LOOKED_AT)
    )
    if newer_than is not None:
        window = window.where(IncomingItem.id > newer_than)
    if not (ids or names):  # the same clerk's registrations, by their summary alone
        window = window.where(IncomingItem.registered_by_id == getattr(actor, "id", None))
        recent = db.session.execute(
            select(IncomingItem.id, IncomingItem.summary).where(IncomingItem.id.in_(window))
        ).all()
        for item_id, summary in sorted(recent, reverse=True):
            if similar_summary(data.summary, summary):
                return db.session.get(IncomingItem, item_id)
        return None
    # The window's applicants with their item's summary, in one statement, newest first.
    a = Applicant
    rows = db.session.execute(
        select(a.item_id, a.iin, a.bin, a.full_name, a.organisation_name, IncomingItem.summary)
        .join(IncomingItem, IncomingItem.id == a.item_id)
        .where(a.item_id.in_(window))
        .order_by(a.item_id.desc())
    )
    looked_at: set[int] = set()
    for row in rows:
        if row.item_id in looked_at or not _same_person(row, ids, names):
            continue
        looked_at.add(row.item_id)
        if similar_summary(data.summary, row.summary):
            return db.session.get(IncomingItem, row.item_id)
    return None


def check(data: Any, actor: Any, ahead: Any = None) -> IncomingItem | None:
    """Ask before a likely duplicate: raise ``LikelyDuplicate`` unless confirmed.

    Only for paths that ask (``data.ask_duplicate``: the form, the API). Returns the earlier
    item when the user confirmed, so the registration records it (``record``). ``ahead``: the
    items up to its horizon were looked at before the write lock (``registry.read_ahead``),
    so only those registered since are, and a newer likely duplicate comes first.
    """
    if not getattr(data, "ask_duplicate", False):
        return None
    if ahead is None:
        earlier = find(data, actor)
    else:
        newer = find(data, actor, newer_than=ahead.horizon) if ahead.moved else None
        earlier = newer or ahead.duplicate
    if earlier is None:
        return None
    if not getattr(data, "confirm_duplicate", False):
        ago = dt.datetime.now(dt.UTC) - earlier.registered_at
        raise LikelyDuplicate(earlier, max(0, int(ago.total_seconds() // 60)))
    return earlier


def record(item: IncomingItem, earlier: IncomingItem | None) -> None:
    """Audit a registration made anyway, naming the likely duplicate it was warned of."""
    if earlier is None:
        return
    audit.record(
        "register_despite_duplicate",
        item,
        summary={"reg_number": item.reg_number, "earlier": earlier.reg_number},
    )


def register_texts() -> None:
    from docflow.core import history_text as ht

    ht.register_action(
        "register_despite_duplicate",
        _l(
            "%(actor)s registered %(object)s although %(earlier)s, registered minutes before, looked like the same document"
        ),
        group="registration",
    )
