"""The text-extraction worker: the part of the pipeline that touches untrusted files.

It always runs in a child process started by :func:`docflow.registry.extraction.extract`, under
memory/CPU/file-size limits, and prints one JSON object on stdout::

    python -m docflow.registry.extract_worker FILE [--kind KIND] [--preview OUT.png] [--limits JSON]

or, normally, in a child forked by the zygote (``zygote_main``, at the end of this module), which
has the libraries imported already and never parses a file itself.

This module must stay importable without Flask or the ``docflow`` package (the parent runs it by
file path with ``python -I`` to keep the start-up cheap), and it imports the heavy libraries
(pypdfium2, Pillow, lxml) only when a file needs them.

Choices below were measured on the samples in ``tests/registry/data``:

- PDF text layer: pypdfium2 (≈1 ms/page; pdfplumber gives the same text ≈20× slower).
- OCR input: grayscale + 3×3 median filter (removes scanner speckle: 7/8 → 8/8 words on the
  image-only PDF, 8/9 → 9/9 on the photo; harmless on clean pages), images under 1400 px on the
  long side upscaled 2× first (faster and as accurate on small photos), fed to ``tesseract`` as
  PGM on stdin (PNG encoding of a noisy page costs ≈0.4 s).
- Image-only PDF pages are rendered at the resolution of their scan (clamped to 150–300 dpi)
  rather than a fixed 300 dpi: upsampled speckle hurts OCR and costs time.
"""

from __future__ import annotations

import contextlib
import io
import json
import math
import mmap
import os
import re
import resource
import struct
import subprocess
import sys
import time
import traceback
import unicodedata
import warnings
import zlib
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
MIN_TEXT_CHARS = 20  # a PDF page with fewer non-space characters in its text layer is OCR'd
UPSCALE_BELOW = 1400  # px, long side under which an image is upscaled 2× before OCR
OCR_MAX_SIDE = 6000  # px, larger images are scaled down before OCR
DEFLATE_MAX_RATIO = 1032  # deflate cannot expand data more than ~1032:1
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


def _short(exc: BaseException) -> str:
    text = " ".join(str(exc).split()) or type(exc).__name__
    return text[:200]


# ---------------------------------------------------------------------------------------------
# The job: collects pages, watches the clock, runs OCR


_CONTROL = re.compile("[\x00-\x08\x0e-\x1f\x7f\ud800-\udfff\ufffe\uffff]")
_BREAKS = re.compile("\r\n?|[\x0b\x0c\x1c-\x1e\x85\u2028\u2029]")
_SOFT_HYPHEN = re.compile("\x02(?:\r?\n)?")  # pdfium's hyphen at a line end: join the word
_JUNK = re.compile("[\ufffd\ue000-\uf8ff]")


def clean_text(text: str) -> str:
    """Line breaks as ``\\n``, no form feeds (they separate pages), no control characters."""
    text = _BREAKS.sub("\n", _SOFT_HYPHEN.sub("", text))
    text = _CONTROL.sub("", text)
    return unicodedata.normalize("NFC", text)


def _nonspace(text: str) -> int:
    return sum(map(len, text.split()))


