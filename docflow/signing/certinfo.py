"""What an NCA RK certificate says about its holder: name, IIN, BIN, purpose, algorithm.

NCA RK (the national certification authority of Kazakhstan) puts the holder's IIN in the subject
as ``SERIALNUMBER=IIN<12 digits>`` and, for an employee of an organisation, the organisation's BIN
as ``OU=BIN<12 digits>``. A signing key carries EKU 1.3.6.1.5.5.7.3.4 (emailProtection, which NCA
RK uses for "signature"); an authentication key carries 1.3.6.1.5.5.7.3.2 (clientAuth).

Parsing goes through asn1crypto, not ``cryptography``, so that GOST certificates (whose key
algorithms ``cryptography`` does not know) can still be described.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from datetime import datetime

from asn1crypto import core, pem
from asn1crypto import x509 as asn1_x509
from cryptography import x509 as pyca_x509
from cryptography.hazmat.primitives.serialization import Encoding

SIGNING_EKU = "1.3.6.1.5.5.7.3.4"  # emailProtection: "signature" in NCA RK certificates
AUTH_EKU = "1.3.6.1.5.5.7.3.2"  # clientAuth: an authentication key, never for documents
TSA_EKU = "1.3.6.1.5.5.7.3.8"  # timeStamping

# Kazakh GOST 34.310 (1.2.398.3.10.1.1.*), and the Russian GOST R 34.10 families for safety.
GOST_OID_PREFIXES = ("1.2.398.3.10.1.1.", "1.2.643.2.2.", "1.2.643.7.1.")

_IIN = re.compile(r"^IIN(\d{12})$")
_BIN = re.compile(r"^BIN(\d{12})$")

CertificateLike = bytes | str | asn1_x509.Certificate | pyca_x509.Certificate


def to_asn1(cert: CertificateLike) -> asn1_x509.Certificate:
    """Any certificate form (PEM/DER bytes or str, asn1crypto, cryptography) → asn1crypto."""
    if isinstance(cert, asn1_x509.Certificate):
        return cert
    if isinstance(cert, pyca_x509.Certificate):
        return asn1_x509.Certificate.load(cert.public_bytes(Encoding.DER))
    data = cert.encode("ascii") if isinstance(cert, str) else bytes(cert)
    if pem.detect(data):
        _, _, data = pem.unarmor(data)
    return asn1_x509.Certificate.load(data)


def der_bytes(cert: asn1_x509.Certificate) -> bytes:
    """The certificate's encoding. asn1crypto re-encodes any value whose length ends in 0x80
    (taking it for BER's indefinite length), which fails for GOST keys: fall back to the
    bytes it was loaded from."""
    try:
        return cert.dump()
    except (KeyError, ValueError):
        return cert._header + cert.contents


def load_certificates(items) -> list[asn1_x509.Certificate]:
    """Certificates from a list of PEM/DER blobs; one PEM blob may hold several."""
    out: list[asn1_x509.Certificate] = []
    for item in items or ():
        if isinstance(item, str | bytes):
            data = item.encode("ascii") if isinstance(item, str) else bytes(item)
            if pem.detect(data):
                for _, _, der in pem.unarmor(data, multiple=True):
                    out.append(asn1_x509.Certificate.load(der))
                continue
        out.append(to_asn1(item))
    return out


class RawAlgorithm(core.Sequence):
    _fields = [("algorithm", core.ObjectIdentifier), ("parameters", core.Any, {"optional": True})]


class RawKeyInfo(core.Sequence):
    """SubjectPublicKeyInfo without interpretation: asn1crypto's own refuses GOST algorithms."""

    _fields = [("algorithm", RawAlgorithm), ("public_key", core.OctetBitString)]


def key_algorithm_oid(cert: asn1_x509.Certificate) -> str:
    spki = cert["tbs_certificate"]["subject_public_key_info"]
    return RawKeyInfo.load(spki.dump())["algorithm"]["algorithm"].dotted


def is_gost_oid(oid: str) -> bool:
    return any(oid.startswith(prefix) for prefix in GOST_OID_PREFIXES)


def _first(value) -> str | None:
    if isinstance(value, list):
        value = value[0] if value else None
    return str(value) if value is not None else None


def _all(value) -> list[str]:
    if value is None:
        return []
    return [str(v) for v in (value if isinstance(value, list) else [value])]


@dataclass(frozen=True)
class CertificateInfo:
    """The parts of a certificate that docflow checks and shows."""

    name: str | None
    iin: str | None
    bin: str | None
    organisation: str | None
    country: str | None
    email: str | None
    serial: str
    issuer: str
    not_before: datetime
    not_after: datetime
    ekus: tuple[str, ...]
    key_usage: tuple[str, ...]
    key_algorithm: str
    is_gost: bool
    fingerprint: str  # SHA-256 of the DER, hex

    @property
    def for_signing(self) -> bool:
        return SIGNING_EKU in self.ekus

    @property
    def for_authentication_only(self) -> bool:
        return AUTH_EKU in self.ekus and SIGNING_EKU not in self.ekus

    def valid_at(self, moment: datetime) -> bool:
        return self.not_before <= moment <= self.not_after

    def to_dict(self) -> dict:
        return {
            "name": self.name,
            "iin": self.iin,
            "bin": self.bin,
            "organisation": self.organisation,
            "country": self.country,
            "serial": self.serial,
            "issuer": self.issuer,
            "not_before": self.not_before.isoformat(),
            "not_after": self.not_after.isoformat(),
            "ekus": list(self.ekus),
            "gost": self.is_gost,
            "fingerprint": self.fingerprint,
        }


def describe(cert: CertificateLike) -> CertificateInfo:
    """Read name, IIN, BIN, purpose and algorithm from a certificate."""
    cert = to_asn1(cert)
    fingerprint = hashlib.sha256(der_bytes(cert)).hexdigest()
    subject = cert.subject.native
    iin = next(
        (m.group(1) for v in _all(subject.get("serial_number")) if (m := _IIN.match(v))), None
    )
    bin_ = next(
        (m.group(1) for v in _all(subject.get("organizational_unit_name")) if (m := _BIN.match(v))),
        None,
    )
    try:
        eku_ext = cert.extended_key_usage_value
    except ValueError:  # malformed extension: treat as none
        eku_ext = None
    ekus = tuple(p.dotted for p in eku_ext) if eku_ext is not None else ()
    try:
        ku_ext = cert.key_usage_value
    except ValueError:
        ku_ext = None
    key_usage = tuple(sorted(ku_ext.native)) if ku_ext is not None else ()
    tbs = cert["tbs_certificate"]
    key_oid = key_algorithm_oid(cert)
    sig_oid = cert["signature_algorithm"]["algorithm"].dotted
    validity = tbs["validity"]
    return CertificateInfo(
        name=_first(subject.get("common_name")),
        iin=iin,
        bin=bin_,
        organisation=_first(subject.get("organization_name")),
        country=_first(subject.get("country_name")),
        email=_first(subject.get("email_address")),
        serial=format(tbs["serial_number"].native, "x"),
        issuer=cert.issuer.human_friendly,
        not_before=validity["not_before"].native,
        not_after=validity["not_after"].native,
        ekus=ekus,
        key_usage=key_usage,
        key_algorithm=key_oid,
        is_gost=is_gost_oid(key_oid) or is_gost_oid(sig_oid),
        fingerprint=fingerprint,
    )
