"""The letter as PDF/A-2b from its DOCX template: filled (:mod:`docflow.outgoing.docx_templates`),
with the outgoing number and date, the QR code to the public verification page (a picture put in
the DOCX where ``{{ qr }}`` is), the approval sheet on a page of its own, then converted by
LibreOffice headless.

Why LibreOffice: it is well kept (releases every six months, security fixes in Debian stable),
packaged by Debian (``libreoffice-writer-nogui``: no X server, no Java), renders Word files with
the best fidelity a free converter has (tables, paragraph formatting, fonts an office uses in its
templates — Liberation Serif stands in for Times New Roman with the same metrics), and exports
PDF/A-2b itself: fonts embedded, XMP metadata saying ``pdfaid:part=2``, ``conformance=B``. The
alternatives fall short: docx2pdf drives Microsoft Word (Windows/macOS only); pandoc rebuilds
the document from its own model and loses the layout (tables, letterhead, spacing); unoconv is
deprecated by its authors in favour of LibreOffice's own ``--convert-to``; a Python-only
renderer (fpdf2, today's :func:`docflow.outgoing.letter_pdf.render_builtin`) cannot read an
office's Word template at all — it stays the fallback when LibreOffice is not installed.

Each conversion runs its own ``soffice`` with a throwaway profile directory
(``-env:UserInstallation``) in a temporary directory, so conversions never share state and may
run at the same time (at most ``PDF_RENDER_CONCURRENCY``, default 2, per process); a conversion
that takes longer than ``PDF_RENDER_TIMEOUT`` seconds (default 60) is killed with its process
group and refused with :class:`RenderError` (503) — never a hanging request. The renderer is
``PDF_RENDERER`` (``DOCFLOW_PDF_RENDERER``): ``libreoffice`` or ``builtin``; by default
``libreoffice`` when ``soffice`` is found (``SOFFICE`` names another binary), else ``builtin``.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import io
import logging
import os
import shutil
import signal
import subprocess
import tempfile
import threading
from pathlib import Path
from typing import Any

import segno
from flask import current_app
from flask_babel import lazy_gettext as _l

from docflow.core.errors import DomainError
from docflow.outgoing.docx_templates import current_template, fill, prefill, template_kind

log = logging.getLogger(__name__)

RENDERERS = ("libreoffice", "builtin")
# PDF/A-2b (LibreOffice 7.4 takes the export filter's options as JSON)
PDF_EXPORT = 'pdf:writer_pdf_Export:{"SelectPdfVersion":{"type":"long","value":"2"}}'
DEFAULT_TIMEOUT = 60.0
DEFAULT_CONCURRENCY = 2
SHEET_WORDS = {
    "kk": {
        "title": "КЕЛІСУ ПАРАҒЫ",
        "of": "{number} хатқа",
        "draft": "ЖОБА — қол қойылмаған",
        "columns": ("Лауазымы", "Аты-жөні", "Шешім", "Күні"),
        "roles": {"author": "Орындаушы", "approver": "Келісті", "signer": "Қол қойды"},
        "done": {"author": "Дайындады", "approver": "Келісілді", "signer": "Қол қойылды"},
    },
    "ru": {
        "title": "ЛИСТ СОГЛАСОВАНИЯ",
        "of": "к письму {number}",
        "draft": "ПРОЕКТ — не подписан",
        "columns": ("Должность", "Ф.И.О.", "Решение", "Дата"),
        "roles": {"author": "Исполнитель", "approver": "Согласовал", "signer": "Подписал"},
        "done": {"author": "Подготовил", "approver": "Согласовано", "signer": "Подписано"},
    },
}


class RenderError(DomainError):
    """The PDF could not be made (the converter failed or took too long); nothing changed."""

    status = 503
    code = "render_failed"


# --- which renderer -------------------------------------------------------------------------------


def soffice_path() -> str | None:
    configured = current_app.config.get("SOFFICE")
    return configured or shutil.which("soffice") or shutil.which("libreoffice")


def renderer() -> str:
    """``libreoffice`` or ``builtin`` (configured, else LibreOffice when installed)."""
    configured = str(current_app.config.get("PDF_RENDERER") or "").strip().lower()
    if configured == "builtin":
        return "builtin"
    if soffice_path():
        return "libreoffice"
    if configured == "libreoffice":
        log.warning("PDF_RENDERER=libreoffice but soffice is not installed: the builtin renderer")
    return "builtin"


# --- DOCX → PDF -----------------------------------------------------------------------------------

_slots_lock = threading.Lock()
_slots: dict[int, threading.BoundedSemaphore] = {}


def _slots_for(n: int) -> threading.BoundedSemaphore:
    with _slots_lock:
        if n not in _slots:
            _slots[n] = threading.BoundedSemaphore(n)
        return _slots[n]


def _timeout() -> float:
    return float(current_app.config.get("PDF_RENDER_TIMEOUT") or DEFAULT_TIMEOUT)


def docx_to_pdf(docx: bytes, *, timeout: float | None = None) -> bytes:
    """``docx`` converted to PDF/A-2b by LibreOffice headless (its own profile, a time limit)."""
    exe = soffice_path()
    if not exe:
        raise RenderError(_l("LibreOffice is not installed: the letter cannot be rendered."))
    limit = float(timeout if timeout is not None else _timeout())
    slots = _slots_for(int(current_app.config.get("PDF_RENDER_CONCURRENCY") or DEFAULT_CONCURRENCY))  # fmt: skip
    if not slots.acquire(timeout=limit):
        raise RenderError(_l("The PDF renderer is busy: try again in a minute."))
    try:
        with tempfile.TemporaryDirectory(prefix="docflow-render-") as tmp:
            return _convert(exe, Path(tmp), docx, limit)
    finally:
        slots.release()


def _convert(exe: str, tmp: Path, docx: bytes, limit: float) -> bytes:
    src, out = tmp / "letter.docx", tmp / "out"
    src.write_bytes(docx)
    cmd = [
        exe,
        f"-env:UserInstallation={(tmp / 'profile').as_uri()}",
        "--headless",
        "--invisible",
        "--nologo",
        "--nodefault",
        "--nolockcheck",
        "--norestore",
        "--convert-to",
        PDF_EXPORT,
        "--outdir",
        str(out),
        str(src),
    ]
    env = {**os.environ, "HOME": str(tmp), "TMPDIR": str(tmp)}
    proc = subprocess.Popen(  # noqa: S603 (our own arguments, no shell)
        cmd,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        cwd=tmp,
        env=env,
        start_new_session=True,  # its own process group: a timeout kills soffice.bin too
    )
    try:
        _stdout, stderr = proc.communicate(timeout=limit)
    except subprocess.TimeoutExpired:
        _kill(proc)
        raise RenderError(
            _l(
                "LibreOffice took longer than %(seconds)s s to render the letter and was stopped.",
                seconds=int(limit),
            )
        ) from None
    pdf = out / "letter.pdf"
    if proc.returncode != 0 or not pdf.exists():
        log.error("soffice failed (%s): %s", proc.returncode, stderr.decode("utf-8", "replace")[-2000:])  # fmt: skip
        raise RenderError(_l("LibreOffice could not render the letter."))
    return pdf.read_bytes()


def _kill(proc: subprocess.Popen) -> None:
    with contextlib.suppress(ProcessLookupError):
        os.killpg(proc.pid, signal.SIGKILL)
    proc.communicate()


# --- the letter's values --------------------------------------------------------------------------


def qr_png(url: str) -> bytes:
    buf = io.BytesIO()
    segno.make(url, error="m").save(buf, kind="png", scale=8, border=2)
    return buf.getvalue()


def _position(user: Any, language: str) -> str:
    from docflow.outgoing.letter_pdf import WORDS

    employee = getattr(user, "employee", None)
    positions = (getattr(employee, "positions", None) or {}) if employee is not None else {}
    return positions.get(language) or WORDS.get(language, WORDS["kk"])["head"]


def letter_values(
    letter: Any, *, reg_number: str | None, reg_date: dt.date | None, signer: Any, url: str
) -> dict[str, str]:
    """Every placeholder's value for the letter (the draft's: blanks for the number and date)."""
    from docflow.outgoing.letter_pdf import WORDS, head_of

    lang = letter.language
    words = WORDS.get(lang, WORDS["kk"])
    values = prefill(letter.item, template_kind(letter.kind, letter.final), lang)
    if letter.subdivision is not None:
        for code in ("kk", "ru"):
            values[f"subdivision_name_{code}"] = (letter.subdivision.names or {}).get(code) or ""
    head = signer or head_of(letter)
    values.update(
        {
            "reg_number": reg_number or "________",
            "reg_date": reg_date.strftime("%d.%m.%Y") if reg_date else "________",
            "body": letter.body or "",
            "decision": words["decisions"].get(letter.decision or "", ""),
            "legal_basis": letter.legal_basis or "",
            "complaint": letter.complaint or "",
            "signer_position": _position(head, lang) if head is not None else words["head"],
            "signer_name": head.display_name if head is not None else "",
            "executor": letter.author.display_name if letter.author is not None else "",
            "verification_url": url,
        }
    )
    return values


# --- the approval sheet and the draft mark -------------------------------------------------------


def approval_sheet(letter: Any, language: str) -> tuple[str, list[str], list[list[str]]]:
    """``(title, column titles, rows)`` of the approval sheet: the approval module's
    (:func:`docflow.outgoing.approval.approval_sheet_rows`) when it is installed, else the
    letter's author, approver and signer."""
    words = SHEET_WORDS.get(language, SHEET_WORDS["kk"])
    try:
        from docflow.outgoing import approval
    except ImportError:
        approval = None
    if approval is not None and hasattr(approval, "approval_sheet_rows"):
        rows = [_cells(row) for row in approval.approval_sheet_rows(letter, language)]
        header = getattr(approval, "approval_sheet_header", lambda _lang: words["columns"])
        title = getattr(approval, "approval_sheet_title", lambda _lang: words["title"])
        return title(language), list(header(language)), rows
    rows = []
    for role, user, at in (
        ("author", letter.author, letter.created_at),
        ("approver", letter.approved_by, letter.approved_at),
        ("signer", letter.signed_by, letter.signed_at),
    ):
        if user is not None:
            day = at.strftime("%d.%m.%Y") if at else ""
            rows.append([words["roles"][role], user.display_name, words["done"][role], day])
    return words["title"], list(words["columns"]), rows