class Job:
    def __init__(self, path: str, limits: Limits, preview: str | None) -> None:
        self.path = path
        self.limits = limits
        self.preview = preview
        self.start = time.monotonic()
        self.kind = "other"
        self.pages: list[str] = []
        self.page_count: int | None = None
        self.ocr_pages = 0
        self.ocr_failures = 0
        self.chars = 0
        self.truncated = False
        self.warnings: list[str] = []
        self.preview_written = False

    # time -----------------------------------------------------------------------------------
    def remaining(self) -> float:
        return self.limits.wall_seconds * 0.9 - (time.monotonic() - self.start)

    def check_time(self, done_pages: int) -> None:
        """Stop (keeping the pages done so far) before the parent's hard limits strike."""
        usage = os.times()
        cpu = usage.user + usage.system
        if self.remaining() < 1 or cpu > self.limits.cpu_seconds * 0.9:
            total = self.page_count or done_pages
            raise Refused(
                "timeout",
                f"Processing took too long and was stopped after {done_pages} of {total} pages.",
            )

    # pages ----------------------------------------------------------------------------------
    def add_page(self, text: str) -> None:
        room = self.limits.max_text_chars - self.chars
        if len(text) > room:
            text = text[: max(room, 0)]
            if not self.truncated:
                self.truncated = True
                self.warnings.append(
                    f"The text was cut at {self.limits.max_text_chars} characters."
                )
        self.chars += len(text)
        self.pages.append(text)

    # OCR ------------------------------------------------------------------------------------
    def ocr(self, image: Any, dpi: float | None) -> str | None:
        """Text of a Pillow image by ``tesseract``; None (and a warning) if this page failed."""
        from PIL import Image, ImageFilter

        page_no = len(self.pages) + 1
        image = _flatten(image)
        if max(image.size) < UPSCALE_BELOW:
            image = image.resize((image.width * 2, image.height * 2), Image.Resampling.LANCZOS)
            dpi = dpi * 2 if dpi else None
        elif max(image.size) > OCR_MAX_SIDE:
            factor = OCR_MAX_SIDE / max(image.size)
            size = (max(1, round(image.width * factor)), max(1, round(image.height * factor)))
            image = image.resize(size, Image.Resampling.LANCZOS)
            dpi = dpi * factor if dpi else None
        image = image.filter(ImageFilter.MedianFilter(3))
        pgm = b"P5\n%d %d\n255\n" % image.size + image.tobytes()
        del image
        cmd = ["tesseract", "stdin", "stdout", "-l", self.limits.ocr_languages, "--psm", "3"]
        if dpi and 70 <= dpi <= 2400:
            cmd += ["--dpi", str(round(dpi))]
        timeout = max(1.0, min(self.limits.ocr_page_seconds, self.remaining()))
        self.ocr_pages += 1
        try:
            run = subprocess.run(  # noqa: S603 - fixed command, no shell
                cmd, input=pgm, capture_output=True, timeout=timeout, check=False
            )
        except FileNotFoundError:
            raise Refused("ocr_failed", "The tesseract command is not installed.") from None
        except subprocess.TimeoutExpired:
            self.ocr_failures += 1
            self.warnings.append(f"OCR of page {page_no} took too long and was stopped.")
            return None
        if run.returncode != 0:
            message = _last_line(run.stderr)
            if "Failed loading language" in message or "Could not initialize" in message:
                raise Refused("ocr_failed", f"Tesseract cannot start: {message}")
            self.ocr_failures += 1
            self.warnings.append(f"OCR of page {page_no} failed: {message}")
            return None
        return clean_text(run.stdout.decode("utf-8", "replace")).strip()


def _last_line(data: bytes) -> str:
    lines = [ln.strip() for ln in data.decode("utf-8", "replace").splitlines() if ln.strip()]
    return lines[-1][:200] if lines else "no message"


def _flatten(image: Any) -> Any:
    """Grayscale (8 bits), transparent areas on white."""
    if image.mode in ("I;16", "I;16B", "I;16L", "I;16N"):
        image = image.convert("I").point(lambda v: v * (1 / 256))
    return _on_white(image).convert("L")


def _on_white(image: Any) -> Any:
    from PIL import Image

    if image.mode == "P" and "transparency" in image.info:
        image = image.convert("RGBA")
    if image.mode in ("RGBA", "LA", "PA", "RGBa", "La"):
        rgba = image.convert("RGBA")
        white = Image.new("RGBA", rgba.size, (255, 255, 255, 255))
        image = Image.alpha_composite(white, rgba).convert("RGB")
    return image


def _save_png(image: Any, out: str) -> None:
    """The preview: at most PREVIEW_SIDE px on the long side, RGB or grayscale."""
    from PIL import Image

    if max(image.size) > PREVIEW_SIDE:
        factor = PREVIEW_SIDE / max(image.size)
        size = (max(1, int(image.width * factor)), max(1, int(image.height * factor)))
        image = image.resize(size, Image.Resampling.LANCZOS, reducing_gap=3.0)
    if image.mode not in ("RGB", "L"):
        if image.mode.startswith("I") or image.mode == "F":
            image = _flatten(image)
        else:
            image = _on_white(image).convert("RGB")
    buf = io.BytesIO()
    image.save(buf, "PNG", compress_level=6)
    if buf.tell() <= MAX_PREVIEW_BYTES:
        Path(out).write_bytes(buf.getvalue())


# ---------------------------------------------------------------------------------------------
# PDF

_STREAM = re.compile(rb"stream\r?\n")  # (a lookbehind for "endstream" makes it 40× slower)


