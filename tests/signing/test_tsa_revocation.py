"""TSA (PAdES B-T) and revocation (CRL/OCSP, PAdES B-LT) as an office configures them, through
the letters API: a real RFC 3161 TSA and a CRL distribution point served over HTTP by the test,
with certificates from the test PKI that name them."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from io import BytesIO
from types import SimpleNamespace

import pytest
from asn1crypto import tsp
from pyhanko.pdf_utils.reader import PdfFileReader

import docflow.routing.workflow  # noqa: F401 — the incoming states letters extend, first

# isort: split
from docflow.core.numbering import current_value
from docflow.core.settings import get_setting, set_setting
from docflow.extensions import db
from docflow.outgoing import signing_config
from docflow.outgoing.letter_models import letter_by_public_id
from docflow.outgoing.letter_signing import trust_settings
from docflow.outgoing.letters_cli import verify_report
from docflow.outgoing.operations import journal_settings
from docflow.signing.pki import CertificateAuthority, ncalayer_cms
from docflow.signing.verify import verify_pdf
from tests.outgoing.letter_helpers import HEAD_IIN, PASSPHRASE, Api, approved_letter, b64
from tests.outgoing.letter_helpers import setup_signer as _setup_signer
from tests.signing.conftest import _dummy_tsa
from tests.signing.helpers import closed_port_url, pdfsig


class Served:
    """A tiny HTTP server: GET serves ``files[path]`` (CRLs), POST ``/tsa`` is the TSA."""

    def __init__(self) -> None:
        self.files: dict[str, bytes] = {}
        self.timestamper = None
        self.hits: list[str] = []
        served = self

        class Handler(BaseHTTPRequestHandler):
            def _answer(self, status: int, content_type: str, body: bytes) -> None:
                self.send_response(status)
                self.send_header("Content-Type", content_type)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def do_GET(self):
                served.hits.append(self.path)
                body = served.files.get(self.path)
                if body is None:
                    self._answer(404, "text/plain", b"not found")
                else:
                    self._answer(200, "application/pkix-crl", body)

            def do_POST(self):
                served.hits.append(self.path)
                req = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                response = served.timestamper.request_tsa_response(tsp.TimeStampReq.load(req))
                self._answer(200, "application/timestamp-reply", response.dump())

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()
        self.thread.join(timeout=5)


@pytest.fixture(scope="module")
def served() -> Iterator[Served]:
    s = Served()
    yield s
    s.close()


@pytest.fixture(scope="module")
def rpki(served):
    """A PKI whose certificates name the served CRLs; the TSA certificate has EKU timeStamping."""
    now = datetime.now(UTC)
    root = CertificateAuthority.create(
        "Test NCA RK Root (RSA)", not_before=now - timedelta(days=400)
    )
    ca = root.intermediate("Test NCA RK (RSA)", not_before=now - timedelta(days=300))
    crl = served.url + "/ca.crl"
    tsa = root.issue(
        "Test TSA",
        purpose="tsa",
        crl_url=served.url + "/root.crl",
        not_before=now - timedelta(days=300),
        days=3650,
    )
    served.timestamper = _dummy_tsa(tsa, root)
    return SimpleNamespace(
        root=root,
        ca=ca,
        tsa=tsa,
        head=ca.issue("ҚАСЫМОВ БАҚЫТЖАН", iin=HEAD_IIN, crl_url=crl),
        revoked=ca.issue("ҚАСЫМОВ БАҚЫТЖАН", iin=HEAD_IIN, crl_url=crl),
        no_crl=ca.issue("ҚАСЫМОВ БАҚЫТЖАН", iin=HEAD_IIN),
    )


@pytest.fixture
def crls(served, rpki):
    """The CAs publish their CRLs (the revoked head's certificate listed); a test may drop them."""
    served.files.clear()
    served.files["/ca.crl"] = rpki.ca.crl([rpki.revoked])
    served.files["/root.crl"] = rpki.root.crl()
    yield served.files
    served.files.clear()


@pytest.fixture
def api(app, users):
    return Api(app, users)


def _letters(**conf) -> None:
    set_setting("letters", {**(get_setting("letters") or {}), **conf})
    db.session.commit()


def _counter() -> int:
    return current_value(journal_settings()["code"], datetime.now(UTC).year)


def _sign(api, users, rpki, routed, issued):
    _setup_signer(users, rpki, issued)
    lid = approved_letter(api, routed("in_work"))
    before = _counter()
    r = api.post("head.energy", f"/letters/{lid}/sign", {"passphrase": PASSPHRASE})
    return lid, before, r


def _has_dss(pdf: bytes) -> bool:
    return "/DSS" in PdfFileReader(BytesIO(pdf)).root


# --- TSA -------------------------------------------------------------------------------------


def test_tsa_from_the_profile_timestamps_the_letter_b_t(api, users, rpki, routed, served):
    _letters(tsa_url=served.url + "/tsa")
    lid, _, r = _sign(api, users, rpki, routed, rpki.head)
    assert r.status_code == 200, r.get_json()
    assert "/tsa" in served.hits
    pdf = letter_by_public_id(lid).signed_pdf
    (sig,) = verify_pdf(pdf, [rpki.root.cert_pem + rpki.ca.cert_pem]).signatures
    assert sig.valid and sig.level == "B-T" and sig.time_source == "timestamp", sig.codes
    assert not _has_dss(pdf)  # no revocation configured: B-T, not B-LT
    # the verify command reports the timestamp and its time
    (signer,) = verify_report(pdf)["signers"]
    assert signer["timestamp"] is True and signer["time_source"] == "timestamp"
    assert datetime.fromisoformat(signer["timestamp_time"]) == sig.timestamp
    assert signer["validation_data_embedded"] is False


def test_tsa_from_the_environment_and_the_profile_wins(app, served):
    app.config["TSA_URL"] = served.url + "/env-tsa"
    assert signing_config.tsa_url() == served.url + "/env-tsa"
    _letters(tsa_url=served.url + "/tsa")
    assert signing_config.tsa_url() == served.url + "/tsa"
    assert signing_config.options(trust_settings()).tsa_url == served.url + "/tsa"


def test_tsa_down_refuses_the_signature_and_changes_nothing(api, users, rpki, routed):
    # Decision: with a TSA configured, no signature without its timestamp (B-B would not
    # outlive the certificate); the head signs again when the TSA answers.
    _letters(tsa_url=closed_port_url())
    lid, before, r = _sign(api, users, rpki, routed, rpki.head)
    assert r.status_code == 422, r.get_json()
    assert r.get_json()["reason"] == "timestamp_failed"
    letter = letter_by_public_id(lid)
    assert letter.state == "approved" and letter.reg_number is None and letter.signed_pdf is None
    assert _counter() == before  # R-REG-4: no number taken


# --- revocation and B-LT ---------------------------------------------------------------------


def test_revocation_setting_modes(app):
    assert signing_config.revocation_mode() == "off"
    assert not signing_config.trust([]).revocation_configured
    for mode in ("crl", "ocsp", "any"):
        _letters(revocation=mode)
        assert signing_config.revocation_mode() == mode
        t = signing_config.trust([])
        assert t.fetch_revocation and t.revocation_rule == mode
    _letters(revocation="crls please")  # a misspelt value checks, never skips
    assert signing_config.revocation_mode() == "any"
    _letters(revocation="off")
    app.config["REVOCATION"] = "crl"
    assert signing_config.revocation_mode() == "off"  # the profile's "off" is explicit
    _letters(revocation=None)
    assert signing_config.revocation_mode() == "crl"


def test_revoked_head_certificate_is_refused_with_code_revoked(api, users, rpki, routed, crls):
    _letters(revocation="crl")
    lid, before, r = _sign(api, users, rpki, routed, rpki.revoked)
    assert r.status_code == 422, r.get_json()
    body = r.get_json()
    assert body["error"] == "signature_rejected" and body["reason"] == "revoked"
    assert "revoked" in body["message"]
    letter = letter_by_public_id(lid)
    assert letter.state == "approved" and letter.signed_pdf is None
    assert _counter() == before


def test_b_lt_embeds_validation_data_when_the_crl_is_fetched(
    api, users, rpki, routed, served, crls
):
    _letters(revocation="crl", tsa_url=served.url + "/tsa")
    served.hits.clear()
    lid, _, r = _sign(api, users, rpki, routed, rpki.head)
    assert r.status_code == 200, r.get_json()
    assert "/ca.crl" in served.hits
    pdf = letter_by_public_id(lid).signed_pdf
    root = PdfFileReader(BytesIO(pdf)).root
    assert "/DSS" in root and "/CRLs" in root["/DSS"]
    result = verify_pdf(pdf, trust_settings())
    assert result.valid, result.codes
    (sig,) = result.signatures
    assert sig.level == "B-LT" and sig.revocation == "good"
    report = verify_report(pdf)
    assert report["status"] == "valid" and report["validation_data_embedded"] is True
    assert report["revocation_checked"] is True
    assert "Signature Validation: Signature is Valid." in pdfsig(pdf)  # poppler agrees


def test_a_revocation_published_later_is_found_by_verify(api, users, rpki, routed, served, crls):
    _letters(revocation="crl")
    lid, _, r = _sign(api, users, rpki, routed, rpki.head)
    assert r.status_code == 200, r.get_json()
    pdf = letter_by_public_id(lid).signed_pdf
    assert _has_dss(pdf)  # validation data embedded at signing (no TSA: B-B + DSS)
    served.files["/ca.crl"] = rpki.ca.crl([rpki.revoked, rpki.head])
    # the DSS holds the CRL from signing time; verification fetches the current one too
    report = verify_report(pdf)
    assert report["status"] == "not_valid" and "revoked" in report["codes"]


def test_crl_that_cannot_be_fetched_refuses_with_revocation_unknown(api, users, rpki, routed, crls):
    _letters(revocation="crl")
    del crls["/ca.crl"]
    lid, before, r = _sign(api, users, rpki, routed, rpki.head)
    assert r.status_code == 422 and r.get_json()["reason"] == "revocation_unknown", r.get_json()
    assert letter_by_public_id(lid).signed_pdf is None and _counter() == before


def test_ocsp_required_but_the_certificate_names_no_responder(api, users, rpki, routed, crls):
    _letters(revocation="ocsp")
    _, _, r = _sign(api, users, rpki, routed, rpki.head)  # it has a CRL, but no OCSP URL
    assert r.status_code == 422 and r.get_json()["reason"] == "revocation_unknown", r.get_json()


def test_revocation_off_signs_b_t_without_validation_data(api, users, rpki, routed, served):
    _letters(revocation="off", tsa_url=served.url + "/tsa")
    lid, _, r = _sign(api, users, rpki, routed, rpki.no_crl)
    assert r.status_code == 200, r.get_json()
    pdf = letter_by_public_id(lid).signed_pdf
    assert not _has_dss(pdf)
    report = verify_report(pdf)
    assert report["status"] == "valid" and report["revocation_checked"] is False
    assert report["notes"]  # "revocation was not checked" is said


def test_ncalayer_path_gets_timestamp_and_validation_data(api, users, rpki, routed, served, crls):
    _letters(revocation="crl", tsa_url=served.url + "/tsa")
    _setup_signer(users, rpki, rpki.head)
    lid = approved_letter(api, routed("in_work"))
    start = api.post(
        "head.energy", f"/letters/{lid}/signing", {"certificate": b64(rpki.head.cert_der)}
    )
    assert start.status_code == 200, start.get_json()
    started = start.get_json()
    import base64

    cms = ncalayer_cms(base64.b64decode(started["digest"]), rpki.head, include_chain=True)
    done = api.post(
        "head.energy", f"/letters/{lid}/signing/{started['session']}", {"cms": b64(cms)}
    )
    assert done.status_code == 200, done.get_json()
    pdf = letter_by_public_id(lid).signed_pdf
    assert _has_dss(pdf)
    (sig,) = verify_pdf(pdf, trust_settings()).signatures
    assert sig.valid and sig.level == "B-LT" and sig.revocation == "good", sig.codes
