"""The test PKI makes certificates shaped like NCA RK's, and NCALayer-style CMS."""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime

import pytest
from asn1crypto import cms
from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from docflow.signing.certinfo import AUTH_EKU, SIGNING_EKU, describe
from docflow.signing.pki import fake_gost_certificate, ncalayer_cms, subject_name
from tests.signing.conftest import AKIMAT_BIN, HEAD_IIN


def test_head_certificate_subject_is_shaped_like_nca_rk(pki):
    cert = pki.head.certificate
    subject = cert.subject
    assert subject.get_attributes_for_oid(NameOID.SERIAL_NUMBER)[0].value == f"IIN{HEAD_IIN}"
    assert (
        subject.get_attributes_for_oid(NameOID.ORGANIZATIONAL_UNIT_NAME)[0].value
        == f"BIN{AKIMAT_BIN}"
    )
    assert subject.get_attributes_for_oid(NameOID.COUNTRY_NAME)[0].value == "KZ"
    assert subject.get_attributes_for_oid(NameOID.COMMON_NAME)[0].value == "ОСПАНОВ КАЙРАТ"
    eku = cert.extensions.get_extension_for_class(x509.ExtendedKeyUsage).value
    assert list(eku) == [ExtendedKeyUsageOID.EMAIL_PROTECTION]
    ku = cert.extensions.get_extension_for_class(x509.KeyUsage).value
    assert ku.digital_signature and ku.content_commitment and not ku.key_encipherment
    assert cert.extensions.get_extension_for_class(x509.BasicConstraints).value.ca is False
    # issued by the intermediate, which chains to the root
    assert cert.issuer == pki.ca.certificate.subject
    assert pki.head.chain == (pki.ca.certificate, pki.root.certificate)


def test_describe_reads_iin_bin_and_purpose(pki):
    info = describe(pki.head.cert_pem)
    assert (info.iin, info.bin, info.organisation) == (
        HEAD_IIN,
        AKIMAT_BIN,
        "Алматы қаласы әкімдігі",
    )
    assert info.for_signing and not info.for_authentication_only and not info.is_gost
    auth = describe(pki.auth.certificate)
    assert auth.ekus == (AUTH_EKU,) and auth.for_authentication_only and not auth.for_signing
    assert describe(pki.no_bin.certificate).bin is None


def test_expired_certificate_ended_before_now(pki):
    info = describe(pki.expired.certificate)
    now = datetime.now(UTC)
    assert info.not_after < now and not info.valid_at(now)
    assert describe(pki.head.certificate).valid_at(now)


def test_subject_refuses_malformed_iin():
    with pytest.raises(ValueError, match="IIN"):
        subject_name("X", iin="12345")
    with pytest.raises(ValueError, match="BIN"):
        subject_name("X", bin="BIN123456789012")


def test_ncalayer_cms_is_detached_over_the_given_digest(pki):
    digest = hashlib.sha256(b"the byte range").digest()
    info = cms.ContentInfo.load(ncalayer_cms(digest, pki.head))
    signed = info["content"]
    assert signed["encap_content_info"]["content"].native is None  # encapsulate: false
    signer_info = signed["signer_infos"][0]
    attrs = {a["type"].native: a["values"][0] for a in signer_info["signed_attrs"]}
    assert attrs["message_digest"].native == digest  # digested: true — not hashed again
    assert attrs["content_type"].native == "data"
    assert "signing_certificate_v2" in attrs
    # the signature is over the DER of the signed attributes, by the head's key
    pki.head.certificate.public_key().verify(
        signer_info["signature"].native,
        signer_info["signed_attrs"].untag().dump(),
        padding.PKCS1v15(),
        hashes.SHA256(),
    )


def test_crl_lists_revoked_serials(pki):
    crl = x509.load_der_x509_crl(pki.ca.crl([pki.head2]))
    assert crl.get_revoked_certificate_by_serial_number(pki.head2.certificate.serial_number)
    assert crl.get_revoked_certificate_by_serial_number(pki.head.certificate.serial_number) is None
    assert crl.is_signature_valid(pki.ca.private_key.public_key())


def test_fake_gost_certificate_is_recognised_as_gost(pki):
    info = describe(fake_gost_certificate(pki.ca, "ГОСТ ИЕСІ", iin=HEAD_IIN))
    assert info.is_gost and info.key_algorithm.startswith("1.2.398.3.10.1.1.")
    assert info.iin == HEAD_IIN and SIGNING_EKU in info.ekus
