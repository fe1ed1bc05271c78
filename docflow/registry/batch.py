"""Split a clerk's multi-page scan into documents at the registration labels.

A clerk scans a stack of paper in one go. Each page carrying a registration label (a QR code of
the registration number, see :mod:`docflow.registry.slips`) starts a new document attached to
that registered item; pages before the first label, and documents whose label holds a number
the caller does not know, go to the "unmatched scans" queue (``Segment.reg_number is None``).

Pure functions on files (no Flask): PDF pages are rendered with pypdfium2, TIFF frames are read
with Pillow, QR codes are decoded with zxing-cpp. The original scan is never modified.
"""

from __future__ import annotations

import contextlib
import os
import re
import tempfile
import warnings
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

import pypdfium2 as pdfium
import zxingcpp
from PIL import Image, UnidentifiedImageError

__all__ = [
    "MAX_PAGES",
    "MAX_PIXELS",
    "Segment",
    "decode_qr",
    "looks_like_reg_number",
    "page_count",
    "pick_label",
    "split_scan",
    "write_segment",
]

MAX_PAGES = 500
MAX_PIXELS = 100_000_000  # per page image, ~ A0 at 300 dpi; Pillow's own bomb limit is ~89 Mpx

# A registration number: a letter prefix, then groups of letters/digits joined by "-" or "/",
# at least one group all digits ("ЖТ-2026-00000742", "КХ-2026-000012"). No spaces, no ":", so
# URLs and free text are never taken for a number.
_REG_NUMBER = re.compile(r"[^\W\d_]{1,10}(?:[-/][^\W_]{1,20}){1,5}")
_DIGITS = re.compile(r"[-/]\d+(?=[-/]|$)")

PathLike = str | os.PathLike[str]


@dataclass
class Segment:
    """Consecutive pages of a scan (0-based indices) that make one document.

    ``reg_number`` is the registration number from the label on the first page, or None for
    pages before the first label and for a label whose number is unknown — then
    ``unknown_label`` holds what that label said.
    """

    reg_number: str | None
    pages: list[int]
    unknown_label: str | None = None


# --- QR codes ----------------------------------------------------------------------------


def _text(barcode: Any) -> str:
    """The payload as text: raw bytes read as UTF-8 when they are UTF-8, else zxing's text."""
    raw = getattr(barcode, "bytes", None)
    if raw:
        with contextlib.suppress(UnicodeDecodeError):
            return bytes(raw).decode("utf-8")
    return str(barcode.text)


def decode_qr(image: Image.Image) -> list[str]:
    """The payloads of the QR codes found on a page image, top to bottom, left to right.

    Works on a whole page: a label in a corner of an A4 page at 150–300 dpi is found. The
    payload is read as UTF-8 (Cyrillic registration numbers) whether or not the code has an
    ECI marker.
    """
    if image.mode not in ("L", "RGB"):
        image = image.convert("L")
    found = zxingcpp.read_barcodes(image, formats=zxingcpp.BarcodeFormat.QRCode)

    def place(barcode: Any) -> tuple[int, int]:
        pos = barcode.position
        return (min(pos.top_left.y, pos.top_right.y), min(pos.top_left.x, pos.bottom_left.x))

    payloads = []
    for barcode in sorted(found, key=place):
        text = _text(barcode)
        if text and text not in payloads:
            payloads.append(text)
    return payloads


def looks_like_reg_number(text: str) -> bool:
    """Whether a QR payload has the shape of a registration number (not a URL or free text)."""
    text = text.strip()
    return len(text) <= 64 and bool(_REG_NUMBER.fullmatch(text)) and bool(_DIGITS.search(text))


def pick_label(
    payloads: list[str], is_known: Callable[[str], bool] | None = None
) -> tuple[str | None, str | None]:
    """Which of a page's QR payloads is its registration label.

    Returns ``(reg_number, unknown_label)``: ``(None, None)`` when no payload is a label (the
    page continues the current document). Without ``is_known`` the first payload shaped like a
    registration number is the label. With it, the first known payload wins; failing that, a
    payload shaped like a number is an unknown label: ``(None, payload)``.
    """
    texts = [p.strip() for p in payloads if p and p.strip()]
    shaped = [t for t in texts if looks_like_reg_number(t)]
    if is_known is None:
        return (shaped[0], None) if shaped else (None, None)
    for text in texts:
        if is_known(text):
            return text, None
    return (None, shaped[0]) if shaped else (None, None)


