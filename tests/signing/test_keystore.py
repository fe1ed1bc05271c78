"""PKCS#12 keystores open with their passphrase and say clearly why not."""

from __future__ import annotations

import pytest
from cryptography.hazmat.primitives.serialization import BestAvailableEncryption, pkcs12

from docflow.signing.errors import SigningError
from docflow.signing.keystore import load_pkcs12
from tests.signing.conftest import HEAD_IIN, PASSPHRASE


def test_keystore_opens_with_passphrase(pki):
    ks = load_pkcs12(pki.head.pkcs12(PASSPHRASE), PASSPHRASE)
    assert ks.certificate == pki.head.certificate
    assert ks.chain == (pki.ca.certificate, pki.root.certificate)
    assert ks.info.iin == HEAD_IIN
    assert PASSPHRASE not in repr(ks) and not hasattr(ks, "passphrase")


def test_legacy_3des_keystore_opens(pki):
    # older NCA RK key files use SHA1/3DES
    ks = load_pkcs12(pki.head.pkcs12("пароль", legacy=True), "пароль")
    assert ks.certificate == pki.head.certificate


@pytest.mark.parametrize("passphrase", ["wrong", "", None])
def test_wrong_passphrase_is_named(pki, passphrase):
    with pytest.raises(SigningError) as err:
        load_pkcs12(pki.head.pkcs12(PASSPHRASE), passphrase)
    assert err.value.code == "wrong_passphrase"
    assert "passphrase" in str(err.value.message)


@pytest.mark.parametrize("data", [b"", b"not a key file", b"%PDF-1.7\n"])
def test_not_a_pkcs12_is_named(data):
    with pytest.raises(SigningError) as err:
        load_pkcs12(data, PASSPHRASE)
    assert err.value.code == "not_pkcs12"


def test_keystore_without_key_is_named(pki):
    certs_only = pkcs12.serialize_key_and_certificates(
        b"x", None, None, [pki.head.certificate], BestAvailableEncryption(PASSPHRASE.encode())
    )
    with pytest.raises(SigningError) as err:
        load_pkcs12(certs_only, PASSPHRASE)
    assert err.value.code == "no_key"


def test_keystore_with_foreign_certificate_is_named(pki):
    mismatched = pkcs12.serialize_key_and_certificates(
        b"x",
        pki.head.private_key,
        None,
        [pki.head2.certificate],
        BestAvailableEncryption(PASSPHRASE.encode()),
    )
    with pytest.raises(SigningError) as err:
        load_pkcs12(mismatched, PASSPHRASE)
    assert err.value.code == "no_certificate"
