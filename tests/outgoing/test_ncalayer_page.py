"""Signing in a real browser with NCALayer — here a small fake NCALayer that the test starts: a
WebSocket server over TLS on loopback that answers ``kz.gov.pki.knca.basics`` ``sign`` as NCALayer
does (``{"status": true, "body": {"result": [CMS]}}``), making a real detached CMS over the given
digest with a key of the test PKI. The page (static/js/ncalayer.js) talks to it exactly as to
NCALayer; only its address is the test's (the page's ``data-ncalayer-url``, ``NCALAYER_URL``).

R-ANS-2: the head signs; a CMS from another person's certificate (wrong IIN) is refused, the page
says why and the letter stays unsigned; the "To sign" queue signs two letters one after another.
"""

from __future__ import annotations

import base64
import datetime as dt
import ipaddress
import json
import ssl
import threading
from collections.abc import Iterator
from types import SimpleNamespace

import pytest
from werkzeug.serving import make_server

from docflow.extensions import db
from docflow.signing.pki import ncalayer_cms
from tests.e2e.conftest import log_in
from tests.outgoing.letter_helpers import ANSWER, HEAD_IIN, make_letter_pki, setup_signer

pytestmark = pytest.mark.browser

SIGNING_EKU = "1.3.6.1.5.5.7.3.4"


# --- the fake NCALayer -----------------------------------------------------------------------------


def _tls_context(tmp_path) -> ssl.SSLContext:
    """A self-signed certificate for 127.0.0.1, as NCALayer's own (the browser is told to accept
    it: --ignore-certificate-errors)."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
    now = dt.datetime.now(dt.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(days=1))
        .not_valid_after(now + dt.timedelta(days=7))
        .add_extension(
            x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
            critical=False,
        )
        .sign(key, hashes.SHA256())
    )
    cert_file, key_file = tmp_path / "ncalayer.pem", tmp_path / "ncalayer.key"
    cert_file.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_file.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert_file, key_file)
    return context


class FakeNCALayer:
    """Answers ``sign`` with a detached CMS over the digest, made with ``self.signer``'s key."""

    def __init__(self, tmp_path) -> None:
        from websockets.sync.server import serve

        self.signer = None  # an Issued of the test PKI: whose key "the official chose"
        self.requests: list[dict] = []
        self.server = serve(self._handle, "127.0.0.1", 0, ssl=_tls_context(tmp_path))
        self.url = f"wss://127.0.0.1:{self.server.socket.getsockname()[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def _handle(self, ws) -> None:
        for raw in ws:
            request = json.loads(raw)
            self.requests.append(request)
            ws.send(json.dumps(self._answer(request)))

    def _answer(self, request: dict) -> dict:
        if request.get("module") != "kz.gov.pki.knca.basics" or request.get("method") != "sign":
            return {"status": False, "code": "500", "message": "unknown module or method"}
        args = request["args"]
        data = args["data"][0] if isinstance(args["data"], list) else args["data"]
        digest = base64.b64decode(data)
        cms = ncalayer_cms(digest, self.signer)
        return {"status": True, "body": {"result": [base64.b64encode(cms).decode("ascii")]}}

    def close(self) -> None:
        self.server.shutdown()
        self.thread.join(timeout=5)


# --- the world: the app served with NCALayer's address, a browser that accepts NCALayer's TLS ----


@pytest.fixture
def world(make_app, tmp_path) -> Iterator[SimpleNamespace]:
    fake = FakeNCALayer(tmp_path)
    # CSRF on, as in production: the page's JSON calls carry the session's token
    app = make_app("demo", NCALAYER_URL=fake.url, WTF_CSRF_ENABLED=True)
    pki = make_letter_pki()
    with app.app_context():
        from docflow.org.models import user_by_username

        setup_signer({"head.energy": user_by_username("head.energy")}, pki)
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield SimpleNamespace(
            app=app, fake=fake, pki=pki, base=f"http://127.0.0.1:{server.server_port}"
        )
    finally:
        server.shutdown()
        thread.join(timeout=5)
        fake.close()


def approved_letters(w, count: int) -> list[str]:
    """Items sent to ENERGY, worked by exec.energy; a final answer each, approved by the head."""
    from docflow.org.models import user_by_username
    from docflow.outgoing import letters
    from docflow.registry.operations import ApplicantData, RegistrationData, register
    from docflow.routing import operations as routing
    from tests.conftest import fake_iin
    from tests.registry.conftest import almaty

    out = []
    with w.app.app_context():
        user = user_by_username
        for n in range(count):
            item = register(
                RegistrationData(
                    kind="statement",
                    channel="post",
                    applicants=[
                        ApplicantData(
                            full_name=f"Серикбаев Нурлан {n}",
                            iin=fake_iin(100 + n),
                            address=f"г. Алматы, ул. Абая, {10 + n}",
                        )
                    ],
                    addressee="Акиму города Алматы",
                    summary=f"Нет отопления в доме № {10 + n}",
                    arrived_at=almaty(2026, 11, 16, 10, 0),
                ),
                user("clerk"),
            )
            routing.distribute(item, user("controller"), ["ENERGY"])
            routing.assign_executors(item, user("head.energy"), [user("exec.energy").id])
            fields = {k: v for k, v in ANSWER.items() if k != "kind"}
            letter = letters.create_letter(item, user("exec.energy"), **fields)
            letters.submit(letter, user("exec.energy"))
            letters.approve(letter, user("head.energy"))
            out.append(letter.public_id)
        db.session.commit()
        db.session.remove()
    return out