# --- reading scans -------------------------------------------------------------------------


def _is_pdf(path: PathLike) -> bool:
    with open(path, "rb") as fh:
        head = fh.read(1024)
    return b"%PDF-" in head


def _too_many(count: int, max_pages: int) -> ValueError:
    return ValueError(
        f"The scan has {count} pages; at most {max_pages} pages can be split at once. "
        "Scan the stack in smaller parts."
    )


def _too_large(index: int, width: int, height: int, max_pixels: int) -> ValueError:
    return ValueError(
        f"Page {index + 1} of the scan is {width}×{height} pixels "
        f"({width * height / 1e6:.0f} Mpx); at most {max_pixels / 1e6:.0f} Mpx per page. "
        "Scan at a lower resolution (200–300 dpi)."
    )


def _open_pdf(path: PathLike) -> pdfium.PdfDocument:
    try:
        return pdfium.PdfDocument(os.fspath(path))
    except pdfium.PdfiumError as exc:
        raise ValueError(f"Cannot read the PDF scan: {exc}") from exc


@contextlib.contextmanager
def _open_image(path: PathLike, max_pixels: int) -> Iterator[Image.Image]:
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)
            image = Image.open(path)
    except Image.DecompressionBombError as exc:
        raise ValueError(
            f"The scan image is too large ({exc}); at most {max_pixels / 1e6:.0f} Mpx per page."
        ) from exc
    except UnidentifiedImageError as exc:
        raise ValueError("The scan is neither a PDF nor an image file (TIFF).") from exc
    try:
        yield image
    finally:
        image.close()


def _frames(image: Image.Image) -> int:
    return int(getattr(image, "n_frames", 1))


def page_count(path: PathLike) -> int:
    """Number of pages of a PDF or frames of an image file."""
    if _is_pdf(path):
        pdf = _open_pdf(path)
        try:
            return len(pdf)
        finally:
            pdf.close()
    with _open_image(path, MAX_PIXELS) as image:
        return _frames(image)


def _pdf_pages(path: PathLike, max_pages: int, max_pixels: int, dpi: int) -> Iterator[Image.Image]:
    pdf = _open_pdf(path)
    try:
        count = len(pdf)
        if count > max_pages:
            raise _too_many(count, max_pages)
        scale = dpi / 72
        for index in range(count):
            page = pdf[index]
            try:
                width, height = page.get_size()
                w, h = round(width * scale), round(height * scale)
                if w * h > max_pixels:
                    raise _too_large(index, w, h, max_pixels)
                bitmap = page.render(scale=scale, grayscale=True)
                try:
                    yield bitmap.to_pil()
                finally:
                    bitmap.close()
            finally:
                page.close()
    finally:
        pdf.close()


