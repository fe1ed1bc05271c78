"""Interrupted signing for NCALayer: the server prepares a digest, NCALayer returns a detached
CMS over it (signingParams decode: true, encapsulate: false, digested: true), the server embeds.

The CMS is made outside the server's signing code (``pki.ncalayer_cms``: asn1crypto and
cryptography only), exactly as NCALayer would make it.
"""

from __future__ import annotations

import hashlib

import pytest
from asn1crypto import cms

from docflow.signing.errors import SigningError
from docflow.signing.pades import PendingSignature, SigningOptions, finish, prepare
from docflow.signing.pki import fake_gost_certificate, ncalayer_cms
from docflow.signing.verify import verify_pdf
from tests.signing.conftest import AKIMAT_BIN, HEAD_IIN
from tests.signing.helpers import pdfsig


def _byte_range_digest(state: PendingSignature) -> bytes:
    """The digest computed independently from the prepared file's /ByteRange."""
    pdf = state.pdf
    at = pdf.rindex(b"/ByteRange")  # the new signature is in the last revision
    numbers = pdf[at : pdf.index(b"]", at)].split(b"[")[1].split()
    a, b, c, d = (int(n) for n in numbers)
    assert (a, a + b, c + d) == (0, state.reserved_start, len(pdf)) and c == state.reserved_end
    return hashlib.sha256(pdf[a : a + b] + pdf[c : c + d]).digest()


def test_prepare_gives_the_byte_range_digest(pki, letter):
    state, digest, algorithm = prepare(letter, pki.head.certificate)
    assert algorithm == "sha256" and len(digest) == 32
    assert digest == state.digest == _byte_range_digest(state)


def test_ncalayer_cms_is_embedded_and_verified(pki, letter):
    state, digest, algorithm = prepare(letter, pki.head.cert_pem)
    # NCALayer puts the signer's certificate only; the office's trust file has the intermediate
    signed = finish(state, ncalayer_cms(digest, pki.head, digest_algorithm=algorithm))
    result = verify_pdf(signed, [pki.bundle], expected_iin=HEAD_IIN, expected_bin=AKIMAT_BIN)
    assert result.valid and result.intact, result.codes
    (sig,) = result.signatures
    assert sig.signer.iin == HEAD_IIN and sig.level == "B-B"
    assert sig.claimed_time is not None  # NCALayer's signingTime


def test_intermediate_embedded_at_finish_verifies_with_the_root_alone(pki, letter):
    state, digest, _ = prepare(letter, pki.head.certificate)
    cms_der = ncalayer_cms(digest, pki.head)
    bare = finish(state, cms_der)
    assert verify_pdf(bare, pki.roots).codes == ["not_trusted"]
    options = SigningOptions(embed_certificates=(pki.ca.certificate,))
    assert verify_pdf(finish(state, cms_der, options), pki.roots).valid


def test_pdfsig_finds_ncalayer_signature_valid_and_whole(pki, letter):
    state, digest, _ = prepare(letter, pki.head.certificate)
    report = pdfsig(finish(state, ncalayer_cms(digest, pki.head)))
    assert "Signature Validation: Signature is Valid." in report
    assert "Total document signed" in report


def test_session_state_survives_storage(pki, letter):
    state, digest, _ = prepare(letter, pki.head.certificate)
    stored = PendingSignature.from_json(state.to_json())
    assert stored == state
    signed = finish(stored, ncalayer_cms(digest, pki.head))
    assert verify_pdf(signed, [pki.bundle]).valid


def test_damaged_session_state_is_refused():
    with pytest.raises(SigningError) as err:
        PendingSignature.from_json('{"pdf": "!!"}')
    assert err.value.code == "session_invalid"


def test_cms_without_signing_certificate_attribute_is_accepted(pki, letter):
    state, digest, _ = prepare(letter)
    cms_der = ncalayer_cms(digest, pki.head, signing_certificate_v2=False, include_chain=True)
    assert verify_pdf(finish(state, cms_der), pki.roots).valid


def test_timestamp_is_added_to_the_returned_cms(pki, letter, dummy_tsa):
    options = SigningOptions(timestamper=dummy_tsa())
    state, digest, _ = prepare(letter, pki.head.certificate, options)
    signed = finish(state, ncalayer_cms(digest, pki.head), options)
    (sig,) = verify_pdf(signed, [pki.bundle]).signatures
    assert sig.valid and sig.level == "B-T" and sig.time_source == "timestamp", sig.codes


def _refusal(state, cms_der, options=None) -> str:
    with pytest.raises(SigningError) as err:
        finish(state, cms_der, options)
    return err.value.code


def test_cms_over_another_digest_is_refused(pki, letter):
    state, _, _ = prepare(letter, pki.head.certificate)
    other = hashlib.sha256(b"another document").digest()
    assert _refusal(state, ncalayer_cms(other, pki.head)) == "digest_mismatch"


def test_cms_by_another_certificate_than_prepared_is_refused(pki, letter):
    state, digest, _ = prepare(letter, pki.head.certificate)
    assert _refusal(state, ncalayer_cms(digest, pki.head2)) == "wrong_signer"


def test_cms_with_broken_signature_value_is_refused(pki, letter):
    state, digest, _ = prepare(letter, pki.head.certificate)
    info = cms.ContentInfo.load(ncalayer_cms(digest, pki.head))
    signer_info = info["content"]["signer_infos"][0]
    value = bytearray(signer_info["signature"].native)
    value[10] ^= 0xFF
    signer_info["signature"] = bytes(value)
    assert _refusal(state, info.dump()) == "bad_signature"


def test_encapsulated_cms_is_refused(pki, letter):
    state, digest, _ = prepare(letter, pki.head.certificate)
    info = cms.ContentInfo.load(ncalayer_cms(digest, pki.head))
    info["content"]["encap_content_info"] = {"content_type": "data", "content": digest}
    assert _refusal(state, info.dump()) == "cms_not_detached"


@pytest.mark.parametrize("garbage", [b"", b"not a cms", b"\x30\x03\x02\x01\x01"])
def test_garbage_is_refused(pki, letter, garbage):
    state, _, _ = prepare(letter)
    assert _refusal(state, garbage) == "cms_invalid"


def test_cms_larger_than_reserved_room_is_refused(pki, letter):
    options = SigningOptions(reserve=1500)
    state, digest, _ = prepare(letter, pki.head.certificate, options)
    cms_der = ncalayer_cms(digest, pki.head, include_chain=True)
    assert len(cms_der) > 1500
    assert _refusal(state, cms_der) == "cms_too_large"


def test_authentication_certificate_cannot_start_signing(pki, letter):
    with pytest.raises(SigningError) as err:
        prepare(letter, pki.auth.certificate)
    assert err.value.code == "wrong_purpose"


def test_gost_certificate_cannot_start_signing(pki, letter):
    with pytest.raises(SigningError) as err:
        prepare(letter, fake_gost_certificate(pki.ca, "ГОСТ", iin=HEAD_IIN))
    assert err.value.code == "gost_signing_unsupported"


def test_digest_algorithm_follows_the_key(pki):
    from cryptography.hazmat.primitives.asymmetric import ec

    from docflow.signing.pades import digest_algorithm_for

    assert digest_algorithm_for(pki.head.certificate) == "sha256"
    assert digest_algorithm_for(None) == "sha256"
    p384 = pki.ca.issue("EC", iin=HEAD_IIN, key=ec.generate_private_key(ec.SECP384R1()))
    assert digest_algorithm_for(p384.certificate) == "sha384"
