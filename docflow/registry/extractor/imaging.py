"""Pixels: flattening to grayscale on white, and the PNG encoders of the previews."""

from __future__ import annotations

import io
import struct
import zlib
from pathlib import Path
from typing import Any

from .common import MAX_PREVIEW_BYTES, PREVIEW_SIDE

try:  # ISA-L's deflate (the same zlib stream): an A4 page at 800 px in RGB in 0.5 ms, not 3 ms
    from isal import isal_zlib as deflate
except ImportError:  # pragma: no cover - isal is a dependency; the preview is only slower
    deflate = zlib

#: Deflate level of the PNG previews of PDF pages. zlib's level 6 took 6-7 ms for an A4 letter
#: page at 800 px in RGB (28 KB) and 100 ms for an image-only scan page (378 KB); ISA-L's level 1
#: takes 0.5 ms (41 KB) and ≈3 ms; zlib's level 1, the fallback, 3 ms (36 KB) and 16 ms.
PNG_LEVEL = 1


def flatten(image: Any) -> Any:
    """Grayscale (8 bits), transparent areas on white."""
    if image.mode in ("I;16", "I;16B", "I;16L", "I;16N"):
        image = image.convert("I").point(lambda v: v * (1 / 256))
    return on_white(image).convert("L")


def on_white(image: Any) -> Any:
    from PIL import Image

    if image.mode == "P" and "transparency" in image.info:
        image = image.convert("RGBA")
    if image.mode in ("RGBA", "LA", "PA", "RGBa", "La"):
        rgba = image.convert("RGBA")
        white = Image.new("RGBA", rgba.size, (255, 255, 255, 255))
        image = Image.alpha_composite(white, rgba).convert("RGB")
    return image


def save_png(image: Any, out: str) -> None:
    """The preview: at most PREVIEW_SIDE px on the long side, RGB or grayscale."""
    from PIL import Image

    if max(image.size) > PREVIEW_SIDE:
        factor = PREVIEW_SIDE / max(image.size)
        size = (max(1, int(image.width * factor)), max(1, int(image.height * factor)))
        image = image.resize(size, Image.Resampling.LANCZOS, reducing_gap=3.0)
    if image.mode not in ("RGB", "L"):
        if image.mode.startswith("I") or image.mode == "F":
            image = flatten(image)
        else:
            image = on_white(image).convert("RGB")
    buf = io.BytesIO()
    image.save(buf, "PNG", compress_level=6)
    if buf.tell() <= MAX_PREVIEW_BYTES:
        Path(out).write_bytes(buf.getvalue())


def png_from_rows(
    width: int, height: int, channels: int, rows: Any, level: int = PNG_LEVEL
) -> bytes:
    """A minimal 8-bit grayscale (1 channel) or RGB (3 channels) PNG from ``rows``: the image
    laid out as PNG scanlines already (each row after its filter byte 0, see ``scanline_buffer``),
    so nothing is copied before the compression."""

    def chunk(tag: bytes, body: bytes) -> bytes:
        return struct.pack(">I", len(body)) + tag + body + struct.pack(">I", zlib.crc32(tag + body))

    header = struct.pack(">IIBBBBB", width, height, 8, 0 if channels == 1 else 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", deflate.compress(rows, level))
        + chunk(b"IEND", b"")
    )


def scanline_buffer(width: int, height: int, channels: int) -> tuple[bytearray, int]:
    """A zeroed buffer for an image drawn as PNG scanlines: (buffer, stride). Row ``y`` starts
    at ``1 + y * stride``; the byte before it stays 0 (PNG filter "none"). The buffer has one
    byte more than the scanlines (``buffer[:-1]`` is what ``png_from_rows`` compresses)."""
    stride = width * channels + 1
    return bytearray(stride * height + 1), stride
