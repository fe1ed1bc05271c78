"""What every part of the worker shares: limits, type detection, refusals, text clean-up."""

from __future__ import annotations

import json
import os
import re
import unicodedata
from dataclasses import asdict, dataclass, fields
from pathlib import Path
from typing import Any

MB = 1024 * 1024
HEAD_BYTES = 65536
KINDS = ("pdf", "png", "jpeg", "tiff", "docx")
EXTENSIONS = {
    ".pdf": "pdf",
    ".png": "png",
    ".jpg": "jpeg",
    ".jpeg": "jpeg",
    ".jpe": "jpeg",
    ".jfif": "jpeg",
    ".tif": "tiff",
    ".tiff": "tiff",
    ".docx": "docx",
}
LABELS = {"pdf": "PDF", "png": "PNG", "jpeg": "JPEG", "tiff": "TIFF", "docx": "DOCX"}

PREVIEW_SIDE = 800  # px, long side of the first-page preview
MAX_PREVIEW_BYTES = 4 * MB


@dataclass(frozen=True)
class Limits:
    """Resource limits of one extraction (the defaults suit a records office's scans)."""

    max_bytes: int = 50 * MB  # the file itself
    max_pages: int = 500  # PDF pages / TIFF frames
    max_pixels: int = 50_000_000  # per image or rendered page
    max_memory_mb: int = 1024  # address space of the worker (and of each tesseract)
    cpu_seconds: int = 120  # CPU time of the worker (each tesseract has its own)
    wall_seconds: int = 180  # the whole extraction
    max_zip_ratio: int = 100  # DOCX: uncompressed/compressed, per entry over 1 MB
    max_zip_total: int = 200 * MB  # DOCX: declared uncompressed size of all entries
    max_zip_entries: int = 2000
    max_stream_bytes: int = 256 * MB  # PDF: one compressed stream once inflated
    max_text_chars: int = 10_000_000  # the extracted text is cut beyond this
    ocr_languages: str = "kaz+rus+eng"
    ocr_dpi: int = 300  # upper bound of the rendering resolution of PDF pages for OCR
    ocr_page_seconds: int = 60  # one tesseract run

    def to_json(self) -> str:
        return json.dumps(asdict(self), separators=(",", ":"))

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Limits:
        known = {f.name for f in fields(cls)}
        return cls(**{k: v for k, v in data.items() if k in known})

    @classmethod
    def from_json(cls, text: str) -> Limits:
        return cls.from_dict(json.loads(text))


@dataclass(frozen=True)
class Detection:
    kind: str  # one of KINDS or "other"
    claimed: str | None  # the kind the file name claims, if it names a supported one
    reason: str | None  # why a file claiming a supported kind is refused ("not a PDF although …")


def _sniff(head: bytes) -> str:
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return "png"
    if head.startswith(b"\xff\xd8\xff"):
        return "jpeg"
    if head[:4] in (b"II*\x00", b"MM\x00*", b"II+\x00", b"MM\x00+"):
        return "tiff"
    if b"%PDF-" in head[:1024]:  # PDF readers accept junk before the header
        return "pdf"
    if head.startswith(b"PK\x03\x04") and b"[Content_Types].xml" in head and b"word/" in head:
        return "docx"
    return "other"


def detect(head: bytes, filename: str | os.PathLike[str] = "") -> Detection:
    """The file's kind from its first bytes (``HEAD_BYTES`` are enough); the name only explains."""
    kind = _sniff(head)
    claimed = EXTENSIONS.get(Path(os.fspath(filename)).suffix.lower()) if filename else None
    if kind == "other" and claimed == "docx" and head.startswith(b"PK\x03\x04"):
        kind = "docx"  # a ZIP named .docx whose parts are not all in the head; the worker checks
    reason = None
    if kind == "other" and claimed:
        reason = f"The file is not a {LABELS[claimed]} although its name says so."
    return Detection(kind, claimed, reason)


def detect_type(head: bytes, filename: str | os.PathLike[str] = "") -> str:
    """``"pdf"``, ``"png"``, ``"jpeg"``, ``"tiff"``, ``"docx"`` or ``"other"``, by magic bytes."""
    return detect(head, filename).kind


class Refused(Exception):
    """The file cannot be extracted: a stable code and an English sentence."""

    def __init__(self, code: str, detail: str | None = None) -> None:
        super().__init__(code, detail)
        self.code = code
        self.detail = detail


def short_error(exc: BaseException) -> str:
    text = " ".join(str(exc).split()) or type(exc).__name__
    return text[:200]


_CONTROL = re.compile("[\x00-\x08\x0e-\x1f\x7f\ud800-\udfff\ufffe\uffff]")
_BREAKS = re.compile("\r\n?|[\x0b\x0c\x1c-\x1e\x85\u2028\u2029]")
_SOFT_HYPHEN = re.compile("\x02(?:\r?\n)?")  # pdfium's hyphen at a line end: join the word


def clean_text(text: str) -> str:
    """Line breaks as ``\\n``, no form feeds (they separate pages), no control characters."""
    text = _BREAKS.sub("\n", _SOFT_HYPHEN.sub("", text))
    text = _CONTROL.sub("", text)
    return unicodedata.normalize("NFC", text)


def nonspace(text: str) -> int:
    return sum(map(len, text.split()))