def _inflated_size(data: Any, start: int, end: int, cap: int) -> int:
    """Bytes the zlib stream ``data[start:end]`` inflates to, counting at most a little over
    ``cap`` (what it inflated to before an error, if it is not zlib data)."""
    inflater = zlib.decompressobj()
    produced, step = 0, 1 << 20
    for pos in range(start, end, 1 << 16):
        try:
            produced += len(inflater.decompress(data[pos : min(pos + (1 << 16), end)], step))
            while inflater.unconsumed_tail and produced <= cap:
                produced += len(inflater.decompress(inflater.unconsumed_tail, step))
        except zlib.error:
            return produced
        if produced > cap or inflater.eof:
            break
    return produced


def check_pdf_streams(path: str, limits: Limits) -> None:
    """Refuse a PDF with a compressed stream that inflates beyond ``max_stream_bytes``.

    Only streams long enough to possibly exceed the limit are inflated (and the output is thrown
    away as it comes), so ordinary PDFs pay almost nothing; PDFium would otherwise allocate the
    whole inflated stream and hit the memory limit with a less helpful error.
    """
    cap = limits.max_stream_bytes
    threshold = cap // DEFLATE_MAX_RATIO
    with open(path, "rb") as fh, mmap.mmap(fh.fileno(), 0, access=mmap.ACCESS_READ) as data:
        starts = [
            m.end() for m in _STREAM.finditer(data) if data[m.start() - 3 : m.start()] != b"end"
        ]
        for start in starts:
            end = data.find(b"endstream", start)
            end = len(data) if end < 0 else end
            if end - start >= threshold and _inflated_size(data, start, end, cap) > cap:
                raise Refused(
                    "too_large",
                    f"A compressed part of the PDF expands to more than {cap // MB} MB.",
                )


def extract_pdf(job: Job) -> None:
    limits = job.limits
    check_pdf_streams(job.path, limits)
    import pypdfium2 as pdfium
    import pypdfium2.raw as pdfium_c

    try:
        doc = pdfium.PdfDocument(job.path)
    except pdfium.PdfiumError as exc:
        code = getattr(exc, "err_code", None)  # pypdfium2 ≥ 5; before, ask PDFium
        code = pdfium_c.FPDF_GetLastError() if code is None else code
        if code in (pdfium_c.FPDF_ERR_PASSWORD, pdfium_c.FPDF_ERR_SECURITY):
            raise Refused("encrypted", "The PDF is password-protected.") from None
        raise Refused("corrupt", "The PDF is damaged or truncated and cannot be read.") from None
    try:
        count = len(doc)
        if count == 0:
            raise Refused("corrupt", "The PDF has no pages.")
        if count > limits.max_pages:
            raise Refused(
                "too_large", f"The PDF has {count} pages; the limit is {limits.max_pages}."
            )
        job.page_count = count
        for index in range(count):
            job.check_time(index)
            page = doc[index]
            try:
                text = _pdf_text(page)
                junk = _is_junk(text)
                width, height = page.get_size()
                drawable = width >= 1 and height >= 1
                if drawable and (junk or _nonspace(text) < MIN_TEXT_CHARS):
                    image, dpi = _render_for_ocr(page, limits, pdfium_c)
                    ocr_text = job.ocr(image, dpi)
                    del image
                    if ocr_text and (junk or _nonspace(ocr_text) > _nonspace(text)):
                        text = ocr_text
                if index == 0 and job.preview and drawable:
                    job.preview_written = _pdf_preview(page, job.preview)
            finally:
                page.close()
            job.add_page(text)
    finally:
        doc.close()


def _pdf_preview(page: Any, out: str) -> bool:
    """Render the page ≤ PREVIEW_SIDE px and write it as PNG (without Pillow: saves its import)."""
    scale = (PREVIEW_SIDE - 0.5) / max(page.get_size())
    bitmap = page.render(scale=scale, rev_byteorder=True)
    if bitmap.n_channels not in (1, 3) or max(bitmap.width, bitmap.height) > PREVIEW_SIDE:
        _save_png(bitmap.to_pil(), out)
        return True
    data = png_bytes(bitmap.width, bitmap.height, bitmap.n_channels, bitmap.stride, bitmap.buffer)
    if len(data) <= MAX_PREVIEW_BYTES:
        Path(out).write_bytes(data)
        return True
    return False


