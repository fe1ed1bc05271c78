"""Reading the DOCX: the ZIP inspected before python-docx sees it, then paragraphs and tables."""

from __future__ import annotations

import io
import re
import struct
import zipfile
import zlib
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from docflow.core import ziputil
from docflow.protocols.minutes.text import clean

MB = 1024 * 1024
MAX_FILE_BYTES = 50 * MB
MAX_MAIN_XML = 20 * MB
_ZIP_LIMITS = ziputil.ZipLimits(max_entries=2000, max_total=100 * MB, max_ratio=100)

_IN_CHUNK = 64 * 1024
_OUT_CHUNK = 1 * MB


ERROR_CODES = ("not_docx", "corrupt", "unsafe", "empty", "not_minutes", "bad_template")


class MinutesError(Exception):
    """A file that cannot be read as minutes; ``code`` is stable, ``message`` plain English."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message

    def __str__(self) -> str:
        return self.message


# --- ZIP inspection ------------------------------------------------------------------------------

_OLE = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
_MAIN_REL = re.compile(
    rb'<Relationship\b[^>]*?Type="[^"]*/officeDocument"[^>]*?/?>', re.IGNORECASE | re.DOTALL
)
_TARGET = re.compile(rb'Target="([^"]+)"')


def _read_source(source: str | Path | bytes | bytearray | memoryview) -> bytes:
    if isinstance(source, (bytes, bytearray, memoryview)):
        return bytes(source)
    path = Path(source)
    try:
        size = path.stat().st_size
        if size > MAX_FILE_BYTES:
            raise MinutesError(
                "unsafe", f"The file is larger than {MAX_FILE_BYTES // MB} MB and is refused."
            )
        return path.read_bytes()
    except OSError as exc:
        raise MinutesError("corrupt", f"The file cannot be read: {exc.strerror}.") from None


def _scan_xml(name: str, blob: bytes) -> None:
    if blob[:2] in (b"\xff\xfe", b"\xfe\xff"):
        blob = blob.decode("utf-16", errors="replace").encode("utf-8")
    if b"<!DOCTYPE" in blob or b"<!ENTITY" in blob:
        raise MinutesError(
            "unsafe",
            f"The document part {name} declares a DOCTYPE or entities, which Word never writes;"
            " the file is refused.",
        )


def _verify_entry(data: bytes, info: zipfile.ZipInfo, keep: bool) -> bytes | None:
    """Decompress one entry in bounded steps; its real size must be what it declares."""
    off = info.header_offset
    head = data[off : off + 30]
    if len(head) < 30 or head[:4] != b"PK\x03\x04":
        raise MinutesError("corrupt", "The DOCX file is damaged (a ZIP entry is missing).")
    name_len, extra_len = struct.unpack("<HH", head[26:30])
    start = off + 30 + name_len + extra_len
    raw = memoryview(data)[start : start + info.compress_size]
    if len(raw) < info.compress_size:
        raise MinutesError("corrupt", "The DOCX file is incomplete (it was cut short).")
    limit = info.file_size
    if info.compress_type == zipfile.ZIP_STORED:
        if len(raw) != limit:
            raise MinutesError("corrupt", "The DOCX file is damaged (an entry has a wrong size).")
        return bytes(raw) if keep else None
    pieces: list[bytes] = []
    produced = 0
    d = zlib.decompressobj(-15)
    pending = b""
    pos = 0
    try:
        while not d.eof:
            if not pending:
                if pos >= len(raw):
                    break
                pending = bytes(raw[pos : pos + _IN_CHUNK])
                pos += _IN_CHUNK
            piece = d.decompress(pending, _OUT_CHUNK)
            pending = d.unconsumed_tail
            produced += len(piece)
            if produced > limit:
                raise MinutesError(
                    "unsafe",
                    "The file looks like a compression bomb (an entry holds more data than it"
                    " declares) and is refused.",
                )
            if keep:
                pieces.append(piece)
    except zlib.error:
        raise MinutesError("corrupt", "The DOCX file is damaged (bad compressed data).") from None
    if produced != limit:
        raise MinutesError("corrupt", "The DOCX file is damaged (an entry has a wrong size).")
    return b"".join(pieces) if keep else None


def check_package(data: bytes) -> str:
    """Refuse anything that is not a plain, bounded DOCX; return the main document part name.

    Runs before python-docx opens the file: not a ZIP → ``not_docx``; a broken ZIP →
    ``corrupt``; what :func:`docflow.core.ziputil.check_entries` refuses (too many entries, too
    much uncompressed data, a compression bomb, encrypted parts), an entry larger than it
    declares, DOCTYPE/ENTITY in an XML part → ``unsafe``.
    """
    if not data or not data.strip(b"\0 \t\r\n"):
        raise MinutesError("empty", "The file is empty.")
    if len(data) > MAX_FILE_BYTES:
        raise MinutesError(
            "unsafe", f"The file is larger than {MAX_FILE_BYTES // MB} MB and is refused."
        )
    if data.startswith(_OLE):
        raise MinutesError(
            "not_docx", "This is an old Word (.doc) file or a protected one; save it as .docx."
        )
    if not data.startswith(b"PK"):
        raise MinutesError("not_docx", "The file is not a DOCX (Word) document.")
    try:
        ziputil.declared_entries(data[-ziputil.TAIL_BYTES :])
        zf = zipfile.ZipFile(io.BytesIO(data))
    except ziputil.ZipRefused as exc:
        raise MinutesError(exc.code, exc.message) from None
    except (zipfile.BadZipFile, zipfile.LargeZipFile, ValueError, OSError, EOFError):
        raise MinutesError(
            "corrupt", "The DOCX file is damaged or incomplete: its ZIP structure cannot be read."
        ) from None
    with zf:
        infos = zf.infolist()
        try:
            ziputil.check_entries(infos, _ZIP_LIMITS)
        except ziputil.ZipRefused as exc:
            # An encrypted part is one more reason to refuse, not a code of its own here.
            raise MinutesError(
                "unsafe" if exc.code == "encrypted" else exc.code, exc.message
            ) from None
        names = {info.filename for info in infos}
        if "[Content_Types].xml" not in names:
            raise MinutesError("not_docx", "The file is a ZIP archive but not a Word document.")
        main = "word/document.xml"
        if "_rels/.rels" in names:
            rels = _verify_entry(data, zf.getinfo("_rels/.rels"), keep=True) or b""
            _scan_xml("_rels/.rels", rels)
            m = _MAIN_REL.search(rels)
            target = _TARGET.search(m.group(0)) if m else None
            if target:
                main = target.group(1).decode("utf-8", "replace").lstrip("/")
        if main not in names:
            raise MinutesError("not_docx", "The file is a ZIP archive but not a Word document.")
        if zf.getinfo(main).file_size > MAX_MAIN_XML:
            raise MinutesError(
                "unsafe", f"The document text is larger than {MAX_MAIN_XML // MB} MB."
            )
        for info in infos:
            if info.filename == "_rels/.rels" or info.is_dir():
                continue
            is_xml = info.filename.lower().endswith((".xml", ".rels"))
            blob = _verify_entry(data, info, keep=is_xml)
            if blob is not None:
                _scan_xml(info.filename, blob)
    return main


# --- reading the document ----------------------------------------------------------------------

_W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"
W_P, W_TBL, W_TR, W_TC, W_R, W_T = (f"{_W}{n}" for n in ("p", "tbl", "tr", "tc", "r", "t"))
W_TAB, W_BR, W_CR, W_SDT, W_SDTCONTENT = (
    f"{_W}{n}" for n in ("tab", "br", "cr", "sdt", "sdtContent")
)
W_PPR, W_NUMPR, W_ILVL, W_NUMID, W_VAL = (
    f"{_W}{n}" for n in ("pPr", "numPr", "ilvl", "numId", "val")
)
W_TCPR, W_GRIDSPAN, W_VMERGE, W_NBHYPHEN = (
    f"{_W}{n}" for n in ("tcPr", "gridSpan", "vMerge", "noBreakHyphen")
)
_SKIP_IN_P = {
    f"{_W}pPr",
    f"{_W}rPr",
    f"{_W}drawing",
    f"{_W}pict",
    f"{_W}del",
    f"{_W}moveFrom",
    f"{_W}instrText",
    f"{_W}delText",
    "{http://schemas.openxmlformats.org/markup-compatibility/2006}AlternateContent",
}


_FAST_TAGS = (
    W_T,
    W_TAB,
    W_BR,
    W_CR,
    W_NBHYPHEN,
    *tuple(_SKIP_IN_P - {f"{_W}pPr", f"{_W}rPr", f"{_W}del", f"{_W}delText"}),
)


def _p_text(p: Any) -> str:
    """Visible text of a paragraph: runs, tabs and breaks; no deleted text, field codes or
    drawings. Plain paragraphs take the C-level path; others the careful walk."""
    out: list[str] = []
    for el in p.iter(*_FAST_TAGS):
        tag = el.tag
        if tag == W_T:
            out.append(el.text or "")
        elif tag == W_TAB:
            if el.getparent().tag != W_R:
                continue  # a tab stop in the paragraph properties
            out.append("\t")
        elif tag in (W_BR, W_CR):
            out.append("\n")
        elif tag == W_NBHYPHEN:
            out.append("-")
        else:
            return _p_text_careful(p)
    return clean("".join(out))


def _p_text_careful(p: Any) -> str:
    out: list[str] = []
    stack = [iter(p)]
    while stack:
        el = next(stack[-1], None)
        if el is None:
            stack.pop()
            continue
        tag = el.tag
        if not isinstance(tag, str) or tag in _SKIP_IN_P:
            continue
        if tag == W_T:
            out.append(el.text or "")
        elif tag == W_TAB:
            out.append("\t")
        elif tag in (W_BR, W_CR):
            out.append("\n")
        elif tag == W_NBHYPHEN:
            out.append("-")
        elif len(el):
            stack.append(iter(el))
    return clean("".join(out))


@dataclass
class _Para:
    text: str
    numbering: str | None = None  # synthetic "3." / "2)" / "•" of an auto-numbered paragraph
    pos: int = 0  # index among the document's blocks


@dataclass
class _Table:
    rows: list[list[str]]


class _Numbering:
    """Just enough of numbering.xml to number auto-numbered paragraphs and see bullets."""

    def __init__(self, document: Any) -> None:
        self.formats: dict[tuple[str, int], str] = {}
        self.counters: dict[str, list[int]] = {}
        try:
            root = document.part.numbering_part.element
        except (NotImplementedError, KeyError, AttributeError):
            return
        abstract: dict[str, dict[int, str]] = {}
        for an in root.iterchildren(f"{_W}abstractNum"):
            levels: dict[int, str] = {}
            for lvl in an.iterchildren(f"{_W}lvl"):
                fmt = lvl.find(f"{_W}numFmt")
                levels[int(lvl.get(f"{_W}ilvl", "0"))] = (
                    fmt.get(W_VAL, "decimal") if fmt is not None else "decimal"
                )
            abstract[an.get(f"{_W}abstractNumId", "")] = levels
        for num in root.iterchildren(f"{_W}num"):
            ref = num.find(f"{_W}abstractNumId")
            if ref is None:
                continue
            for ilvl, fmt in abstract.get(ref.get(W_VAL, ""), {}).items():
                self.formats[(num.get(f"{_W}numId", ""), ilvl)] = fmt

    def label(self, p: Any) -> str | None:
        ppr = p.find(W_PPR)
        numpr = ppr.find(W_NUMPR) if ppr is not None else None
        if numpr is None:
            return None
        num_el, lvl_el = numpr.find(W_NUMID), numpr.find(W_ILVL)
        num_id = num_el.get(W_VAL, "") if num_el is not None else ""
        ilvl = int(lvl_el.get(W_VAL, "0")) if lvl_el is not None else 0
        if num_id in ("", "0") or not 0 <= ilvl < 9:
            return None
        fmt = self.formats.get((num_id, ilvl), "decimal")
        if fmt == "none":
            return None
        if fmt == "bullet":
            return "•"
        counts = self.counters.setdefault(num_id, [0] * 9)
        counts[ilvl] += 1
        for deeper in range(ilvl + 1, 9):
            counts[deeper] = 0
        return f"{counts[ilvl]}." if ilvl == 0 else f"{counts[ilvl]})"


def _cell_text(tc: Any) -> str:
    parts = []
    for child in tc.iterchildren():
        if child.tag == W_P:
            parts.append(_p_text(child))
        elif child.tag == W_TBL:
            for row in _table_rows(child):
                parts.append(" ".join(c for c in row if c))
        elif child.tag == W_SDT:
            content = child.find(W_SDTCONTENT)
            if content is not None:
                parts.append(_cell_text(content))
    return "\n".join(parts).strip()


def _row_cells(tr: Any) -> Iterator[Any]:
    for child in tr.iterchildren():
        if child.tag == W_TC:
            yield child
        elif child.tag == W_SDT:
            content = child.find(W_SDTCONTENT)
            if content is not None:
                yield from _row_cells(content)


def _table_rows(tbl: Any) -> list[list[str]]:
    """Row texts by grid column; a vertically merged cell repeats the text of its first cell."""
    rows: list[list[str]] = []
    above: dict[int, str] = {}
    for tr in tbl.iterchildren(W_TR):
        row: dict[int, str] = {}
        col = 0
        for tc in _row_cells(tr):
            span, merge = 1, None
            tcpr = tc.find(W_TCPR)
            if tcpr is not None:
                gs = tcpr.find(W_GRIDSPAN)
                if gs is not None and (gs.get(W_VAL) or "1").isdigit():
                    span = max(1, min(int(gs.get(W_VAL)), 64))
                vm = tcpr.find(W_VMERGE)
                if vm is not None:
                    merge = vm.get(W_VAL) or "continue"
            text = above.get(col, "") if merge == "continue" else _cell_text(tc)
            row[col] = text
            above[col] = text
            col += span
        rows.append([row.get(i, "") for i in range(max(row, default=-1) + 1)])
    return rows


def _blocks(document: Any) -> list[_Para | _Table]:
    numbering = _Numbering(document)
    out: list[_Para | _Table] = []

    def walk(parent: Any) -> None:
        for child in parent.iterchildren():
            tag = child.tag
            if tag == W_P:
                out.append(_Para(_p_text(child), numbering.label(child), len(out)))
            elif tag == W_TBL:
                out.append(_Table(_table_rows(child)))
            elif tag == W_SDT:
                content = child.find(W_SDTCONTENT)
                if content is not None:
                    walk(content)

    walk(document.element.body)
    return out


def _open(data: bytes) -> Any:
    import docx

    try:
        return docx.Document(io.BytesIO(data))
    except MinutesError:
        raise
    except ValueError as exc:
        if "not a Word file" in str(exc):
            raise MinutesError(
                "not_docx", "The file is an Office document but not a Word document."
            ) from None
        raise MinutesError("corrupt", "The DOCX file is damaged and cannot be opened.") from None
    except Exception:  # lxml, zipfile, KeyError on a missing part: all mean a damaged file
        raise MinutesError("corrupt", "The DOCX file is damaged and cannot be opened.") from None
