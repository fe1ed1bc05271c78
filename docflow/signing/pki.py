"""A small PKI shaped like NCA RK's, for tests and for ``flask pki demo``.

``CertificateAuthority.create()`` makes a root; ``ca.issue(...)`` makes an end-entity certificate
with the subject NCA RK uses — ``CN`` (name), ``SURNAME``, ``SERIALNUMBER=IIN…``, ``C=KZ``, ``O``,
``OU=BIN…``, ``GIVENNAME`` — and its purpose (``sign``: EKU emailProtection and keyUsage
digitalSignature + nonRepudiation; ``auth``: EKU clientAuth and keyUsage digitalSignature +
keyEncipherment; ``tsa``: EKU timeStamping). ``Issued.pkcs12(passphrase)`` exports a keystore.

:func:`ncalayer_cms` builds, outside the server's signing code, the CMS that NCALayer returns for
``sign`` with ``signingParams: {decode: true, encapsulate: false, digested: true}``: a detached
SignedData whose ``messageDigest`` is the digest it was given. Tests and the fake NCALayer server
use it. :func:`fake_gost_certificate` makes a structurally valid certificate with a Kazakh GOST key
algorithm (its signature is not real) to exercise the GOST branch.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from asn1crypto import algos, cms, keys, tsp
from asn1crypto import x509 as asn1_x509
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from cryptography.hazmat.primitives.serialization import pkcs12
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from .certinfo import SIGNING_EKU, RawKeyInfo

PURPOSES = ("sign", "auth", "tsa")
_HASHES = {"sha256": hashes.SHA256, "sha384": hashes.SHA384, "sha512": hashes.SHA512}


def _now() -> datetime:
    return datetime.now(UTC).replace(microsecond=0)


def _new_key(key_size: int = 2048) -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=key_size)


def subject_name(
    name: str,
    *,
    iin: str | None = None,
    bin: str | None = None,
    organisation: str | None = None,
    surname: str | None = None,
    given_name: str | None = None,
    email: str | None = None,
    country: str = "KZ",
) -> x509.Name:
    """A subject in NCA RK's order: CN, SURNAME, SERIALNUMBER, C, O, OU, GIVENNAME, E."""
    for label, value in (("IIN", iin), ("BIN", bin)):
        if value is not None and not (len(value) == 12 and value.isdigit()):
            raise ValueError(f"{label} must be 12 digits")
    attrs = [x509.NameAttribute(NameOID.COMMON_NAME, name)]
    if surname:
        attrs.append(x509.NameAttribute(NameOID.SURNAME, surname))
    if iin:
        attrs.append(x509.NameAttribute(NameOID.SERIAL_NUMBER, f"IIN{iin}"))
    attrs.append(x509.NameAttribute(NameOID.COUNTRY_NAME, country))
    if organisation:
        attrs.append(x509.NameAttribute(NameOID.ORGANIZATION_NAME, organisation))
    if bin:
        attrs.append(x509.NameAttribute(NameOID.ORGANIZATIONAL_UNIT_NAME, f"BIN{bin}"))
    if given_name:
        attrs.append(x509.NameAttribute(NameOID.GIVEN_NAME, given_name))
    if email:
        attrs.append(x509.NameAttribute(NameOID.EMAIL_ADDRESS, email))
    return x509.Name(attrs)


@dataclass
class Issued:
    """An end-entity certificate with its key and the CA chain above it (nearest first)."""

    certificate: x509.Certificate
    private_key: rsa.RSAPrivateKey
    chain: tuple[x509.Certificate, ...] = field(default_factory=tuple)

    @property
    def cert_pem(self) -> bytes:
        return self.certificate.public_bytes(serialization.Encoding.PEM)

    @property
    def cert_der(self) -> bytes:
        return self.certificate.public_bytes(serialization.Encoding.DER)

    def pkcs12(self, passphrase: str, *, name: str | None = None, legacy: bool = False) -> bytes:
        """A PKCS#12 keystore protected by ``passphrase``.

        ``legacy`` uses SHA1/3DES, as older NCA RK key files do; the default is AES-256.
        """
        if legacy:
            encryption = (
                serialization.PrivateFormat.PKCS12.encryption_builder()
                .kdf_rounds(2048)
                .key_cert_algorithm(pkcs12.PBES.PBESv1SHA1And3KeyTripleDESCBC)
                .hmac_hash(hashes.SHA1())  # noqa: S303 — the legacy format is SHA1 by definition
                .build(passphrase.encode("utf-8"))
            )
        else:
            encryption = serialization.BestAvailableEncryption(passphrase.encode("utf-8"))
        label = (name or self.certificate.serial_number.to_bytes(20, "big").hex()).encode()
        return pkcs12.serialize_key_and_certificates(
            label, self.private_key, self.certificate, list(self.chain) or None, encryption
        )


