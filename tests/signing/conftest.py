"""A test PKI shaped like NCA RK's, and letters to sign.

Session-scoped: RSA keys are slow to make and nothing here is mutated.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from types import SimpleNamespace

import pytest
from asn1crypto import keys
from cryptography.hazmat.primitives import serialization
from pyhanko.sign.timestamps.dummy_client import DummyTimeStamper

from docflow.signing.certinfo import to_asn1
from docflow.signing.keystore import load_pkcs12
from docflow.signing.pki import CertificateAuthority
from tests.signing.helpers import letter_pdf

AKIMAT_BIN = "990340001234"
HEAD_IIN = "750412300456"
HEAD2_IIN = "820901400789"
PASSPHRASE = "Qwerty12"


@pytest.fixture(scope="session")
def pki():
    now = datetime.now(UTC)
    root = CertificateAuthority.create(
        "Test NCA RK Root (RSA)", not_before=now - timedelta(days=400)
    )
    ca = root.intermediate(
        "Test ҰЛТТЫҚ КУӘЛАНДЫРУШЫ ОРТАЛЫҚ (RSA)", not_before=now - timedelta(days=300)
    )
    org = {"organisation": "Алматы қаласы әкімдігі", "bin": AKIMAT_BIN}
    other_root = CertificateAuthority.create("Some Other CA")
    tsa = root.issue("Test TSA", purpose="tsa", not_before=now - timedelta(days=300), days=3650)
    return SimpleNamespace(
        root=root,
        ca=ca,
        head=ca.issue(
            "ОСПАНОВ КАЙРАТ", surname="ОСПАНОВ", given_name="БОЛАТОВИЧ", iin=HEAD_IIN, **org
        ),
        head2=ca.issue("ИВАНОВА АННА", surname="ИВАНОВА", iin=HEAD2_IIN, **org),
        no_bin=ca.issue("ЖАНДОС СЕРІК", iin="900101300111"),
        expired=ca.issue(
            "ОСПАНОВ КАЙРАТ",
            iin=HEAD_IIN,
            not_before=now - timedelta(days=60),
            not_after=now - timedelta(days=10),
            **org,
        ),
        auth=ca.issue("ОСПАНОВ КАЙРАТ", iin=HEAD_IIN, purpose="auth", **org),
        other_root=other_root,
        other_head=other_root.issue("ОСПАНОВ КАЙРАТ", iin=HEAD_IIN, **org),
        tsa=tsa,
        roots=[root.cert_pem],
        # an office's trust file: NCA RK's root and the intermediate that issues people's keys
        bundle=root.cert_pem + ca.cert_pem,
    )


def _dummy_tsa(issued, root, fixed_dt=None) -> DummyTimeStamper:
    key_der = issued.private_key.private_bytes(
        serialization.Encoding.DER, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    return DummyTimeStamper(
        tsa_cert=to_asn1(issued.certificate),
        tsa_key=keys.PrivateKeyInfo.load(key_der),
        certs_to_embed=[to_asn1(root.certificate)],
        fixed_dt=fixed_dt,
    )


@pytest.fixture(scope="session")
def dummy_tsa(pki):
    """``dummy_tsa()`` / ``dummy_tsa(fixed_dt)``: pyHanko's in-process TSA with the test TSA key."""
    return lambda fixed_dt=None: _dummy_tsa(pki.tsa, pki.root, fixed_dt)


@pytest.fixture(scope="session")
def keystore(pki):
    """``keystore(issued)``: a PKCS#12 made from a test certificate, opened again."""
    return lambda issued: load_pkcs12(issued.pkcs12(PASSPHRASE), PASSPHRASE)


@pytest.fixture(scope="session")
def letter():
    return letter_pdf()
