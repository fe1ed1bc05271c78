"""Text extraction from attachments: PDF text layer, OCR of scans and photos, DOCX; previews.

The public API (no Flask needed)::

    result = extract(path, filename="original name.pdf")   # -> ExtractionResult, never raises
    result.status        # "done" | "failed" | "skipped"
    result.text          # pages joined with "\\f"
    result.error_code    # stable code, a key of ERROR_MESSAGES (translate per code)

    preview = make_preview(path)   # -> PreviewResult: the first page as a PNG, never raises
    preview.png          # bytes, or None (failed, or a type without a preview: DOCX)

The preview is a call of its own, made after the text (by the background jobs,
:mod:`docflow.registry.extraction_previews`): made in the same call, rendering the first page of
a 2-page born-digital letter at 800 px and compressing it took a third of the call (16 → 11 ms
through the zygote), more than the text itself, so ``extract()`` returns as soon as the text is
there. Both run in the same sandbox, with the same limits.

The work happens in a child process (the worker package :mod:`docflow.registry.extractor`) with
limits on address space, CPU time, file size and open files, a wall-clock timeout that kills the
whole process group (the worker and its ``tesseract`` runs), and ``OMP_THREAD_LIMIT=1``
(tesseract's OpenMP threads make it 3-5× *slower* on a small machine). A hostile file therefore
costs at most one child's limits and comes back as ``status="failed"`` with a code and a
sentence; the caller's memory never holds more than the extracted text.

The child is normally forked by the zygote (:mod:`docflow.registry.extraction_zygote`), else a
fresh isolated interpreter is started for the file (:mod:`docflow.registry.extraction_sandbox`).
This module turns what the child printed, or how it died, into an :class:`ExtractionResult`.
"""

from __future__ import annotations

import errno
import functools
import json
import logging
import os
import signal
import stat
import tempfile
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from docflow.registry import extraction_sandbox, extraction_zygote
from docflow.registry.extractor.common import (
    HEAD_BYTES,
    KINDS,
    LABELS,
    MAX_PREVIEW_BYTES,
    Detection,
    Limits,
    detect,
    detect_type,
)

__all__ = [
    "DEFAULT_LIMITS",
    "ERROR_MESSAGES",
    "KINDS",
    "LABELS",
    "Detection",
    "ExtractionResult",
    "Limits",
    "PreviewResult",
    "detect",
    "detect_type",
    "extract",
    "extract_cli_text",
    "make_preview",
]

log = logging.getLogger(__name__)

DEFAULT_LIMITS = Limits()

#: One plain English sentence per error code, for the UI to translate per code. ``error`` on a
#: result is often more specific (it names the limit or the claimed type), and stays English.
ERROR_MESSAGES: dict[str, str] = {
    "not_supported": "Text extraction is not supported for this file type, or the file is not "
    "what its name says; the file is kept as is.",
    "corrupt": "The file is damaged, truncated or empty and cannot be read.",
    "too_large": "The file is too large to process (size, pages, image size or content).",
    "timeout": "Processing the file took too long and was stopped.",
    "memory": "Processing the file needed more memory than allowed and was stopped.",
    "encrypted": "The file is password-protected.",
    "ocr_failed": "Text recognition (OCR) failed on this file.",
    "unsafe": "The file looks unsafe (a compression bomb or external references) and was not "
    "opened.",
    "internal": "Text extraction failed because of an internal error; the file is kept.",
}


@dataclass
class ExtractionResult:
    status: str  # "done" | "failed" | "skipped"
    kind: str  # "pdf", "png", "jpeg", "tiff", "docx" or "other" (from the content, not the name)
    pages: list[str]  # text per page (DOCX: one entry); may be partial when status is "failed"
    page_count: int | None  # pages/frames; DOCX: docProps/app.xml <Pages>, else None
    ocr_pages: int  # pages whose text came from (or was attempted by) OCR
    error_code: str | None  # a key of ERROR_MESSAGES ("not_supported" also when skipped)
    error: str | None  # one English sentence, specific to this file
    warnings: list[str] = field(default_factory=list)  # e.g. OCR failed on one page of many
    seconds: float = 0.0  # wall-clock time of the extraction

    @property
    def text(self) -> str:
        return "\f".join(self.pages)


def _result(
    status: str, kind: str, code: str | None = None, error: str | None = None, **kw: Any
) -> ExtractionResult:
    return ExtractionResult(
        status=status,
        kind=kind,
        pages=kw.pop("pages", []),
        page_count=kw.pop("page_count", None),
        ocr_pages=kw.pop("ocr_pages", 0),
        error_code=code,
        error=error or (ERROR_MESSAGES[code] if code else None),
        **kw,
    )


