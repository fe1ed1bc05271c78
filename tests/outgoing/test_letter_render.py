"""Letters rendered by LibreOffice (docflow/outgoing/letter_render.py): PDF/A-2b, Kazakh letters
right, the outgoing number and date, the QR code to the verification page, the approval sheet;
signed on the server and with NCALayer, verified by pdfsig; the converter's time limit, failures
and the choice of renderer.

The LibreOffice tests are marked ``slow`` (each conversion is a second or more) and few; the
rest of the suite renders with whatever the environment gives (the builtin renderer without
LibreOffice).
"""

from __future__ import annotations

import base64
import datetime as dt
import os
import re
import shutil
import subprocess
import tempfile
import threading
import time
from io import BytesIO
from pathlib import Path

import pypdfium2 as pdfium
import pytest
import zxingcpp
from pyhanko.pdf_utils.reader import PdfFileReader

from docflow.outgoing import letter_pdf, letter_render, letters
from docflow.outgoing.letter_models import letter_by_public_id
from docflow.signing.pki import ncalayer_cms
from docflow.signing.verify import verify_pdf
from tests.outgoing.letter_helpers import (
    ANSWER,
    HEAD_IIN,
    PASSPHRASE,
    Api,
    approved_letter,
    b64,
    make_letter_pki,
    setup_signer,
)
from tests.signing.helpers import pdfsig

needs_soffice = pytest.mark.skipif(
    shutil.which("soffice") is None, reason="LibreOffice (soffice) is not installed"
)
KAZAKH = "әғқңөұүһі ӘҒҚҢӨҰҮҺІ"
KK_BODY = f"Құрметті өтініш беруші! Жылу беру қалпына келтірілді.\nҚазақ әріптері: {KAZAKH}."


@pytest.fixture
def app(make_app):
    app = make_app("demo", PDF_RENDERER="libreoffice")
    with app.app_context():
        yield app


@pytest.fixture
def api(app, users):
    return Api(app, users)


def _text(pdf: bytes) -> str:
    """poppler's pdftotext of the whole PDF, lines joined."""
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "l.pdf"
        path.write_bytes(pdf)
        out = subprocess.run(["pdftotext", "-enc", "UTF-8", str(path), "-"], capture_output=True, timeout=60)  # fmt: skip
    return " ".join(out.stdout.decode("utf-8").split())


def _xmp(pdf: bytes) -> str:
    root = PdfFileReader(BytesIO(pdf)).root
    return root["/Metadata"].get_object().data.decode("utf-8")


def _pdfa(pdf: bytes) -> tuple[str | None, str | None]:
    """The PDF/A part and conformance the XMP metadata claims (element or attribute form)."""
    xmp = _xmp(pdf)

    def value(name: str) -> str | None:
        m = re.search(rf"pdfaid:{name}>\s*([^<\s]+)\s*<", xmp) or re.search(rf'pdfaid:{name}="([^"]+)"', xmp)  # fmt: skip
        return m.group(1) if m else None

    return value("part"), value("conformance")


def _fonts_embedded(pdf: bytes) -> bool:
    """poppler's pdffonts: at least one font, every one embedded."""
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "l.pdf"
        path.write_bytes(pdf)
        out = subprocess.run(["pdffonts", str(path)], capture_output=True, text=True, timeout=60)
    rows = out.stdout.splitlines()[2:]
    # columns: name type [type…] encoding emb sub uni object ID — "emb" is the 5th from the end
    return bool(rows) and all(row.split()[-5] == "yes" for row in rows)


def _qr_codes(pdf: bytes) -> list[str]:
    doc = pdfium.PdfDocument(pdf)
    image = doc[0].render(scale=3).to_pil()
    return [b.text for b in zxingcpp.read_barcodes(image)]


def _approved_kk_letter(item, users):
    letter = letters.create_letter(
        item,
        users["exec.energy"],
        final=True,
        language="kk",
        decision="explained",
        body=KK_BODY,
        legal_basis="«Жылу энергетикасы туралы» ҚР Заңы, 15-бап",
    )
    letters.submit(letter, users["exec.energy"])
    letters.approve(letter, users["head.energy"])
    return letter


