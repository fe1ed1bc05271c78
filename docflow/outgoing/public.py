"""The public verification page of a signed letter (from its QR code, no login) and the
applicant's rating of the answer (R-ANS-3).

The QR code's address is ``/v/<letter public id>/<first 16 hex of the content hash>``
(:func:`docflow.outgoing.letter_pdf.verification_url`). :func:`letter_for_qr` finds the letter
only when both match and it is signed; a wrong id, a wrong hash and an unsigned letter are the
same "not found", so the page tells nobody whether a letter exists (no enumeration: the id is
random, the hash 64 bits).

What the page shows (:func:`verification`): the organisation, the outgoing number and date, the
signer's name and position, the signing time, whether the signature verifies (chain to a trusted
root, intact, a signing key — as the server checked it at signing) and whether the letter's text
and registration still give the hash. Never the IIN, never the applicant's personal data.

Ratings: 1–5 and an optional comment, once per letter (a second one is refused, whatever the
source), only for an answer that was sent. On the page anyone holding the letter may rate; the
front office records a rating from a call (the letter's ``modify`` permission).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import re
import time
from dataclasses import dataclass, field
from typing import Any

from flask_babel import lazy_gettext as _l
from sqlalchemy.exc import IntegrityError

from docflow.core.db import atomic
from docflow.core.errors import DomainError
from docflow.core.security import Permission, has_permission
from docflow.core.workflow import TransitionForbidden
from docflow.extensions import db
from docflow.org.models import Organisation
from docflow.outgoing.letter_models import Letter, letter_by_public_id
from docflow.outgoing.letter_pdf import content_hash
from docflow.outgoing.public_models import SCORES, AnswerRating, rating_of

_QR_HASH = re.compile(r"^[0-9a-f]{16}$")
_NOTHING = "0" * 16
MAX_COMMENT = 1000


class RatingRefused(DomainError):
    """The rating was not recorded; the message says why."""

    status = 422
    code = "rating_refused"


def letter_for_qr(public_id: str, digest: str) -> Letter | None:
    """The signed letter the QR code names, or None for anything else (the same answer)."""
    letter = letter_by_public_id(public_id) if _QR_HASH.match(digest or "") else None
    signed = letter is not None and letter.signed_pdf is not None and letter.content_hash
    expected = letter.content_hash[:16] if signed else _NOTHING
    # compared in constant time, and also when there is no letter: timing tells nothing
    matches = hmac.compare_digest(expected, digest if _QR_HASH.match(digest or "") else "x" * 16)
    return letter if signed and matches else None


@dataclass
class Verification:
    organisation: str
    outgoing_number: str
    registered_on: dt.date | None
    signer_name: str
    signer_position: str
    signed_at: dt.datetime | None
    valid: bool
    intact: bool
    hash_matches: bool
    problems: list[str] = field(default_factory=list)


def _localized(names: dict[str, str] | None, lang: str) -> str:
    names = names or {}
    return names.get(lang) or names.get("kk") or names.get("ru") or ""


# A public page that anyone may reload must not make the server verify (and, with revocation
# configured, ask OCSP/CRL servers) on every request: a verdict is kept a few minutes per
# process, for the same PDF and the same trusted roots.
CACHE_SECONDS = 300
CACHE_SIZE = 512
_verdicts: dict[tuple[int, str, str], tuple[float, Any]] = {}


def _verified(letter: Letter):
    from docflow.outgoing.letter_signing import trust_settings
    from docflow.signing import verify_pdf

    trust = trust_settings()
    pdf = hashlib.sha256(letter.signed_pdf).hexdigest()  # the bytes as stored now
    key = (letter.id, pdf, hashlib.sha256(repr(trust).encode()).hexdigest())
    now = time.monotonic()
    hit = _verdicts.get(key)
    if hit is not None and now - hit[0] < CACHE_SECONDS:
        return hit[1]
    result = verify_pdf(letter.signed_pdf, trust, at=letter.signed_at)
    if len(_verdicts) >= CACHE_SIZE:
        _verdicts.pop(next(iter(_verdicts)))
    _verdicts[key] = (now, result)
    return result


def verification(letter: Letter, lang: str) -> Verification:
    """What the public page says about a signed letter (checked at most every few minutes)."""
    result = _verified(letter)
    report = result.signatures[0] if result.signatures else None
    signer = letter.signed_by
    employee = getattr(signer, "employee", None)
    name = (report.signer.name if report and report.signer else None) or (
        signer.display_name if signer else ""
    )
    org = db.session.scalar(db.select(Organisation).order_by(Organisation.id).limit(1))
    recomputed = content_hash(letter, letter.reg_number, letter.registered_on)
    pdf_hash = hashlib.sha256(letter.signed_pdf).hexdigest()
    # the messages only: a failure's technical detail may name the certificate's subject
    problems = [str(f.message) for f in result.failures]
    for sig in result.signatures:
        problems += [str(f.message) for f in sig.failures if str(f.message) not in problems]
    return Verification(
        organisation=_localized(org.names if org else None, lang),
        outgoing_number=letter.reg_number or "",
        registered_on=letter.registered_on,
        signer_name=name,
        signer_position=_localized(employee.positions if employee else None, lang),
        signed_at=(report.timestamp or report.claimed_time if report else None) or letter.signed_at,
        valid=result.valid,
        intact=result.intact,
        hash_matches=hmac.compare_digest(recomputed, letter.content_hash or "")
        and hmac.compare_digest(pdf_hash, letter.signed_sha256 or ""),
        problems=problems,
    )


# --- ratings (R-ANS-3) ----------------------------------------------------------------------


def may_be_rated(letter: Letter) -> bool:
    """An answer that went to the applicant and has no rating yet."""
    return letter.kind == "answer" and letter.state == "sent" and rating_of(letter) is None


def _score(value: Any) -> int:
    if isinstance(value, str) and value.strip().isdigit():
        value = int(value.strip())
    if isinstance(value, bool) or not isinstance(value, int) or value not in SCORES:
        raise RatingRefused(_l("The data is not valid."), fields={"score": _l("From 1 to 5.")})
    return value


def _comment(value: Any) -> str | None:
    if value is None:
        return None
    if not isinstance(value, str):
        raise RatingRefused(
            _l("The data is not valid."), fields={"comment": _l("Text is expected.")}
        )
    value = value.strip()
    if len(value) > MAX_COMMENT:
        raise RatingRefused(_l("The data is not valid."), fields={"comment": _l("Too long.")})
    return value or None


def _rate(letter: Letter, score: Any, comment: Any, source: str, actor: Any) -> AnswerRating:
    if letter.kind != "answer" or letter.state != "sent":
        raise RatingRefused(_l("Only an answer that was sent to the applicant can be rated."))
    if rating_of(letter) is not None:
        raise RatingRefused(_l("This answer has already been rated."), status=409, code="rated")
    rating = AnswerRating(
        letter_id=letter.id,
        score=_score(score),
        comment=_comment(comment),
        source=source,
        recorded_by_id=getattr(actor, "id", None),
    )
    db.session.add(rating)
    try:
        db.session.flush()
    except IntegrityError:  # rated at the same moment by someone else
        raise RatingRefused(
            _l("This answer has already been rated."), status=409, code="rated"
        ) from None
    return rating


@atomic
def rate_on_web(letter: Letter, score: Any, comment: Any = None) -> AnswerRating:
    """The applicant rates the answer on the verification page (no login)."""
    return _rate(letter, score, comment, "web", None)


@atomic
def record_call_rating(letter: Letter, actor: Any, score: Any, comment: Any = None) -> AnswerRating:
    """The front office records the rating the applicant gave by phone."""
    if not has_permission(actor, Permission.MODIFY, letter):
        raise TransitionForbidden(_l("Only the front office records ratings from calls."))
    return _rate(letter, score, comment, "call", actor)


def rating_json(rating: AnswerRating) -> dict[str, Any]:
    return {
        "letter": rating.letter.public_id,
        "score": rating.score,
        "source": rating.source,
        "comment": rating.comment,
        "at": rating.at.isoformat() if rating.at else None,
        "recorded_by": rating.recorded_by.username if rating.recorded_by else None,
    }
