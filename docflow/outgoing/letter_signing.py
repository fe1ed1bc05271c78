"""Signing a letter, two ways with one result: on the server with the head's stored PKCS#12
(the passphrase typed at signing, never stored), or in the browser with NCALayer (the server
prepares the digest, the browser returns a detached CMS).

Either way the signed PDF is verified before anything is recorded: a chain to a trusted root
(``flask pki trust``), a signing key (EKU 1.3.6.1.5.5.7.3.4, not an authentication key), valid
then, the certificate's IIN equal to the signer's IIN on record (``flask users set --iin``) and
its BIN the organisation's, when the profile's ``letters`` setting names one.
A refusal raises :class:`SignatureRejected` (422 ``signature_rejected``) and changes nothing.

Outgoing registration (R-REG-4): the number is taken with ``next_number`` in the signing
transaction, so a refused signature rolls its number back — numbers stay gapless. NCALayer's
prepared PDF already shows the number: it is the journal's next one at preparation, taken for
real when the CMS comes back; if another letter took it meanwhile, the signing starts again.
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import secrets
from typing import Any

from cryptography import x509
from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from docflow.core import faults
from docflow.core.calendar import get_calendar
from docflow.core.db import atomic
from docflow.core.errors import DomainError
from docflow.core.numbering import current_value, format_number, next_number
from docflow.core.security import Permission, has_permission
from docflow.core.settings import get_setting
from docflow.core.workflow import TransitionForbidden, TransitionNotAvailable
from docflow.extensions import db
from docflow.outgoing import signing_config
from docflow.outgoing.letter_models import Letter, SignerKeystore, SigningSession, TrustedRoot
from docflow.outgoing.letter_pdf import render_letter
from docflow.outgoing.letter_workflow import INCOMING, LETTER
from docflow.outgoing.operations import journal_settings
from docflow.signing import (
    SigningError,
    SigningOptions,
    TrustSettings,
    finish,
    load_pkcs12,
    prepare,
    sign_pdf,
    verify_pdf,
)
from docflow.signing.pades import PendingSignature


class SignatureRejected(DomainError):
    """The signature was refused; nothing changed. ``reason`` is the machine code."""

    status = 422
    code = "signature_rejected"

    def __init__(self, message: Any, reason: str) -> None:
        super().__init__(message)
        self.reason = reason

    def payload(self) -> dict[str, Any]:
        return {**super().payload(), "reason": self.reason}


# --- trust and keystores ---------------------------------------------------------------------


def trusted_roots() -> list[str]:
    return list(db.session.scalars(select(TrustedRoot.pem).order_by(TrustedRoot.id)))


def trust_settings() -> TrustSettings:
    """The office's roots, with revocation checking as configured (``signing_config``)."""
    return signing_config.trust(trusted_roots())


def add_trusted(pem_or_der: bytes) -> list[TrustedRoot]:
    """Trust the certificates of a PEM/DER file (an office adds NCA RK's roots); idempotent."""
    try:
        certs = (
            x509.load_pem_x509_certificates(pem_or_der)
            if b"-----BEGIN" in pem_or_der
            else [x509.load_der_x509_certificate(pem_or_der)]
        )
    except ValueError as exc:
        raise DomainError(_l("The file holds no certificate.")) from exc
    out = []
    from cryptography.hazmat.primitives import serialization

    for cert in certs:
        pem = cert.public_bytes(serialization.Encoding.PEM).decode("ascii")
        digest = hashlib.sha256(pem.encode()).hexdigest()
        row = db.session.scalar(select(TrustedRoot).where(TrustedRoot.sha256 == digest))
        if row is None:
            row = TrustedRoot(sha256=digest, subject=cert.subject.rfc4514_string(), pem=pem)
            db.session.add(row)
        out.append(row)
    db.session.flush()
    return out


def import_keystore(user: Any, data: bytes, passphrase: str) -> SignerKeystore:
    """Store a head's PKCS#12 file as given; the passphrase only checks that it opens."""
    keystore = load_pkcs12(data, passphrase)  # SigningError: not a key file, wrong passphrase
    row = db.session.scalar(select(SignerKeystore).where(SignerKeystore.user_id == user.id))
    if row is None:
        row = SignerKeystore(user_id=user.id, pkcs12=data, subject="")
        db.session.add(row)
    row.pkcs12 = data
    row.subject = keystore.certificate.subject.rfc4514_string()
    row.not_after = keystore.certificate.not_valid_after_utc
    row.imported_at = dt.datetime.now(dt.UTC)
    db.session.flush()
    return row


def signer_iin(user: Any) -> str | None:
    employee = getattr(user, "employee", None)
    return employee.iin if employee is not None else None


# --- common steps ------------------------------------------------------------------------------


def _check_may_sign(letter: Letter, actor: Any) -> str:
    """R-ANS-2: the head of the responsible subdivision signs an approved letter; their IIN."""
    if letter.state != "approved":
        raise TransitionNotAvailable(_l("Only an approved letter can be signed."))
    if not has_permission(actor, Permission.APPROVE, letter):
        raise TransitionForbidden(
            _l("Only the head of the responsible subdivision signs this letter (R-ANS-2).")
        )
    iin = signer_iin(actor)
    if not iin:
        raise SignatureRejected(
            _l("Your IIN is not on record: the administrator sets it (flask users set --iin)."),
            "no_iin",
        )
    return iin


