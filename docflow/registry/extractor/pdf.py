"""PDF: the stream check, the text layer and its quality check, OCR of pages without a usable
text layer, and the first-page preview (a job of its own: :func:`preview_pdf`)."""

from __future__ import annotations

import contextlib
import math
import mmap
import re
import zlib
from pathlib import Path
from typing import Any

from .common import MAX_PREVIEW_BYTES, MB, PREVIEW_SIDE, Limits, Refused, clean_text, nonspace
from .imaging import png_from_rows, save_png, scanline_buffer
from .job import Job
from .ocr import ocr_page

MIN_TEXT_CHARS = 20  # a PDF page with fewer non-space characters in its text layer is OCR'd
DEFLATE_MAX_RATIO = 1032  # deflate cannot expand data more than ~1032:1
_JUNK = re.compile("[\ufffd\ue000-\uf8ff]")
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


def open_pdf(job: Job) -> Any:
    """The checked PDF, open (the caller closes it): streams, password, damage, page count."""
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
    except BaseException:
        doc.close()
        raise
    job.page_count = count
    return doc


def extract_pdf(job: Job) -> None:
    """The text of every page: the text layer, or OCR where it is missing or junk. No preview:
    rendering the first page cost more than the text of a short letter (:func:`preview_pdf`)."""
    import pypdfium2.raw as pdfium_c

    doc = open_pdf(job)
    try:
        for index in range(job.page_count or 0):
            job.check_time(index)
            page = doc[index]
            try:
                text = page_text(page)
                junk = is_junk(text)
                if junk or nonspace(text) < MIN_TEXT_CHARS:
                    width, height = page.get_size()
                    if width >= 1 and height >= 1:
                        image, dpi = _render_for_ocr(page, job.limits, pdfium_c)
                        ocr_text = ocr_page(job, image, dpi)
                        del image
                        if ocr_text and (junk or nonspace(ocr_text) > nonspace(text)):
                            text = ocr_text
            finally:
                page.close()
            job.add_page(text)
    finally:
        doc.close()


def preview_pdf(job: Job) -> None:
    """The first page as a PNG at ``job.preview`` (nothing for a page without an area)."""
    doc = open_pdf(job)
    try:
        page = doc[0]
        try:
            width, height = page.get_size()
            if width >= 1 and height >= 1:
                job.preview_written = write_preview(page, job.preview)
        finally:
            page.close()
    finally:
        doc.close()


def render_preview(page: Any) -> tuple[int, int, int, Any]:
    """The page rendered at ≤ PREVIEW_SIDE px on the long side, RGB (grayscale if PDFium picks
    it): (width, height, channels, rows), ``rows`` laid out as PNG scanlines for
    ``png_from_rows``, or a Pillow image if PDFium chose a pixel format with alpha."""
    import ctypes

    import pypdfium2 as pdfium
    import pypdfium2.raw as pdfium_c

    drawn: list[tuple[bytearray, int]] = []

    def scanlines(width: int, height: int, format: int, rev_byteorder: bool) -> Any:
        channels = {pdfium_c.FPDFBitmap_Gray: 1, pdfium_c.FPDFBitmap_BGR: 3}.get(format)
        if channels is None:
            return pdfium.PdfBitmap.new_native(width, height, format, rev_byteorder)
        rows, stride = scanline_buffer(width, height, channels)
        drawn.append((rows, channels))
        buffer = (ctypes.c_ubyte * (stride * height)).from_buffer(rows, 1)
        return pdfium.PdfBitmap.new_native(
            width, height, format, rev_byteorder, buffer=buffer, stride=stride
        )

    scale = (PREVIEW_SIDE - 0.5) / max(page.get_size())
    bitmap = page.render(scale=scale, rev_byteorder=True, bitmap_maker=scanlines)
    if not drawn or max(bitmap.width, bitmap.height) > PREVIEW_SIDE:
        return bitmap.width, bitmap.height, bitmap.n_channels, bitmap.to_pil()
    rows, channels = drawn[0]
    return bitmap.width, bitmap.height, channels, memoryview(rows)[:-1]


def write_preview(page: Any, out: str) -> bool:
    """Write the preview of ``page`` to ``out`` as PNG, without Pillow (saves its import); False
    if the PNG would be over MAX_PREVIEW_BYTES. (Compressing on a thread while the next pages
    are read was tried: on a loaded machine the thread waits for a CPU longer than it saves.)"""
    width, height, channels, rows = render_preview(page)
    if not isinstance(rows, memoryview):  # an alpha channel: Pillow flattens it
        save_png(rows, out)
        return True
    data = png_from_rows(width, height, channels, rows)
    if len(data) > MAX_PREVIEW_BYTES:
        return False
    try:
        Path(out).write_bytes(data)
    except OSError:  # a full scratch directory costs the preview, not the text
        return False
    return True


def page_text(page: Any) -> str:
    try:
        textpage = page.get_textpage()
    except Exception:
        return ""
    try:
        # explicit count: pypdfium2 4 redirects a call without arguments to get_text_bounded()
        return clean_text(textpage.get_text_range(0, textpage.count_chars()))
    finally:
        textpage.close()


def is_junk(text: str) -> bool:
    """A text layer made of replacement/private-use characters (fonts without a Unicode map)."""
    return len(_JUNK.findall(text)) > 0.3 * max(nonspace(text), 1)


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
