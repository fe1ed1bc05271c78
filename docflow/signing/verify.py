"""Verify every signature of a PDF the way docflow accepts a head's signature.

For each signature: the signed bytes are intact and nothing but signatures/validation data was
added afterwards; the signer's chain reaches a trusted root; the certificate was valid at the
signing time (the TSA's time when timestamped, else the time the caller vouches for — e.g. when
the server embedded it — else now); it is a signing key (EKU 1.3.6.1.5.5.7.3.4; authentication
keys are refused); its IIN (``SERIALNUMBER=IIN…``) and BIN (``OU=BIN…``) are the expected ones;
it is not revoked, when revocation sources are configured. GOST signatures go to NCANode.

Each problem is a :class:`~.errors.Failure` with a machine code and a translatable message.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from io import BytesIO

from pyhanko.pdf_utils.misc import PdfError
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign.ades.report import AdESIndeterminate
from pyhanko.sign.diff_analysis import DEFAULT_DIFF_POLICY, ModificationLevel
from pyhanko.sign.validation import async_validate_pdf_signature
from pyhanko.sign.validation.errors import SignatureValidationError
from pyhanko.sign.validation.generic_cms import extract_tst_data_iter
from pyhanko.sign.validation.settings import KeyUsageConstraints
from pyhanko.sign.validation.status import SignatureCoverageLevel
from pyhanko_certvalidator import CertificateValidator
from pyhanko_certvalidator.errors import PathBuildingError, PathValidationError

from docflow.signing._async import off_loop, run_sync

from .certinfo import CertificateInfo, CertificateLike, describe
from .errors import NOTE_REVOCATION_NOT_CHECKED, Failure, failure
from .ncanode import NcanodeUnavailable, ncanode_verify_cms
from .trust import TrustSettings

# modifications after a signature that leave it standing: later signatures, DSS/timestamps
_ALLOWED_LATER = (
    ModificationLevel.NONE,
    ModificationLevel.LTA_UPDATES,
    ModificationLevel.FORM_FILLING,
)
_OUT_OF_BOUNDS = {
    AdESIndeterminate.EXPIRED,
    AdESIndeterminate.NOT_YET_VALID,
    AdESIndeterminate.OUT_OF_BOUNDS_NO_POE,
    AdESIndeterminate.OUT_OF_BOUNDS_NOT_REVOKED,
}
_REVOKED = {AdESIndeterminate.REVOKED_NO_POE, AdESIndeterminate.REVOKED_CA_NO_POE}
# NCANode's ``revocationCheck`` for the configured revocation rule (default: OCSP, as before)
_NCANODE_REVOCATION = {"crl": ("CRL",), "ocsp": ("OCSP",), "any": ("OCSP", "CRL")}
_WEAK = {
    AdESIndeterminate.CRYPTO_CONSTRAINTS_FAILURE,
    AdESIndeterminate.CRYPTO_CONSTRAINTS_FAILURE_NO_POE,
}


@dataclass
class SignatureReport:
    """One signature of the document and what was found about it."""

    field_name: str
    signer: CertificateInfo | None = None
    claimed_time: datetime | None = None  # signingTime / the PDF's /M: what the signer says
    timestamp: datetime | None = None  # a trusted TSA's time, when timestamped
    validated_at: datetime | None = None  # the moment the certificate was checked for
    time_source: str = "now"  # "timestamp" | "given" | "now"
    intact: bool = False  # the signed bytes match the signature value
    covers_document: bool = False  # nothing but signatures / validation data after it
    trusted: bool = False
    revocation: str = "not_checked"  # "not_checked" | "good" | "revoked" | "unknown"
    level: str | None = None  # "B-B" | "B-T" | "B-LT" | "B-LTA"
    verified_by: str = "pyhanko"  # or "ncanode"
    failures: list[Failure] = field(default_factory=list)

    @property
    def valid(self) -> bool:
        return not self.failures

    @property
    def codes(self) -> list[str]:
        return [f.code for f in self.failures]

    def to_dict(self) -> dict:
        return {
            "field": self.field_name,
            "valid": self.valid,
            "intact": self.intact,
            "covers_document": self.covers_document,
            "trusted": self.trusted,
            "signer": self.signer.to_dict() if self.signer else None,
            "claimed_time": self.claimed_time.isoformat() if self.claimed_time else None,
            "timestamp": self.timestamp.isoformat() if self.timestamp else None,
            "validated_at": self.validated_at.isoformat() if self.validated_at else None,
            "time_source": self.time_source,
            "revocation": self.revocation,
            "level": self.level,
            "verified_by": self.verified_by,
            "failures": [f.to_dict() for f in self.failures],
        }


@dataclass
class VerificationResult:
    """The verdict for a whole PDF."""

    signatures: list[SignatureReport] = field(default_factory=list)
    failures: list[Failure] = field(default_factory=list)  # about the document itself
    revocation_checked: bool = False
    validation_data: bool = False  # chain and revocation data embedded (the PDF's DSS, B-LT)
    notes: list = field(default_factory=list)  # lazy strings, e.g. "revocation not checked"

    @property
    def valid(self) -> bool:
        return bool(self.signatures) and not self.failures and all(s.valid for s in self.signatures)

    @property
    def intact(self) -> bool:
        """No signed byte changed and nothing but signatures was added after signing."""
        return bool(self.signatures) and all(
            s.intact and s.covers_document for s in self.signatures
        )

    @property
    def codes(self) -> list[str]:
        out = [f.code for f in self.failures]
        for sig in self.signatures:
            out += [c for c in sig.codes if c not in out]
        return out

    def to_dict(self) -> dict:
        return {
            "valid": self.valid,
            "intact": self.intact,
            "codes": self.codes,
            "revocation_checked": self.revocation_checked,
            "validation_data_embedded": self.validation_data,
            "notes": [str(n) for n in self.notes],
            "failures": [f.to_dict() for f in self.failures],
            "signatures": [s.to_dict() for s in self.signatures],
        }


@off_loop
def verify_pdf(
    pdf: bytes,
    trusted_roots: Iterable[CertificateLike] | TrustSettings,
    *,
    expected_iin: str | None = None,
    expected_bin: str | None = None,
    at: datetime | None = None,
    ncanode_url: str | None = None,
    ncanode_timeout: float = 15.0,
) -> VerificationResult:
    """Verify every signature of ``pdf``.

    ``trusted_roots``: PEM/DER root certificates (or a :class:`TrustSettings` that also names
    revocation sources). ``expected_iin`` / ``expected_bin``: every signer must have them.
    ``at``: the signing moment the caller vouches for, used when a signature has no timestamp.
    """
    trust = TrustSettings.of(trusted_roots)
    result = VerificationResult(revocation_checked=trust.revocation_configured)
    if not trust.revocation_configured:
        result.notes.append(NOTE_REVOCATION_NOT_CHECKED)
    try:
        reader = PdfFileReader(BytesIO(pdf), strict=False)
        signatures = list(reader.embedded_regular_signatures)
    except (PdfError, ValueError, KeyError, IndexError, TypeError) as exc:
        result.failures.append(failure("malformed", detail=str(exc)))
        return result
    if not signatures:
        result.failures.append(failure("no_signature"))
        return result
    has_dss = result.validation_data = "/DSS" in reader.root
    has_doc_ts = any(True for _ in reader.embedded_timestamp_signatures)
    check = _Checker(trust, expected_iin, expected_bin, at, ncanode_url, ncanode_timeout)
    for sig in signatures:
        report = check.signature(sig, pdf)
        if report.intact and report.level is None:
            report.level = "B-T" if report.timestamp else "B-B"
            if report.timestamp and has_dss:
                report.level = "B-LTA" if has_doc_ts else "B-LT"
        result.signatures.append(report)
    return result


def _timestamp_time(signer_info) -> datetime | None:
    """The genTime of the signature's timestamp token, read before it is validated."""
    try:
        for signed_data in extract_tst_data_iter(signer_info, signed=False):
            return signed_data["encap_content_info"]["content"].parsed["gen_time"].native
    except (ValueError, KeyError, TypeError):
        return None
    return None