# --- LibreOffice ----------------------------------------------------------------------------------


@needs_soffice
@pytest.mark.slow
def test_libreoffice_letter_is_pdf_a_2b_with_kazakh_letters_number_date_qr_and_sheet(
    app, routed, users
):
    letter = _approved_kk_letter(routed("in_work"), users)
    on = dt.date(2026, 12, 2)
    started = time.perf_counter()
    pdf, digest = letter_pdf.render_letter(letter, reg_number="01-12/345", reg_date=on, signer=users["head.energy"])  # fmt: skip
    seconds = time.perf_counter() - started
    assert seconds < 30, seconds
    assert b"LibreOffice" in pdf[:4096] or "LibreOffice" in _xmp(pdf)  # not the builtin renderer
    assert _pdfa(pdf) == ("2", "B")  # PDF/A-2b
    assert _fonts_embedded(pdf)  # as PDF/A requires
    text = _text(pdf)
    for letter_ in KAZAKH.replace(" ", ""):  # each Kazakh-specific letter extracted right
        assert letter_ in text, letter_
    assert "Құрметті өтініш беруші" in text and "шағым жасауға құқылысыз" in text  # R-ANS-1 in kk
    assert "01-12/345" in text and "02.12.2026" in text  # the outgoing number and date
    assert letter.item.reg_number in text  # the incoming number
    assert "КЕЛІСУ ПАРАҒЫ" in text and users["head.energy"].display_name in text  # the sheet
    assert _qr_codes(pdf) == [letter_pdf.verification_url(letter, digest)]
    draft, _ = letter_pdf.render_letter(letter)  # a draft: marked, blanks for the number
    assert "ЖОБА — қол қойылмаған" in _text(draft) and "01-12/345" not in _text(draft)


@needs_soffice
@pytest.mark.slow
def test_libreoffice_pdf_signed_on_the_server_and_with_ncalayer_verifies(api, users, routed):
    pki = make_letter_pki()
    setup_signer(users, pki)
    roots = [pki.root.cert_pem + pki.ca.cert_pem]
    lid = approved_letter(api, routed("in_work"), ANSWER | {"language": "kk", "body": KK_BODY})
    r = api.post("head.energy", f"/letters/{lid}/sign", {"passphrase": PASSPHRASE})
    assert r.status_code == 200, r.get_json()
    pdf = api.get("inspector", f"/letters/{lid}/pdf").data
    result = verify_pdf(pdf, roots, expected_iin=HEAD_IIN)
    assert result.valid and result.intact, result.codes
    report = pdfsig(pdf)
    assert "Signature Validation: Signature is Valid." in report and "Total document signed" in report  # fmt: skip
    assert _pdfa(pdf) == ("2", "B")  # the signature is an incremental update: still PDF/A-2b
    text = _text(pdf)
    assert r.get_json()["reg_number"] in text and "әғқңөұүһі" in text
    # NCALayer: the CMS made outside the server over the digest of the LibreOffice PDF
    lid2 = approved_letter(api, routed("in_work"))
    s = api.post("head.energy", f"/letters/{lid2}/signing").get_json()
    cms = ncalayer_cms(base64.b64decode(s["digest"]), pki.head)
    done = api.post("head.energy", f"/letters/{lid2}/signing/{s['session']}", {"cms": b64(cms)})
    assert done.status_code == 200, done.get_json()
    signed = letter_by_public_id(lid2).signed_pdf
    assert verify_pdf(signed, roots, expected_iin=HEAD_IIN).valid
    assert "Signature Validation: Signature is Valid." in pdfsig(signed)
    assert done.get_json()["reg_number"] in _text(signed) and _pdfa(signed) == ("2", "B")