class CertificateAuthority:
    """A CA that issues NCA RK-shaped certificates and CRLs."""

    def __init__(
        self,
        certificate: x509.Certificate,
        private_key: rsa.RSAPrivateKey,
        chain: tuple[x509.Certificate, ...] = (),
    ) -> None:
        self.certificate = certificate
        self.private_key = private_key
        self.chain = chain  # CAs above this one, nearest first

    @classmethod
    def create(
        cls,
        name: str = "Docflow Test Root CA (RSA)",
        *,
        organisation: str = "Docflow Test PKI",
        days: int = 3650,
        not_before: datetime | None = None,
        key_size: int = 2048,
    ) -> CertificateAuthority:
        key = _new_key(key_size)
        subject = x509.Name(
            [
                x509.NameAttribute(NameOID.COMMON_NAME, name),
                x509.NameAttribute(NameOID.ORGANIZATION_NAME, organisation),
                x509.NameAttribute(NameOID.COUNTRY_NAME, "KZ"),
            ]
        )
        start = not_before or (_now() - timedelta(days=1))
        cert = (
            x509.CertificateBuilder()
            .subject_name(subject)
            .issuer_name(subject)
            .public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(start)
            .not_valid_after(start + timedelta(days=days))
            .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
            .add_extension(_ca_key_usage(), critical=True)
            .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), False)
            .sign(key, hashes.SHA256())
        )
        return cls(cert, key)

    @property
    def cert_pem(self) -> bytes:
        return self.certificate.public_bytes(serialization.Encoding.PEM)

    def intermediate(
        self, name: str, *, days: int = 1825, not_before: datetime | None = None
    ) -> CertificateAuthority:
        """A subordinate CA (NCA RK issues people's certificates from one)."""
        key = _new_key()
        subject = x509.Name(
            [
                x509.NameAttribute(NameOID.COMMON_NAME, name),
                x509.NameAttribute(NameOID.COUNTRY_NAME, "KZ"),
            ]
        )
        start = not_before or (_now() - timedelta(hours=1))
        cert = (
            self._builder(subject, key.public_key(), start, start + timedelta(days=days))
            .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
            .add_extension(_ca_key_usage(), critical=True)
            .sign(self.private_key, hashes.SHA256())
        )
        return CertificateAuthority(cert, key, (self.certificate, *self.chain))

    def _builder(self, subject, public_key, start, end) -> x509.CertificateBuilder:
        return (
            x509.CertificateBuilder()
            .subject_name(subject)
            .issuer_name(self.certificate.subject)
            .public_key(public_key)
            .serial_number(x509.random_serial_number())
            .not_valid_before(start)
            .not_valid_after(end)
            .add_extension(x509.SubjectKeyIdentifier.from_public_key(public_key), False)
            .add_extension(
                x509.AuthorityKeyIdentifier.from_issuer_public_key(self.private_key.public_key()),
                False,
            )
        )

    def issue(
        self,
        name: str,
        *,
        iin: str | None = None,
        bin: str | None = None,
        organisation: str | None = None,
        surname: str | None = None,
        given_name: str | None = None,
        email: str | None = None,
        purpose: str = "sign",
        days: int = 365,
        not_before: datetime | None = None,
        not_after: datetime | None = None,
        key_size: int = 2048,
        crl_url: str | None = None,
        ocsp_url: str | None = None,
        key: rsa.RSAPrivateKey | None = None,
    ) -> Issued:
        """An end-entity certificate; ``not_after`` in the past makes an expired one."""
        if purpose not in PURPOSES:
            raise ValueError(f"purpose must be one of {PURPOSES}")
        key = key or _new_key(key_size)
        start = not_before or (_now() - timedelta(hours=1))
        end = not_after or (start + timedelta(days=days))
        if end <= start:
            start = end - timedelta(days=days)
        subject = subject_name(
            name,
            iin=iin,
            bin=bin,
            organisation=organisation,
            surname=surname,
            given_name=given_name,
            email=email,
        )
        builder = self._builder(subject, key.public_key(), start, end).add_extension(
            x509.BasicConstraints(ca=False, path_length=None), critical=True
        )
        builder = builder.add_extension(_ee_key_usage(purpose), critical=True)
        eku = {
            "sign": [ExtendedKeyUsageOID.EMAIL_PROTECTION],
            "auth": [ExtendedKeyUsageOID.CLIENT_AUTH],
            "tsa": [ExtendedKeyUsageOID.TIME_STAMPING],
        }[purpose]
        builder = builder.add_extension(x509.ExtendedKeyUsage(eku), critical=purpose == "tsa")
        if crl_url:
            builder = builder.add_extension(
                x509.CRLDistributionPoints(
                    [
                        x509.DistributionPoint(
                            [x509.UniformResourceIdentifier(crl_url)], None, None, None
                        )
                    ]
                ),
                False,
            )
        if ocsp_url:
            builder = builder.add_extension(
                x509.AuthorityInformationAccess(
                    [
                        x509.AccessDescription(
                            x509.AuthorityInformationAccessOID.OCSP,
                            x509.UniformResourceIdentifier(ocsp_url),
                        )
                    ]
                ),
                False,
            )
        cert = builder.sign(self.private_key, hashes.SHA256())
        return Issued(cert, key, (self.certificate, *self.chain))

    def crl(
        self,
        revoked: Iterable[
            Issued | x509.Certificate | tuple[Issued | x509.Certificate, datetime]
        ] = (),
        *,
        this_update: datetime | None = None,
        next_update: datetime | None = None,
    ) -> bytes:
        """A DER CRL listing ``revoked`` (optionally with their revocation dates)."""
        this_update = this_update or (_now() - timedelta(minutes=5))
        builder = (
            x509.CertificateRevocationListBuilder()
            .issuer_name(self.certificate.subject)
            .last_update(this_update)
            .next_update(next_update or (this_update + timedelta(days=7)))
            .add_extension(x509.CRLNumber(1), False)
            .add_extension(
                x509.AuthorityKeyIdentifier.from_issuer_public_key(self.private_key.public_key()),
                False,
            )
        )
        for item in revoked:
            when = this_update - timedelta(minutes=1)
            if isinstance(item, tuple):
                item, when = item
            cert = item.certificate if isinstance(item, Issued) else item
            builder = builder.add_revoked_certificate(
                x509.RevokedCertificateBuilder()
                .serial_number(cert.serial_number)
                .revocation_date(when)
                .build()
            )
        crl = builder.sign(self.private_key, hashes.SHA256())
        return crl.public_bytes(serialization.Encoding.DER)