def _number(year: int, seq: int) -> str:
    j = journal_settings()
    return format_number(j["format"], prefix=j["prefix"], year=year, number=seq)


def _options() -> SigningOptions:
    """TSA (B-T) and validation data (B-LT) as configured: see :mod:`.signing_config`."""
    return signing_config.options(trust_settings())


def organisation_bin() -> str | None:
    """The BIN a signer's certificate must carry (``OU=BIN…``), when the profile gives one
    (setting ``letters``: ``{"bin": "…"}``)."""
    return (get_setting("letters") or {}).get("bin") or None


def _verified(signed: bytes, iin: str) -> None:
    result = verify_pdf(signed, trust_settings(), expected_iin=iin, expected_bin=organisation_bin())
    if not result.valid:
        failures = result.failures + [f for s in result.signatures for f in s.failures]
        first = failures[0] if failures else None
        if first is None:
            raise SignatureRejected(_l("The signature is not valid."), "invalid")
        raise SignatureRejected(first.message, first.code)


def _record(letter: Letter, actor: Any, signed: bytes, year: int, seq: int, on: dt.date, digest):
    letter.reg_journal = journal_settings()["code"]
    letter.reg_year, letter.reg_seq = year, seq
    letter.reg_number = _number(year, seq)
    letter.registered_on = on
    letter.signed_pdf = signed
    letter.signed_sha256 = hashlib.sha256(signed).hexdigest()
    letter.content_hash = digest
    letter.signed_by_id = actor.id
    letter.signed_at = dt.datetime.now(dt.UTC)
    LETTER.fire(letter, "sign", actor, params={})
    item = letter.item
    if letter.kind == "answer" and letter.final and item.state in ("in_work", "answer_review"):
        INCOMING.fire(item, "letter_signed", actor, comment=letter.reg_number)


def _rejected(exc: SigningError) -> SignatureRejected:
    return SignatureRejected(exc.message, exc.code)


# --- on the server -------------------------------------------------------------------------------


@atomic
def sign_on_server(letter: Letter, actor: Any, passphrase: str) -> Letter:
    """Sign with the actor's stored keystore; number, render, sign, verify, record."""
    iin = _check_may_sign(letter, actor)
    row = db.session.scalar(select(SignerKeystore).where(SignerKeystore.user_id == actor.id))
    if row is None:
        raise SignatureRejected(
            _l(
                "No key file is stored for you: the administrator imports it (flask pki import-key)."
            ),
            "no_keystore",
        )
    try:
        keystore = load_pkcs12(row.pkcs12, passphrase or "")
    except SigningError as exc:
        raise _rejected(exc) from None
    today = get_calendar().local_now().date()
    seq = next_number(journal_settings()["code"], today.year)  # rolled back with a refusal
    pdf, digest = render_letter(
        letter, reg_number=_number(today.year, seq), reg_date=today, signer=actor
    )
    try:
        signed = sign_pdf(pdf, keystore, _options())
    except SigningError as exc:
        raise _rejected(exc) from None
    _verified(signed, iin)
    _record(letter, actor, signed, today.year, seq, today, digest)
    faults.point("signing.recorded")
    return letter


# --- with NCALayer -------------------------------------------------------------------------------


@atomic
def start_signing(letter: Letter, actor: Any, certificate: bytes | None = None) -> dict[str, str]:
    """Prepare the PDF with the next outgoing number; ``{session, digest, digest_algorithm}``."""
    _check_may_sign(letter, actor)
    today = get_calendar().local_now().date()
    seq = current_value(journal_settings()["code"], today.year) + 1
    pdf, _digest = render_letter(
        letter, reg_number=_number(today.year, seq), reg_date=today, signer=actor
    )
    try:
        state, digest, algorithm = prepare(pdf, certificate, _options())
    except SigningError as exc:
        raise _rejected(exc) from None
    session = SigningSession(
        token=secrets.token_urlsafe(24),
        letter_id=letter.id,
        user_id=actor.id,
        reg_year=today.year,
        reg_seq=seq,
        registered_on=today,
        state_json=state.to_json(),
    )
    db.session.add(session)
    db.session.flush()
    return {
        "session": session.token,
        "digest": base64.b64encode(digest).decode("ascii"),
        "digest_algorithm": algorithm,
    }


@atomic
def finish_signing(letter: Letter, actor: Any, token: str, cms_der: bytes) -> Letter:
    """Embed NCALayer's CMS, verify, register with the number the PDF shows."""
    iin = _check_may_sign(letter, actor)
    session = db.session.scalar(
        select(SigningSession).where(
            SigningSession.token == str(token or ""),
            SigningSession.letter_id == letter.id,
            SigningSession.user_id == actor.id,
        )
    )
    if session is None:
        raise SignatureRejected(_l("The signing session is unknown or damaged."), "session_invalid")
    seq = next_number(journal_settings()["code"], session.reg_year)
    if seq != session.reg_seq:
        raise SignatureRejected(
            _l("Another letter took this outgoing number meanwhile: start the signing again."),
            "number_taken",
        )
    try:
        signed = finish(PendingSignature.from_json(session.state_json), cms_der, _options())
    except SigningError as exc:
        raise _rejected(exc) from None
    _verified(signed, iin)
    from docflow.outgoing.letter_pdf import content_hash

    digest = content_hash(letter, _number(session.reg_year, seq), session.registered_on)
    _record(letter, actor, signed, session.reg_year, seq, session.registered_on, digest)
    db.session.delete(session)
    return letter