@needs_soffice
@pytest.mark.slow
def test_conversions_at_the_same_time_do_not_share_a_profile(app, routed, users):
    letter = _approved_kk_letter(routed("in_work"), users)
    docx, _ = letter_render.letter_docx(letter, reg_number="01-12/900", reg_date=dt.date(2026, 12, 2))  # fmt: skip
    results: dict[int, bytes | Exception] = {}

    def convert(n: int) -> None:
        with app.app_context():
            try:
                results[n] = letter_render.docx_to_pdf(docx)
            except Exception as exc:  # the assertion below names it
                results[n] = exc

    threads = [threading.Thread(target=convert, args=(n,)) for n in range(2)]
    for th in threads:
        th.start()
    for th in threads:
        th.join(120)
    assert set(results) == {0, 1}
    for pdf in results.values():
        assert isinstance(pdf, bytes) and pdf.startswith(b"%PDF"), pdf
        assert "01-12/900" in _text(pdf)


# --- the converter's limits and the choice of renderer (no LibreOffice needed) ---------------------


def _fake_soffice(tmp_path: Path, body: str) -> str:
    exe = tmp_path / "soffice"
    exe.write_text("#!/bin/sh\n" + body)
    exe.chmod(0o755)
    return str(exe)


def test_a_hanging_converter_is_stopped_at_the_time_limit_with_a_clear_error(app, tmp_path):
    pids = tmp_path / "pids"
    # a child that would outlive its parent: the whole process group must go
    app.config["SOFFICE"] = _fake_soffice(tmp_path, f"sleep 60 & echo $! > {pids}\nwait\n")
    app.config["PDF_RENDER_TIMEOUT"] = 1
    started = time.monotonic()
    with pytest.raises(letter_render.RenderError) as exc:
        letter_render.docx_to_pdf(b"PK fake docx")
    assert time.monotonic() - started < 10
    assert exc.value.status == 503 and "1 s" in exc.value.message
    pid = int(pids.read_text())
    time.sleep(0.2)
    assert _gone(pid)


def _gone(pid: int) -> bool:
    """Not running: no such process, or a zombie waiting for init to reap it."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    status = Path(f"/proc/{pid}/status").read_text()
    return re.search(r"^State:\s+Z", status, re.M) is not None


def test_a_failing_converter_is_a_clear_error(app, tmp_path):
    app.config["SOFFICE"] = _fake_soffice(tmp_path, "echo broken >&2\nexit 1\n")
    with pytest.raises(letter_render.RenderError) as exc:
        letter_render.docx_to_pdf(b"PK fake docx")
    assert exc.value.code == "render_failed" and "LibreOffice" in exc.value.message


def test_renderer_is_libreoffice_when_installed_else_the_builtin(app, routed, users, monkeypatch):
    letter = letters.create_letter(routed("in_work"), users["exec.energy"], body="Мәтін.", language="kk")  # fmt: skip
    app.config["PDF_RENDERER"] = "builtin"
    assert letter_render.renderer() == "builtin"
    pdf, _ = letter_pdf.render_letter(letter)
    assert pdf.startswith(b"%PDF") and b"LibreOffice" not in pdf and b"pdfaid" not in pdf
    app.config["PDF_RENDERER"] = "libreoffice"
    app.config["SOFFICE"] = None
    monkeypatch.setattr(letter_render.shutil, "which", lambda _name: None)
    assert letter_render.renderer() == "builtin"  # configured, but not installed: the fallback
    called = []
    monkeypatch.setattr(letter_render, "render_letter", lambda *a, **k: called.append(1))
    letter_pdf.render_letter(letter)
    assert called == []  # the builtin drew it
    monkeypatch.setattr(letter_render.shutil, "which", lambda name: f"/usr/bin/{name}")
    app.config["PDF_RENDERER"] = None
    assert letter_render.renderer() == "libreoffice"  # the default when soffice is found


def test_the_builtin_renderer_prints_the_approval_sheet_too(app, routed, users):
    app.config["PDF_RENDERER"] = "builtin"
    letter = _approved_kk_letter(routed("in_work"), users)
    letter.language = "ru"
    pdf, _ = letter_pdf.render_letter(letter, reg_number="01-12/777", reg_date=dt.date(2026, 12, 2))
    doc = pdfium.PdfDocument(pdf)
    assert len(doc) >= 2
    sheet = doc[len(doc) - 1].get_textpage().get_text_range()
    assert "ЛИСТ СОГЛАСОВАНИЯ" in sheet and "01-12/777" in sheet
    assert users["head.energy"].display_name.split()[0] in sheet