def png_bytes(width: int, height: int, channels: int, stride: int, buffer: Any) -> bytes:
    """A minimal 8-bit grayscale (1 channel) or RGB (3 channels) PNG from raw rows."""
    view = memoryview(buffer).cast("B")
    row = width * channels
    raw = b"".join(b"\x00" + view[y * stride : y * stride + row] for y in range(height))

    def chunk(tag: bytes, body: bytes) -> bytes:
        return struct.pack(">I", len(body)) + tag + body + struct.pack(">I", zlib.crc32(tag + body))

    header = struct.pack(">IIBBBBB", width, height, 8, 0 if channels == 1 else 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(raw, 6))
        + chunk(b"IEND", b"")
    )


def _pdf_text(page: Any) -> str:
    try:
        textpage = page.get_textpage()
    except Exception:
        return ""
    try:
        # explicit count: pypdfium2 4 redirects a call without arguments to get_text_bounded()
        return clean_text(textpage.get_text_range(0, textpage.count_chars()))
    finally:
        textpage.close()


def _is_junk(text: str) -> bool:
    """A text layer made of replacement/private-use characters (fonts without a Unicode map)."""
    return len(_JUNK.findall(text)) > 0.3 * max(_nonspace(text), 1)


def _render_for_ocr(page: Any, limits: Limits, pdfium_c: Any) -> tuple[Any, float]:
    width, height = page.get_size()
    dpi = float(limits.ocr_dpi)
    scan_dpi = 0.0
    area = width * height
    with contextlib.suppress(Exception):  # only a hint: fall back to ocr_dpi
        for obj in page.get_objects(filter=(pdfium_c.FPDF_PAGEOBJ_IMAGE,), max_depth=2):
            left, bottom, right, top = obj.get_bounds()
            box_w, box_h = right - left, top - bottom
            if box_w <= 0 or box_h <= 0 or box_w * box_h < 0.25 * area:
                continue
            px_w, px_h = obj.get_px_size()
            scan_dpi = max(scan_dpi, max(px_w, px_h) / (max(box_w, box_h) / 72))
    if scan_dpi:
        dpi = min(dpi, max(150.0, scan_dpi))
    scale = dpi / 72
    if area * scale * scale > limits.max_pixels:
        scale = math.sqrt(limits.max_pixels / area)
    bitmap = page.render(scale=scale, grayscale=True, may_draw_forms=True)
    return bitmap.to_pil(), scale * 72


# ---------------------------------------------------------------------------------------------
# Images


def extract_image(job: Job) -> None:
    from PIL import Image, ImageOps, UnidentifiedImageError

    limits = job.limits
    Image.MAX_IMAGE_PIXELS = limits.max_pixels
    warnings.simplefilter("error", Image.DecompressionBombWarning)
    too_big = f"The image is too large; the limit is {limits.max_pixels / 1e6:g} megapixels."
    try:
        Image.MAX_IMAGE_PIXELS = None  # checked below, with a message that names the size
        image = Image.open(job.path)  # reads the header only
        Image.MAX_IMAGE_PIXELS = limits.max_pixels
        _check_size(image, limits)
        frames = getattr(image, "n_frames", 1)
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise Refused("too_large", too_big) from None
    except UnidentifiedImageError:
        raise Refused("corrupt", "The image cannot be read.") from None
    except (OSError, SyntaxError, ValueError, EOFError, struct.error, IndexError) as exc:
        raise Refused("corrupt", f"The image cannot be read: {_short(exc)}.") from None
    if frames > limits.max_pages:
        raise Refused(
            "too_large", f"The image has {frames} pages; the limit is {limits.max_pages}."
        )
    job.page_count = frames
    with image:
        for index in range(frames):
            job.check_time(index)
            try:
                if index:
                    image.seek(index)
                width, height = _check_size(image, limits)
                if image.format == "JPEG" and max(width, height) > OCR_MAX_SIDE:
                    image.draft(image.mode, (OCR_MAX_SIDE, OCR_MAX_SIDE))
                image.load()
                rotated = image.getexif().get(0x0112, 1) not in (0, 1)  # EXIF orientation
                frame = ImageOps.exif_transpose(image) if rotated else image
            except Refused:
                raise
            except (Image.DecompressionBombError, Image.DecompressionBombWarning):
                raise Refused("too_large", too_big) from None
            except MemoryError:
                raise
            except Exception as exc:  # decoders raise all sorts on hostile data
                raise Refused("corrupt", f"The image cannot be read: {_short(exc)}.") from None
            if index == 0 and job.preview:
                _save_png(frame, job.preview)
                job.preview_written = True
            dpi = _image_dpi(image)
            text = job.ocr(frame, dpi)
            del frame
            job.add_page(text or "")


