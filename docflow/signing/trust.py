"""What a verifier trusts: root certificates, and where revocation data comes from.

Revocation is checked only when configured: CRLs or OCSP responses handed in (``crls``,
``ocsps``), or fetching from the URLs in the certificates (``fetch_revocation``). Otherwise it is
skipped, and results say so. ``revocation_rule`` says which kind the signer's certificate needs
(``"crl"``, ``"ocsp"`` or ``"any"``; the CAs above it are checked where their certificates name a
source); without it every certificate of the chain needs a CRL or an OCSP response.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime

from asn1crypto import pem
from pyhanko_certvalidator import ValidationContext
from pyhanko_certvalidator.policy_decl import (
    CertRevTrustPolicy,
    RevocationCheckingPolicy,
    RevocationCheckingRule,
)

from .certinfo import CertificateLike, load_certificates

REVOCATION_RULES = {
    "crl": RevocationCheckingRule.CRL_REQUIRED,
    "ocsp": RevocationCheckingRule.OCSP_REQUIRED,
    "any": RevocationCheckingRule.CRL_OR_OCSP_REQUIRED,
}


def _der_blobs(items: Iterable[bytes | str]) -> list[bytes]:
    out: list[bytes] = []
    for item in items:
        data = item.encode("ascii") if isinstance(item, str) else bytes(item)
        if pem.detect(data):
            out.extend(der for _, _, der in pem.unarmor(data, multiple=True))
        else:
            out.append(data)
    return out


@dataclass(frozen=True)
class TrustSettings:
    """Trusted roots (PEM/DER, e.g. NCA RK's root certificates) and revocation sources.

    A certificate among ``roots`` that is not self-signed (an office's NCA RK bundle holds the
    intermediate CA next to the root) is used as an intermediate, never as a trust anchor.
    """

    roots: tuple[CertificateLike, ...] = ()
    intermediates: tuple[CertificateLike, ...] = ()
    crls: tuple[bytes | str, ...] = ()
    ocsps: tuple[bytes, ...] = ()
    fetch_revocation: bool = False
    fetch_timeout: float = 10.0
    revocation_rule: str | None = None  # "crl" | "ocsp" | "any" for the signer's certificate
    _roots: list = field(default_factory=list, init=False, repr=False, compare=False)
    _others: list = field(default_factory=list, init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        if self.revocation_rule is not None and self.revocation_rule not in REVOCATION_RULES:
            raise ValueError(f"revocation_rule must be one of {sorted(REVOCATION_RULES)}")
        for cert in load_certificates(self.roots):
            (self._roots if cert.self_signed != "no" else self._others).append(cert)
        self._others.extend(load_certificates(self.intermediates))

    @classmethod
    def of(
        cls, trusted_roots: Iterable[CertificateLike] | TrustSettings, **kwargs
    ) -> TrustSettings:
        if isinstance(trusted_roots, TrustSettings):
            return trusted_roots
        return cls(roots=tuple(trusted_roots or ()), **kwargs)

    @property
    def revocation_configured(self) -> bool:
        return bool(self.crls or self.ocsps or self.fetch_revocation)

    def validation_context(self, moment: datetime | None = None) -> ValidationContext:
        """A pyHanko validation context; an empty root list trusts nothing (never the OS list)."""
        kwargs: dict = {
            "trust_roots": list(self._roots),
            "other_certs": list(self._others),
            "moment": moment,
            "allow_fetching": self.fetch_revocation,
            "crls": _der_blobs(self.crls),
            "ocsps": list(self.ocsps),
            # configured: every certificate of the chain needs revocation data (CRL or OCSP)
            "revocation_mode": "require" if self.revocation_configured else "soft-fail",
            # CRLs issued after the signing time still prove the status at that time
            "retroactive_revinfo": True,
        }
        if self.revocation_configured and self.revocation_rule is not None:
            kwargs["revinfo_policy"] = CertRevTrustPolicy(
                RevocationCheckingPolicy(
                    ee_certificate_rule=REVOCATION_RULES[self.revocation_rule],
                    intermediate_ca_cert_rule=RevocationCheckingRule.CHECK_IF_DECLARED,
                ),
                retroactive_revinfo=True,
            )
        if self.fetch_revocation:
            from pyhanko_certvalidator.fetchers.aiohttp_fetchers import AIOHttpFetcherBackend
            from pyhanko_certvalidator.fetchers.api import OwnedFetcherBackend

            # the context owns its HTTP session: ``aclose()`` (pyHanko's signing calls it) ends it
            kwargs["fetcher_backend"] = OwnedFetcherBackend(
                AIOHttpFetcherBackend(per_request_timeout=self.fetch_timeout)
            )
        return ValidationContext(**kwargs)
