"""PAdES signatures on PDFs, made two ways with one result.

* :func:`sign_pdf` — on the server, with the signer's PKCS#12 keystore (:mod:`.keystore`).
* :func:`prepare` / :func:`finish` — interrupted signing for NCALayer. ``prepare`` writes the
  signature placeholder and returns the ``/ByteRange`` digest; the browser asks NCALayer to sign
  that digest (``format: "cms"``, ``signingParams: {decode: true, encapsulate: false,
  digested: true}``) and posts the detached CMS back; ``finish`` checks it and embeds it.

Both give ``ETSI.CAdES.detached`` signatures: PAdES B-B, B-T when a TSA is configured (for the
NCALayer path the timestamp is added to the returned CMS as its signature-time-stamp), and B-LT
when revocation data are configured (``SigningOptions.validation``), embedded in the DSS.
"""

from __future__ import annotations

import base64
import hashlib
import json
from dataclasses import dataclass
from datetime import UTC, datetime
from io import BytesIO

from asn1crypto import cms, keys, pem
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.hazmat.primitives.asymmetric import padding as asym_padding
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
from pyhanko.pdf_utils.misc import PdfError
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign import fields, signers
from pyhanko.sign.fields import SigSeedSubFilter
from pyhanko.sign.general import SigningError as PyHankoSigningError
from pyhanko.sign.general import get_pyca_cryptography_hash
from pyhanko.sign.signers.pdf_byterange import PreparedByteRangeDigest
from pyhanko.sign.signers.pdf_signer import PdfTBSDocument
from pyhanko.sign.timestamps import TimeStamper
from pyhanko.sign.timestamps.common_utils import TimestampRequestError
from pyhanko.sign.validation import async_add_validation_info
from pyhanko.sign.validation.generic_cms import validate_sig_integrity
from pyhanko_certvalidator.errors import (
    ExpiredError,
    InsufficientRevinfoError,
    NotYetValidError,
    PathBuildingError,
    PathValidationError,
    RevokedError,
    ValidationError,
)
from pyhanko_certvalidator.registry import SimpleCertificateStore

from docflow.signing._async import off_loop, run_sync

from .certinfo import CertificateLike, describe, is_gost_oid, key_algorithm_oid, to_asn1
from .errors import SigningError
from .keystore import Keystore
from .trust import TrustSettings
from .tsa import UrllibTimeStamper

SUBFILTER = SigSeedSubFilter.PADES  # /ETSI.CAdES.detached
DEFAULT_RESERVE = 16384  # DER bytes for an external CMS: cert chain + a signature timestamp


@dataclass(frozen=True)
class SigningOptions:
    """How to sign: signature field, reason, TSA, and validation data to embed."""

    field_name: str | None = None  # default: the next free "SignatureN"
    reason: str | None = None
    location: str | None = None
    contact_info: str | None = None
    tsa_url: str | None = None  # B-T: a signature timestamp from this RFC 3161 TSA
    timestamper: TimeStamper | None = None  # instead of tsa_url (tests: pyHanko's dummy TSA)
    tsa_timeout: float = 10.0
    validation: TrustSettings | None = None  # B-LT: embed chain + CRL/OCSP when configured
    # added to an external CMS that lacks them (NCALayer sends the signer's certificate only),
    # so that the PDF verifies with just the root: e.g. NCA RK's intermediate CA
    embed_certificates: tuple[CertificateLike, ...] = ()
    reserve: int = DEFAULT_RESERVE

    def get_timestamper(self) -> TimeStamper | None:
        if self.timestamper is not None:
            return self.timestamper
        if self.tsa_url:
            return UrllibTimeStamper(self.tsa_url, timeout=self.tsa_timeout)
        return None

    @property
    def embeds_validation(self) -> bool:
        return self.validation is not None and self.validation.revocation_configured


def digest_algorithm_for(cert: CertificateLike | None) -> str:
    """The digest NCALayer must sign: sha256 for RSA (and P-256), sha384/sha512 for P-384/P-521.

    A GOST key signs a GOST 34.311 digest, which the server cannot compute: refused with
    ``gost_signing_unsupported`` (GOST signatures made elsewhere are verified through NCANode)."""
    if cert is None:
        return "sha256"
    cert = to_asn1(cert)
    key_oid = key_algorithm_oid(cert)
    if is_gost_oid(key_oid):
        # a GOST key signs a GOST 34.311 digest, which Python's hashlib cannot compute
        raise SigningError("gost_signing_unsupported", detail=key_oid)
    if key_oid == "1.2.840.10045.2.1":  # EC: match the curve's strength
        curve = cert.public_key["algorithm"]["parameters"].chosen.native
        return {"secp384r1": "sha384", "secp521r1": "sha512"}.get(curve, "sha256")
    return "sha256"