def _ca_key_usage() -> x509.KeyUsage:
    return x509.KeyUsage(
        digital_signature=True,
        content_commitment=False,
        key_encipherment=False,
        data_encipherment=False,
        key_agreement=False,
        key_cert_sign=True,
        crl_sign=True,
        encipher_only=False,
        decipher_only=False,
    )


def _ee_key_usage(purpose: str) -> x509.KeyUsage:
    return x509.KeyUsage(
        digital_signature=True,
        content_commitment=purpose in ("sign", "tsa"),  # nonRepudiation
        key_encipherment=purpose == "auth",
        data_encipherment=False,
        key_agreement=False,
        key_cert_sign=False,
        crl_sign=False,
        encipher_only=False,
        decipher_only=False,
    )


def ncalayer_cms(
    digest: bytes,
    signer: Issued,
    *,
    digest_algorithm: str = "sha256",
    signing_time: datetime | None = None,
    include_chain: bool = False,
    signing_certificate_v2: bool = True,
) -> bytes:
    """The detached CMS NCALayer returns when asked to sign an already computed ``digest``.

    Signed attributes: contentType=data, signingTime, messageDigest=``digest`` (not re-hashed:
    ``digested: true``) and, as NCALayer's CAdES signer adds it, signingCertificateV2. The
    signature is RSA PKCS#1 v1.5 over the DER of the signed attributes.
    """
    cert = asn1_x509.Certificate.load(signer.cert_der)
    attrs = [
        cms.CMSAttribute({"type": "content_type", "values": ["data"]}),
        cms.CMSAttribute(
            {"type": "signing_time", "values": [cms.Time({"utc_time": signing_time or _now()})]}
        ),
        cms.CMSAttribute({"type": "message_digest", "values": [digest]}),
    ]
    if signing_certificate_v2:
        cert_id = tsp.ESSCertIDv2(
            {
                "hash_algorithm": algos.DigestAlgorithm({"algorithm": digest_algorithm}),
                "cert_hash": hashlib.new(digest_algorithm, cert.dump()).digest(),
                "issuer_serial": {
                    "issuer": [asn1_x509.GeneralName({"directory_name": cert.issuer})],
                    "serial_number": cert.serial_number,
                },
            }
        )
        attrs.append(
            cms.CMSAttribute(
                {
                    "type": "signing_certificate_v2",
                    "values": [tsp.SigningCertificateV2({"certs": [cert_id]})],
                }
            )
        )
    signed_attrs = cms.CMSAttributes(attrs)
    signature = signer.private_key.sign(
        signed_attrs.dump(), padding.PKCS1v15(), _HASHES[digest_algorithm]()
    )
    certs = [cert]
    if include_chain:
        certs += [
            asn1_x509.Certificate.load(c.public_bytes(serialization.Encoding.DER))
            for c in signer.chain
        ]
    signer_info = cms.SignerInfo(
        {
            "version": "v1",
            "sid": cms.SignerIdentifier(
                {
                    "issuer_and_serial_number": cms.IssuerAndSerialNumber(
                        {"issuer": cert.issuer, "serial_number": cert.serial_number}
                    )
                }
            ),
            "digest_algorithm": algos.DigestAlgorithm({"algorithm": digest_algorithm}),
            "signed_attrs": signed_attrs,
            "signature_algorithm": algos.SignedDigestAlgorithm({"algorithm": "rsassa_pkcs1v15"}),
            "signature": signature,
        }
    )
    signed_data = cms.SignedData(
        {
            "version": "v1",
            "digest_algorithms": [algos.DigestAlgorithm({"algorithm": digest_algorithm})],
            "encap_content_info": {"content_type": "data"},
            "certificates": certs,
            "signer_infos": [signer_info],
        }
    )
    return cms.ContentInfo({"content_type": "signed_data", "content": signed_data}).dump()


