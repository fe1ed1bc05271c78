"""``flask --app docflow letters verify FILE.pdf [--json]`` on letters signed here and elsewhere:
exit 0 valid, 1 not valid, 2 unreadable; the office's trusted roots from the database."""

from __future__ import annotations

import json

import pytest

import docflow.routing.workflow  # noqa: F401 — the incoming states letters extend, first

# isort: split
from docflow.outgoing.letter_models import letter_by_public_id
from docflow.signing.keystore import load_pkcs12
from docflow.signing.pades import sign_pdf
from tests.outgoing.letter_helpers import (
    HEAD_IIN,
    PASSPHRASE,
    Api,
    approved_letter,
    make_letter_pki,
    setup_signer,
)
from tests.signing.helpers import flip_signed_byte, letter_pdf


@pytest.fixture
def letter_pki():
    return make_letter_pki()


@pytest.fixture
def api(app, users):
    return Api(app, users)


@pytest.fixture
def signed_letter(api, users, routed, letter_pki):
    """A final answer signed on the server by head.energy: (letter, its PDF)."""
    setup_signer(users, letter_pki)
    lid = approved_letter(api, routed("in_work"))
    r = api.post("head.energy", f"/letters/{lid}/sign", {"passphrase": PASSPHRASE})
    assert r.status_code == 200, r.get_json()
    letter = letter_by_public_id(lid)
    return letter, letter.signed_pdf


def _verify(runner, tmp_path, pdf: bytes, *args: str, name: str = "letter.pdf"):
    path = tmp_path / name
    path.write_bytes(pdf)
    return runner.invoke(args=["letters", "verify", str(path), *args])


def test_signed_letter_is_valid_exit_0_with_every_detail(runner, tmp_path, signed_letter):
    letter, pdf = signed_letter
    r = _verify(runner, tmp_path, pdf, "--json", "--lang", "en")
    assert r.exit_code == 0, r.output
    report = json.loads(r.output)
    assert (report["status"], report["valid"], report["intact"], report["modified"]) == (
        "valid",
        True,
        True,
        False,
    )
    assert report["codes"] == [] and report["failures"] == []
    assert report["letter"]["reg_number"] == letter.reg_number
    assert report["letter"]["signed_by"] == "head.energy"
    (signer,) = report["signers"]
    assert signer["name"] == "ҚАСЫМОВ БАҚЫТЖАН" and signer["iin"] == HEAD_IIN
    assert signer["bin"] is None  # the test certificate names no organisation
    assert "Test ҰЛТТЫҚ КУӘЛАНДЫРУШЫ ОРТАЛЫҚ" in signer["issuer"]
    assert signer["time"] and signer["valid"] and signer["failures"] == []
    assert signer["timestamp"] is False and signer["validation_data_embedded"] is False
    assert report["revocation_checked"] is False and report["notes"]  # said, not hidden
    text = _verify(runner, tmp_path, pdf)
    assert text.exit_code == 0 and "VALID — intact since signing" in text.output
    assert f"IIN {HEAD_IIN}" in text.output and letter.reg_number in text.output


def test_one_flipped_byte_is_modified_and_not_valid_exit_1(runner, tmp_path, signed_letter):
    _, pdf = signed_letter
    r = _verify(runner, tmp_path, flip_signed_byte(pdf), "--json")
    assert r.exit_code == 1, r.output
    report = json.loads(r.output)
    assert report["status"] == "not_valid" and report["valid"] is False
    assert report["intact"] is False and report["modified"] is True
    assert "modified" in report["codes"]
    assert report["letter"] is None  # not the bytes on record any more
    text = _verify(runner, tmp_path, flip_signed_byte(pdf))
    assert text.exit_code == 1 and "NOT VALID — MODIFIED after signing" in text.output


def test_untrusted_signer_is_not_valid_exit_1(app, runner, tmp_path, users, letter_pki):
    setup_signer(users, letter_pki)  # the office trusts the test NCA RK root only
    keystore = load_pkcs12(letter_pki.other_ca.pkcs12(PASSPHRASE), PASSPHRASE)
    r = _verify(runner, tmp_path, sign_pdf(letter_pdf(), keystore), "--json")
    assert r.exit_code == 1, r.output
    report = json.loads(r.output)
    assert report["codes"] == ["not_trusted"] and report["intact"] is True
    assert report["signers"][0]["trusted"] is False


def test_expected_iin_option(runner, tmp_path, signed_letter):
    _, pdf = signed_letter
    assert _verify(runner, tmp_path, pdf, "--iin", HEAD_IIN).exit_code == 0
    r = _verify(runner, tmp_path, pdf, "--iin", "820901400789", "--json")
    assert r.exit_code == 1 and json.loads(r.output)["codes"] == ["iin_mismatch"]


@pytest.mark.parametrize(
    ("data", "code"),
    [(b"this is not a PDF at all", "malformed"), (letter_pdf(), "no_signature")],
)
def test_unreadable_input_exit_2_with_a_clear_message(app, runner, tmp_path, data, code):
    r = _verify(runner, tmp_path, data, "--json", "--lang", "en")
    assert r.exit_code == 2, r.output
    report = json.loads(r.output)
    assert report["status"] == "unreadable" and report["codes"] == [code]
    assert report["failures"][0]["message"]
    text = _verify(runner, tmp_path, data, "--lang", "en")
    assert text.exit_code == 2 and "UNREADABLE" in text.output
    expected = "not a readable PDF" if code == "malformed" else "no digital signature"
    assert expected in text.output


def test_missing_file_exit_2(app, runner, tmp_path):
    r = runner.invoke(args=["letters", "verify", str(tmp_path / "nope.pdf")])
    assert r.exit_code == 2


# --- the letters API in the OpenAPI description --------------------------------------------------

ISSUE_10_PATHS = {
    ("post", "/items/{item_id}/letters"),
    ("post", "/letters/{letter_id}/submit"),
    ("post", "/letters/{letter_id}/approve"),
    ("post", "/letters/{letter_id}/return"),
    ("post", "/letters/{letter_id}/signing"),
    ("post", "/letters/{letter_id}/signing/{session}"),
    ("post", "/letters/{letter_id}/sign"),
    ("get", "/letters/{letter_id}"),
    ("get", "/letters/{letter_id}/pdf"),
    ("post", "/letters/{letter_id}/dispatch"),
}


def test_openapi_describes_every_letters_path_the_app_serves(app, client):
    import re

    spec = client.get("/api/v1/openapi.json").get_json()
    documented = {
        (method, path) for path, ops in spec["paths"].items() if "letters" in path for method in ops
    }
    assert documented >= ISSUE_10_PATHS
    served = {
        (method.lower(), re.sub(r"<[^>]+>", "{}", rule.rule))
        for rule in app.url_map.iter_rules()
        for method in rule.methods - {"HEAD", "OPTIONS"}
    }
    for method, path in ISSUE_10_PATHS:
        assert (method, "/api/v1" + re.sub(r"{[^}]+}", "{}", path)) in served, path
    refused = spec["paths"]["/letters/{letter_id}/sign"]["post"]["responses"]["422"]
    assert refused["content"]["application/json"]["schema"]["$ref"].endswith("SignatureRejected")
    validator = pytest.importorskip("openapi_spec_validator")
    validator.validate(spec)
