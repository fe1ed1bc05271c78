"""Verification refuses every signature docflow must not accept, each with its own code."""

from __future__ import annotations

import base64
import json
import os
from datetime import UTC, datetime, timedelta
from io import BytesIO

import pytest
from asn1crypto import cms
from asn1crypto import x509 as asn1_x509
from pyhanko.sign.signers.pdf_byterange import PreparedByteRangeDigest
from pyhanko.sign.signers.pdf_signer import PdfTBSDocument

from docflow.signing.errors import CODES
from docflow.signing.pades import SigningOptions, finish, prepare, sign_pdf
from docflow.signing.pki import GOST_SIGNATURE_OID, fake_gost_certificate, ncalayer_cms
from docflow.signing.trust import TrustSettings
from docflow.signing.verify import verify_pdf
from tests.signing.conftest import AKIMAT_BIN, HEAD2_IIN, HEAD_IIN
from tests.signing.helpers import (
    append_text_revision,
    closed_port_url,
    flip_signed_byte,
    letter_pdf,
    local_http,
    pdfsig,
)


@pytest.fixture(scope="module")
def signed(pki, keystore):
    """The letter signed on the server by the head (B-B)."""
    return sign_pdf(letter_pdf(), keystore(pki.head))


def _codes(pdf, roots, **kwargs) -> list[str]:
    result = verify_pdf(pdf, roots, **kwargs)
    assert all(code in CODES for code in result.codes)
    assert not result.valid or not result.codes
    return result.codes


def test_head_signature_passes_every_check(pki, signed):
    result = verify_pdf(signed, pki.roots, expected_iin=HEAD_IIN, expected_bin=AKIMAT_BIN)
    assert result.valid and result.intact and result.codes == []
    assert json.loads(json.dumps(result.to_dict()))["signatures"][0]["signer"]["iin"] == HEAD_IIN


def test_other_ca_is_not_trusted(pki, keystore, letter):
    foreign = sign_pdf(letter, keystore(pki.other_head))
    assert _codes(foreign, pki.roots) == ["not_trusted"]
    # …and is trusted once its root is
    assert _codes(foreign, [pki.other_root.cert_pem]) == []


def test_no_trusted_roots_trusts_nothing(signed):
    # never falls back to the operating system's trust list
    assert _codes(signed, []) == ["not_trusted"]


def test_expired_certificate_is_refused(pki, letter):
    state, digest, _ = prepare(letter)
    expired = finish(state, ncalayer_cms(digest, pki.expired, include_chain=True))
    assert _codes(expired, pki.roots) == ["expired"]


def test_authentication_key_is_refused(pki, letter):
    # NCALayer filters keys by extKeyUsageOids, but the server does not rely on the page
    state, digest, _ = prepare(letter)
    auth_signed = finish(state, ncalayer_cms(digest, pki.auth, include_chain=True))
    assert _codes(auth_signed, pki.roots) == ["wrong_purpose"]


def test_r_ans_2_signature_of_another_person_is_refused(pki, signed):
    assert _codes(signed, pki.roots, expected_iin=HEAD2_IIN) == ["iin_mismatch"]
    assert _codes(signed, pki.roots, expected_iin=HEAD_IIN) == []


def test_bin_of_another_organisation_is_refused(pki, keystore, letter, signed):
    assert _codes(signed, pki.roots, expected_bin="000000000000") == ["bin_mismatch"]
    personal = sign_pdf(letter, keystore(pki.no_bin))  # a personal key: no OU=BIN at all
    assert _codes(personal, pki.roots, expected_bin=AKIMAT_BIN) == ["bin_mismatch"]
    assert _codes(personal, pki.roots) == []


def test_one_flipped_byte_is_detected(pki, signed):
    tampered = flip_signed_byte(signed)
    assert len(tampered) == len(signed) and tampered != signed
    result = verify_pdf(tampered, pki.roots)
    assert result.codes == ["modified"] and not result.intact
    # poppler agrees, independently
    assert "Signature is Valid." not in pdfsig(tampered)
    assert "Digest Mismatch" in pdfsig(tampered)