GOST_KEY_OID = "1.2.398.3.10.1.1.1.1"  # GOST 34.310-2004 key (Kazakh)
GOST_SIGNATURE_OID = "1.2.398.3.10.1.1.1.2"  # GOST 34.311/34.310 signature


def fake_gost_certificate(ca: CertificateAuthority, name: str, *, iin: str | None = None) -> bytes:
    """A DER certificate with a Kazakh GOST key algorithm; its key and signature are random."""
    subject = asn1_x509.Name.load(subject_name(name, iin=iin).public_bytes())
    issuer = asn1_x509.Name.load(ca.certificate.subject.public_bytes())
    start = _now() - timedelta(hours=1)
    for key_size in range(64, 72):
        der = _fake_gost(issuer, subject, start, key_size)
        tbs_start = 2 + (der[1] & 0x7F if der[1] & 0x80 else 0)
        if _last_length_byte(der) != 0x80 and _last_length_byte(der[tbs_start:]) != 0x80:
            return der
    raise RuntimeError("could not make a fake GOST certificate")  # pragma: no cover


def _last_length_byte(der: bytes) -> int:
    # asn1crypto misreads a length ending in 0x80 as BER's indefinite length (see certinfo)
    n = der[1]
    return der[1 + (n & 0x7F)] if n & 0x80 else n


def _fake_gost(issuer, subject, start, key_size: int) -> bytes:
    tbs = asn1_x509.TbsCertificate(
        {
            "version": "v3",
            "serial_number": int.from_bytes(os.urandom(8), "big"),
            "signature": {"algorithm": GOST_SIGNATURE_OID},
            "issuer": issuer,
            "validity": {
                "not_before": asn1_x509.Time({"utc_time": start}),
                "not_after": asn1_x509.Time({"utc_time": start + timedelta(days=365)}),
            },
            "subject": subject,
            "subject_public_key_info": keys.PublicKeyInfo.load(
                RawKeyInfo(
                    {"algorithm": {"algorithm": GOST_KEY_OID}, "public_key": os.urandom(key_size)}
                ).dump()
            ),
            "extensions": [
                {
                    "extn_id": "extended_key_usage",
                    "critical": False,
                    "extn_value": [SIGNING_EKU],
                }
            ],
        }
    )
    cert = asn1_x509.Certificate(
        {
            "tbs_certificate": tbs,
            "signature_algorithm": {"algorithm": GOST_SIGNATURE_OID},
            "signature_value": os.urandom(64),
        }
    )
    return cert.dump()