def _cells(row: Any) -> list[str]:
    values = row.values() if isinstance(row, dict) else row
    return [str(v) if v is not None else "" for v in values]


def _finish_docx(docx: bytes, letter: Any, reg_number: str | None) -> bytes:
    """The draft mark at the top of an unregistered letter; the approval sheet at the end."""
    from docx import Document
    from docx.enum.text import WD_ALIGN_PARAGRAPH, WD_BREAK
    from docx.shared import Pt, RGBColor

    words = SHEET_WORDS.get(letter.language, SHEET_WORDS["kk"])
    doc = Document(io.BytesIO(docx))
    if not reg_number:
        first = doc.paragraphs[0] if doc.paragraphs else doc.add_paragraph()
        mark = first.insert_paragraph_before()
        if doc.element.body.index(mark._p) != 0:  # the letterhead is a table: go before it
            doc.element.body.insert(0, mark._p)
        mark.alignment = WD_ALIGN_PARAGRAPH.CENTER
        run = mark.add_run(words["draft"])
        run.bold, run.font.color.rgb, run.font.size = True, RGBColor(0xB4, 0, 0), Pt(12)
    title_text, columns, rows = approval_sheet(letter, letter.language)
    if rows:
        doc.add_paragraph().add_run().add_break(WD_BREAK.PAGE)
        title = doc.add_paragraph()
        title.alignment = WD_ALIGN_PARAGRAPH.CENTER
        title.add_run(title_text).bold = True
        of = doc.add_paragraph(words["of"].format(number=reg_number or letter.public_id))
        of.alignment = WD_ALIGN_PARAGRAPH.CENTER
        width = max(len(columns), *(len(r) for r in rows))
        table = doc.add_table(rows=1 + len(rows), cols=width)
        table.style = "Table Grid"
        for cells, texts in zip(table.rows, [columns, *rows], strict=True):
            for i, cell in enumerate(cells.cells):
                cell.text = texts[i] if i < len(texts) else ""
                for p in cell.paragraphs:
                    for r in p.runs:
                        r.font.size = Pt(11)
        for cell in table.rows[0].cells:
            for r in cell.paragraphs[0].runs:
                r.bold = True
    out = io.BytesIO()
    doc.save(out)
    return out.getvalue()


# --- the letter -----------------------------------------------------------------------------------


def letter_docx(
    letter: Any,
    *,
    reg_number: str | None = None,
    reg_date: dt.date | None = None,
    signer: Any = None,
) -> tuple[bytes, str]:
    """``(filled DOCX, content hash)`` of the letter, as it is converted to PDF."""
    from docflow.outgoing.letter_pdf import content_hash, verification_url

    digest = content_hash(letter, reg_number, reg_date)
    url = verification_url(letter, digest)
    values = letter_values(letter, reg_number=reg_number, reg_date=reg_date, signer=signer, url=url)
    template = current_template(template_kind(letter.kind, letter.final), letter.language)
    docx = fill(template, values, images={"qr": qr_png(url)})
    return _finish_docx(docx, letter, reg_number), digest


def render_letter(
    letter: Any,
    *,
    reg_number: str | None = None,
    reg_date: dt.date | None = None,
    signer: Any = None,
) -> tuple[bytes, str]:
    """``(PDF/A-2b bytes, content hash)`` by LibreOffice; a draft without a number is marked."""
    docx, digest = letter_docx(letter, reg_number=reg_number, reg_date=reg_date, signer=signer)
    return docx_to_pdf(docx), digest