def _check_purpose(cert: CertificateLike) -> None:
    info = describe(cert)
    if info.is_gost:
        raise SigningError("gost_signing_unsupported")
    if not info.for_signing:
        raise SigningError("wrong_purpose")


def _writer(pdf: bytes) -> IncrementalPdfFileWriter:
    try:
        return IncrementalPdfFileWriter(BytesIO(pdf), strict=False)
    except (PdfError, ValueError, KeyError, IndexError) as exc:
        raise SigningError("pdf_invalid", detail=str(exc)) from exc


def _field_name(writer: IncrementalPdfFileWriter, wanted: str | None) -> str:
    if wanted:
        return wanted
    taken = {name for name, _, _ in fields.enumerate_sig_fields(writer)}
    n = 1
    while f"Signature{n}" in taken:
        n += 1
    return f"Signature{n}"


def _metadata(options: SigningOptions, field_name: str, md: str, **extra):
    return signers.PdfSignatureMetadata(
        field_name=field_name,
        md_algorithm=md,
        subfilter=SUBFILTER,
        reason=options.reason,
        location=options.location,
        contact_info=options.contact_info,
        **extra,
    )


class _KeystoreSigner(signers.SimpleSigner):
    """pyHanko's SimpleSigner re-loads the key from DER for every signature, and cryptography
    checks an RSA key on each load (~0.1 s): sign with the keystore's loaded key instead."""

    def __init__(self, keystore: Keystore, **kwargs) -> None:
        super().__init__(**kwargs)
        self._key = keystore.private_key

    def sign_raw(self, data: bytes, digest_algorithm: str) -> bytes:
        mechanism = self.get_signature_mechanism_for_digest(digest_algorithm)
        try:
            name = mechanism.signature_algo  # "sha256_rsa" → "rsassa_pkcs1v15"
        except ValueError:
            name = mechanism["algorithm"].native
        hash_algo = get_pyca_cryptography_hash(digest_algorithm)
        if name == "rsassa_pkcs1v15" and isinstance(self._key, rsa.RSAPrivateKey):
            return self._key.sign(data, asym_padding.PKCS1v15(), hash_algo)
        if name == "ecdsa" and isinstance(self._key, ec.EllipticCurvePrivateKey):
            return self._key.sign(data, ec.ECDSA(hash_algo))
        return super().sign_raw(data, digest_algorithm)