def test_content_added_after_signing_is_detected(pki, signed):
    result = verify_pdf(append_text_revision(signed), pki.roots)
    assert result.codes == ["modified_after_signing"] and not result.intact
    assert result.signatures[0].covers_document is False


def test_unsigned_document_has_no_signature(pki, letter):
    assert _codes(letter, pki.roots) == ["no_signature"]


def test_unreadable_file_is_malformed(pki):
    assert _codes(b"%PDF-1.7\ngarbage", pki.roots) == ["malformed"]


def test_revoked_certificate_is_refused_when_crls_are_configured(pki, signed):
    trust = TrustSettings(roots=tuple(pki.roots), crls=(pki.ca.crl([pki.head]), pki.root.crl()))
    result = verify_pdf(signed, trust)
    assert result.codes == ["revoked"] and result.signatures[0].revocation == "revoked"
    clean = TrustSettings(roots=tuple(pki.roots), crls=(pki.ca.crl([pki.head2]), pki.root.crl()))
    result = verify_pdf(signed, clean)
    assert result.valid and result.revocation_checked and result.signatures[0].revocation == "good"


def test_revocation_without_sources_is_skipped_and_said(pki, signed):
    result = verify_pdf(signed, pki.roots)
    assert result.valid and not result.revocation_checked
    assert result.signatures[0].revocation == "not_checked"
    assert "Revocation was not checked" in str(result.notes[0])


def test_revocation_unknown_when_configured_sources_do_not_cover(pki, signed):
    # CRLs configured, but none from the CA that issued the head's certificate
    trust = TrustSettings(roots=tuple(pki.roots), crls=(pki.root.crl(),))
    assert _codes(signed, trust) == ["revocation_unknown"]


def test_timestamp_lets_a_signature_outlive_its_certificate(pki, letter, dummy_tsa):
    now = datetime.now(UTC)
    short = pki.ca.issue(
        "ОСПАНОВ КАЙРАТ",
        iin=HEAD_IIN,
        not_before=now - timedelta(days=30),
        not_after=now - timedelta(days=5),
    )
    state, digest, _ = prepare(letter)
    cms_der = ncalayer_cms(digest, short, include_chain=True)
    stamped = finish(
        state, cms_der, SigningOptions(timestamper=dummy_tsa(now - timedelta(days=10)))
    )
    result = verify_pdf(stamped, pki.roots)
    assert result.valid, result.codes
    assert result.signatures[0].time_source == "timestamp"
    # the same signature without a timestamp is judged now: expired
    assert _codes(finish(state, cms_der), pki.roots) == ["expired"]
    # unless the caller vouches for when it was embedded (its own audit trail)
    result = verify_pdf(finish(state, cms_der), pki.roots, at=now - timedelta(days=10))
    assert result.valid and result.signatures[0].time_source == "given"


def test_untrusted_timestamp_is_refused(pki, keystore, letter, dummy_tsa):
    from tests.signing.conftest import _dummy_tsa

    foreign_tsa = pki.other_root.issue("Other TSA", purpose="tsa")
    options = SigningOptions(timestamper=_dummy_tsa(foreign_tsa, pki.other_root))
    stamped = sign_pdf(letter, keystore(pki.head), options)
    assert _codes(stamped, pki.roots) == ["timestamp_invalid"]


def test_messages_are_lazy_and_never_show_the_iin(pki, signed):
    from flask_babel.speaklater import LazyString

    failures = (
        verify_pdf(signed, [], expected_iin=HEAD2_IIN, expected_bin="000000000000")
        .signatures[0]
        .failures
    )
    assert {f.code for f in failures} == {"not_trusted", "iin_mismatch", "bin_mismatch"}
    for f in failures:
        assert isinstance(f.message, LazyString)
        assert HEAD_IIN not in str(f.message) and HEAD2_IIN not in str(f.message)


