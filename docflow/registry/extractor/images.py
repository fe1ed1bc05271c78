"""Image files (PNG, JPEG, TIFF with its frames): every page is OCR'd."""

from __future__ import annotations

import struct
import warnings
from typing import Any

from .common import Limits, Refused, short_error
from .imaging import save_png
from .job import Job
from .ocr import OCR_MAX_SIDE, ocr_page


def open_image(job: Job) -> Any:
    """The checked image, open (its header read, size and frame count checked)."""
    from PIL import Image, UnidentifiedImageError

    limits = job.limits
    Image.MAX_IMAGE_PIXELS = limits.max_pixels
    warnings.simplefilter("error", Image.DecompressionBombWarning)
    try:
        Image.MAX_IMAGE_PIXELS = None  # checked below, with a message that names the size
        image = Image.open(job.path)  # reads the header only
        Image.MAX_IMAGE_PIXELS = limits.max_pixels
        _check_size(image, limits)
        frames = getattr(image, "n_frames", 1)
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise Refused("too_large", _too_big(limits)) from None
    except UnidentifiedImageError:
        raise Refused("corrupt", "The image cannot be read.") from None
    except (OSError, SyntaxError, ValueError, EOFError, struct.error, IndexError) as exc:
        raise Refused("corrupt", f"The image cannot be read: {short_error(exc)}.") from None
    if frames > limits.max_pages:
        image.close()
        raise Refused(
            "too_large", f"The image has {frames} pages; the limit is {limits.max_pages}."
        )
    job.page_count = frames
    return image


def _too_big(limits: Limits) -> str:
    return f"The image is too large; the limit is {limits.max_pixels / 1e6:g} megapixels."


def load_frame(image: Any, index: int, limits: Limits) -> Any:
    """Frame ``index`` decoded (and turned as its EXIF orientation says)."""
    from PIL import Image, ImageOps

    try:
        if index:
            image.seek(index)
        width, height = _check_size(image, limits)
        if image.format == "JPEG" and max(width, height) > OCR_MAX_SIDE:
            image.draft(image.mode, (OCR_MAX_SIDE, OCR_MAX_SIDE))
        image.load()
        rotated = image.getexif().get(0x0112, 1) not in (0, 1)  # EXIF orientation
        return ImageOps.exif_transpose(image) if rotated else image
    except Refused:
        raise
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise Refused("too_large", _too_big(limits)) from None
    except MemoryError:
        raise
    except Exception as exc:  # decoders raise all sorts on hostile data
        raise Refused("corrupt", f"The image cannot be read: {short_error(exc)}.") from None


def extract_image(job: Job) -> None:
    """Every frame OCR'd (no preview: :func:`preview_image`)."""
    with open_image(job) as image:
        for index in range(job.page_count or 0):
            job.check_time(index)
            frame = load_frame(image, index, job.limits)
            text = ocr_page(job, frame, _image_dpi(image))
            del frame
            job.add_page(text or "")


def preview_image(job: Job) -> None:
    """The first frame as a PNG at ``job.preview``."""
    with open_image(job) as image:
        save_png(load_frame(image, 0, job.limits), job.preview)
        job.preview_written = True


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
