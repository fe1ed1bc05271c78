"""DOCX: the ZIP is checked from its central directory, ``word/document.xml`` is read by a
streaming parser that refuses DTDs; the page count comes from ``docProps/app.xml``."""

from __future__ import annotations

import contextlib
import os
import re
import struct
import sys
from pathlib import Path
from typing import Any

from .common import MB, Limits, Refused, clean_text, short_error
from .job import Job

# DOCX

W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"
MC_FALLBACK = "{http://schemas.openxmlformats.org/markup-compatibility/2006}Fallback"
APP_PAGES = "{http://schemas.openxmlformats.org/officeDocument/2006/extended-properties}Pages"


def load_ziputil() -> Any:
    """``docflow/core/ziputil.py``, the ZIP checks shared with the minutes parser, loaded by its
    path: the worker runs without the ``docflow`` package (see the package docstring)."""
    if __name__.startswith("docflow."):  # imported as docflow.registry.extractor.office
        from docflow.core import ziputil

        return ziputil
    module = sys.modules.get("ziputil")
    if module is None:
        import importlib.util

        path = Path(__file__).resolve().parents[2] / "core" / "ziputil.py"
        spec = importlib.util.spec_from_file_location("ziputil", path)
        module = importlib.util.module_from_spec(spec)
        sys.modules["ziputil"] = module  # dataclasses look their module up while it executes
        spec.loader.exec_module(module)
    return module


def _zip_entry_count(path: str) -> int:
    """Entries declared by the end-of-central-directory record, read before ``zipfile`` does."""
    ziputil = load_ziputil()
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
    ziputil = load_ziputil()
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
        raise Refused("corrupt", f"The DOCX file is damaged: {short_error(exc)}.") from None
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
            raise Refused("corrupt", f"The DOCX file is damaged: {short_error(exc)}.") from None
        if "docProps/app.xml" in names and archive.getinfo("docProps/app.xml").file_size < MB:
            with contextlib.suppress(Exception), archive.open("docProps/app.xml") as stream:
                for event, el in _xml_events(stream):
                    if event == "end" and el.tag == APP_PAGES and (el.text or "").strip():
                        job.page_count = int(el.text.strip())
                        break
    if len(text) >= limits.max_text_chars:
        job.warnings.append(f"The text was cut at {limits.max_text_chars} characters.")
    job.add_page(text)