def letter_state(w, public_id: str) -> tuple[str, str | None, int | None]:
    from docflow.outgoing.letter_models import letter_by_public_id

    with w.app.app_context():
        letter = letter_by_public_id(public_id)
        out = (letter.state, letter.reg_number, letter.reg_seq)
        db.session.remove()
    return out


@pytest.fixture
def head(browser, world):
    context = browser.new_context(locale="ru-RU", viewport={"width": 1280, "height": 900})
    page = context.new_page()
    page.set_default_timeout(20_000)
    log_in(page, world.base, "head.energy")
    yield page
    context.close()


def _assert_ncalayer_protocol(request: dict) -> None:
    assert request["module"] == "kz.gov.pki.knca.basics" and request["method"] == "sign"
    args = request["args"]
    assert args["format"] == "cms"
    assert args["signingParams"] == {"decode": True, "encapsulate": False, "digested": True}
    assert args["signerParams"] == {"extKeyUsageOids": [SIGNING_EKU], "iin": HEAD_IIN}
    assert len(base64.b64decode(args["data"])) == 32  # the SHA-256 the server prepared
    assert args["locale"] == "ru"


# --- the tests -------------------------------------------------------------------------------------


def test_r_ans_2_head_signs_in_the_browser_with_ncalayer(world, head):
    (lid,) = approved_letters(world, 1)
    world.fake.signer = world.pki.head
    head.goto(f"{world.base}/letters/{lid}")
    head.locator("#signing [data-ncalayer-button]").click()
    status = head.locator("#signing [data-ncalayer-status][data-result]")
    status.wait_for()
    assert status.get_attribute("data-result") == "signed", status.inner_text()
    state, number, _seq = letter_state(world, lid)
    assert state == "signed" and number and number in status.inner_text()
    assert len(world.fake.requests) == 1
    _assert_ncalayer_protocol(world.fake.requests[0])
    # the page after it: the number and a valid signature
    head.goto(f"{world.base}/letters/{lid}")
    assert number in head.locator("#reg-number").inner_text()
    assert head.locator("#signature-check").get_attribute("data-valid") == "yes"


def test_wrong_iin_cms_is_refused_on_the_page_and_the_letter_stays_unsigned(world, head):
    from flask_babel import force_locale

    from docflow.signing.errors import message

    (lid,) = approved_letters(world, 1)
    world.fake.signer = world.pki.wrong_iin  # a certificate of another person
    head.goto(f"{world.base}/letters/{lid}")
    head.locator("#signing [data-ncalayer-button]").click()
    status = head.locator("#signing [data-ncalayer-status][data-result]")
    status.wait_for()
    assert status.get_attribute("data-result") == "refused"
    with world.app.test_request_context():
        readable = set()
        for lang in ("kk", "ru", "en"):
            with force_locale(lang):
                readable.add(str(message("iin_mismatch")))
    assert status.inner_text().strip() in readable
    assert letter_state(world, lid)[:2] == ("approved", None)
    assert head.locator("#signing [data-ncalayer-button]").is_enabled()  # may try again


def test_queue_signs_two_letters_one_ncalayer_call_each(world, head):
    first, second = approved_letters(world, 2)
    world.fake.signer = world.pki.head
    head.goto(f"{world.base}/letters/to-sign")
    rows = head.locator("#queue-form tr[data-signing-url]")
    assert rows.count() == 2
    head.locator("#queue-form [data-ncalayer-button]").click()
    status = head.locator("#queue-form [data-ncalayer-status][data-result]")
    status.wait_for()
    assert status.get_attribute("data-result") == "signed", status.inner_text()
    for lid in (first, second):
        assert head.locator(f'tr[data-letter="{lid}"]').get_attribute("data-result") == "signed"
    a, b = letter_state(world, first), letter_state(world, second)
    assert a[0] == b[0] == "signed" and b[2] == a[2] + 1  # one after another, gapless
    assert a[1] in head.locator(f'tr[data-letter="{first}"]').inner_text()
    assert len(world.fake.requests) == 2
    for request in world.fake.requests:
        _assert_ncalayer_protocol(request)
    assert world.fake.requests[0]["args"]["data"] != world.fake.requests[1]["args"]["data"]