@dataclass
class PreviewResult:
    status: str  # "done" | "failed" | "skipped" (no preview for this type, e.g. DOCX)
    kind: str  # as ExtractionResult.kind
    png: bytes | None  # the first page, ≤ 800 px on the long side; None unless "done"
    error_code: str | None  # a key of ERROR_MESSAGES
    error: str | None
    seconds: float = 0.0


def extract(
    path: str | os.PathLike[str],
    *,
    limits: Limits | Mapping[str, Any] = DEFAULT_LIMITS,
    filename: str | None = None,
) -> ExtractionResult:
    """Extract the text of one file in a sandboxed child process.

    ``filename`` is the name the file came with (stored files often have none); it is used only
    to explain a refusal ("not a PDF although its name says so"), the type comes from the bytes.
    Bad files never raise: they return ``status="failed"``. A missing or unreadable ``path``
    raises ``OSError`` (that is the caller's bug, not the file's). No preview is made
    (:func:`make_preview`).
    """
    started = time.monotonic()
    limits, found, refused = _check(path, limits, filename)
    result = refused or _run_worker(Path(path), found, limits)[0]
    result.seconds = round(time.monotonic() - started, 3)
    return result


def make_preview(
    path: str | os.PathLike[str],
    *,
    limits: Limits | Mapping[str, Any] = DEFAULT_LIMITS,
    filename: str | None = None,
) -> PreviewResult:
    """The first page (PDF) or frame (PNG, JPEG, TIFF) of one file as a PNG of at most 800 px on
    the long side, made in a sandboxed child process under the same limits as ``extract()``.
    Never raises for a bad file (``status="failed"``, ``png=None``); ``OSError`` as ``extract``."""
    started = time.monotonic()
    limits, found, run = _check(path, limits, filename)
    png = None
    if run is None:
        run, png = _run_worker(Path(path), found, limits, preview=True)
    if run.status == "done" and png is None:  # a page without an area, or a PNG over 4 MB
        run = _result("failed", run.kind, None, "No preview can be made of this file.")
    return PreviewResult(
        status=run.status,
        kind=run.kind,
        png=png if run.status == "done" else None,
        error_code=run.error_code,
        error=run.error,
        seconds=round(time.monotonic() - started, 3),
    )


def _check(
    path: str | os.PathLike[str], limits: Limits | Mapping[str, Any], filename: str | None
) -> tuple[Limits, Detection, ExtractionResult | None]:
    """The limits, the file's kind, and the refusal of a file no child needs to see (empty, too
    large, not a supported type), else None."""
    if isinstance(limits, Mapping):
        limits = Limits.from_dict(dict(limits))
    path = Path(path)
    info = path.stat()
    if not stat.S_ISREG(info.st_mode):
        raise OSError(errno.EINVAL, "not a regular file", os.fspath(path))
    size = info.st_size
    with path.open("rb") as fh:
        head = fh.read(HEAD_BYTES)
    found = detect(head, filename if filename is not None else path.name)
    if size == 0:
        return limits, found, _result("failed", found.kind, "corrupt", "The file is empty.")
    if size > limits.max_bytes:
        error = f"The file is {size / 2**20:.1f} MB; the limit is {limits.max_bytes / 2**20:g} MB."
        return limits, found, _result("failed", found.kind, "too_large", error)
    if found.kind == "other":
        if found.reason:
            return limits, found, _result("failed", "other", "not_supported", found.reason)
        return limits, found, _result("skipped", "other", "not_supported")
    return limits, found, None


def _run_worker(
    path: Path, found: Detection, limits: Limits, *, preview: bool = False
) -> tuple[ExtractionResult, bytes | None]:
    """One child's run: the text, or with ``preview`` only the first page's PNG (and the
    result of that run, without pages)."""
    with tempfile.TemporaryDirectory(prefix="docflow-extract-", dir=_scratch_dir()) as tmp:
        out = Path(tmp, "preview.png") if preview else None
        job = {
            "op": "run",
            "path": str(path.resolve()),
            "kind": found.kind,
            "preview": str(out) if out else None,
            "tmp": tmp,
            "limits": _limits_json(limits),
            "rlimits": _rlimits(limits),
        }
        outcome = extraction_zygote.run_in_zygote(job, limits.wall_seconds)
        if outcome is None:
            outcome = extraction_sandbox.run_in_process(job, limits.wall_seconds)
        returncode, stdout, stderr, timed_out = outcome
        png = _read_preview(out) if out else None
    if timed_out:
        error = f"Processing took longer than {limits.wall_seconds} s and was stopped."
        return _result("failed", found.kind, "timeout", error), None
    result, wrote = _parse_worker(returncode, stdout, stderr, found)
    return result, png if wrote else None


