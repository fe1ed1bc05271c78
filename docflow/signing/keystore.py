"""PKCS#12 keystores (the ``.p12`` files NCA RK issues), opened with a passphrase.

The passphrase is used once, to decrypt, and is not kept: a :class:`Keystore` holds the key and
certificates only, and lives as long as one signing action. Callers store the ``.p12`` bytes,
never the passphrase.
"""

from __future__ import annotations

from dataclasses import dataclass

from asn1crypto import pkcs12 as asn1_pkcs12
from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.hazmat.primitives.serialization import pkcs12

from .certinfo import CertificateInfo, describe
from .errors import SigningError


@dataclass(frozen=True)
class Keystore:
    """A private key, its certificate and the CA certificates that came with it."""

    private_key: rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey
    certificate: x509.Certificate
    chain: tuple[x509.Certificate, ...] = ()

    @property
    def info(self) -> CertificateInfo:
        return describe(self.certificate)

    def __repr__(self) -> str:  # never print key material
        return f"Keystore({self.certificate.subject.rfc4514_string()!r})"


def _is_pfx(data: bytes) -> bool:
    try:
        pfx = asn1_pkcs12.Pfx.load(data)
        pfx["auth_safe"]["content_type"].native  # noqa: B018 — forces the parse
        return pfx["version"].native == "v3"
    except Exception:  # any parse error: not a PKCS#12 structure
        return False


def load_pkcs12(data: bytes, passphrase: str | bytes | None) -> Keystore:
    """Open a PKCS#12 keystore.

    Raises :class:`SigningError` with code ``not_pkcs12`` (not a key file), ``wrong_passphrase``,
    ``no_key`` (certificates only) or ``no_certificate`` (no certificate matching the key).
    """
    if not _is_pfx(data):
        raise SigningError("not_pkcs12")
    secret = passphrase.encode("utf-8") if isinstance(passphrase, str) else passphrase
    try:
        key, cert, extra = pkcs12.load_key_and_certificates(data, secret or None)
    except ValueError as exc:
        raise SigningError("wrong_passphrase") from exc
    except Exception as exc:  # unsupported cipher (e.g. RC2) and the like
        raise SigningError("not_pkcs12", detail=str(exc)) from exc
    if key is None:
        raise SigningError("no_key")
    if not isinstance(key, rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey):
        raise SigningError("not_pkcs12", detail=f"unsupported key type {type(key).__name__}")
    extra = list(extra or ())
    public = key.public_key().public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )

    def matches(c: x509.Certificate) -> bool:
        return (
            c.public_key().public_bytes(
                serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
            )
            == public
        )

    if cert is None or not matches(cert):
        # some exporters put the key's certificate among the "additional" ones
        found = next((c for c in extra if matches(c)), None)
        if found is None:
            raise SigningError("no_certificate")
        if cert is not None:
            extra.append(cert)
        extra.remove(found)
        cert = found
    return Keystore(private_key=key, certificate=cert, chain=tuple(extra))
