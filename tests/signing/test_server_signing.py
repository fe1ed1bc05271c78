"""Signing on the server with the head's PKCS#12 keystore: PAdES B-B, B-T, B-LT."""

from __future__ import annotations

from io import BytesIO

import pytest
from pyhanko.pdf_utils.reader import PdfFileReader

from docflow.signing.errors import SigningError
from docflow.signing.pades import SigningOptions, sign_pdf
from docflow.signing.trust import TrustSettings
from docflow.signing.verify import verify_pdf
from tests.signing.conftest import AKIMAT_BIN, HEAD2_IIN, HEAD_IIN
from tests.signing.helpers import closed_port_url, local_http, pdfsig, tsa_handler


def test_server_signature_verifies(pki, keystore, letter):
    signed = sign_pdf(letter, keystore(pki.head), SigningOptions(reason="Answer to appeal"))
    result = verify_pdf(signed, pki.roots, expected_iin=HEAD_IIN, expected_bin=AKIMAT_BIN)
    assert result.valid and result.intact, result.codes
    (sig,) = result.signatures
    assert (sig.signer.name, sig.signer.iin, sig.signer.bin) == (
        "ОСПАНОВ КАЙРАТ",
        HEAD_IIN,
        AKIMAT_BIN,
    )
    assert sig.level == "B-B" and sig.trusted and sig.claimed_time is not None
    assert signed.startswith(letter)  # an incremental update: the letter itself is untouched


def test_pdfsig_finds_server_signature_valid_and_whole(pki, keystore, letter):
    report = pdfsig(sign_pdf(letter, keystore(pki.head)))
    assert "Signature Validation: Signature is Valid." in report
    assert "Total document signed" in report
    assert "Signature Type: ETSI.CAdES.detached" in report
    assert f"serialNumber=IIN{HEAD_IIN}" in report


def test_timestamped_signature_is_b_t(pki, keystore, letter, dummy_tsa):
    signed = sign_pdf(letter, keystore(pki.head), SigningOptions(timestamper=dummy_tsa()))
    result = verify_pdf(signed, pki.roots)
    assert result.valid, result.codes
    (sig,) = result.signatures
    assert sig.level == "B-T" and sig.timestamp is not None and sig.time_source == "timestamp"
    assert "Signature is Valid." in pdfsig(signed)


def test_tsa_over_http(pki, keystore, letter, dummy_tsa):
    with local_http(tsa_handler(dummy_tsa())) as url:
        signed = sign_pdf(letter, keystore(pki.head), SigningOptions(tsa_url=url + "/tsa"))
    (sig,) = verify_pdf(signed, pki.roots).signatures
    assert sig.valid and sig.level == "B-T", sig.codes


def test_unreachable_tsa_refuses_signing(pki, keystore, letter):
    with pytest.raises(SigningError) as err:
        sign_pdf(
            letter, keystore(pki.head), SigningOptions(tsa_url=closed_port_url(), tsa_timeout=2)
        )
    assert err.value.code == "timestamp_failed"


def test_b_lt_embeds_chain_and_crls(pki, keystore, letter, dummy_tsa):
    trust = TrustSettings(roots=tuple(pki.roots), crls=(pki.ca.crl(), pki.root.crl()))
    options = SigningOptions(timestamper=dummy_tsa(), validation=trust)
    signed = sign_pdf(letter, keystore(pki.head), options)
    reader = PdfFileReader(BytesIO(signed))
    assert "/DSS" in reader.root and "/CRLs" in reader.root["/DSS"]
    result = verify_pdf(signed, trust)
    assert result.valid, result.codes
    (sig,) = result.signatures
    assert sig.level == "B-LT" and sig.revocation == "good"


def test_authentication_key_cannot_sign(pki, keystore, letter):
    with pytest.raises(SigningError) as err:
        sign_pdf(letter, keystore(pki.auth))
    assert err.value.code == "wrong_purpose"


def test_second_signer_leaves_first_signature_valid(pki, keystore, letter):
    once = sign_pdf(letter, keystore(pki.head))
    twice = sign_pdf(once, keystore(pki.head2))
    result = verify_pdf(twice, pki.roots)
    assert result.valid and result.intact, result.codes
    assert [s.field_name for s in result.signatures] == ["Signature1", "Signature2"]
    assert [s.signer.iin for s in result.signatures] == [HEAD_IIN, HEAD2_IIN]


def test_not_a_pdf_cannot_be_signed(pki, keystore):
    with pytest.raises(SigningError) as err:
        sign_pdf(b"this is not a PDF", keystore(pki.head))
    assert err.value.code == "pdf_invalid"


def test_signing_and_verifying_work_inside_a_running_event_loop(pki, keystore, letter):
    # A worker built on asyncio (or Playwright's sync API in the same process) has a loop
    # running: asyncio.run would refuse, the signing core must not.
    import asyncio

    async def inside():
        signed = sign_pdf(letter, keystore(pki.head))
        return verify_pdf(signed, pki.roots, expected_iin=HEAD_IIN)

    result = asyncio.run(inside())
    assert result.valid and result.intact, result.codes