def _check_size(image: Any, limits: Limits) -> tuple[int, int]:
    width, height = image.size
    if width * height > limits.max_pixels:
        raise Refused(
            "too_large",
            f"The image is too large: {width} × {height} pixels; "
            f"the limit is {limits.max_pixels / 1e6:g} megapixels.",
        )
    if width <= 0 or height <= 0:
        raise Refused("corrupt", "The image is empty.")
    return width, height


def _image_dpi(image: Any) -> float | None:
    dpi = image.info.get("dpi")
    try:
        value = float(dpi[0]) if dpi else None
    except (TypeError, ValueError, IndexError):
        return None
    return value if value and 70 <= value <= 2400 else None


# ---------------------------------------------------------------------------------------------
# DOCX

W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"
MC_FALLBACK = "{http://schemas.openxmlformats.org/markup-compatibility/2006}Fallback"
APP_PAGES = "{http://schemas.openxmlformats.org/officeDocument/2006/extended-properties}Pages"


def _ziputil() -> Any:
    """``docflow/core/ziputil.py``, the ZIP checks shared with the minutes parser, loaded by its
    path: this module runs without the ``docflow`` package (see the module docstring)."""
    if __package__:  # imported as docflow.registry.extract_worker: the package is there
        from docflow.core import ziputil

        return ziputil
    module = sys.modules.get("ziputil")
    if module is None:
        import importlib.util

        path = Path(__file__).resolve().parent.parent / "core" / "ziputil.py"
        spec = importlib.util.spec_from_file_location("ziputil", path)
        module = importlib.util.module_from_spec(spec)
        sys.modules["ziputil"] = module  # dataclasses look their module up while it executes
        spec.loader.exec_module(module)
    return module


def _zip_entry_count(path: str) -> int:
    """Entries declared by the end-of-central-directory record, read before ``zipfile`` does."""
    ziputil = _ziputil()
    size = os.path.getsize(path)
    with open(path, "rb") as fh:
        fh.seek(max(0, size - ziputil.TAIL_BYTES))
        tail = fh.read()
    try:
        return ziputil.declared_entries(tail)
    except ziputil.ZipRefused as exc:
        raise Refused(exc.code, exc.message) from None


def check_zip(infos: list[Any], limits: Limits) -> None:
    """Refuse ZIP bombs from the central directory alone, before anything is inflated."""
    ziputil = _ziputil()
    zip_limits = ziputil.ZipLimits(
        max_entries=limits.max_zip_entries,
        max_total=limits.max_zip_total,
        max_ratio=limits.max_zip_ratio,
        ratio_min_bytes=MB,
    )
    try:
        ziputil.check_entries(infos, zip_limits)
    except ziputil.ZipRefused as exc:
        raise Refused(exc.code, exc.message) from None


def _xml_events(stream: Any) -> Any:
    """Safe streaming XML: no DTD loading, no entity expansion, no network; DTDs are refused."""
    from lxml import etree

    events = etree.iterparse(
        stream,
        events=("start", "end"),
        resolve_entities=False,
        no_network=True,
        load_dtd=False,
        huge_tree=False,
        remove_comments=True,
        remove_pis=True,
    )
    first = True
    for event, element in events:
        if first:
            first = False
            info = element.getroottree().docinfo
            if info.doctype or info.internalDTD is not None or info.externalDTD is not None:
                raise Refused(
                    "unsafe",
                    "The document declares a DTD (possibly external entities) and was not read.",
                )
        yield event, element


def docx_text(stream: Any, max_chars: int) -> str:
    """Text of ``word/document.xml``: paragraphs on lines, table cells separated by tabs."""
    parts: list[str] = []
    chars = 0
    fallback = cells = 0
    body = W + "body"
    for event, el in _xml_events(stream):
        tag = el.tag
        if event == "start":
            if tag == MC_FALLBACK:
                fallback += 1  # the same content again, for old readers
            elif tag == W + "tc":
                cells += 1
            continue
        piece = None
        if tag == MC_FALLBACK:
            fallback -= 1
        elif tag == W + "tc":
            cells -= 1
            piece = None if fallback else "\t"
        elif fallback:
            pass
        elif tag == W + "t":
            piece = el.text
        elif tag in (W + "tab", W + "br", W + "cr", W + "noBreakHyphen"):
            parent = el.getparent()
            if parent is not None and parent.tag == W + "r":
                piece = {W + "tab": "\t", W + "noBreakHyphen": "-"}.get(tag, "\n")
        elif tag == W + "p":
            piece = " " if cells else "\n"
        elif tag == W + "tr":
            piece = "\n"
        if piece:
            parts.append(piece)
            chars += len(piece)
            if chars > max_chars:
                break
        parent = el.getparent()
        if parent is not None and parent.tag == body:  # keep memory flat on long documents
            el.clear(keep_tail=True)
            while el.getprevious() is not None:
                del parent[0]
    text = re.sub(r" +(?=[\t\n])", "", "".join(parts))  # a cell's last paragraph break
    lines = (line.strip(" \t") for line in clean_text(text).split("\n"))
    return re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).strip()[:max_chars]


