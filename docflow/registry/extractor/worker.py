"""The worker's entry point: extract one file in this process and print the result as JSON.

Run by the parent as a fresh isolated interpreter (``import extractor.worker`` with
``docflow/registry`` on the path, see ``docflow.registry.extraction_sandbox``)::

    FILE [--kind KIND] [--preview OUT.png] [--limits JSON]

or called as ``run()`` in a child forked by the zygote (:mod:`.zygote`). A run does one of two
jobs: the text (the default), or, with ``--preview``, only the first page as a PNG (rendering it
cost more than the text of a short letter, so the preview is a step of its own, after it).
"""

from __future__ import annotations

import json
import os
import resource
import sys
import traceback

from .common import HEAD_BYTES, KINDS, MB, Limits, Refused, detect, short_error
from .images import extract_image, preview_image
from .job import Job
from .office import extract_docx
from .pdf import extract_pdf, preview_pdf

EXTRACTORS = {
    "pdf": extract_pdf,
    "png": extract_image,
    "jpeg": extract_image,
    "tiff": extract_image,
    "docx": extract_docx,
}
PREVIEWERS = {
    "pdf": preview_pdf,
    "png": preview_image,
    "jpeg": preview_image,
    "tiff": preview_image,
}


def run(path: str, limits: Limits, *, kind: str | None = None, preview: str | None = None) -> dict:
    """Extract the text of ``path`` in this process, or with ``preview`` write only its first
    page there as a PNG; the result as a JSON-ready dict. Never raises."""
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
        steps = PREVIEWERS if preview else EXTRACTORS
        if kind not in steps:
            status, code = "skipped", "not_supported"
            detail = "Text extraction is not supported for this file type; the file is kept as is."
            if preview:
                detail = "No preview is made for this file type."
        else:
            steps[kind](job)
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
        detail = (
            f"Unexpected error while reading the file ({type(exc).__name__}: {short_error(exc)})."
        )
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
    """Write ``result`` as one JSON object and a newline on stdout (what the parent parses). The
    JSON holds no raw newline, so the final one tells the parent that the output is whole."""
    try:
        payload = json.dumps(result, ensure_ascii=False).encode("utf-8")
    except (ValueError, UnicodeError) as exc:
        traceback.print_exc(file=sys.stderr)
        result.update(
            status="failed", pages=[], error_code="internal", error_detail=short_error(exc)
        )
        payload = json.dumps(result).encode("utf-8")
    sys.stdout.buffer.write(payload + b"\n")
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
    parser.add_argument("--preview", help="only write the first page as a PNG here")
    parser.add_argument("--limits", help="Limits as JSON")
    args = parser.parse_args(argv)
    limits = Limits.from_json(args.limits) if args.limits else Limits()
    emit(run(args.file, limits, kind=args.kind, preview=args.preview))
    return 0


if __name__ == "__main__":
    sys.exit(main())