@off_loop
def sign_pdf(pdf: bytes, keystore: Keystore, options: SigningOptions | None = None) -> bytes:
    """Sign ``pdf`` with a keystore on the server; returns the signed PDF."""
    options = options or SigningOptions()
    _check_purpose(keystore.certificate)
    md = digest_algorithm_for(keystore.certificate)
    key_der = keystore.private_key.private_bytes(
        serialization.Encoding.DER,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    signer = _KeystoreSigner(
        keystore,
        signing_cert=to_asn1(keystore.certificate),
        signing_key=keys.PrivateKeyInfo.load(key_der),
        cert_registry=SimpleCertificateStore.from_certs([to_asn1(c) for c in keystore.chain]),
        # NCA RK chains go up to a root the verifier trusts anyway; keep the CMS small
        embed_roots=False,
    )
    writer = _writer(pdf)
    extra = {}
    if options.embeds_validation:
        extra = {
            "embed_validation_info": True,
            "validation_context": options.validation.validation_context(),
        }
    meta = _metadata(options, _field_name(writer, options.field_name), md, **extra)
    pdf_signer = signers.PdfSigner(meta, signer=signer, timestamper=options.get_timestamper())
    try:
        out = pdf_signer.sign_pdf(writer)
    except TimestampRequestError as exc:
        raise SigningError("timestamp_failed", detail=str(exc)) from exc
    except PyHankoSigningError as exc:  # B-LT: the signer's chain or revocation status refused
        cause = exc.__cause__
        if isinstance(cause, TimestampRequestError):
            raise SigningError("timestamp_failed", detail=str(cause)) from exc
        if isinstance(cause, PathValidationError | PathBuildingError | ValidationError):
            raise _validation_refusal(cause) from exc
        raise
    return out.getvalue()


def _validation_refusal(exc: Exception) -> SigningError:
    """What the certificate validation done for B-LT found, as a refusal with its code."""
    if isinstance(exc, RevokedError):
        return SigningError("revoked", detail=str(exc))
    if isinstance(exc, InsufficientRevinfoError):
        return SigningError("revocation_unknown", detail=str(exc))
    if isinstance(exc, ExpiredError | NotYetValidError):
        return SigningError("chain_expired", detail=str(exc))
    return SigningError("not_trusted", detail=str(exc))


@dataclass(frozen=True)
class PendingSignature:
    """A document waiting for its external CMS. Keep it on the server (it is not secret, but
    ``finish`` trusts its offsets): ``to_json`` / ``from_json`` store it between two requests."""

    pdf: bytes  # the document with the empty signature placeholder
    digest: bytes  # what NCALayer signs
    digest_algorithm: str
    reserved_start: int
    reserved_end: int
    field_name: str
    signer_fingerprint: str | None  # SHA-256 of the certificate named at prepare, if any
    created_at: datetime

    def to_json(self) -> str:
        return json.dumps(
            {
                "pdf": base64.b64encode(self.pdf).decode("ascii"),
                "digest": base64.b64encode(self.digest).decode("ascii"),
                "digest_algorithm": self.digest_algorithm,
                "reserved": [self.reserved_start, self.reserved_end],
                "field_name": self.field_name,
                "signer_fingerprint": self.signer_fingerprint,
                "created_at": self.created_at.isoformat(),
            }
        )

    @classmethod
    def from_json(cls, text: str) -> PendingSignature:
        try:
            data = json.loads(text)
            start, end = (int(v) for v in data["reserved"])
            return cls(
                pdf=base64.b64decode(data["pdf"], validate=True),
                digest=base64.b64decode(data["digest"], validate=True),
                digest_algorithm=str(data["digest_algorithm"]),
                reserved_start=start,
                reserved_end=end,
                field_name=str(data["field_name"]),
                signer_fingerprint=data.get("signer_fingerprint"),
                created_at=datetime.fromisoformat(data["created_at"]),
            )
        except (ValueError, KeyError, TypeError) as exc:
            raise SigningError("session_invalid", detail=str(exc)) from exc


@off_loop
def prepare(
    pdf_bytes: bytes,
    signer_cert: CertificateLike | None = None,
    options: SigningOptions | None = None,
) -> tuple[PendingSignature, bytes, str]:
    """Start an NCALayer signature: ``(session_state, digest_bytes, digest_algorithm)``.

    ``signer_cert`` (the certificate NCALayer will use, if the page sent it) chooses the digest
    algorithm, is checked for the signing purpose, and pins the signer for :func:`finish`.
    """
    options = options or SigningOptions()
    fingerprint = None
    if signer_cert is not None:
        _check_purpose(signer_cert)
        fingerprint = describe(signer_cert).fingerprint
    md = digest_algorithm_for(signer_cert)
    writer = _writer(pdf_bytes)
    field_name = _field_name(writer, options.field_name)
    # the CMS comes from outside: this signer only stands in while the placeholder is written
    placeholder = signers.ExternalSigner(
        signing_cert=to_asn1(signer_cert) if signer_cert is not None else None,
        cert_registry=SimpleCertificateStore(),
        signature_value=256,
    )
    pdf_signer = signers.PdfSigner(_metadata(options, field_name, md), signer=placeholder)

    async def run():
        return await pdf_signer.async_digest_doc_for_signing(
            writer, bytes_reserved=2 * options.reserve
        )

    prepared, _tbs, output = run_sync(run())
    state = PendingSignature(
        pdf=output.getvalue(),
        digest=prepared.document_digest,
        digest_algorithm=md,
        reserved_start=prepared.reserved_region_start,
        reserved_end=prepared.reserved_region_end,
        field_name=field_name,
        signer_fingerprint=fingerprint,
        created_at=datetime.now(UTC),
    )
    return state, prepared.document_digest, md


def _der(cms_der: bytes) -> bytes:
    data = bytes(cms_der)
    if pem.detect(data):
        _, _, data = pem.unarmor(data)
    return data


def _load_cms(cms_der: bytes) -> cms.ContentInfo:
    try:
        info = cms.ContentInfo.load(_der(cms_der))
        if info["content_type"].native != "signed_data":
            raise ValueError("not SignedData")
        signed = info["content"]
        if len(signed["signer_infos"]) != 1:
            raise ValueError("exactly one signer expected")
        signed["signer_infos"][0]["signed_attrs"].native  # noqa: B018 — parse now
    except (ValueError, TypeError, KeyError) as exc:
        raise SigningError("cms_invalid", detail=str(exc)) from exc
    return info


def _signer_cert(signed: cms.SignedData, signer_info: cms.SignerInfo):
    sid = signer_info["sid"]
    for choice in signed["certificates"] or ():
        if choice.name != "certificate":
            continue
        cert = choice.chosen
        if sid.name == "issuer_and_serial_number":
            if (
                cert.issuer == sid.chosen["issuer"]
                and cert.serial_number == sid.chosen["serial_number"].native
            ):
                return cert
        elif cert.key_identifier == sid.chosen.native:
            return cert
    raise SigningError("cms_invalid", detail="the signer's certificate is not in the CMS")


def check_external_cms(state: PendingSignature, cms_der: bytes) -> cms.ContentInfo:
    """Refuse a CMS that would not make a valid signature over ``state``'s document."""
    info = _load_cms(cms_der)
    signed = info["content"]
    signer_info = signed["signer_infos"][0]
    if signed["encap_content_info"]["content"].native is not None:
        raise SigningError("cms_not_detached")
    cert = _signer_cert(signed, signer_info)
    cert_info = describe(cert)
    if cert_info.is_gost:
        raise SigningError("gost_signing_unsupported")
    if state.signer_fingerprint and cert_info.fingerprint != state.signer_fingerprint:
        raise SigningError("wrong_signer")
    if signer_info["digest_algorithm"]["algorithm"].native != state.digest_algorithm:
        raise SigningError("digest_mismatch", detail="digest algorithm differs")
    try:
        intact, valid = validate_sig_integrity(
            signer_info, cert, expected_content_type="data", actual_digest=state.digest
        )
    except Exception as exc:  # structural CMS problems, unknown algorithms
        raise SigningError("cms_invalid", detail=str(exc)) from exc
    if not intact:
        raise SigningError("digest_mismatch")
    if not valid:
        raise SigningError("bad_signature")
    return info


async def _add_signature_timestamp(info: cms.ContentInfo, timestamper: TimeStamper, md: str):
    """Timestamp the signature value (CAdES-T): the same as pyHanko does for its own signer."""
    signer_info = info["content"]["signer_infos"][0]
    imprint = hashlib.new(md, signer_info["signature"].native).digest()
    token = await timestamper.async_timestamp(imprint, md)
    unsigned = list(signer_info["unsigned_attrs"]) if signer_info["unsigned_attrs"].native else []
    unsigned.append(cms.CMSAttribute({"type": "signature_time_stamp_token", "values": [token]}))
    signer_info["unsigned_attrs"] = cms.CMSAttributes(unsigned)
    return info


def _add_certificates(info: cms.ContentInfo, extra) -> None:
    signed = info["content"]
    present = [c.chosen for c in signed["certificates"] or () if c.name == "certificate"]
    known = {c.issuer_serial for c in present}
    added = [c for c in (to_asn1(x) for x in extra) if c.issuer_serial not in known]
    if added:
        signed["certificates"] = [*present, *added]


@off_loop
def finish(
    session_state: PendingSignature,
    cms_der: bytes,
    options: SigningOptions | None = None,
) -> bytes:
    """Embed NCALayer's detached CMS (DER, or PEM) into the prepared PDF; returns the signed PDF.

    Refuses (``SigningError``) a CMS that is not detached, over another digest, by another
    certificate than the one given to :func:`prepare`, or with a bad signature value. With a TSA
    configured, the signature is timestamped (B-T) before it is embedded.
    """
    options = options or SigningOptions()
    check_external_cms(session_state, cms_der)
    # embed NCALayer's bytes as they are; a checked (parsed) asn1crypto tree re-encodes slowly
    der = _der(cms_der)
    timestamper = options.get_timestamper()
    if timestamper is not None or options.embed_certificates:
        info = cms.ContentInfo.load(der)
        if timestamper is not None:
            try:
                run_sync(
                    _add_signature_timestamp(info, timestamper, session_state.digest_algorithm)
                )
            except TimestampRequestError as exc:
                raise SigningError("timestamp_failed", detail=str(exc)) from exc
        if options.embed_certificates:
            _add_certificates(info, options.embed_certificates)
        der = info.dump()
    room = session_state.reserved_end - session_state.reserved_start - 2  # minus "<" and ">"
    if 2 * len(der) > room:
        raise SigningError("cms_too_large", detail=f"{len(der)} bytes, room for {room // 2}")
    output = BytesIO(session_state.pdf)
    prepared = PreparedByteRangeDigest(
        document_digest=session_state.digest,
        reserved_region_start=session_state.reserved_start,
        reserved_region_end=session_state.reserved_end,
    )
    PdfTBSDocument.finish_signing(output, prepared, der)
    signed = output.getvalue()
    if options.embeds_validation:
        signed = _embed_validation(signed, session_state.field_name, options.validation)
    return signed


def _embed_validation(pdf: bytes, field_name: str, trust: TrustSettings) -> bytes:
    """Add the chain and revocation data to the DSS in an incremental update (B-LT)."""
    reader = PdfFileReader(BytesIO(pdf))
    sig = next(s for s in reader.embedded_signatures if s.field_name == field_name)
    context = trust.validation_context()

    async def run():
        try:
            return await async_add_validation_info(sig, context, output=BytesIO())
        finally:
            await context.aclose()

    try:
        out = run_sync(run())
    except (PathValidationError, PathBuildingError, ValidationError) as exc:
        raise _validation_refusal(exc) from exc
    return out.getvalue()