def extract_docx(job: Job) -> None:
    import zipfile

    from lxml import etree

    limits = job.limits
    if _zip_entry_count(job.path) > limits.max_zip_entries:
        raise Refused("unsafe", f"The DOCX file has more than {limits.max_zip_entries} parts.")
    try:
        archive = zipfile.ZipFile(job.path)
    except (zipfile.BadZipFile, OSError, ValueError, EOFError, struct.error) as exc:
        raise Refused("corrupt", f"The DOCX file is damaged: {_short(exc)}.") from None
    with archive:
        infos = archive.infolist()
        check_zip(infos, limits)
        names = {info.filename for info in infos}
        if "word/document.xml" not in names:
            raise Refused("not_supported", "The file is not a DOCX although its name says so.")
        try:
            with archive.open("word/document.xml") as stream:
                text = docx_text(stream, limits.max_text_chars)
        except Refused:
            raise
        except MemoryError:
            raise
        except (etree.LxmlError, zipfile.BadZipFile, OSError, EOFError, ValueError) as exc:
            raise Refused("corrupt", f"The DOCX file is damaged: {_short(exc)}.") from None
        if "docProps/app.xml" in names and archive.getinfo("docProps/app.xml").file_size < MB:
            with contextlib.suppress(Exception), archive.open("docProps/app.xml") as stream:
                for event, el in _xml_events(stream):
                    if event == "end" and el.tag == APP_PAGES and (el.text or "").strip():
                        job.page_count = int(el.text.strip())
                        break
    if len(text) >= limits.max_text_chars:
        job.warnings.append(f"The text was cut at {limits.max_text_chars} characters.")
    job.add_page(text)


# ---------------------------------------------------------------------------------------------
# Entry point

EXTRACTORS = {
    "pdf": extract_pdf,
    "png": extract_image,
    "jpeg": extract_image,
    "tiff": extract_image,
    "docx": extract_docx,
}


def run(path: str, limits: Limits, *, kind: str | None = None, preview: str | None = None) -> dict:
    """Extract ``path`` in this process; the result as a JSON-ready dict. Never raises."""
    job = Job(path, limits, preview)
    status, code, detail = "done", None, None
    try:
        size = os.path.getsize(path)
        if size == 0:
            raise Refused("corrupt", "The file is empty.")
        if size > limits.max_bytes:
            raise Refused(
                "too_large",
                f"The file is {size / MB:.1f} MB; the limit is {limits.max_bytes / MB:g} MB.",
            )
        if kind is None:
            with open(path, "rb") as fh:
                found = detect(fh.read(HEAD_BYTES), path)
            kind = found.kind
            if kind == "other" and found.reason:
                raise Refused("not_supported", found.reason)
        job.kind = kind
        if kind not in EXTRACTORS:
            status, code = "skipped", "not_supported"
            detail = "Text extraction is not supported for this file type; the file is kept as is."
        else:
            EXTRACTORS[kind](job)
            if job.ocr_pages and job.ocr_failures == job.ocr_pages and not any(job.pages):
                raise Refused("ocr_failed", job.warnings[-1] if job.warnings else None)
    except Refused as exc:
        status, code, detail = "failed", exc.code, exc.detail
    except MemoryError:
        status, code = "failed", "memory"
        detail = "Processing the file needed more memory than allowed."
    except RecursionError:
        status, code, detail = "failed", "corrupt", "The file is nested too deeply to be read."
    except Exception as exc:
        traceback.print_exc(file=sys.stderr)
        status, code = "failed", "internal"
        detail = f"Unexpected error while reading the file ({type(exc).__name__}: {_short(exc)})."
    return {
        "status": status,
        "kind": job.kind,
        "pages": job.pages,
        "page_count": job.page_count,
        "ocr_pages": job.ocr_pages,
        "error_code": code,
        "error_detail": detail,
        "warnings": job.warnings,
        "preview": job.preview_written,
    }


