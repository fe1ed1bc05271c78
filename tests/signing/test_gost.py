"""GOST: verification through NCANode when ``DOCFLOW_NCANODE_URL`` is set (a fake NCANode served by
the test, shaped like NCANode 3's ``POST /cms/verify``), a clear message without it; and the
signing call's certificate choosing the digest NCALayer signs."""

from __future__ import annotations

import base64
import json

import pytest
from asn1crypto import cms

import docflow.routing.workflow  # noqa: F401 — the incoming states letters extend, first

# isort: split
from docflow.core.settings import set_setting
from docflow.extensions import db
from docflow.outgoing.letter_models import SigningSession, letter_by_public_id
from docflow.signing import SigningError, digest_algorithm_for
from docflow.signing.pki import fake_gost_certificate, ncalayer_cms
from tests.outgoing.letter_helpers import Api, approved_letter, b64, make_letter_pki, setup_signer
from tests.signing.conftest import HEAD_IIN
from tests.signing.helpers import closed_port_url, local_http
from tests.signing.test_verify import _gost_signed


@pytest.fixture
def gost_pdf(pki, letter):
    return _gost_signed(pki, letter)


def _cli(runner, tmp_path, pdf):
    path = tmp_path / "gost.pdf"
    path.write_bytes(pdf)
    r = runner.invoke(args=["letters", "verify", str(path), "--json", "--lang", "en"])
    return r.exit_code, json.loads(r.output)


def _ncanode(valid: bool, seen: dict):
    """NCANode 3: ``{"revocationCheck": [...], "cms": b64, "data": b64}`` →
    ``{"status", "message", "valid", "signers": [{"certificates": [...], "tsp": ...}]}``."""

    def handle(path, body):
        seen["path"], seen["body"] = path, json.loads(body)
        answer = {
            "status": 200,
            "message": "OK" if valid else "Signature is invalid",
            "valid": valid,
            "signers": [{"certificates": [{"valid": valid, "subject": {"iin": HEAD_IIN}}]}],
        }
        return 200, "application/json", json.dumps(answer).encode()

    return handle


def test_gost_without_ncanode_is_a_clear_message(app, runner, tmp_path, gost_pdf):
    assert not app.config.get("NCANODE_URL")
    code, report = _cli(runner, tmp_path, gost_pdf)
    assert code == 1 and report["codes"] == ["gost_unsupported"]
    (signer,) = report["signers"]
    assert signer["gost"] is True and signer["iin"] == HEAD_IIN  # still says who signed
    assert "NCANode" in signer["failures"][0]["message"]
    assert "DOCFLOW_NCANODE_URL" in signer["failures"][0]["message"]


def test_gost_verified_through_ncanode_cms_verify(app, runner, tmp_path, gost_pdf):
    seen: dict = {}
    with local_http(_ncanode(True, seen)) as url:
        app.config["NCANODE_URL"] = url
        code, report = _cli(runner, tmp_path, gost_pdf)
    assert code == 0, report
    assert report["status"] == "valid" and report["signers"][0]["verified_by"] == "ncanode"
    assert seen["path"] == "/cms/verify"
    body = seen["body"]
    assert set(body) == {"revocationCheck", "cms", "data"}
    assert body["revocationCheck"] == ["OCSP"]
    signed = cms.ContentInfo.load(base64.b64decode(body["cms"]))
    assert signed["content_type"].native == "signed_data"
    data = base64.b64decode(body["data"])  # the /ByteRange the CMS is detached over
    assert gost_pdf.startswith(data[:200]) and len(data) < len(gost_pdf)
    # the office's revocation setting is NCANode's revocationCheck
    set_setting("letters", {"revocation": "crl"})
    with local_http(_ncanode(True, seen)) as url:
        app.config["NCANODE_URL"] = url
        _cli(runner, tmp_path, gost_pdf)
    assert seen["body"]["revocationCheck"] == ["CRL"]


def test_gost_refused_by_ncanode_or_ncanode_down(app, runner, tmp_path, gost_pdf):
    with local_http(_ncanode(False, {})) as url:
        app.config["NCANODE_URL"] = url
        code, report = _cli(runner, tmp_path, gost_pdf)
    assert code == 1 and report["codes"] == ["ncanode_failed"]
    app.config["NCANODE_URL"] = closed_port_url()
    code, report = _cli(runner, tmp_path, gost_pdf)
    assert code == 1 and report["codes"] == ["ncanode_unavailable"]


# --- the certificate on the signing call chooses the digest ---------------------------------


@pytest.fixture
def letter_pki():
    return make_letter_pki()


@pytest.fixture
def api(app, users):
    return Api(app, users)


def test_rsa_certificate_gives_sha256_and_pins_the_signer(api, users, routed, letter_pki):
    setup_signer(users, letter_pki)
    lid = approved_letter(api, routed("in_work"))
    cert = letter_pki.head.cert_der
    r = api.post("head.energy", f"/letters/{lid}/signing", {"certificate": b64(cert)})
    assert r.status_code == 200, r.get_json()
    assert r.get_json()["digest_algorithm"] == digest_algorithm_for(cert) == "sha256"
    # another key than the certificate sent at the start is refused at the end
    started = r.get_json()
    other = ncalayer_cms(base64.b64decode(started["digest"]), letter_pki.wrong_iin)
    done = api.post("head.energy", f"/letters/{lid}/signing/{started['session']}", {"cms": b64(other)})  # fmt: skip
    assert done.status_code == 422 and done.get_json()["reason"] == "wrong_signer"


def test_gost_certificate_is_named_at_the_start_of_signing(api, users, routed, letter_pki):
    setup_signer(users, letter_pki)
    lid = approved_letter(api, routed("in_work"))
    gost = fake_gost_certificate(letter_pki.ca, "ГОСТ ИЕСІ", iin="750412300451")
    # what digest_algorithm_for says for a GOST key: Python cannot make a GOST 34.311 digest
    with pytest.raises(SigningError) as err:
        digest_algorithm_for(gost)
    r = api.post("head.energy", f"/letters/{lid}/signing", {"certificate": b64(gost)})
    assert r.status_code == 422, r.get_json()
    assert r.get_json()["reason"] == err.value.code == "gost_signing_unsupported"
    assert "RSA signing key" in r.get_json()["message"]  # what to do instead, not NCANode
    letter = letter_by_public_id(lid)
    assert letter.state == "approved" and letter.reg_number is None
    assert db.session.query(SigningSession).filter_by(letter_id=letter.id).count() == 0


def test_certificate_that_is_not_base64_is_invalid(api, users, routed, letter_pki):
    setup_signer(users, letter_pki)
    lid = approved_letter(api, routed("in_work"))
    r = api.post("head.energy", f"/letters/{lid}/signing", {"certificate": "not base64!"})
    assert r.status_code == 422 and r.get_json()["fields"] == {"certificate": "base64"}
