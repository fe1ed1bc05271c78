"""Where letters' signatures get their timestamp, revocation data and GOST verification.

* TSA (PAdES B-T): the profile's ``letters.tsa_url``, else ``DOCFLOW_TSA_URL``. When one is
  configured every signature carries its timestamp, so it outlives the certificate; a TSA that
  does not answer refuses the signing (``timestamp_failed``) rather than giving a signature
  without one — the head signs again when the TSA is back.
* Revocation (PAdES B-LT): the profile's ``letters.revocation``, else ``DOCFLOW_REVOCATION``:
  ``"off"`` (the default: not checked, and verification says so), ``"crl"``, ``"ocsp"`` or
  ``"any"`` — the signer's certificate must have a CRL (from its distribution point), an OCSP
  answer (from its AIA) or either, fetched at signing and verification. Then the chain and that
  revocation data are embedded in the PDF's DSS (B-LT); a revoked certificate is refused
  (``revoked``), one whose status cannot be fetched too (``revocation_unknown``).
* GOST signatures: verified by NCANode at ``DOCFLOW_NCANODE_URL`` (its ``/cms/verify``).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from flask import current_app

from docflow.core.settings import get_setting
from docflow.signing import SigningOptions, TrustSettings

REVOCATION_MODES = ("off", "crl", "ocsp", "any")


def _letters() -> dict[str, Any]:
    value = get_setting("letters")
    return value if isinstance(value, dict) else {}


def _config(name: str) -> str | None:
    value = current_app.config.get(name)
    return (str(value).strip() or None) if value else None


def tsa_url() -> str | None:
    """The RFC 3161 TSA that timestamps every signature, if any."""
    value = _letters().get("tsa_url")
    return (str(value).strip() or None) if value else _config("TSA_URL")


def revocation_mode() -> str:
    """``off`` | ``crl`` | ``ocsp`` | ``any``; a misspelt value checks (``any``), never skips."""
    value = _letters().get("revocation") or _config("REVOCATION") or "off"
    value = str(value).strip().lower()
    if value in ("", "off", "none", "false", "no"):
        return "off"
    return value if value in REVOCATION_MODES else "any"


def ncanode_url() -> str | None:
    return _config("NCANODE_URL")


def trust(roots: Iterable[str | bytes]) -> TrustSettings:
    """The office's trusted roots with the configured revocation checking."""
    mode = revocation_mode()
    if mode == "off":
        return TrustSettings(roots=tuple(roots))
    return TrustSettings(roots=tuple(roots), fetch_revocation=True, revocation_rule=mode)


def options(trust_settings: TrustSettings) -> SigningOptions:
    """How letters are signed: reason and place, the TSA, validation data (B-LT) to embed."""
    return SigningOptions(
        reason="Outgoing letter",
        location="Kazakhstan",
        tsa_url=tsa_url(),
        validation=trust_settings if trust_settings.revocation_configured else None,
    )