def emit(result: dict) -> None:
    """Write ``result`` as one JSON object on stdout (what the parent parses)."""
    try:
        payload = json.dumps(result, ensure_ascii=False).encode("utf-8")
    except (ValueError, UnicodeError) as exc:
        traceback.print_exc(file=sys.stderr)
        result.update(status="failed", pages=[], error_code="internal", error_detail=_short(exc))
        payload = json.dumps(result).encode("utf-8")
    sys.stdout.buffer.write(payload)
    sys.stdout.buffer.flush()


def apply_rlimits(pairs: list[tuple[int, int]] | list[list[int]]) -> None:
    """Set (resource, value) pairs computed by the parent; RLIMIT_CPU gets a 5 s grace between
    SIGXCPU (soft) and SIGKILL (hard). Runs in the child only: between fork and exec for the
    per-file process, right after the fork for a child of the zygote."""
    for res, value in pairs:
        if res == resource.RLIMIT_CPU:
            resource.setrlimit(res, (value, value + 5))
        else:
            resource.setrlimit(res, (value, value))


def main(argv: list[str] | None = None) -> int:
    import argparse

    parser = argparse.ArgumentParser(description="Extract the text of one file (JSON on stdout).")
    parser.add_argument("file")
    parser.add_argument("--kind", choices=[*KINDS, "other"])
    parser.add_argument("--preview", help="write the first page as a PNG here")
    parser.add_argument("--limits", help="Limits as JSON")
    args = parser.parse_args(argv)
    limits = Limits.from_json(args.limits) if args.limits else Limits()
    emit(run(args.file, limits, kind=args.kind, preview=args.preview))
    return 0


# ---------------------------------------------------------------------------------------------
# The zygote: a long-lived process that has imported the libraries and forks one child per file
#
# Protocol (an AF_UNIX SOCK_SEQPACKET pair, one JSON object per message):
#   parent -> zygote  {"op": "run", "path", "kind", "preview", "tmp", "limits", "rlimits"}
#                     with two file descriptors attached (SCM_RIGHTS): the write ends of the
#                     child's stdout and stderr pipes; the parent reads the other ends
#   zygote -> parent  {"pid": N} once forked, {"status": RC} once the child has exited (RC as
#                     Popen.returncode: the exit code, or -signal)
#   parent -> zygote  {"op": "done"}: the parent has finished with the child's pid (its timeout
#                     kill can no longer hit another process), the zygote reaps the zombie
# The zygote itself never opens the file: only its children parse, under their limits.


def preload() -> None:
    """Import everything a child may need, so each child starts with it already loaded."""
    import zipfile  # noqa: F401

    import lxml.etree  # noqa: F401
    import pypdfium2
    import pypdfium2.raw  # noqa: F401
    from PIL import Image, ImageFilter, ImageOps  # noqa: F401

    Image.init()  # the format plugins (TIFF is not among the ones Image.open loads first)
    _ziputil()  # the ZIP checks of DOCX files
    with contextlib.suppress(Exception):  # only an optimisation
        _warm_up()


def _warm_up() -> None:
    """Exercise PDFium once on a page built here (never on a file): text, a standard font,
    rendering and the PNG encoder, so each child does not pay their first-use costs again."""
    import ctypes

    import pypdfium2 as pdfium
    import pypdfium2.raw as pdfium_c

    doc = pdfium.PdfDocument.new()
    try:
        page = doc.new_page(595, 842)
        text = pdfium_c.FPDFPageObj_NewTextObj(doc.raw, b"Helvetica", 12.0)
        pdfium_c.FPDFPageObj_Transform(text, 1, 0, 0, 1, 72, 720)
        encoded = ctypes.create_string_buffer("Warm-up 0123\0".encode("utf-16-le"))
        pdfium_c.FPDFText_SetText(text, ctypes.cast(encoded, ctypes.POINTER(pdfium_c.FPDF_WCHAR)))
        pdfium_c.FPDFPage_InsertObject(page.raw, text)
        pdfium_c.FPDFPage_GenerateContent(page.raw)
        _pdf_text(page)
        bitmap = page.render(scale=(PREVIEW_SIDE - 0.5) / 842, rev_byteorder=True)
        png_bytes(bitmap.width, bitmap.height, bitmap.n_channels, bitmap.stride, bitmap.buffer)
        page.render(scale=0.5, grayscale=True).to_pil()
        page.close()
    finally:
        doc.close()