@functools.cache
def _scratch_dir() -> str | None:
    """The parent directory of the per-file working directories (the child's cwd, HOME and
    TMPDIR, where the preview is written): ``DOCFLOW_EXTRACTION_TMPDIR``, else ``/dev/shm`` when
    it is a writable directory (memory: removing a directory on ext4 took 2 ms, as long as the
    raw text of a 2-page letter), else None (the system's temporary directory)."""
    configured = os.environ.get("DOCFLOW_EXTRACTION_TMPDIR")
    if configured:
        return configured
    shm = "/dev/shm"  # noqa: S108 - a private directory is made inside it per file
    return shm if os.path.isdir(shm) and os.access(shm, os.W_OK | os.X_OK) else None


@functools.lru_cache(maxsize=16)
def _limits_json(limits: Limits) -> str:
    """The limits as the child reads them, once per (frozen) Limits: 70 µs a file otherwise."""
    return limits.to_json()


@functools.lru_cache(maxsize=16)
def _rlimits(limits: Limits) -> list[tuple[int, int]]:
    """The child's rlimits, once per Limits (a getrlimit per resource otherwise)."""
    return extraction_sandbox.rlimits(limits)


def _read_preview(preview: Path) -> bytes | None:
    try:
        if preview.stat().st_size > MAX_PREVIEW_BYTES:
            return None
        data = preview.read_bytes()
    except OSError:
        return None
    return data if data.startswith(b"\x89PNG\r\n\x1a\n") else None


_SIGNAL_ERRORS = {
    signal.SIGXCPU: ("timeout", "Processing used more CPU time than allowed and was stopped."),
    signal.SIGXFSZ: ("too_large", "Processing wrote more data than allowed and was stopped."),
}


def _parse_worker(
    returncode: int, out: bytes, err: bytes, found: Detection
) -> tuple[ExtractionResult, bool]:
    """The result of a child's run from its output or death, and whether it wrote a preview."""
    kind = found.kind
    data = None
    if returncode == 0:
        try:
            data = json.loads(out)
        except ValueError:
            data = None
    if data is None:
        tail = err.decode("utf-8", "replace").strip().splitlines()[-5:]
        if returncode < 0:
            sig = -returncode
            if sig in _SIGNAL_ERRORS:
                return _result("failed", kind, *_SIGNAL_ERRORS[sig]), False
            # PDFium aborts when an allocation fails under RLIMIT_AS; the kernel's OOM killer
            # sends SIGKILL. A crash on a damaged file looks the same from here.
            log.info("extraction worker killed by signal %s", sig)
            error = "Processing the file needed more memory than allowed, or the file crashed "
            error += "the reader; it is too large or damaged."
            return _result("failed", kind, "memory", error), False
        if any("MemoryError" in line for line in tail):
            return _result("failed", kind, "memory"), False
        log.warning("extraction worker failed (exit %s): %s", returncode, " | ".join(tail))
        return _result("failed", kind, "internal"), False
    if data.get("error_code") == "internal":
        log.warning("extraction worker error: %s", err.decode("utf-8", "replace")[-2000:])
    result = _result(
        data["status"],
        data.get("kind") or kind,
        data.get("error_code"),
        data.get("error_detail"),
        pages=list(data.get("pages") or []),
        page_count=data.get("page_count"),
        ocr_pages=int(data.get("ocr_pages") or 0),
        warnings=list(data.get("warnings") or []),
    )
    return result, bool(data.get("preview"))


def extract_cli_text(
    path: str | os.PathLike[str], *, limits: Limits | Mapping[str, Any] = DEFAULT_LIMITS
) -> tuple[int, str]:
    """For ``flask --app docflow registry extract FILE``: (exit code, text or one-line error).

    Exit 0 with the text (pages separated by form feeds); 1 with ``error: …`` for a file that is
    refused or not supported; 2 when the path cannot be read at all.
    """
    try:
        result = extract(path, limits=limits)
    except FileNotFoundError:
        return 2, f"error: no such file: {os.fspath(path)}"
    except OSError as exc:
        return 2, f"error: cannot read {os.fspath(path)}: {exc.strerror or exc}"
    if result.status == "done":
        return 0, result.text
    message = " ".join((result.error or ERROR_MESSAGES.get(result.error_code or "", "")).split())
    return 1, f"error: {message or 'the file was not extracted.'}"