def _image_pages(
    path: PathLike, max_pages: int, max_pixels: int, dpi: int
) -> Iterator[Image.Image]:
    with _open_image(path, max_pixels) as image:
        count = _frames(image)
        if count > max_pages:
            raise _too_many(count, max_pages)
        for index in range(count):
            image.seek(index)
            w, h = image.size
            if w * h > max_pixels:
                raise _too_large(index, w, h, max_pixels)
            frame = image.convert("L")
            # A 600-dpi scan is reduced to about the asked resolution: a label needs no more.
            source_dpi = image.info.get("dpi", (0, 0))[0] or 0
            factor = int(float(source_dpi) // dpi) if source_dpi else 1
            if factor >= 2:
                frame = frame.reduce(factor)
            yield frame


def split_scan(
    path: PathLike,
    *,
    max_pages: int = MAX_PAGES,
    dpi: int = 200,
    is_known: Callable[[str], bool] | None = None,
    max_pixels: int = MAX_PIXELS,
) -> list[Segment]:
    """Split a multi-page PDF or TIFF scan into documents at its registration labels.

    Every page whose QR codes hold a registration label (see :func:`pick_label`) starts a new
    :class:`Segment`; pages before the first label make a segment with ``reg_number`` None.
    PDF pages are rendered at ``dpi``. Raises ValueError for more than ``max_pages`` pages, a
    page image above ``max_pixels``, or a file that is neither a PDF nor an image.
    """
    if max_pages < 1:
        raise ValueError("max_pages must be at least 1")
    reader = _pdf_pages if _is_pdf(path) else _image_pages
    cache: dict[str, bool] = {}
    known = None
    if is_known is not None:

        def known(text: str) -> bool:
            if text not in cache:
                cache[text] = bool(is_known(text))
            return cache[text]

    segments: list[Segment] = []
    for index, image in enumerate(reader(path, max_pages, max_pixels, dpi)):
        try:
            number, unknown = pick_label(decode_qr(image), known)
        finally:
            image.close()
        if number is not None or unknown is not None or not segments:
            segments.append(Segment(number, [index], unknown))
        else:
            segments[-1].pages.append(index)
    return segments


# --- writing segments ----------------------------------------------------------------------


def _check_pages(pages: list[int], count: int) -> list[int]:
    pages = [int(p) for p in pages]
    if not pages:
        raise ValueError("no pages to write")
    bad = [p for p in pages if not 0 <= p < count]
    if bad:
        raise ValueError(f"pages {bad} are not in the scan (pages 0–{count - 1})")
    return pages


@contextlib.contextmanager
def _atomic(out_path: PathLike) -> Iterator[str]:
    """A temporary file beside ``out_path``, renamed to it when the block succeeds."""
    target = Path(out_path)
    fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
    os.close(fd)
    try:
        yield tmp
        os.replace(tmp, target)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        raise


def _write_pdf_pages(path: PathLike, pages: list[int], out: str | IO[bytes]) -> None:
    src = _open_pdf(path)
    dst = pdfium.PdfDocument.new()
    try:
        dst.import_pages(src, _check_pages(pages, len(src)))
        dst.save(out)
    finally:
        dst.close()
        src.close()


def _write_image_pages(path: PathLike, pages: list[int], out: str | IO[bytes], fmt: str) -> None:
    with _open_image(path, MAX_PIXELS) as image:
        pages = _check_pages(pages, _frames(image))
        frames = []
        dpi = None
        for index in pages:
            image.seek(index)
            dpi = dpi or image.info.get("dpi")
            frame = image.copy()
            if fmt == "PDF" and frame.mode not in ("1", "L", "RGB", "CMYK"):
                frame = frame.convert("RGB")
            frames.append(frame)
    options: dict[str, Any] = {"save_all": True, "append_images": frames[1:]}
    if fmt == "PDF":
        options["resolution"] = float(dpi[0]) if dpi else 200.0
    else:
        options["compression"] = "group4" if all(f.mode == "1" for f in frames) else "tiff_lzw"
        if dpi:
            options["dpi"] = dpi
    frames[0].save(out, format=fmt, **options)


def write_segment(path: PathLike, pages: list[int], out_path: PathLike | IO[bytes]) -> None:
    """Write ``pages`` (0-based) of the scan at ``path`` as a new file; ``path`` is untouched.

    PDF scans give a PDF (the pages are copied as they are, no re-encoding). Image scans give a
    multi-page TIFF when ``out_path`` ends in .tif/.tiff, else a PDF. ``out_path`` may be a
    binary file object (then a PDF). A file is written under a temporary name and renamed, so
    a failed write leaves nothing half-written.
    """
    is_file = hasattr(out_path, "write")
    if not is_file:
        if Path(out_path).resolve() == Path(path).resolve():
            raise ValueError("write_segment never overwrites the original scan")
        suffix = Path(out_path).suffix.lower()
    else:
        suffix = ".pdf"
    pdf_input = _is_pdf(path)
    fmt = "TIFF" if suffix in (".tif", ".tiff") else "PDF"
    if pdf_input and fmt != "PDF":
        raise ValueError("pages of a PDF scan are written as a PDF, not as a TIFF")

    def write(out: str | IO[bytes]) -> None:
        if pdf_input:
            _write_pdf_pages(path, pages, out)
        else:
            _write_image_pages(path, pages, out, fmt)

    if is_file:
        write(out_path)  # type: ignore[arg-type]
    else:
        with _atomic(out_path) as tmp:
            write(tmp)