def zygote_main(fd: int) -> int:
    """Serve jobs on the socket ``fd`` until the parent closes it."""
    import gc
    import socket

    sock = socket.socket(fileno=fd)
    try:
        preload()
    except Exception as exc:
        with contextlib.suppress(OSError):
            sock.send(json.dumps({"error": f"{type(exc).__name__}: {_short(exc)}"}).encode())
        return 1
    gc.freeze()  # keep the preloaded objects out of the children's collections (copy-on-write)
    sock.send(json.dumps({"ready": os.getpid()}).encode())
    child = None
    while True:
        try:
            data, fds, _flags, _addr = socket.recv_fds(sock, 1 << 16, 2)
        except OSError:
            data, fds = b"", []
        if child is not None:
            _reap(child)
            child = None
        try:
            job = json.loads(data) if data else None
        except ValueError:
            job = {}
        if job is None or job.get("op") != "run" or len(fds) != 2:
            for extra in fds:
                os.close(extra)
            if job is None:  # the parent closed the socket (or exited)
                return 0
            continue
        try:
            child = os.fork()
        except OSError as exc:
            child = None
            with contextlib.suppress(OSError):
                sock.send(json.dumps({"error": f"fork failed: {_short(exc)}"}).encode())
        if child == 0:
            _zygote_child(job, fds, sock)  # never returns
        for extra in fds:
            os.close(extra)
        if child is None:
            continue
        try:
            sock.send(json.dumps({"pid": child}).encode())
            status = _wait_child(child, sock)
            sock.send(json.dumps({"status": status}).encode())
        except OSError:  # the parent is gone: the next recv ends the loop
            _kill_group(child)


def _zygote_child(job: dict, fds: list[int], sock: Any) -> None:
    """In the forked child: own process group, stdout/stderr to the parent's pipes, limits, run."""
    code = 1
    try:
        os.setsid()  # a process group of its own, killed as a whole on timeout
        sock.close()  # the child cannot talk to the zygote
        out, err = fds
        os.dup2(out, 1)
        os.dup2(err, 2)
        os.close(out)
        os.close(err)
        os.closerange(3, 256)  # anything else of the zygote's (its descriptors are few and low)
        tmp = job["tmp"]
        os.chdir(tmp)
        os.environ["HOME"] = os.environ["TMPDIR"] = tmp
        apply_rlimits(job["rlimits"])
        limits = Limits.from_json(job["limits"])
        emit(run(job["path"], limits, kind=job["kind"], preview=job["preview"]))
        code = 0
    except BaseException:
        with contextlib.suppress(BaseException):
            traceback.print_exc(file=sys.stderr)
    finally:
        with contextlib.suppress(BaseException):
            sys.stdout.flush()
            sys.stderr.flush()
        os._exit(code)


def _wait_child(pid: int, sock: Any) -> int:
    """Wait for the child to exit without reaping it (the zombie keeps its pid and process group
    ours until the parent says "done"), kill what is left of its group, return its returncode.
    If the parent goes away meanwhile, the child's group is killed."""
    import select
    import socket

    try:
        pidfd = os.pidfd_open(pid)
    except (AttributeError, OSError):
        pidfd = None  # no pidfd: just wait (a parent that dies meanwhile is noticed afterwards)
    if pidfd is not None:
        try:
            poller = select.poll()
            poller.register(pidfd, select.POLLIN)
            poller.register(sock, select.POLLIN)
            while not any(fd == pidfd for fd, _ in poller.poll()):
                try:
                    gone = not sock.recv(1, socket.MSG_PEEK | socket.MSG_DONTWAIT)
                except BlockingIOError:
                    continue
                except OSError:
                    gone = True
                if gone:
                    _kill_group(pid)
                poller.unregister(sock)  # gone, or talking out of turn: only the child matters
        finally:
            os.close(pidfd)
    info = os.waitid(os.P_PID, pid, os.WEXITED | os.WNOWAIT)
    _kill_group(pid)  # a tesseract left behind
    if info is None:  # cannot happen without WNOHANG
        return -1
    return info.si_status if info.si_code == os.CLD_EXITED else -info.si_status


def _reap(pid: int) -> None:
    with contextlib.suppress(ChildProcessError):
        os.waitpid(pid, 0)


def _kill_group(pid: int) -> None:
    import signal

    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(pid, signal.SIGKILL)


if __name__ == "__main__":
    sys.exit(main())