def _signed_bytes(sig, pdf: bytes) -> bytes:
    br = [int(v) for v in sig.byte_range]
    return pdf[br[0] : br[0] + br[1]] + pdf[br[2] : br[2] + br[3]]


class _Checker:
    def __init__(self, trust, expected_iin, expected_bin, at, ncanode_url, ncanode_timeout):
        self.trust = trust
        self.expected_iin = expected_iin
        self.expected_bin = expected_bin
        self.at = at
        self.ncanode_url = ncanode_url
        self.ncanode_timeout = ncanode_timeout

    def signature(self, sig, pdf: bytes) -> SignatureReport:
        report = SignatureReport(field_name=str(sig.field_name))
        try:
            report.signer = info = describe(sig.signer_cert)
            report.claimed_time = sig.self_reported_timestamp
        except Exception as exc:  # CMS without a usable signer certificate
            report.failures.append(failure("malformed", detail=str(exc)))
            return report
        self._holder_rules(info, report.failures)
        if info.is_gost:
            self._gost(sig, pdf, report)
            return report
        self._pyhanko(sig, info, report)
        return report

    def _holder_rules(self, info: CertificateInfo, failures: list[Failure]) -> None:
        usable = not info.key_usage or {"digital_signature", "non_repudiation"} & set(
            info.key_usage
        )
        if not info.for_signing or not usable:
            failures.append(failure("wrong_purpose", detail=",".join(info.ekus) or "no EKU"))
        if self.expected_iin is not None and info.iin != self.expected_iin:
            failures.append(failure("iin_mismatch"))
        if self.expected_bin is not None and info.bin != self.expected_bin:
            failures.append(failure("bin_mismatch"))

    def _moment(self, report: SignatureReport, tst_time: datetime | None) -> datetime:
        if tst_time is not None:
            report.time_source = "timestamp"
            return tst_time
        if self.at is not None:
            report.time_source = "given"
            return self.at if self.at.tzinfo else self.at.replace(tzinfo=UTC)
        report.time_source = "now"
        return datetime.now(UTC)

    def _pyhanko(self, sig, info: CertificateInfo, report: SignatureReport) -> None:
        failures = report.failures
        tst_time = _timestamp_time(sig.signer_info)
        moment = report.validated_at = self._moment(report, tst_time)
        signer_vc = self.trust.validation_context(moment=moment)
        ts_vc = self.trust.validation_context()

        async def validate():
            try:
                return await async_validate_pdf_signature(
                    sig,
                    signer_validation_context=signer_vc,
                    ts_validation_context=ts_vc,
                    key_usage_settings=KeyUsageConstraints(key_usage=set()),
                )
            finally:  # end the HTTP sessions that fetched revocation data, in their own loop
                await signer_vc.aclose()
                await ts_vc.aclose()

        try:
            status = run_sync(validate())
        except SignatureValidationError as exc:
            failures.append(failure("malformed", detail=str(exc)))
            return
        except (PdfError, ValueError, KeyError, NotImplementedError) as exc:
            failures.append(failure("unsupported_signature", detail=str(exc)))
            return
        report.intact = bool(status.intact and status.valid)
        if not status.intact:
            failures.append(failure("modified"))
        elif not status.valid:
            failures.append(failure("bad_signature"))
        report.covers_document = status.coverage == SignatureCoverageLevel.ENTIRE_FILE or (
            status.coverage == SignatureCoverageLevel.ENTIRE_REVISION
            and status.modification_level in _ALLOWED_LATER
            and status.docmdp_ok is not False
        )
        if status.intact and not report.covers_document:
            failures.append(
                failure("modified_after_signing", detail=str(status.modification_level))
            )
        if not report.intact:
            return  # trust says nothing about a broken signature
        tst = status.timestamp_validity
        if tst is not None:
            if tst.valid and tst.intact and tst.trusted:
                report.timestamp = tst.timestamp
            else:
                failures.append(failure("timestamp_invalid"))
        report.trusted = bool(status.trusted)
        problem = status.trust_problem_indic
        if not info.valid_at(moment):
            failures.append(
                failure(
                    "expired",
                    start=info.not_before.strftime("%Y-%m-%d"),
                    end=info.not_after.strftime("%Y-%m-%d"),
                )
            )
        elif problem in _OUT_OF_BOUNDS:
            failures.append(failure("chain_expired"))
        if problem in _REVOKED:
            report.revocation = "revoked"
            failures.append(failure("revoked", detail=str(status.revocation_details)))
        elif problem in _WEAK:
            failures.append(failure("weak_algorithm", detail=problem.name))
        elif problem is not None and problem not in _OUT_OF_BOUNDS:
            if self.trust.revocation_configured and self._chain_ok_without_revocation(sig, moment):
                report.revocation = "unknown"
                failures.append(failure("revocation_unknown", detail=problem.name))
            else:
                failures.append(failure("not_trusted", detail=problem.name))
        elif problem is None and self.trust.revocation_configured:
            report.revocation = "good"

    def _chain_ok_without_revocation(self, sig, moment: datetime) -> bool:
        """pyHanko reports missing revocation data and a broken chain alike: tell them apart."""
        lenient = replace(self.trust, crls=(), ocsps=(), fetch_revocation=False)
        validator = CertificateValidator(
            sig.signer_cert,
            intermediate_certs=sig.other_embedded_certs,
            validation_context=lenient.validation_context(moment=moment),
        )
        try:
            run_sync(validator.async_validate_path())
        except (PathValidationError, PathBuildingError, ValueError):
            return False
        return True

    def _gost(self, sig, pdf: bytes, report: SignatureReport) -> None:
        report.verified_by = "ncanode"
        report.validated_at = self._moment(report, _timestamp_time(sig.signer_info))
        coverage = sig.evaluate_signature_coverage()
        if coverage == SignatureCoverageLevel.ENTIRE_FILE:
            report.covers_document = True
        elif coverage == SignatureCoverageLevel.ENTIRE_REVISION:
            diff = sig.evaluate_modifications(DEFAULT_DIFF_POLICY)
            report.covers_document = getattr(diff, "modification_level", None) in _ALLOWED_LATER
        if not report.covers_document:
            report.failures.append(failure("modified_after_signing"))
        if not self.ncanode_url:
            report.failures.append(failure("gost_unsupported"))
            return
        try:
            verdict = ncanode_verify_cms(
                self.ncanode_url,
                sig.pkcs7_content,
                _signed_bytes(sig, pdf),
                revocation=_NCANODE_REVOCATION.get(self.trust.revocation_rule, ("OCSP",)),
                timeout=self.ncanode_timeout,
            )
        except NcanodeUnavailable as exc:
            report.failures.append(failure("ncanode_unavailable", detail=str(exc)))
            return
        report.intact = report.trusted = verdict.valid
        if not verdict.valid:
            report.failures.append(failure("ncanode_failed", detail=verdict.message))