# --- GOST ---------------------------------------------------------------------------------


def _gost_signed(pki, letter) -> bytes:
    """A PDF signed (structurally) with a Kazakh GOST key, as another system would make it."""
    state, digest, _ = prepare(letter)
    cert = asn1_x509.Certificate.load(fake_gost_certificate(pki.ca, "ГОСТ ИЕСІ", iin=HEAD_IIN))
    attrs = cms.CMSAttributes(
        [
            cms.CMSAttribute({"type": "content_type", "values": ["data"]}),
            cms.CMSAttribute({"type": "message_digest", "values": [digest]}),
        ]
    )
    signer_info = cms.SignerInfo(
        {
            "version": "v1",
            "sid": {
                "issuer_and_serial_number": {
                    "issuer": cert.issuer,
                    "serial_number": cert.serial_number,
                }
            },
            "digest_algorithm": {"algorithm": "1.2.398.3.10.1.3.1"},  # GOST 34.311-95
            "signed_attrs": attrs,
            "signature_algorithm": {"algorithm": GOST_SIGNATURE_OID},
            "signature": os.urandom(64),
        }
    )
    signed_data = cms.SignedData(
        {
            "version": "v1",
            "digest_algorithms": [{"algorithm": "1.2.398.3.10.1.3.1"}],
            "encap_content_info": {"content_type": "data"},
            "certificates": [cert],
            "signer_infos": [signer_info],
        }
    )
    der = cms.ContentInfo({"content_type": "signed_data", "content": signed_data}).dump()
    out = BytesIO(state.pdf)
    PdfTBSDocument.finish_signing(
        out, PreparedByteRangeDigest(digest, state.reserved_start, state.reserved_end), der
    )
    return out.getvalue()


def test_gost_without_ncanode_is_a_clear_refusal(pki, letter):
    gost = _gost_signed(pki, letter)
    result = verify_pdf(gost, pki.roots, expected_iin=HEAD_IIN)
    assert result.codes == ["gost_unsupported"]
    assert "NCANode" in str(result.signatures[0].failures[0].message)
    assert result.signatures[0].signer.iin == HEAD_IIN  # still says who signed


def test_gost_goes_to_ncanode_cms_verify(pki, letter):
    gost = _gost_signed(pki, letter)
    seen = {}

    def ncanode(path, body):
        seen["path"], seen["body"] = path, json.loads(body)
        return (
            200,
            "application/json",
            json.dumps({"status": 200, "valid": True, "signers": []}).encode(),
        )

    with local_http(ncanode) as url:
        result = verify_pdf(gost, pki.roots, expected_iin=HEAD_IIN, ncanode_url=url)
    assert result.valid, result.codes
    assert result.signatures[0].verified_by == "ncanode"
    assert seen["path"] == "/cms/verify"
    data = base64.b64decode(seen["body"]["data"])
    assert gost.startswith(data[:100]) and len(data) < len(gost)  # the /ByteRange, detached
    assert (
        cms.ContentInfo.load(base64.b64decode(seen["body"]["cms"]))["content_type"].native
        == "signed_data"
    )
    # docflow's own rules still apply to a GOST certificate
    with local_http(ncanode) as url:
        assert _codes(gost, pki.roots, expected_iin=HEAD2_IIN, ncanode_url=url) == ["iin_mismatch"]


def test_gost_refused_by_ncanode(pki, letter):
    gost = _gost_signed(pki, letter)

    def ncanode(path, body):
        return 200, "application/json", b'{"status": 200, "valid": false, "message": "bad"}'

    with local_http(ncanode) as url:
        assert _codes(gost, pki.roots, ncanode_url=url) == ["ncanode_failed"]
    assert _codes(gost, pki.roots, ncanode_url=closed_port_url()) == ["ncanode_unavailable"]
