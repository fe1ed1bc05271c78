"""OCR: an image prepared for ``tesseract`` (grayscale, scaled, median-filtered) and recognised."""

from __future__ import annotations

import subprocess
from typing import Any

from .common import Refused, clean_text
from .imaging import flatten
from .job import Job

UPSCALE_BELOW = 1400  # px, long side under which an image is upscaled 2× before OCR
OCR_MAX_SIDE = 6000  # px, larger images are scaled down before OCR


def ocr_page(job: Job, image: Any, dpi: float | None) -> str | None:
    """Text of a Pillow image by ``tesseract``, counted as an OCR page of ``job``; None (and a
    warning on the job) if this page failed. Refuses the file if tesseract cannot run at all."""
    from PIL import Image, ImageFilter

    limits = job.limits
    page_no = len(job.pages) + 1
    image = flatten(image)
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
    cmd = ["tesseract", "stdin", "stdout", "-l", limits.ocr_languages, "--psm", "3"]
    if dpi and 70 <= dpi <= 2400:
        cmd += ["--dpi", str(round(dpi))]
    timeout = max(1.0, min(limits.ocr_page_seconds, job.remaining()))
    job.ocr_pages += 1
    try:
        run = subprocess.run(  # noqa: S603 - fixed command, no shell
            cmd, input=pgm, capture_output=True, timeout=timeout, check=False
        )
    except FileNotFoundError:
        raise Refused("ocr_failed", "The tesseract command is not installed.") from None
    except subprocess.TimeoutExpired:
        job.ocr_failures += 1
        job.warnings.append(f"OCR of page {page_no} took too long and was stopped.")
        return None
    if run.returncode != 0:
        message = _last_line(run.stderr)
        if "Failed loading language" in message or "Could not initialize" in message:
            raise Refused("ocr_failed", f"Tesseract cannot start: {message}")
        job.ocr_failures += 1
        job.warnings.append(f"OCR of page {page_no} failed: {message}")
        return None
    return clean_text(run.stdout.decode("utf-8", "replace")).strip()


def _last_line(data: bytes) -> str:
    lines = [ln.strip() for ln in data.decode("utf-8", "replace").splitlines() if ln.strip()]
    return lines[-1][:200] if lines else "no message"
