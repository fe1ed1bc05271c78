"""Machine codes and readable (translatable) messages for signing and verification.

Every refusal has a stable code that callers test (``exc.code`` / ``failure.code``) and a lazy
message shown to people in kk/ru/en. Messages never contain an IIN: they are shown on pages.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from flask_babel import lazy_gettext as _l

_MESSAGES: dict[str, Callable[..., object]] = {
    # verification
    "no_signature": lambda **p: _l("The document has no digital signature."),
    "malformed": lambda **p: _l("The file is not a readable PDF, or its signature is damaged."),
    "modified": lambda **p: _l(
        "The document was changed after it was signed: the signed bytes no longer match the signature."
    ),
    "modified_after_signing": lambda **p: _l(
        "Content was added to the document after it was signed."
    ),
    "bad_signature": lambda **p: _l("The signature value does not match the signer's certificate."),
    "not_trusted": lambda **p: _l(
        "The signer's certificate does not chain to a trusted root certificate."
    ),
    "expired": lambda **p: _l(
        "The signer's certificate was not valid at the signing time (valid from %(start)s to %(end)s).",
        **p,
    ),
    "chain_expired": lambda **p: _l(
        "A certificate in the signer's chain was not valid at the signing time."
    ),
    "revoked": lambda **p: _l("The signer's certificate is revoked."),
    "revocation_unknown": lambda **p: _l(
        "The revocation status of the signer's certificate could not be checked."
    ),
    "wrong_purpose": lambda **p: _l(
        "The certificate is not a signing key (purpose 1.3.6.1.5.5.7.3.4 is required); an authentication key cannot sign documents."
    ),
    "iin_mismatch": lambda **p: _l(
        "The IIN in the certificate does not match the signer's IIN on record."
    ),
    "bin_mismatch": lambda **p: _l(
        "The BIN in the certificate does not match the organisation's BIN."
    ),
    "gost_unsupported": lambda **p: _l(
        "GOST certificates are verified through an NCANode server, and none is configured (DOCFLOW_NCANODE_URL)."
    ),
    "gost_signing_unsupported": lambda **p: _l(
        "Signing with a GOST key is not supported here: sign with your RSA signing key (NCA RK issues both)."
    ),
    "ncanode_failed": lambda **p: _l("The NCANode server did not confirm the signature."),
    "ncanode_unavailable": lambda **p: _l("The NCANode server could not be reached."),
    "timestamp_invalid": lambda **p: _l(
        "The signature's timestamp is invalid, or its authority is not trusted."
    ),
    "weak_algorithm": lambda **p: _l("The signature uses an algorithm that is no longer allowed."),
    "unsupported_signature": lambda **p: _l("This kind of PDF signature is not supported."),
    # signing and keystores
    "wrong_passphrase": lambda **p: _l("Wrong passphrase for the key file."),
    "not_pkcs12": lambda **p: _l("The file is not a PKCS#12 key file (.p12)."),
    "no_key": lambda **p: _l("The key file holds no private key."),
    "no_certificate": lambda **p: _l("The key file holds no certificate for its key."),
    "pdf_invalid": lambda **p: _l("The file is not a PDF that can be signed."),
    "cms_invalid": lambda **p: _l("The returned signature is not a valid CMS signature."),
    "cms_not_detached": lambda **p: _l(
        "The returned signature must be detached (encapsulate: false)."
    ),
    "digest_mismatch": lambda **p: _l(
        "The signature was made over other data than the prepared document."
    ),
    "wrong_signer": lambda **p: _l(
        "The signature was made with another certificate than the one the signing started with."
    ),
    "cms_too_large": lambda **p: _l("The signature is larger than the space reserved for it."),
    "timestamp_failed": lambda **p: _l("The timestamp authority did not give a timestamp."),
    "session_invalid": lambda **p: _l("The signing session is unknown or damaged."),
}

NOTE_REVOCATION_NOT_CHECKED = _l("Revocation was not checked: no CRL or OCSP source is configured.")

CODES = frozenset(_MESSAGES)


def message(code: str, **params) -> object:
    """The lazy, translatable message for a code (str() it inside a request for the locale)."""
    return _MESSAGES[code](**params)


@dataclass(frozen=True)
class Failure:
    """One reason a signature is not valid."""

    code: str
    message: object  # a lazy string: str() renders it in the current locale
    detail: str | None = None  # technical detail for logs, never translated

    def to_dict(self) -> dict:
        out = {"code": self.code, "message": str(self.message)}
        if self.detail:
            out["detail"] = self.detail
        return out


def failure(code: str, detail: str | None = None, **params) -> Failure:
    return Failure(code=code, message=message(code, **params), detail=detail)


class SigningError(Exception):
    """A refused signing step or key file; ``code`` is one of :data:`CODES`."""

    def __init__(self, code: str, detail: str | None = None, **params) -> None:
        self.code = code
        self.message = message(code, **params)
        self.detail = detail
        super().__init__(f"{code}: {detail}" if detail else code)
