"""Letters to sign, and tools that act on PDFs from outside docflow (poppler's pdfsig)."""

from __future__ import annotations

import shutil
import socket
import subprocess
import tempfile
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from io import BytesIO
from pathlib import Path

import pytest
from asn1crypto import tsp
from fpdf import FPDF
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
from pyhanko.pdf_utils.reader import PdfFileReader


def letter_pdf(text: str = "Outgoing letter No. 01-12/345 of 01.12.2026") -> bytes:
    pdf = FPDF()
    pdf.set_title("Answer to appeal")
    pdf.add_page()
    pdf.set_font("helvetica", size=12)
    pdf.multi_cell(0, 8, text + "\n\nDear applicant, your appeal has been considered.")
    return bytes(pdf.output())


def flip_signed_byte(pdf: bytes) -> bytes:
    """Flip one bit of a byte inside the first signed range (in the page content stream)."""
    reader = PdfFileReader(BytesIO(pdf))
    signed_end = int(reader.embedded_signatures[0].byte_range[1])
    at = pdf.index(b"stream", pdf.index(b"/Contents")) + 20
    assert at < signed_end
    data = bytearray(pdf)
    data[at] ^= 0x01
    return bytes(data)


def append_text_revision(pdf: bytes) -> bytes:
    """An incremental update that draws on the signed page (a forger's change after signing)."""
    from pyhanko.stamp import TextStamp, TextStampStyle

    w = IncrementalPdfFileWriter(BytesIO(pdf))
    TextStamp(w, TextStampStyle(stamp_text="PAID")).apply(0, 72, 72)
    out = BytesIO()
    w.write(out)
    return out.getvalue()


def pdfsig(pdf: bytes) -> str:
    """poppler's pdfsig report of ``pdf`` (certificate trust not checked: -nocert)."""
    exe = shutil.which("pdfsig")
    if exe is None:
        pytest.skip("poppler-utils (pdfsig) is not installed")
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "letter.pdf"
        path.write_bytes(pdf)
        run = subprocess.run(
            [exe, "-nocert", "-no-ocsp", str(path)], capture_output=True, text=True, timeout=60
        )
    return run.stdout + run.stderr


@contextmanager
def local_http(handle: Callable[[str, bytes], tuple[int, str, bytes]]) -> Iterator[str]:
    """Serve ``handle(path, body) -> (status, content_type, body)`` on 127.0.0.1; yields the URL."""

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self):
            body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
            status, content_type, answer = handle(self.path, body)
            self.send_response(status)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(answer)))
            self.end_headers()
            self.wfile.write(answer)

        def log_message(self, *args):  # keep test output quiet
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


def tsa_handler(timestamper) -> Callable[[str, bytes], tuple[int, str, bytes]]:
    """An RFC 3161 TSA over HTTP answering with pyHanko's dummy timestamper."""

    def handle(path: str, body: bytes):
        response = timestamper.request_tsa_response(tsp.TimeStampReq.load(body))
        return 200, "application/timestamp-reply", response.dump()

    return handle


def closed_port_url() -> str:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    return f"http://127.0.0.1:{port}"
