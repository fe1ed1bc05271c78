"""Reception minutes in: a hand-typed DOCX of minutes → its protocol assignments (R-PROT-1..3).

Minutes (хаттама / протокол) of a personal reception come as DOCX in Kazakh or Russian, laid out
as a table (№, applicant, question, assignment, executor, term — any order, found by the header
words) or as numbered paragraphs with labelled lines («Арыз беруші:», «Тапсырма:», «Мерзімі:»,
«Заявитель:», «Поручение:», «Срок:») or «СЛУШАЛИ: … ПОСТАНОВИЛИ: 1.1 … 1.2 …», where each
numbered decision becomes its own assignment "1.1", "1.2".

Executors are matched against the organisation with :class:`Resolver`: subdivision names in any
case ending, with or without the city, district akimats named by their district, heads named by
surname and initials in Russian or Kazakh spelling (letters folded: ә→а, қ→к, і→и …). Every
executor mention comes back with the matched code or None and a confidence; below
``MATCH_THRESHOLD`` nothing is guessed. Terms are absolute dates or relative terms counted from
the minutes date with the office calendar (R-DEADLINE-1: the day of the minutes is day 1 when it
is a working day).

Safety: the ZIP is inspected before python-docx sees it (entry count, declared and real sizes,
compression ratio, DOCTYPE/ENTITY in XML parts) and every failure is a :class:`MinutesError`
with a stable ``code``. Pure Python + python-docx: no Flask at import time.
"""

from __future__ import annotations

import io
import math
import re
import struct
import zipfile
import zlib
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from docflow.core.calendar import WorkingCalendar

MB = 1024 * 1024
MAX_FILE_BYTES = 50 * MB
MAX_ENTRIES = 2000
MAX_TOTAL_UNCOMPRESSED = 100 * MB
MAX_RATIO = 100
# Entries smaller than this cannot hurt whatever their ratio (tiny XML parts compress very well).
RATIO_MIN_BYTES = 256 * 1024
MAX_MAIN_XML = 20 * MB
MATCH_THRESHOLD = 0.6
AMBIGUITY_MARGIN = 0.08
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


# --- text helpers ------------------------------------------------------------------------------

_CLEAN = str.maketrans(
    {
        "\u00a0": " ",
        "\u202f": " ",
        "\u2007": " ",
        "\u2009": " ",
        "\u200b": None,
        "\u200c": None,
        "\u200d": None,
        "\ufeff": None,
        "\u00ad": None,
        "\r": "\n",
        "\u201c": '"',
        "\u201d": '"',
        "\u201e": '"',
        "\u2011": "-",
    }
)
# One character for one character, so positions in the folded text are positions in the text.
_FOLD1 = str.maketrans(
    {
        "ә": "а",
        "ғ": "г",
        "қ": "к",
        "ң": "н",
        "ө": "о",
        "ұ": "у",
        "ү": "у",
        "һ": "х",
        "і": "и",
        "ё": "е",
        "й": "и",
        "ə": "а",
        "ǝ": "а",
        "ɵ": "о",
        # Latin look-alikes typed inside Cyrillic words; Kazakh і is often typed as Latin i.
        "a": "а",
        "c": "с",
        "e": "е",
        "o": "о",
        "p": "р",
        "x": "х",
        "y": "у",
        "k": "к",
        "m": "м",
        "t": "т",
        "i": "и",
    }
)
_FOLD1_MAP = {chr(k): v for k, v in _FOLD1.items()}
_FOLD1_CHARS = re.compile("[" + "".join(_FOLD1_MAP) + "]")
_DOUBLE = re.compile(r"([^\W\d_])\1+")
_WORD_RE = re.compile(r"[^\W\d_]+(?:[-'’][^\W\d_]+)*")
_TOKEN_RE = re.compile(r"[^\W\d_]+(?:[-'’][^\W\d_]+)*|\d+|\n|[^\w\s]")
_UP = "А-ЯЁӘҒҚҢӨҰҮҺІ"
_LO = "а-яёәғқңөұүһі"


_NEEDS_CLEAN = re.compile(
    "[\u00a0\u202f\u2007\u2009\u200b-\u200d\ufeff\u00ad\r\u201c-\u201e\u2011]"
)


def clean(text: str) -> str:
    """Normalise spaces, quotes and invisible characters of text taken from a document."""
    return text.translate(_CLEAN) if _NEEDS_CLEAN.search(text) else text


def fold1(text: str) -> str:
    """Lower case with Kazakh letters folded to Russian ones, same length as ``text``."""
    low = text.lower()
    if len(low) != len(text):  # e.g. "İ" lowers to two characters
        low = "".join(ch.lower()[:1] for ch in text)
    # str.translate is slow on Cyrillic text; replace only the letters that occur.
    for ch in set(_FOLD1_CHARS.findall(low)):
        low = low.replace(ch, _FOLD1_MAP[ch])
    return low


@lru_cache(maxsize=65536)
def fold(word: str) -> str:
    """Matching key of a word: ``fold1``, no soft/hard signs, doubled letters collapsed
    (Сейітов and Сейтов, Касымов and Қасымов, аппарат and апарат compare equal)."""
    return _DOUBLE.sub(r"\1", fold1(word).replace("ь", "").replace("ъ", ""))


_SPACES_RX = re.compile(r"[ \t]+")


def _squash(text: str) -> str:
    return _SPACES_RX.sub(" ", text).strip()


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
    ``corrupt``; too many entries, too much uncompressed data, a ratio over ``MAX_RATIO``, an
    entry larger than it declares, DOCTYPE/ENTITY in an XML part → ``unsafe``.
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
        zf = zipfile.ZipFile(io.BytesIO(data))
    except (zipfile.BadZipFile, zipfile.LargeZipFile, ValueError, OSError, EOFError):
        raise MinutesError(
            "corrupt", "The DOCX file is damaged or incomplete: its ZIP structure cannot be read."
        ) from None
    with zf:
        infos = zf.infolist()
        if len(infos) > MAX_ENTRIES:
            raise MinutesError(
                "unsafe", f"The file has more than {MAX_ENTRIES} parts and is refused."
            )
        total = 0
        for info in infos:
            total += info.file_size
            if total > MAX_TOTAL_UNCOMPRESSED:
                raise MinutesError(
                    "unsafe",
                    "The file looks like a compression bomb (more than"
                    f" {MAX_TOTAL_UNCOMPRESSED // MB} MB uncompressed) and is refused.",
                )
            if info.file_size >= RATIO_MIN_BYTES and info.file_size > MAX_RATIO * max(
                info.compress_size, 1
            ):
                raise MinutesError(
                    "unsafe",
                    f"The file looks like a compression bomb (an entry expands more than"
                    f" {MAX_RATIO} times) and is refused.",
                )
            if info.flag_bits & 0x1:
                raise MinutesError("unsafe", "The file has encrypted parts and is refused.")
            if info.compress_type not in (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED):
                raise MinutesError("corrupt", "The DOCX file uses an unsupported compression.")
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
    numbering: str | None = None  # synthetic "3." / "2)" of an auto-numbered paragraph


@dataclass
class _Table:
    rows: list[list[str]]


class _Numbering:
    """Just enough of numbering.xml to number auto-numbered paragraphs (bullets are skipped)."""

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
        if self.formats.get((num_id, ilvl), "decimal") in ("bullet", "none"):
            return None
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
                out.append(_Para(_p_text(child), numbering.label(child)))
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


# --- organisation: executors and people ---------------------------------------------------------


@dataclass(frozen=True)
class SubdivisionRef:
    code: str
    names: Mapping[str, str]
    head_name: str | None = None
    kind: str = "department"


@dataclass(frozen=True)
class OfficialRef:
    code: str
    full_name: str
    positions: Mapping[str, str] = field(default_factory=dict)


@dataclass
class ExecutorMatch:
    """One executor mention: what was written, what it was matched to and how sure that is."""

    text: str
    code: str | None
    confidence: float
    role: str = "responsible"  # responsible | co
    matched_by: list[str] = field(default_factory=list)  # name, head, employee
    name: str | None = None
    candidates: list[tuple[str, float]] = field(default_factory=list)
    note: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "text": self.text,
            "code": self.code,
            "name": self.name,
            "confidence": round(self.confidence, 2),
            "role": self.role,
            "matched_by": list(self.matched_by),
            "candidates": [{"code": c, "score": round(s, 2)} for c, s in self.candidates],
            "note": self.note,
        }


@dataclass
class OfficialMatch:
    text: str
    code: str | None
    confidence: float
    name: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "text": self.text,
            "code": self.code,
            "name": self.name,
            "confidence": round(self.confidence, 2),
        }


@dataclass(frozen=True)
class _Person:
    surname: str  # fold()
    given: str  # first letter, fold()
    patronymic: str
    target: str  # "sub" | "official"
    code: str
    via: str  # head | employee | official
    display: str


@dataclass(slots=True)
class _Mention:
    """A person named in the text: surname and initials as written."""

    start: int
    end: int
    surname: str
    initials: tuple[str, ...]
    text: str


_PATRONYMIC = re.compile(r"(?:ұлы|улы|қызы|кызы|ович|евич|ич|овна|евна|ична|инична)$", re.I)
_SURNAME_END = re.compile(
    r"(?:ов|ев|ёв|ин|ын|ова|ева|ёва|ина|ына|ский|ская|цкий|цкая|енко|бай|бек|улы|ұлы|ко|ук|юк)"
    r"(?:[а-яёәғқңөұүһі]{0,4})$",
    re.I,
)


def split_full_name(full: str) -> tuple[str, str, str]:
    """(surname, given name, patronymic) of "Given Patronymic Surname" (Kazakh style) or
    "Surname Given Patronymic"; the patronymic's suffix tells the order."""
    parts = [p for p in _squash(full).split(" ") if p]
    if len(parts) >= 3:
        if _PATRONYMIC.search(parts[1]) and not _PATRONYMIC.search(parts[2]):
            return parts[2], parts[0], parts[1]
        return parts[0], parts[1], parts[2]
    if len(parts) == 2:
        if _SURNAME_END.search(parts[1]) and not _SURNAME_END.search(parts[0]):
            return parts[1], parts[0], ""
        return parts[0], parts[1], ""
    return (parts[0] if parts else ""), "", ""


_SURNAME_RX = rf"[{_UP}][{_LO}]+(?:-[{_UP}]?[{_LO}]+)?"
_PERSON_INIT_FIRST = re.compile(
    rf"(?<![{_UP}{_LO}])([{_UP}])\.\s?(?:([{_UP}])\.\s?)?({_SURNAME_RX})(?:-[{_LO}]{{1,5}})?"
)
_PERSON_SURNAME_FIRST = re.compile(
    rf"(?<![{_UP}{_LO}.])({_SURNAME_RX})\s+([{_UP}])\.\s?(?:([{_UP}])\.?)?(?:-[{_LO}]{{1,5}})?"
    rf"(?![{_LO}])"
)
_PATR_RX = r"(?:ұлы|улы|қызы|кызы|ович|евич|ич|овна|евна|ична|инична)[а-яёәғқңөұүһі]{0,4}"
_PERSON_FULL_SGP = re.compile(
    rf"(?<![{_UP}{_LO}])({_SURNAME_RX})\s+([{_UP}][{_LO}]+)\s+([{_UP}][{_LO}]+?{_PATR_RX})"
    rf"(?![{_LO}])"
)
_PERSON_FULL_GPS = re.compile(
    rf"(?<![{_UP}{_LO}])([{_UP}][{_LO}]+)\s+([{_UP}][{_LO}]+?{_PATR_RX})\s+({_SURNAME_RX})"
    rf"(?![{_LO}])"
)

_INITIAL_QUICK = re.compile(rf"[{_UP}]\.")
_PATR_QUICK = re.compile(r"(?:ұлы|улы|қызы|кызы|вич|вна|ична)(?![а-яёәғқңөұүһі])")
# Function words inside subdivision names; they neither match nor weigh.
_STOP = frozenset(
    [
        "и",
        "в",
        "во",
        "по",
        "за",
        "с",
        "со",
        "на",
        "для",
        "при",
        "о",
        "об",
        "от",
        "к",
        "из",
        "а",
        "г",
        "гор",
        "обл",
        "ул",
        "жане",
        "мен",
        "бен",
        "пен",
        "мен",
        "уш",
        "ушин",
    ]
)
_CONJ = frozenset({"и", "жане", "мен", "бен", "пен"})
_NOTHING_RX = re.compile(r"[\s\-–—.]*(?:нет|жоқ|жок)?[\s.]*", re.I)
_JOIN_GAP_RX = re.compile(r"[\s,]*(?:и|және|мен|бен|пен)?[\s,]*", re.I)
_ATTACH_GAP_RX = re.compile(r"\s*[(,–—-]?\s*")
_ABBREV = frozenset({"г", "гор", "ул", "обл", "р", "им", "к", "д", "тел", "пр", "мкр", "каз"})
_NOISE_PREFIXES = (
    "ответствен",
    "исполнител",
    "жауапты",
    "орындаушы",
    "координатор",
    "компетенц",
    "курирующ",
    "необходимост",
    "согласовани",
)
_CO_PREFIXES = ("соисполнител", "косымша")
_RU_HEADS = (
    "управлени",
    "департамент",
    "акимат",
    "комитет",
    "инспекци",
    "служб",
    "отдел",
    "аппарат",
)
_KK_HEADS = ("баскарма", "болим", "акимдиг", "акимдик")
_SHARED_HEADS = ("аппарат", "департамент", "комитет", "инспекци")
_GENITIVE_KK = ("нын", "нин", "дын", "дин", "тын", "тин")
_DATIVE_KK = ("на", "не", "га", "ге", "ка", "ке")
_INSTR_KK = ("мен", "пен", "бен")


@dataclass(frozen=True)
class _Anchor:
    lang: str  # ru | kk
    head: bool  # the head noun of a name (управление, басқарма …); False for a district word
    case: str  # dat | ins | nom | gen | other
    terminal: bool  # kk: closes the name


@lru_cache(maxsize=8192)
def _anchor(w: str) -> _Anchor | None:
    """Classify a ``fold1`` word that heads a subdivision name, with its case."""
    for stem in _KK_HEADS:
        if w.startswith(stem):
            return _kk_anchor(w[len(stem) :], head=True, stem=stem)
    for stem in _RU_HEADS:
        if w.startswith(stem):
            suffix = w[len(stem) :]
            if stem in _SHARED_HEADS and suffix[:1] in ("ы", "и") and stem != "инспекци":
                return _kk_anchor(suffix, head=True, stem=stem)
            if stem == "инспекци" and suffix.startswith("яс"):
                return _kk_anchor(suffix, head=True, stem=stem)
            return _Anchor("ru", True, _ru_case(stem, suffix), False)
    if w.startswith("аудан"):
        a = _kk_anchor(w[5:], head=False, stem="аудан")
        return _Anchor("kk", False, a.case, a.case in ("dat", "ins", "other"))
    if w.startswith("раион"):
        return _Anchor("ru", False, _ru_case("раион", w[5:]), False)
    return None


def _kk_anchor(suffix: str, head: bool, stem: str) -> _Anchor:
    if suffix.endswith(_GENITIVE_KK):
        case = "gen"
    elif suffix.endswith(_INSTR_KK):
        case = "ins"
    elif suffix.endswith(_DATIVE_KK) or suffix in ("га", "ге", "ка", "ке", "а", "е"):
        case = "dat"
    elif suffix in ("", "ы", "и", "сы", "си", "лары", "лери"):
        case = "nom"
    else:
        case = "other"
    return _Anchor("kk", head, case, case != "gen")


def _ru_case(stem: str, suffix: str) -> str:
    if stem == "управлени":
        table = {"ю": "dat", "ям": "dat", "ем": "ins", "ями": "ins", "е": "nom", "я": "gen"}
    elif stem == "инспекци":
        table = {"и": "dat", "еи": "ins", "я": "nom"}
    elif stem == "служб":
        table = {"е": "dat", "ои": "ins", "а": "nom", "ы": "gen"}
    else:
        table = {"у": "dat", "ам": "dat", "ом": "ins", "ами": "ins", "": "nom", "ы": "nom"}
        table["а"] = "gen"
        table["ов"] = "gen"
    return table.get(suffix, "other")


def _genitive_like(w: str) -> bool:
    if w.endswith(("ть", "ти", "чь", "ться", "тся")):
        return False
    return w.endswith(("а", "я", "ы", "и", "ого", "его", "ои", "еи", "ых", "их", "ов", "ев"))


def _strength(t: str, n: str) -> float:
    """How well text word ``t`` matches name word ``n`` (both ``fold``-ed): case endings and
    Kazakh suffixes allowed, 0 for different words."""
    if t == n:
        return 1.0
    lt, ln = len(t), len(n)
    common = 0
    for a, b in zip(t, n, strict=False):
        if a != b:
            break
        common += 1
    if common == ln and ln >= 3:
        rest = lt - ln
        return 1.0 if rest <= 4 else (0.9 if rest <= 6 else 0.0)
    if common == lt and lt >= 4 and ln - common <= 2:
        return 0.9
    if common >= 4 and common >= 0.7 * ln and ln - common <= 3 and lt - common <= 5:
        return 0.85
    return 0.0


def _lev1(a: str, b: str) -> bool:
    """Edit distance of at most 1."""
    if a == b:
        return True
    la, lb = len(a), len(b)
    if abs(la - lb) > 1:
        return False
    i = 0
    while i < min(la, lb) and a[i] == b[i]:
        i += 1
    if la == lb:
        return a[i + 1 :] == b[i + 1 :]
    if la > lb:
        return a[i + 1 :] == b[i:]
    return a[i:] == b[i + 1 :]


def _surname_score(mention: str, known: str) -> float:
    if not mention or not known:
        return 0.0
    if mention == known:
        return 1.0
    if mention.startswith(known) and len(mention) - len(known) <= 4:
        return 0.92  # case ending: Касымову, Қасымовқа, Сейтовым
    if len(known) >= 5 and known[-1] in "ая":
        stem = known[:-1]
        if mention.startswith(stem) and len(mention) - len(stem) <= 4:
            return 0.88  # Тұрсыновой, Тұрсынова
    if len(known) >= 6:
        for cut in range(0, 5):
            if cut >= len(mention):
                break
            if _lev1(mention[: len(mention) - cut], known):
                return 0.78
    return 0.0


@dataclass(slots=True)
class _Tok:
    kind: str  # w | n | p | person
    raw: str
    f1: str
    ff: str
    start: int
    end: int
    upper: bool = False
    mention: _Mention | None = None


@dataclass(slots=True)
class _Unit:
    toks: list[_Tok]
    co: bool
    start: int
    end: int
    words_before: int
    joined: bool = False  # only a comma or a conjunction since the previous unit
    person: _Mention | None = None
    anchor: _Anchor | None = None

    @property
    def is_person(self) -> bool:
        return not self.toks and self.person is not None


class Resolver:
    """Matches executor mentions and people to the organisation's codes."""

    def __init__(
        self,
        subdivisions: Iterable[SubdivisionRef | Mapping[str, Any]],
        officials: Iterable[OfficialRef | Mapping[str, Any] | tuple] = (),
        employees: Iterable[tuple[str, str]] = (),
    ) -> None:
        self.subdivisions = [_as_sub(s) for s in subdivisions]
        self.officials = [_as_official(o) for o in officials]
        self.employees = [(str(n), str(c)) for n, c in employees]
        self._codes = {s.code: s for s in self.subdivisions}
        self._token_cache: dict[str, dict[str, float]] = {}
        self._build_names()
        self._build_people()

    # -- construction -----------------------------------------------------------------------

    @classmethod
    def from_profile(cls, data: Mapping[str, Any]) -> Resolver:
        """From a profile (``docflow/profiles/*.json``) without a database."""
        subs = [
            SubdivisionRef(s["code"], dict(s.get("name") or {}), s.get("head"), s.get("kind", ""))
            for s in data.get("subdivisions", [])
        ]
        officials = [
            OfficialRef(o["code"], o.get("name", ""), dict(o.get("position") or {}))
            for o in data.get("officials", [])
        ]
        employees = [
            (e["name"], e["subdivision"])
            for e in data.get("employees", [])
            if e.get("name") and e.get("subdivision")
        ]
        return cls(subs, officials, employees)

    @classmethod
    def from_db(cls) -> Resolver:
        """From the loaded organisation; needs an app context."""
        from sqlalchemy import select

        from docflow.extensions import db
        from docflow.org.models import Employee, Official, Subdivision

        subs = [
            SubdivisionRef(s.code, dict(s.names or {}), s.head_name, s.kind)
            for s in db.session.scalars(
                select(Subdivision).where(Subdivision.active.is_(True)).order_by(Subdivision.id)
            )
        ]
        officials = [
            OfficialRef(o.code, o.full_name, dict(o.positions or {}))
            for o in db.session.scalars(select(Official).order_by(Official.id))
        ]
        employees = [
            (name, code)
            for name, code in db.session.execute(
                select(Employee.full_name, Subdivision.code)
                .join(Subdivision, Employee.subdivision_id == Subdivision.id)
                .where(Employee.active.is_(True))
            )
        ]
        return cls(subs, officials, employees)

    def _build_names(self) -> None:
        self._variants: list[list[tuple[str, list[str]]]] = []
        vocab: set[str] = set()
        for sub in self.subdivisions:
            variants = []
            for lang, name in sub.names.items():
                if lang == "en" or not name:
                    continue
                toks = [f for f in (fold(w) for w in _WORD_RE.findall(name)) if f]
                toks = [t for t in toks if t not in _STOP and len(t) > 1]
                if toks:
                    variants.append((lang, toks))
                    vocab.update(toks)
            self._variants.append(variants)
        self._by_prefix: dict[str, list[str]] = {}
        for v in vocab:
            self._by_prefix.setdefault(v[:3], []).append(v)
        # Weight: inverse document frequency (over subdivisions), squared, so words shared by
        # many names ("управление", "Алматы", "ауданы") barely count.
        n = max(len(self.subdivisions), 1)
        self._weight: dict[str, float] = {}
        self._subs_of: dict[str, set[int]] = {v: set() for v in vocab}
        for i, variants in enumerate(self._variants):
            for _lang, toks in variants:
                for t in toks:
                    self._subs_of[t].add(i)
        for v in vocab:
            df_subs: set[int] = set()
            for other in self._by_prefix.get(v[:3], []):
                if _strength(v, other) >= 0.85 or _strength(other, v) >= 0.85:
                    df_subs |= self._subs_of[other]
            self._weight[v] = max(0.01, math.log((n + 1) / (len(df_subs) + 0.5))) ** 2
        top_weight = max(self._weight.values(), default=2.0)
        self._unknown_weight = 0.5 * top_weight
        self._distinctive = 0.3 * top_weight
        self._variant_index: list[list[tuple[list[tuple[str, float]], frozenset[str], float]]] = [
            [
                (
                    [(n, self._weight[n]) for n in toks],
                    frozenset(toks),
                    sum(self._weight[n] for n in toks),
                )
                for _lang, toks in variants
            ]
            for variants in self._variants
        ]
        self._score_cache: dict[tuple[str, ...], list[tuple[float, str]]] = {}

    def _build_people(self) -> None:
        people: list[_Person] = []

        def add(full: str | None, target: str, code: str, via: str) -> None:
            if not full:
                return
            surname, given, patronymic = split_full_name(full)
            people.append(
                _Person(
                    fold(surname),
                    fold(given[:1]) if given else "",
                    fold(patronymic[:1]) if patronymic else "",
                    target,
                    code,
                    via,
                    full,
                )
            )

        for sub in self.subdivisions:
            add(sub.head_name, "sub", sub.code, "head")
        for name, code in self.employees:
            if code in self._codes:
                add(name, "sub", code, "employee")
        self._staff = people
        self._official_people: list[_Person] = []
        staff_len = len(people)
        for off in self.officials:
            add(off.full_name, "official", off.code, "official")
        self._official_people = people[staff_len:]
        self._staff = people[:staff_len]

    # -- names ------------------------------------------------------------------------------

    def name_of(self, code: str | None, lang: str = "ru") -> str | None:
        sub = self._codes.get(code or "")
        if sub is None:
            return None
        names = sub.names
        return names.get(lang) or names.get("ru") or names.get("kk") or next(iter(names.values()))

    @property
    def names(self) -> dict[str, dict[str, str]]:
        """code → {lang: name}, for rendering minutes."""
        return {s.code: dict(s.names) for s in self.subdivisions}

    def official_name(self, code: str) -> str | None:
        return next((o.full_name for o in self.officials if o.code == code), None)

    def _matches(self, ff: str) -> dict[str, float]:
        hit = self._token_cache.get(ff)
        if hit is None:
            hit = {}
            if len(ff) >= 3:
                for v in self._by_prefix.get(ff[:3], ()):
                    s = _strength(ff, v)
                    if s:
                        hit[v] = s
            elif ff in self._weight:
                hit[ff] = 1.0
            self._token_cache[ff] = hit
        return hit

    def score_name(self, words: Sequence[str]) -> list[tuple[float, str]]:
        """(score, code) of the subdivisions sharing a distinctive word with ``words``, best
        first. The score is the F-measure of weighted recall (how much of the name is written)
        and precision (how much of what is written belongs to the name)."""
        content = tuple(c for c in (fold(w) for w in words) if c and c not in _STOP and len(c) > 1)
        if not content:
            return []
        cached = self._score_cache.get(content)
        if cached is not None:
            return cached
        matches = [self._matches(c) for c in content]
        weight = self._weight
        u_w = [
            max((weight[v] * s for v, s in m.items()), default=self._unknown_weight)
            for m in matches
        ]
        u_total = sum(u_w) or 1.0
        best: dict[str, float] = {}
        for m in matches:
            for v, s in m.items():
                if s > best.get(v, 0.0):
                    best[v] = s
        cand: set[int] = set()
        for v in best:
            if weight[v] >= self._distinctive:
                cand |= self._subs_of[v]
        if not cand:  # only generic words («аппарат акима»): every name sharing one competes
            for v in best:
                cand |= self._subs_of[v]
        scored: list[tuple[float, str]] = []
        for i in cand:
            top = 0.0
            for ntoks, nset, total in self._variant_index[i]:
                got = sum(w * best.get(n, 0.0) for n, w in ntoks)
                recall = got / total if total else 0.0
                covered = sum(
                    w for w, m in zip(u_w, matches, strict=True) if not nset.isdisjoint(m)
                )
                precision = covered / u_total
                if recall + precision:
                    top = max(top, 2 * recall * precision / (recall + precision))
            scored.append((top, self.subdivisions[i].code))
        scored.sort(key=lambda x: (-x[0], x[1]))
        if len(self._score_cache) > 4096:
            self._score_cache.clear()
        self._score_cache[content] = scored
        return scored

    def forget(self) -> None:
        """Drop the scores of texts seen so far (the vocabulary stays)."""
        self._score_cache.clear()

    # -- people -----------------------------------------------------------------------------

    def find_people(self, text: str) -> list[_Mention]:
        """Persons written as «Касымов Б.Е.», «Б.Е. Қасымов», «А. Сейтов» or full names."""
        if not _INITIAL_QUICK.search(text) and not _PATR_QUICK.search(text):
            return []
        found: list[tuple[int, int, _Mention]] = []
        for m in _PERSON_INIT_FIRST.finditer(text):
            inits = tuple(x for x in (m.group(1), m.group(2)) if x)
            found.append(self._plausible(m, m.group(3), inits))
        for m in _PERSON_SURNAME_FIRST.finditer(text):
            inits = tuple(x for x in (m.group(2), m.group(3)) if x)
            found.append(self._plausible(m, m.group(1), inits))
        for m in _PERSON_FULL_SGP.finditer(text):
            found.append(self._plausible(m, m.group(1), (m.group(2)[0], m.group(3)[0]), 1))
        for m in _PERSON_FULL_GPS.finditer(text):
            found.append(self._plausible(m, m.group(3), (m.group(1)[0], m.group(2)[0]), 1))
        found = [f for f in found if f[0] >= 0]
        found.sort(key=lambda f: (-f[0], f[2].start))
        chosen: list[_Mention] = []
        for _score, _len, mention in found:
            if all(mention.end <= c.start or mention.start >= c.end for c in chosen):
                chosen.append(mention)
        chosen.sort(key=lambda c: c.start)
        return chosen

    def _plausible(
        self, m: re.Match, surname: str, inits: tuple[str, ...], bonus: int = 0
    ) -> tuple[int, int, _Mention]:
        mention = _Mention(m.start(), m.end(), surname, inits, m.group(0))
        score = bonus
        if self._match_person(mention, self._staff + self._official_people)[0]:
            score += 3
        elif self._matches(fold(surname)) and not _SURNAME_END.search(surname):
            score -= 5  # an organisation word, not a surname: «Б.Е. Управление»
        elif _SURNAME_END.search(surname):
            score += 1
        return (score, m.end() - m.start(), mention)

    def _match_person(
        self, mention: _Mention, people: Sequence[_Person]
    ) -> tuple[_Person | None, float]:
        surname = fold(mention.surname)
        inits = tuple(fold(i) for i in mention.initials)
        best: list[tuple[float, _Person]] = []
        for p in people:
            s = _surname_score(surname, p.surname)
            if not s:
                continue
            if inits:
                if inits[0] != p.given or (
                    len(inits) > 1 and p.patronymic and inits[1] != p.patronymic
                ):
                    continue
            else:
                s *= 0.75
            best.append((s, p))
        if not best:
            return None, 0.0
        best.sort(key=lambda x: -x[0])
        top_score, top = best[0]
        rivals = {(p.target, p.code) for s, p in best if s >= top_score - 0.05} - {
            (top.target, top.code)
        }
        if rivals:
            return None, 0.0
        return top, top_score * 0.97

    def match_official(self, text: str) -> OfficialMatch | None:
        """The receiving official named in ``text`` («… Сейтовым А.Б.», «Е.С. Төлегенов»)."""
        best: OfficialMatch | None = None
        for mention in self.find_people(text):
            person, score = self._match_person(mention, self._official_people)
            if person is not None and (best is None or score > best.confidence):
                best = OfficialMatch(mention.text, person.code, score, person.display)
        if best is None:
            people = self.find_people(text)
            if people:
                return OfficialMatch(people[0].text, None, 0.0)
        return best

    # -- executors --------------------------------------------------------------------------

    def match_executors(
        self, text: str, free: bool = False, lang: str = "ru"
    ) -> list[ExecutorMatch]:
        """Executor mentions of ``text``, responsible first.

        ``free=False``: ``text`` is an executor field (a column, «Исполнитель:»): every mention
        counts. ``free=True``: ``text`` is an assignment sentence; only names in the dative or
        instrumental (or opening the sentence), or heads named that way, count as executors.
        """
        text = clean(text or "")
        if not _squash(text) or _NOTHING_RX.fullmatch(text):
            return []
        units = self._units(text, free)
        matches: list[tuple[bool, ExecutorMatch]] = []
        for unit in units:
            for m in self._resolve(unit, text, lang):
                matches.append((unit.co, m))
        if not matches:
            return []
        first = next((i for i, (co, _m) in enumerate(matches) if not co), 0)
        ordered = [matches[first][1]] + [m for i, (_co, m) in enumerate(matches) if i != first]
        out: list[ExecutorMatch] = []
        seen: dict[str, ExecutorMatch] = {}
        for m in ordered:
            if m.code and m.code in seen:
                kept = seen[m.code]
                kept.confidence = max(kept.confidence, m.confidence)
                for via in m.matched_by:
                    if via not in kept.matched_by:
                        kept.matched_by.append(via)
                continue
            if m.code:
                seen[m.code] = m
            out.append(m)
        for i, m in enumerate(out):
            m.role = "responsible" if i == 0 else "co"
        return out

    def _tokens(self, text: str) -> list[_Tok]:
        people = self.find_people(text)
        folded = fold1(text)
        toks: list[_Tok] = []
        pi = 0
        for m in _TOKEN_RE.finditer(text):
            s, e = m.start(), m.end()
            while pi < len(people) and people[pi].end <= s:
                pi += 1
            if pi < len(people) and people[pi].start <= s < people[pi].end:
                p = people[pi]
                if not toks or toks[-1].mention is not p:
                    toks.append(_Tok("person", p.text, "", "", p.start, p.end, mention=p))
                continue
            raw = m.group(0)
            if raw[0].isdigit():
                kind = "n"
            elif raw == "\n" or not (raw[0].isalpha()):
                kind = "p"
            else:
                kind = "w"
            f1 = folded[s:e]
            toks.append(
                _Tok(kind, raw, f1, fold(raw) if kind == "w" else f1, s, e, raw[:1].isupper())
            )
        return toks

    def _units(self, text: str, free: bool) -> list[_Unit]:
        toks = self._tokens(text)
        units: list[_Unit] = []
        cur: list[_Tok] = []
        state = {"co": False, "cur_co": False, "words": 0, "unknown": 0, "gap": True}

        def close() -> None:
            while cur and (cur[-1].ff in _CONJ or cur[-1].ff in _STOP):
                cur.pop()
            if cur:
                unit = _Unit(
                    list(cur), state["cur_co"], cur[0].start, cur[-1].end, state["start_words"]
                )
                units.append(unit)
            cur.clear()
            state["unknown"] = 0

        def add(tok: _Tok) -> None:
            if not cur:
                state["cur_co"] = state["co"]
                state["start_words"] = state["words"]
            cur.append(tok)

        def mark_previous_co() -> None:
            for unit in reversed(units):
                unit.co = True
                if not unit.joined:
                    break

        def has_head() -> bool:
            return any((a := _anchor(t.f1)) is not None and a.head for t in cur if t.kind == "w")

        sentence_start = True
        for i, tok in enumerate(toks):
            if tok.kind == "person":
                close()
                units.append(
                    _Unit([], state["co"], tok.start, tok.end, state["words"], person=tok.mention)
                )
                state["words"] += 1
                sentence_start = False
                continue
            if tok.kind == "p":
                ch = tok.raw
                if ch in "«»\"'`":
                    continue
                if ch == "." and i > 0 and toks[i - 1].kind == "w" and toks[i - 1].ff in _ABBREV:
                    continue
                if ch == "-" and i > 0 and toks[i - 1].end == tok.start:
                    continue
                close()
                if ch in ".;!?\n":
                    state["co"] = False
                    sentence_start = True
                continue
            if tok.kind == "n":
                if free:
                    close()
                continue
            w, ff = tok.f1, tok.ff
            state["words"] += 1
            was_start, sentence_start = sentence_start, False
            if ff in ("бирлесип", "бирге"):
                close()
                nxt = next((t for t in toks[i + 1 :] if t.raw.strip()), None)
                if nxt is not None and (nxt.raw == ":" or nxt.f1.startswith("орындаушы")):
                    state["co"] = True
                else:
                    mark_previous_co()
                continue
            if w.startswith("катысуымен"):
                close()
                mark_previous_co()
                continue
            if w in ("совместно", "совм") or w.startswith(_CO_PREFIXES):
                close()
                state["co"] = True
                continue
            if w in ("с", "со") and (not cur or free):
                close()
                state["co"] = True
                continue
            if w.startswith(_NOISE_PREFIXES):
                close()
                continue
            if ff in _CONJ:
                if cur:
                    add(tok)
                continue
            if ff in _STOP or (len(ff) == 1 and ff in _ABBREV):
                if cur and ff not in _ABBREV:
                    add(tok)
                continue
            anchor = _anchor(w)
            nameish = anchor is not None or bool(self._matches(ff))
            if not nameish:
                if free:
                    ru_head = any(
                        (a := _anchor(t.f1)) is not None and a.lang == "ru" and a.head for t in cur
                    )
                    ok = (ru_head and _genitive_like(w) and state["unknown"] < 3) or (
                        tok.upper and not was_start
                    )
                    if ok:
                        state["unknown"] += 1
                        add(tok)
                    else:
                        close()
                    continue
                add(tok)
                continue
            ru_head_anchor = anchor is not None and anchor.lang == "ru" and anchor.head
            if ru_head_anchor and anchor.case != "gen" and has_head():
                close()
            add(tok)
            if anchor is not None and anchor.lang == "kk" and anchor.terminal:
                close()
        close()

        # Gaps between units: a comma or a conjunction joins; persons in brackets attach.
        merged: list[_Unit] = []
        prev_end = 0
        for unit in units:
            gap = text[prev_end : unit.start]
            unit.joined = bool(merged and _JOIN_GAP_RX.fullmatch(gap))
            if (
                unit.is_person
                and merged
                and not merged[-1].is_person
                and merged[-1].person is None
                and _ATTACH_GAP_RX.fullmatch(gap)
            ):
                merged[-1].person = unit.person
                merged[-1].end = unit.end
                prev_end = unit.end
                continue
            merged.append(unit)
            prev_end = unit.end

        for unit in merged:
            unit.anchor = self._governing_anchor(unit)
        if free:
            merged = [u for u in merged if self._acceptable_in_sentence(u)]
        else:
            merged = [u for u in merged if u.is_person or self._has_content(u)]
        return merged

    def _governing_anchor(self, unit: _Unit) -> _Anchor | None:
        anchors = [a for t in unit.toks if t.kind == "w" and (a := _anchor(t.f1)) is not None]
        if not anchors:
            return None
        heads = [a for a in anchors if a.head] or anchors
        kk = [a for a in heads if a.lang == "kk"]
        if kk:
            return kk[-1]
        return heads[0]

    def _has_content(self, unit: _Unit) -> bool:
        weight = 0.0
        for t in unit.toks:
            if t.kind != "w" or t.ff in _STOP or t.ff in _CONJ or len(t.ff) < 2:
                continue
            m = self._matches(t.ff)
            weight += max((self._weight[v] * s for v, s in m.items()), default=1.0)
        return weight >= 0.3

    def _acceptable_in_sentence(self, unit: _Unit) -> bool:
        if unit.is_person:
            w = fold1(unit.person.surname) if unit.person else ""
            return unit.words_before == 0 or w.endswith(
                ("у", "ои", "ым", "ка", "ке", "га", "ге", "мен", "пен", "бен")
            )
        a = unit.anchor
        if a is None:
            return False
        if a.case in ("dat", "ins"):
            return True
        return a.case == "nom" and unit.words_before == 0

    def _resolve(self, unit: _Unit, text: str, lang: str) -> list[ExecutorMatch]:
        words = [t.raw for t in unit.toks if t.kind == "w"]
        shown = _shown(text[unit.start : unit.end])
        person_match: tuple[_Person | None, float] = (None, 0.0)
        official: tuple[_Person | None, float] = (None, 0.0)
        if unit.person is not None:
            person_match = self._match_person(unit.person, self._staff)
            if person_match[0] is None:
                official = self._match_person(unit.person, self._official_people)
        if words:
            # A conjunction may join two names: split there when that reads better.
            split = self._split_on_conjunction(unit)
            if split is not None:
                out = []
                for part in split:
                    m = self._combine(
                        _shown(text[part[0].start : part[-1].end]),
                        self.score_name([t.raw for t in part if t.kind == "w"]),
                        (None, 0.0),
                        (None, 0.0),
                        lang,
                    )
                    out.append(m)
                if unit.person is not None:
                    out[-1] = self._combine(
                        _shown(text[split[-1][0].start : unit.end]),
                        self.score_name([t.raw for t in split[-1] if t.kind == "w"]),
                        person_match,
                        official,
                        lang,
                    )
                return out
        scored = self.score_name(words) if words else []
        return [self._combine(shown, scored, person_match, official, lang)]

    def _split_on_conjunction(self, unit: _Unit) -> list[list[_Tok]] | None:
        cuts = [i for i, t in enumerate(unit.toks) if t.ff in _CONJ]
        if not cuts:
            return None
        whole = self.score_name([t.raw for t in unit.toks if t.kind == "w"])
        whole_score = whole[0][0] if whole else 0.0
        best: list[list[_Tok]] | None = None
        best_mean = whole_score
        for cut in cuts:
            left, right = unit.toks[:cut], unit.toks[cut + 1 :]
            if not left or not right:
                continue
            ls = self.score_name([t.raw for t in left if t.kind == "w"])
            rs = self.score_name([t.raw for t in right if t.kind == "w"])
            if not ls or not rs or ls[0][1] == rs[0][1]:
                continue
            if min(ls[0][0], rs[0][0]) < MATCH_THRESHOLD:
                continue
            mean = (ls[0][0] + rs[0][0]) / 2
            if mean > best_mean:
                best, best_mean = [left, right], mean
        return best

    def _combine(
        self,
        shown: str,
        scored: list[tuple[float, str]],
        person: tuple[_Person | None, float],
        official: tuple[_Person | None, float],
        lang: str,
    ) -> ExecutorMatch:
        top_score, top_code = scored[0] if scored else (0.0, None)
        runner_up = next((s for s, c in scored[1:] if c != top_code), 0.0)
        candidates = [(c, s) for s, c in scored[:3] if s >= 0.3]
        ambiguous = top_code is not None and top_score - runner_up < AMBIGUITY_MARGIN
        name_ok = top_code is not None and top_score >= MATCH_THRESHOLD and not ambiguous
        p, p_score = person
        result = ExecutorMatch(shown, None, 0.0, candidates=candidates)
        if p is not None and p.code == top_code and top_score >= 0.3:
            result.code = p.code
            result.confidence = 1 - (1 - top_score) * (1 - p_score)
            result.matched_by = ["name", p.via]
        elif name_ok:
            result.code = top_code
            result.confidence = top_score
            result.matched_by = ["name"]
            if p is not None:
                result.confidence *= 0.9
                result.note = (
                    f"{p.display} is not in this subdivision ({self.name_of(p.code, lang)})"
                )
        elif p is not None and not scored:
            result.code = p.code
            result.confidence = p_score
            result.matched_by = [p.via]
        elif p is not None and top_score < 0.3:
            result.code = p.code
            result.confidence = p_score * 0.85
            result.matched_by = [p.via]
            result.note = "the subdivision name was not recognised; matched by the person"
        else:
            result.confidence = top_score
            if ambiguous and top_score >= MATCH_THRESHOLD:
                result.note = "ambiguous: " + " or ".join(c for c, _s in candidates[:2])
            elif official[0] is not None:
                result.note = f"names an official ({official[0].code}), not a subdivision"
            elif scored:
                result.note = "no subdivision matches well enough"
            else:
                result.note = "not found in the organisation"
        if result.code:
            result.name = self.name_of(result.code, lang)
        result.confidence = min(result.confidence, 1.0)
        return result


def _shown(text: str) -> str:
    """A mention as the preview shows it: trimmed, brackets balanced."""
    text = _squash(text.replace("\n", " ")).strip(" ,;:")
    if text.count("«") > text.count("»"):
        text += "»"
    if text.count("(") > text.count(")"):
        text += ")"
    return text.strip("(") if text.startswith("(") and not text.endswith(")") else text


def _as_sub(s: SubdivisionRef | Mapping[str, Any]) -> SubdivisionRef:
    if isinstance(s, SubdivisionRef):
        return s
    return SubdivisionRef(
        s["code"],
        dict(s.get("names") or s.get("name") or {}),
        s.get("head_name") or s.get("head"),
        s.get("kind", ""),
    )


def _as_official(o: OfficialRef | Mapping[str, Any] | tuple) -> OfficialRef:
    if isinstance(o, OfficialRef):
        return o
    if isinstance(o, tuple):
        return OfficialRef(str(o[0]), str(o[1]), dict(o[2]) if len(o) > 2 else {})
    return OfficialRef(
        o["code"],
        o.get("full_name") or o.get("name", ""),
        dict(o.get("positions") or o.get("position") or {}),
    )


# --- dates and terms ---------------------------------------------------------------------------

_RU_MONTH_RX = (
    r"(январ[ьяе]|феврал[ьяе]|марта|марте|март|апрел[ьяе]|ма[ияе]|июн[ьяе]|июл[ьяе]|августа|"
    r"августе|август|сентябр[ьяе]|октябр[ьяе]|ноябр[ьяе]|декабр[ьяе])(?![а-я])"
)
_RU_MONTHS = {
    "январ": 1,
    "феврал": 2,
    "март": 3,
    "апрел": 4,
    "ма": 5,
    "июн": 6,
    "июл": 7,
    "август": 8,
    "сентябр": 9,
    "октябр": 10,
    "ноябр": 11,
    "декабр": 12,
}
_KK_MONTHS = {
    "кантар": 1,
    "акпан": 2,
    "наурыз": 3,
    "сауир": 4,
    "мамыр": 5,
    "маусым": 6,
    "шилде": 7,
    "тамыз": 8,
    "кыркуиек": 9,
    "казан": 10,
    "караша": 11,
    "желтоксан": 12,
}
_KK_MONTH_RX = "(" + "|".join(_KK_MONTHS) + ")"
_KK_SUFFIX_RX = (
    r"(?:дагы|деги|тагы|теги|нан|нен|дан|ден|тан|тен|нын|нин|дын|дин|тын|тин|га|ге|ка|ке|да|"
    r"де|та|те|ы|и)?(?![а-я])"
)
_DAY_RX = r"«?\s*(\d{1,2})\s*»?"
_YEAR_SUFFIX_RX = r"(?:\s*(?:ж\.|жылгы|жылдын|жыл|г\.|года|год|гг\.|г(?![а-я])))?"
_DATE_PATTERNS = [
    (
        "kk_y",
        re.compile(
            rf"(?<!\d)(\d{{4}})\s*(?:ж\.|жылгы|жылдын|жыл)\s*{_DAY_RX}\s*{_KK_MONTH_RX}{_KK_SUFFIX_RX}"
        ),
    ),
    (
        "ru",
        re.compile(
            rf"(?<!\d){_DAY_RX}\s*{_RU_MONTH_RX}(?:\s*(\d{{4}})\s*(?:года|год|г\.|г(?![а-я]))?)?"
        ),
    ),
    (
        "kk",
        re.compile(
            rf"(?<!\d){_DAY_RX}\s*{_KK_MONTH_RX}{_KK_SUFFIX_RX}(?:\s*(\d{{4}}){_YEAR_SUFFIX_RX})?"
        ),
    ),
    ("num", re.compile(r"(?<![\d.])(\d{1,2})[./](\d{1,2})[./](\d{4}|\d{2})(?![\d])")),
    ("iso", re.compile(r"(?<!\d)(\d{4})-(\d{1,2})-(\d{1,2})(?!\d)")),
]


@dataclass
class _FoundDate:
    start: int
    end: int
    value: date | None
    has_year: bool


def find_dates(text: str, default_year: int | None = None) -> list[_FoundDate]:
    """Dates written in ``text`` (Russian, Kazakh, numeric), in order; invalid ones as None."""
    t = fold1(clean(text))
    found: list[_FoundDate] = []
    taken: list[tuple[int, int]] = []
    for kind, rx in _DATE_PATTERNS:
        for m in rx.finditer(t):
            if any(m.start() < e and s < m.end() for s, e in taken):
                continue
            year: int | None
            if kind == "kk_y":
                year, day, month = int(m.group(1)), int(m.group(2)), _KK_MONTHS[m.group(3)]
            elif kind == "ru":
                day = int(m.group(1))
                word = m.group(2)
                month = next(v for k, v in _RU_MONTHS.items() if word.startswith(k))
                year = int(m.group(3)) if m.group(3) else None
            elif kind == "kk":
                day, month = int(m.group(1)), _KK_MONTHS[m.group(2)]
                year = int(m.group(3)) if m.group(3) else None
            elif kind == "num":
                day, month, y = int(m.group(1)), int(m.group(2)), m.group(3)
                year = int(y) + 2000 if len(y) == 2 else int(y)
            else:
                year, month, day = int(m.group(1)), int(m.group(2)), int(m.group(3))
            has_year = year is not None
            if year is None:
                year = default_year
            value = None
            if year is not None:
                try:
                    value = date(year, month, day)
                except ValueError:
                    value = None
            found.append(_FoundDate(m.start(), m.end(), value, has_year))
            taken.append((m.start(), m.end()))
    found.sort(key=lambda f: f.start)
    return found


@dataclass
class Term:
    """A term as written and as understood. ``kind``: date | working_days | calendar_days |
    months | weeks | none (written as «—») | missing | unreadable."""

    raw: str
    due: date | None
    kind: str
    count: int | None = None
    problem: str | None = None
    warning: str | None = None

    @property
    def confidence(self) -> float:
        if self.due is None:
            return 0.0
        return 0.9 if self.warning else 1.0

    def to_dict(self) -> dict[str, Any]:
        return {
            "raw": self.raw,
            "due": self.due.isoformat() if self.due else None,
            "kind": self.kind,
            "count": self.count,
            "confidence": self.confidence,
            "problem": self.problem,
            "warning": self.warning,
        }


_NUM_WORDS = {
    "один": 1,
    "одного": 1,
    "одну": 1,
    "два": 2,
    "двух": 2,
    "три": 3,
    "трех": 3,
    "пять": 5,
    "пяти": 5,
    "семь": 7,
    "семи": 7,
    "десять": 10,
    "десяти": 10,
    "пятнадцать": 15,
    "пятнадцати": 15,
    "двадцать": 20,
    "двадцати": 20,
    "тридцать": 30,
    "тридцати": 30,
    "бир": 1,
    "еки": 2,
    "уш": 3,
    "бес": 5,
    "жети": 7,
    "он": 10,
    "он бес": 15,
    "жиырма": 20,
    "отыз": 30,
}
_ADJ_DAYS = {
    "одно": 1,
    "двух": 2,
    "трех": 3,
    "пяти": 5,
    "семи": 7,
    "десяти": 10,
    "пятнадцати": 15,
    "двадцати": 20,
    "тридцати": 30,
}
_N = (
    r"(\d{1,3}|он\s+бес|"
    + "|".join(sorted((k for k in _NUM_WORDS if " " not in k), key=len, reverse=True))
    + r")"
)
_P = r"(?:\s*\([^)]{0,40}\))?"
_TERM_PATTERNS: list[tuple[str, re.Pattern[str]]] = [
    (
        "working_days",
        re.compile(rf"\b{_N}{_P}(?:\s*-?\s*(?:ти|х|и|ми))?\s+рабоч\w*\s+(?:дн\w*|день)"),
    ),
    (
        "calendar_days",
        re.compile(rf"\b{_N}{_P}(?:\s*-?\s*(?:ти|х|и|ми))?\s+календарн\w*\s+(?:дн\w*|день)"),
    ),
    ("working_days", re.compile(rf"\b{_N}{_P}\s+жумыс\s+кун\w*")),
    ("calendar_days", re.compile(rf"\b{_N}{_P}\s+кунтизбелик\s+кун\w*")),
    (
        "days?",
        re.compile(
            rf"\bв\s+течени[еи]\s+{_N}{_P}(?:\s*-?\s*(?:ти|х|и|ми))?\s+(?:дн\w*|день|суток)"
        ),
    ),
    ("days?", re.compile(rf"\b{_N}{_P}\s+кун\w*\s+(?:ишинде|мерзимде|ишине)")),
    ("days?", re.compile(r"\b(\d{1,3})\s*-?\s*(?:ти|х|и)?\s*-?\s*дневн\w*")),
    ("days?", re.compile(r"\b(" + "|".join(_ADJ_DAYS) + r")дневн\w*")),
    ("months", re.compile(r"\b(?:в\s+)?(месячн)\w*\s+срок")),
    ("months", re.compile(r"\b(двух|трех)\s*месячн\w*\s+срок")),
    ("months", re.compile(r"\bв\s+течени[еи]\s+(месяца)\b")),
    ("months", re.compile(rf"\bв\s+течени[еи]\s+{_N}\s+месяц\w*")),
    ("months", re.compile(rf"(?:\b{_N}\s+)?(?<![а-я])(аи)\s+(?:ишинде|мерзимде|ишине)")),
    ("months", re.compile(r"\b(аилык)\s+мерзим\w*")),
    ("weeks", re.compile(rf"\bв\s+течени[еи]\s+(?:{_N}\s+)?недел\w*")),
    ("weeks", re.compile(r"\b(недельн)\w*\s+срок")),
    ("weeks", re.compile(rf"(?:\b{_N}\s+)?\b(апта)\s+(?:ишинде|мерзимде)")),
]
_TERM_NEEDLES = [
    ("рабоч",),
    ("календар",),
    ("жумыс",),
    ("кунтизбелик",),
    ("дн", "ден", "сут"),
    ("кун",),
    ("дневн",),
    ("дневн",),
    ("месячн",),
    ("месячн",),
    ("месяц",),
    ("месяц",),
    ("аи",),
    ("аилык",),
    ("недел",),
    ("недельн",),
    ("апта",),
]
_TERM_HINT = re.compile("|".join(sorted({n for ns in _TERM_NEEDLES for n in ns})))
_NO_TERM = re.compile(
    r"^[\s\-–—.,]*(?:нет|жок|не\s+установлен\w*|белгиленбеген|без\s+срока)?[\s\-–—.]*$"
)
_NO_DATE_WORDS = re.compile(
    r"незамедлительно|немедленно|срочно|дереу|шугыл|постоянно|на\s+постоянн|туракты|ежемесячно|"
    r"ежеквартально|ежегодно|по\s+мере|по\s+необходимости|на\s+контроле"
)
_TERM_MARK_BEFORE = re.compile(
    r"(?:\bдо|\bне\s+позднее|\bне\s+позже|\bк|\bсрок\w*|\bмерзим\w*|\bдеиин)\s*[:\-–—]?\s*$"
)
_TERM_MARK_AFTER = re.compile(r"^\s*(?:ж\.|жылгы|г\.|года)?\s*(?:дейин|деиин|деин|шеиин|шеин)")


def _number(word: str | None) -> int | None:
    if word is None:
        return 1
    word = re.sub(r"\s+", " ", word)
    if word.isdigit():
        return int(word)
    if word in ("месячн", "аи", "аилык", "месяца", "недельн", "апта"):
        return 1
    if word in _ADJ_DAYS:
        return _ADJ_DAYS[word]
    return _NUM_WORDS.get(word)


def add_months(start: date, months: int) -> date:
    month = start.month - 1 + months
    year = start.year + month // 12
    month = month % 12 + 1
    for day in (start.day, 30, 29, 28):
        try:
            return date(year, month, day)
        except ValueError:
            continue
    raise ValueError(f"cannot add {months} months to {start}")


def _count(
    calendar: WorkingCalendar,
    start: date,
    unit: str,
    n: int,
    memo: dict[tuple[date, str, int], date],
) -> date:
    """Due date of an n-unit term from ``start`` (R-DEADLINE-1 convention for working days)."""
    key = (start, unit, n)
    due = memo.get(key)
    if due is None:
        if unit == "working_days":
            due = calendar.add_working_days(start, n)
        elif unit == "calendar_days":
            due = calendar.add_calendar_days(start, n)
        elif unit == "weeks":
            due = calendar.add_calendar_days(start, 7 * n)
        else:
            due = calendar.next_working_day(add_months(start, n), include_self=True)
        memo[key] = due
    return due


def parse_term(
    raw: str | None,
    start: date | None,
    calendar: WorkingCalendar,
    *,
    free: bool = False,
    memo: dict[tuple[date, str, int], date] | None = None,
) -> Term:
    """Read a term (R-PROT-3): absolute dates, or relative terms counted from ``start`` (the
    minutes date) by R-DEADLINE-1's convention. ``free``: ``raw`` is an assignment sentence,
    where a bare date is not a term unless marked («до …», «… дейін», «срок …»)."""
    text = _squash(clean(raw or ""))
    t = fold1(text)
    if not free and _NO_TERM.match(t):
        if text.strip(" .") and re.search(r"[-–—]|нет|жок", t):
            return Term(text, None, "none")
        return Term(text, None, "missing", problem="no term given")
    options: list[Term] = []
    for found in find_dates(text, start.year if start else None):
        fragment = text
        if free:
            before, after = t[max(0, found.start - 25) : found.start], t[found.end : found.end + 20]
            mark_before, mark_after = (
                _TERM_MARK_BEFORE.search(before),
                _TERM_MARK_AFTER.match(after),
            )
            if not (mark_before or mark_after):
                continue
            lo = found.start - (len(before) - mark_before.start()) if mark_before else found.start
            hi = found.end + (mark_after.end() if mark_after else 0)
            fragment = text[lo:hi].strip()
        if found.value is None:
            options.append(
                Term(
                    text[found.start : found.end],
                    None,
                    "unreadable",
                    problem="the date is not a valid calendar date",
                )
            )
            continue
        warning = None
        if not found.has_year:
            warning = "the year is not written; the year of the minutes is assumed"
        elif start and found.value < start:
            warning = "the date is before the minutes date"
        options.append(Term(fragment, found.value, "date", warning=warning))
    hinted = _TERM_HINT.search(t) is not None
    for (kind, rx), needles in zip(_TERM_PATTERNS, _TERM_NEEDLES, strict=True):
        if not hinted or not any(n in t for n in needles):
            continue
        for m in rx.finditer(t):
            n = _number(m.group(1) if m.groups() else None)
            if n is None or not 0 < n <= 366:
                continue
            warning = None
            unit = kind
            if kind == "days?":
                unit = "calendar_days"
                warning = "working or calendar days is not written; counted as calendar days"
            if start is None:
                options.append(
                    Term(
                        text,
                        None,
                        unit,
                        n,
                        problem="a relative term, but the minutes date is unknown",
                    )
                )
                continue
            due = _count(calendar, start, unit, n, memo if memo is not None else {})
            fragment = text[m.start() : m.end()] if free else text
            options.append(Term(fragment, due, unit, n, warning=warning))
    dated = [o for o in options if o.due is not None]
    if dated:
        dated.sort(key=lambda o: o.due or date.max)
        chosen = dated[0]
        if len({o.due for o in dated}) > 1:
            chosen.warning = "several terms are written; the earliest is taken"
        return chosen
    if options:
        return options[0]
    if free:
        return Term("", None, "missing", problem="no term found in the assignment")
    if _NO_DATE_WORDS.search(t):
        return Term(text, None, "unreadable", problem="the term has no date")
    return Term(text, None, "unreadable", problem="the term cannot be read")


# --- applicants --------------------------------------------------------------------------------

_ID_RX = re.compile(
    r"(?<![\w])(ИИН/БИН|БИН/ИИН|ЖСН/БСН|БСН/ЖСН|ИИН|БИН|ЖСН|БСН|IIN|BIN)\s*[:№-]?\s*"
    r"(\d(?:[ \-]?\d){11})(?!\d)",
    re.IGNORECASE,
)
_BARE_ID_RX = re.compile(r"(?<![\d.])(\d{12})(?![\d.])")
_ENTITY_RX = re.compile(
    r"^\s*(?:ТОО|АО|ИП|ЖШС|АҚ|ЖК|ОО|ПК|КСК|ОСИ|ПТ|ГУ|КГУ|РГП|ГККП|КГП|ЧУ|МКК|ҚБ|ПКСК|ЖШҚ|"
    r"МКҚК|КМК|ШЖҚ|LLP|LLC|JSC)(?![\w])|^\s*[«\"]",
    re.IGNORECASE,
)
_ADDRESS_PREFIX = re.compile(
    r"^(?:проживающ\w*|зарегистрированн\w*)?\s*(?:по\s+адресу|адрес|мекен-?жайы|тұратын)\s*[:\-]?\s*",
    re.IGNORECASE,
)


@dataclass
class Applicant:
    raw: str
    name: str | None
    kind: str | None = None  # person | entity
    iin: str | None = None
    bin: str | None = None
    identifier_valid: bool | None = None
    address: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "raw": self.raw,
            "name": self.name,
            "kind": self.kind,
            "iin": self.iin,
            "bin": self.bin,
            "identifier_valid": self.identifier_valid,
            "address": self.address,
        }


def _valid_iin(value: str) -> bool:
    from docflow.core.identifiers import is_valid_iin

    return is_valid_iin(value)


def _valid_bin(value: str) -> bool:
    from docflow.core.identifiers import is_valid_bin

    return is_valid_bin(value)


def _cut_name(text: str) -> int:
    """Where the name ends: the first separator outside quotes."""
    depth = 0
    for i, ch in enumerate(text):
        if ch == "«":
            depth += 1
        elif ch == "»":
            depth = max(0, depth - 1)
        elif ch == '"':
            depth = 0 if depth else 1
        elif (depth == 0 and ch in "(,;\n") or (
            depth == 0 and ch in "–—" and i > 0 and text[i - 1] == " "
        ):
            return i
    return len(text)


def parse_applicant(text: str) -> Applicant:
    """Name, IIN/BIN and address of «Серикбаев Нурлан Аскарович, ИИН 850315301235, …» or
    «ТОО «Алем Строй», БИН …»; identifiers are validated and kept (flagged) when invalid."""
    raw = _squash(clean(text or "").replace("\n", ", "))
    raw = re.sub(r"^(?:[,;:.\s]+)", "", raw)
    if not raw:
        return Applicant("", None)
    ident_label, ident, id_span = None, None, None
    m = _ID_RX.search(raw)
    if m:
        ident_label, ident = m.group(1).upper(), re.sub(r"\D", "", m.group(2))
        id_span = (m.start(), m.end())
    else:
        b = _BARE_ID_RX.search(raw)
        if b:
            ident, id_span = b.group(1), (b.start(), b.end())
    head_end = _cut_name(raw)
    if id_span and id_span[0] < head_end:
        head_end = id_span[0]
    name = raw[:head_end].strip(" ,;:.-–—(")
    name = re.sub(r"\s*\($", "", name).strip()
    kind = None
    if name:
        kind = "entity" if _ENTITY_RX.search(name) else "person"
    rest = raw[head_end:]
    if id_span and id_span[0] >= head_end:
        a, b = id_span[0] - head_end, id_span[1] - head_end
        rest = rest[:a] + rest[b:]
    rest = re.sub(r"\(\s*\)", "", rest)
    rest = re.sub(r"^[\s,;:.)(–—-]+", "", rest).strip(" ,;")
    rest = _ADDRESS_PREFIX.sub("", rest).strip(" ,;")
    applicant = Applicant(raw, name or None, kind, address=rest or None)
    if ident:
        is_bin_label = ident_label in ("БИН", "БСН", "BIN")
        is_iin_label = ident_label in ("ИИН", "ЖСН", "IIN")
        if is_bin_label or (not is_iin_label and kind == "entity"):
            applicant.bin = ident
            applicant.identifier_valid = _valid_bin(ident)
        else:
            applicant.iin = ident
            applicant.identifier_valid = _valid_iin(ident)
        if not applicant.identifier_valid and not (is_bin_label or is_iin_label):
            if applicant.iin and _valid_bin(ident):
                applicant.iin, applicant.bin, applicant.identifier_valid = None, ident, True
            elif applicant.bin and _valid_iin(ident):
                applicant.iin, applicant.bin, applicant.identifier_valid = ident, None, True
    return applicant


# --- result ------------------------------------------------------------------------------------


@dataclass
class Problem:
    code: str  # executor_unmatched | no_executor | no_term | term_unreadable | invalid_identifier …
    message: str

    def to_dict(self) -> dict[str, str]:
        return {"code": self.code, "message": self.message}


@dataclass
class ParsedItem:
    item: str
    applicant: Applicant
    question: str
    text: str
    executors: list[ExecutorMatch]
    term: Term
    no_assignment: bool = False
    problems: list[Problem] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)

    @property
    def executor_codes(self) -> list[str]:
        return [e.code for e in self.executors if e.code]

    @property
    def confidence(self) -> float:
        if self.no_assignment:
            return 1.0
        values = [e.confidence if e.code else 0.0 for e in self.executors] or [0.0]
        return round(min([*values, self.term.confidence]), 2)

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {"item": self.item, "applicant": self.applicant.name}
        if self.applicant.iin:
            out["iin"] = self.applicant.iin
        if self.applicant.bin:
            out["bin"] = self.applicant.bin
        out["executors"] = self.executor_codes
        out["due"] = self.term.due.isoformat() if self.term.due else None
        out["text"] = self.text
        return out

    def preview(self) -> dict[str, Any]:
        return {
            "item": self.item,
            "no_assignment": self.no_assignment,
            "applicant": self.applicant.to_dict(),
            "question": self.question,
            "text": self.text,
            "executors": [e.to_dict() for e in self.executors],
            "term": self.term.to_dict(),
            "confidence": self.confidence,
            "problems": [p.to_dict() for p in self.problems],
            "warnings": list(self.warnings),
        }


@dataclass
class ParsedMinutes:
    number: str | None
    date: date | None
    items: list[ParsedItem]
    date_raw: str | None = None
    official: OfficialMatch | None = None
    participants: list[str] = field(default_factory=list)
    language: str = "ru"
    layout: str = "table"
    warnings: list[str] = field(default_factory=list)

    @property
    def assignments(self) -> list[ParsedItem]:
        return [i for i in self.items if not i.no_assignment]

    @property
    def no_assignment(self) -> list[str]:
        return [i.item for i in self.items if i.no_assignment]

    @property
    def problems(self) -> list[tuple[str, Problem]]:
        return [(i.item, p) for i in self.items for p in i.problems]

    def to_json(self) -> dict[str, Any]:
        return {
            "number": self.number,
            "date": self.date.isoformat() if self.date else None,
            "assignments": [i.to_json() for i in self.assignments],
            "no_assignment": self.no_assignment,
        }

    def preview(self) -> dict[str, Any]:
        return {
            "number": self.number,
            "date": self.date.isoformat() if self.date else None,
            "date_raw": self.date_raw,
            "language": self.language,
            "layout": self.layout,
            "official": self.official.to_dict() if self.official else None,
            "participants": list(self.participants),
            "warnings": list(self.warnings),
            "summary": {
                "items": len(self.items),
                "assignments": len(self.assignments),
                "no_assignment": len(self.no_assignment),
                "problems": len(self.problems),
            },
            "items": [i.preview() for i in self.items],
        }


# --- layouts -----------------------------------------------------------------------------------

_ROLE_RX = [
    ("num", re.compile(r"№|\bп/п\b|\bр/с\b|\bр/н\b|^\s*n\s*$|\bномер\b|\bреттик")),
    ("term", re.compile(r"\bсрок|\bмерзим")),
    ("executor", re.compile(r"исполнител|орындаушы|\bжауапты|ответственн")),
    ("assignment", re.compile(r"поручен|тапсырма|решени|\bшешим|кабылданган|мероприяти|\bшаралар")),
    (
        "question",
        re.compile(r"\bсуть\b|\bмани\b|маселе|содержани|вопрос|такырыб|существо|\bкраткое"),
    ),
    (
        "applicant",
        re.compile(
            r"ф\.?\s?и\.?\s?о|\bфио\b|заявител|арыз\s+беруш|отиниш\s+беруш|аты[\s-]+жони|"
            r"обратившег|\bтеги\b|наименовани|\bатауы\b|\bкатысушы"
        ),
    ),
]
_LABELS: list[tuple[str, str]] = [
    ("heard", r"слушали|тындалды"),
    ("decided", r"постановили|решили|каулы\s+етти|каулы\s+етеди|шешти|шешим\s+кабылданды"),
    ("spoke", r"выступили|соилегендер|соиледи|соз\s+соилегендер"),
    (
        "applicant",
        r"арыз\s+беруш(?:и|инин)(?:\s+аты[-\s]жони)?|отиниш\s+беруш(?:и|инин)|"
        r"заявител(?:ь|и|ница)|обратившиися|обратившаяся|ф\.\s*и\.\s*о\.?(?:\s+заявителя)?|"
        r"аты[-\s]жони",
    ),
    ("address", r"мекен[-\s]?жаиы|адрес(?:\s+проживания)?"),
    ("identifier", r"ИИН|ЖСН|БИН|БСН"),
    (
        "question",
        r"маселенин\s+мани|маселе(?:\s+мани)?|отиништин\s+мани|арыздын\s+мани|отиниш\s+мани|"
        r"суть\s+(?:обращения|вопроса|жалобы|заявления)|содержание\s+(?:обращения|вопроса)|"
        r"краткое\s+содержание|существо\s+обращения|вопрос|такырыбы",
    ),
    (
        "coexecutor",
        r"соисполнител(?:ь|и)|бирлесип\s+орындаушы(?:лар)?|косымша\s+орындаушы(?:лар)?",
    ),
    (
        "executor",
        r"(?:жауапты\s+)?орындаушы(?:лар)?|жауапты|(?:ответственн\w+\s+)?исполнител(?:ь|и)|"
        r"ответственн\w+",
    ),
    (
        "assignment",
        r"тапсырма(?:лар)?|поручени[ея]|поручено|принятое\s+решение|"
        r"кабылданган\s+шешим|решение|шешим",
    ),
    ("term", r"(?:орындау\s+)?мерзими|мерзим|срок(?:\s+исполнения)?(?:\s+поручения)?"),
]
_LABEL_ALT = "|".join(f"(?P<{name}_{i}>{rx})" for i, (name, rx) in enumerate(_LABELS))
_LABEL_AT = re.compile(rf"\s*(?:{_LABEL_ALT})\s*(?::|[-–—](?=\s)|(?=\s*$)|(?=\s+\d\.\d))")
# «Поручено Управлению …», «Тапсырылсын: …»: an assignment opened by a verb, colon optional;
# the verb is kept in the text.
_VERB_LABEL_AT = re.compile(
    r"\s*(?=(?P<assignment_v>поручено|поручить|рекомендовано|рекомендовать|обязать|"
    r"тапсырылсын|жуктелсин|усынылсын)(?![а-я]))"
)
_LABEL_START = re.compile(r"(?:[.;!?»)]\s+|\n)")
_MID_LABELS = {
    "term",
    "executor",
    "coexecutor",
    "decided",
    "assignment",
    "question",
    "address",
    "spoke",
}
_ITEM_LABELS = {
    "heard",
    "decided",
    "applicant",
    "question",
    "assignment",
    "executor",
    "coexecutor",
    "term",
}
_CONTINUABLE = {"applicant", "address", "question", "assignment", "decided", "heard", "lead"}
_ITEM_NUM = re.compile(r"^\s*(\d{1,3})\s*([.)])(?=\s|[^\W\d_])\s*(.*)$", re.DOTALL)
_SUB_NUM = re.compile(r"^\s*(\d{1,3})\.(\d{1,2})(?:\.|\))?(?=\s|[^\W\d_])\s*(.*)$", re.DOTALL)
_SIGNATURE_START = re.compile(
    r"^(?:протокол\s+вел|хаттаманы\s+жургизген|секретар|хатшы|исп\.|орынд\.|подпись|колы)", re.I
)
_EXPLAINED = re.compile(
    r"разъяснен\w*\s+на\s+месте|на\s+месте\s+(?:дан\w*|был\w*)\s+разъяснени|"
    r"поручени\w*\s+не\s+требу|без\s+поручени|принят\w*\s+к\s+сведению|"
    r"вопрос\w*\s+(?:снят|решен)\w*\s+на\s+месте|"
    r"орнында\s+тусиндирил|орнында\s+тусиник\s+берил|орнында\s+тусиндирме\s+берил|"
    r"тапсырма\s+(?:талап\s+етилмеиди|берилмеиди|кажет\s+емес|кажет\s+етпеиди)|"
    r"назарга\s+алынсын|мелимет\s+ушин\s+кабылдансын|малимет\s+ушин\s+кабылдансын"
)


def is_explained(text: str) -> bool:
    """True when ``text`` says the question was explained on the spot, no assignment needed
    («разъяснено на месте», «поручение не требуется», «орнында түсіндірілді» …)."""
    return bool(_EXPLAINED.search(fold1(text or "")))


def _header_roles(text: str) -> set[str]:
    t = fold1(_squash(text))
    roles = {name for name, rx in _ROLE_RX if rx.search(t)}
    if "num" in roles and len(roles) > 1 and len(t) > 12:
        roles.discard("num")
    return roles


def _is_header_row(row: Sequence[str]) -> dict[int, set[str]] | None:
    columns = {i: _header_roles(c) for i, c in enumerate(row) if c.strip()}
    roles = set().union(*columns.values()) if columns else set()
    enough = len(roles) >= 3 and roles & {"assignment", "executor", "term"}
    if enough and roles & {"applicant", "question", "num"}:
        return columns
    return None


def _is_numbering_row(row: Sequence[str]) -> bool:
    values = [c.strip() for c in row if c.strip()]
    if len(values) < 3 or not all(v.isdigit() for v in values):
        return False
    ints = [int(v) for v in values]
    return ints == list(range(ints[0], ints[0] + len(ints)))


@dataclass
class _RawItem:
    item: str
    fields: dict[str, list[str]] = field(default_factory=dict)

    def add(self, name: str, text: str) -> None:
        self.fields.setdefault(name, []).append(text)

    def get(self, name: str) -> str:
        return "\n".join(t for t in self.fields.get(name, []) if t.strip()).strip()

    @property
    def labelled(self) -> bool:
        return bool(set(self.fields) & _ITEM_LABELS)


def _split_labels(text: str, only: set[str] | None = None) -> list[tuple[str | None, str]]:
    """[(label, value)] of a paragraph; the text before the first label has label None."""
    if only is not None and not any(c in text for c in ":-–—"):
        return [(None, text)]  # these labels all need a colon or a dash
    t = fold1(text)
    cuts: list[tuple[int, int, str]] = []
    starts = [0, *(m.end() for m in _LABEL_START.finditer(t))]
    for pos in starts:
        m = _LABEL_AT.match(t, pos)
        if m is None:
            m = _VERB_LABEL_AT.match(t, pos)
        if m is None or (cuts and m.start() < cuts[-1][1]):
            continue
        name = (m.lastgroup or "").rsplit("_", 1)[0]
        at_start = not t[: m.start()].strip()
        if not at_start and name not in _MID_LABELS:
            continue
        if only is not None and name not in only:
            continue
        cuts.append((m.start(), m.end(), name))
    if not cuts:
        return [(None, text)]
    out: list[tuple[str | None, str]] = []
    if text[: cuts[0][0]].strip():
        out.append((None, text[: cuts[0][0]].strip()))
    for i, (_s, e, name) in enumerate(cuts):
        end = cuts[i + 1][0] if i + 1 < len(cuts) else len(text)
        out.append((name, text[e:end].strip()))
    return out


def _looks_like_signature(text: str) -> bool:
    if _SIGNATURE_START.match(text.strip()):
        return True
    return bool(
        re.search(r"\S(?:\s{3,}|\t)+\S", text)
        and re.search(
            rf"(?:[{_UP}]\.\s?(?:[{_UP}]\.\s?)?{_SURNAME_RX}|{_SURNAME_RX}\s+[{_UP}]\.\s?(?:[{_UP}]\.)?)\s*$",
            text.strip(),
        )
    )


def _table_items(tables: list[tuple[int, _Table, dict[int, set[str]], int]]) -> list[_RawItem]:
    items: list[_RawItem] = []
    counter = 0
    last_source: str | None = None
    for _pos, table, columns, first_row in tables:
        for row in table.rows[first_row:]:
            if not any(c.strip() for c in row) or _is_numbering_row(row):
                continue
            if _is_header_row(row):
                continue
            raw = _RawItem("")
            number = None
            for col, roles in columns.items():
                text = row[col].strip() if col < len(row) else ""
                for role in roles:
                    if role == "num":
                        m = re.match(r"^\s*(\d{1,3}(?:\.\d{1,2})?)\s*[.)]?\s*$", text)
                        number = m.group(1) if m else number
                    elif text:
                        raw.add(role, text)
            if not raw.fields:
                continue
            if number is None:
                counter += 1
                number = str(counter)
            else:
                head = number.split(".")[0]
                counter = int(head)
            source = number
            if items and source == last_source:
                # One applicant (merged cells), several assignment rows: sub-items.
                prev = items[-1]
                if "." not in prev.item:
                    prev.item = f"{number}.1"
                number = f"{source}.{int(prev.item.rsplit('.', 1)[1]) + 1}"
            raw.item = number
            last_source = source
            items.append(raw)
    return items


def _paragraph_items(paras: list[_Para]) -> tuple[list[_RawItem], list[str], list[str]]:
    items: list[_RawItem] = []
    header: list[str] = []
    footer: list[str] = []
    cur: _RawItem | None = None
    cur_field: str | None = None
    done = False

    def next_id() -> str:
        numbers = [int(i.item.split(".")[0]) for i in items if i.item.split(".")[0].isdigit()]
        return str((max(numbers) if numbers else 0) + 1)

    for para in paras:
        text = para.text.strip()
        if not text:
            continue
        if done:
            footer.append(text)
            continue
        if para.numbering and not re.match(r"^\s*\d", text):
            text = f"{para.numbering} {text}"
        in_decision = cur is not None and cur_field in ("decided", "assignment")
        sub = _SUB_NUM.match(text)
        top = None if sub else _ITEM_NUM.match(text)
        body = text
        if top:
            body = top.group(3)
        segments = _split_labels(body)
        labels = {name for name, _v in segments if name}
        starts_item = bool(labels & {"applicant", "heard"}) and segments[0][0] in (
            "applicant",
            "heard",
        )
        if (sub or (top and in_decision and not starts_item)) and cur is not None:
            cur.add(cur_field or "decided", text)
            continue
        if top and (starts_item or cur is None or not in_decision):
            cur = _RawItem(top.group(1))
            items.append(cur)
            cur_field = None
        elif starts_item and (
            cur is None or cur.fields.get("applicant") or cur.fields.get("heard")
        ):
            cur = _RawItem(next_id())
            items.append(cur)
            cur_field = None
        elif cur is None:
            if labels & (_ITEM_LABELS - {"question"}):
                cur = _RawItem(next_id())
                items.append(cur)
            else:
                header.append(text)
                continue
        for name, value in segments:
            if name is None:
                if not value:
                    continue
                if cur_field is None and not cur.fields:
                    cur.add("lead", value)
                    cur_field = "lead"
                elif cur_field in _CONTINUABLE:
                    if items and cur is items[-1] and cur.labelled and _looks_like_signature(value):
                        done = True
                        footer.append(value)
                        break
                    cur.add(cur_field, value)
                else:
                    if cur.labelled and _looks_like_signature(value):
                        done = True
                        footer.append(value)
                        break
                    cur.add("extra", value)
                continue
            if name == "identifier":
                cur.add("applicant", f"ИИН {value}")
                continue
            cur_field = name
            cur.add(name, value)
    real = [i for i in items if i.labelled]
    if real and items and items[0] is not real[0]:
        for i in items[: items.index(real[0])]:
            header.extend(i.get("lead").split("\n"))
    return real, header, footer


def _split_units(item_id: str, text: str) -> tuple[str, list[tuple[str, str]]]:
    """(preamble, [(id, text)]) of a decision: «1.1 …», «1) …» lines become sub-items."""
    units: list[tuple[str, list[str]]] = []
    preamble: list[str] = []
    for line in text.split("\n"):
        line = line.strip()
        if not line:
            continue
        sub = _SUB_NUM.match(line)
        top = None if sub else _ITEM_NUM.match(line)
        inline = None
        if not sub and not top:
            inline = re.match(r"^(\d{1,3})\.(\d{1,2})\.?\s+(.*)$", line)
        if sub:
            units.append((f"{int(sub.group(1))}.{int(sub.group(2))}", [sub.group(3)]))
        elif top:
            units.append((f"{item_id}.{int(top.group(1))}", [top.group(3)]))
        elif inline:
            units.append((f"{int(inline.group(1))}.{int(inline.group(2))}", [inline.group(3)]))
        elif units:
            units[-1][1].append(line)
        else:
            preamble.append(line)
    # «ПОСТАНОВИЛИ: 1.1. … 1.2. …» written on one line.
    if not units and len(preamble) == 1:
        parts = list(re.finditer(r"(?:^|(?<=\s))(\d{1,3})\.(\d{1,2})\.?\s+", preamble[0]))
        if len(parts) >= 2 or (parts and parts[0].start() == 0):
            head = preamble[0][: parts[0].start()].strip()
            for i, m in enumerate(parts):
                end = parts[i + 1].start() if i + 1 < len(parts) else len(preamble[0])
                units.append(
                    (f"{int(m.group(1))}.{int(m.group(2))}", [preamble[0][m.end() : end].strip()])
                )
            preamble = [head] if head else []
    return "\n".join(preamble), [(uid, " ".join(lines).strip()) for uid, lines in units]


_GEN_PATR_M = re.compile(r"(?:ович|евич|ич)а$")
_GEN_PATR_F = re.compile(r"(?:овн|евн|ичн|иничн)ы$")


def nominative_name(text: str) -> tuple[str, str] | None:
    """(as written, nominative) of a Russian full name in the genitive, as СЛУШАЛИ writes it
    («Серикбаева Нурлана Аскаровича» → «Серикбаев Нурлан Аскарович»); None when the
    patronymic is not in the genitive (Kazakh -ұлы/-қызы names do not decline)."""
    head = text[: _cut_name(text)].strip()
    words = head.split()
    if len(words) != 3:
        return None
    surname, given, patronymic = words
    if _GEN_PATR_M.search(patronymic):
        patronymic = patronymic[:-1]
        if re.search(r"(?:ов|ев|ёв|ин|ын)а$", surname):
            surname = surname[:-1]
        elif surname.endswith("ского"):
            surname = surname[:-3] + "ий"
        if given.endswith("я"):
            given = given[:-1] + "й"
        elif given.endswith("ы"):
            given = given[:-1] + "а"
        elif given.endswith("а") and given[-2:-1] not in "аеёиоуыэюя":
            given = given[:-1]
    elif _GEN_PATR_F.search(patronymic):
        patronymic = patronymic[:-1] + "а"
        if re.search(r"(?:ов|ев|ёв|ин|ын)ой$", surname):
            surname = surname[:-2] + "а"
        elif surname.endswith("ской"):
            surname = surname[:-2] + "ая"
        if given.endswith("ии"):
            given = given[:-1] + "я"
        elif given.endswith("ы") or (given.endswith("и") and given[-2:-1] in "гкхжчшщ"):
            given = given[:-1] + "а"
    else:
        return None
    return head, f"{surname} {given} {patronymic}"


def _heard_parts(heard: str) -> tuple[str, str]:
    """(applicant text, question) of a СЛУШАЛИ / ТЫҢДАЛДЫ paragraph."""
    t = fold1(heard)
    m = re.search(r"\bпо\s+(?:вопросу|поводу)\b|\bо\s+|\bмаселеси\s+боиынша|\bбоиынша", t)
    if m and m.start() > 0:
        if "боиынша" in m.group(0):
            start = heard.rfind(",", 0, m.start())
            return heard[: max(start, 0)].strip(" ,"), heard[start + 1 : m.end()].strip(" ,")
        return heard[: m.start()].strip(" ,"), heard[m.end() :].strip(" ,.")
    return heard, heard


# --- the parser --------------------------------------------------------------------------------


def _language(texts: Iterable[str]) -> str:
    """kk or ru: lower-case words with Kazakh letters against Russian function words (names,
    capitalised, do not count: Russian minutes are full of Kazakh names)."""
    kk = ru = 0
    for t in list(texts)[:300]:
        kk += len(_KK_WORD.findall(t))
        ru += len(_RU_WORD.findall(t))
    return "kk" if kk > ru else "ru"


_KK_WORD = re.compile(r"(?<![\w])[а-яёәғқңөұүһі]*[әғқңөұүһі][а-яёәғқңөұүһі]*")
_RU_WORD = re.compile(
    r"(?<![\w])(?:и|в|по|на|с|для|не|от|о|об|года|района|города|управлени\w*)(?![\w])"
)


def _header_info(
    texts: list[str], footer: list[str], resolver: Resolver, minutes: ParsedMinutes
) -> None:
    number = None
    for t in sorted(texts, key=lambda s: 0 if re.search(r"протокол|хаттама", fold1(s)) else 1):
        m = re.search(r"№\s*([0-9][\w/\-.]*)", t)
        if m:
            number = m.group(1).rstrip(".,;-")
            break
    minutes.number = number
    for t in texts:
        dates = [d for d in find_dates(t) if d.has_year]
        if dates:
            d = dates[0]
            minutes.date = d.value
            minutes.date_raw = _squash(t[d.start : d.end])
            if d.value is None:
                minutes.warnings.append(f"the minutes date «{minutes.date_raw}» is not valid")
            break
    role_rx = re.compile(
        r"заместител|аким|председател|руководител|принимал|провел|торагалык|орынбасары|"
        r"кабылдаган|жургизди|басшысы"
    )
    official = None
    for t in texts:
        if role_rx.search(fold1(t)) and not re.match(
            r"\s*(?:присутствовали|катыскандар)", fold1(t)
        ):
            official = resolver.match_official(t)
            if official:
                break
    if official is None or official.code is None:
        for t in footer:
            found = resolver.match_official(t)
            if found and found.code:
                official = found
                break
    minutes.official = official
    for t in texts:
        m = re.match(
            r"\s*(?:присутствовали|участвовали|приглашенные|приглашены|катыскандар|катысты|"
            r"шакырылгандар)\s*:?\s*",
            fold1(t),
        )
        if m:
            rest = t[m.end() :]
            minutes.participants.extend(
                p.strip(" .") for p in re.split(r";|\n", rest) if p.strip(" .")
            )


def parse_minutes(
    source: str | Path | bytes,
    resolver: Resolver,
    calendar: WorkingCalendar,
) -> ParsedMinutes:
    """Read minutes (R-PROT-3) and return their assignments; raises :class:`MinutesError`."""
    data = _read_source(source)
    check_package(data)
    resolver.forget()  # a name repeated within the file is scored once; nothing carries over
    document = _open(data)
    blocks = _blocks(document)
    if not any(
        (isinstance(b, _Para) and b.text.strip())
        or (isinstance(b, _Table) and any(c.strip() for r in b.rows for c in r))
        for b in blocks
    ):
        raise MinutesError("empty", "The document has no text.")

    # Data tables: those with a header row naming the columns.
    tables: list[tuple[int, _Table, dict[int, set[str]], int]] = []
    previous: dict[int, set[str]] | None = None
    for pos, block in enumerate(blocks):
        if not isinstance(block, _Table) or not block.rows:
            continue
        found = None
        for r, row in enumerate(block.rows[:3]):
            cols = _is_header_row(row)
            if cols:
                if r + 1 < len(block.rows):
                    second = _is_header_row(block.rows[r + 1])
                    if second:
                        cols = {**cols, **{k: v for k, v in second.items() if v}}
                        r += 1
                found = (pos, block, cols, r + 1)
                break
        if found is None and previous is not None and tables and pos == tables[-1][0] + 1:
            width = max(previous) + 1
            if block.rows and len(block.rows[0]) == width:
                found = (pos, block, previous, 0)
        if found:
            tables.append(found)
            previous = found[2]

    paras = [b for b in blocks if isinstance(b, _Para)]
    if tables:
        layout = "table"
        first = tables[0][0]
        header_texts = _block_texts(blocks[:first])
        footer_texts = _block_texts(blocks[tables[-1][0] + 1 :])
        raw_items = _table_items(tables)
    else:
        raw_items, header_texts, footer_texts = _paragraph_items(paras)
        layout = (
            "decisions"
            if any("decided" in i.fields or "heard" in i.fields for i in raw_items)
            else "paragraphs"
        )
        for b in blocks:
            if isinstance(b, _Table):
                header_texts.extend(_block_texts([b]))
    if not raw_items:
        raise MinutesError(
            "not_minutes",
            "No minutes found: the document has no table of visitors and no numbered items"
            " with applicant, assignment or term.",
        )
    all_texts = header_texts + [t for i in raw_items for v in i.fields.values() for t in v]
    minutes = ParsedMinutes(None, None, [], layout=layout, language=_language(all_texts))
    _header_info(header_texts or _block_texts(blocks[:15]), footer_texts, resolver, minutes)
    if minutes.number is None:
        minutes.warnings.append("the minutes number was not found")
    if minutes.date is None:
        minutes.warnings.append("the minutes date was not found; relative terms cannot be counted")
    memo: dict[tuple[date, str, int], date] = {}
    for raw in raw_items:
        minutes.items.extend(_build_items(raw, resolver, calendar, minutes, memo))
    return minutes


def _block_texts(blocks: Sequence[_Para | _Table]) -> list[str]:
    out: list[str] = []
    for b in blocks:
        if isinstance(b, _Para):
            if b.text.strip():
                out.append(b.text.strip())
        else:
            for row in b.rows:
                cells = [c.strip() for c in row if c.strip()]
                if cells:
                    out.append("    ".join(dict.fromkeys(cells)))
    return out


def _build_items(
    raw: _RawItem,
    resolver: Resolver,
    calendar: WorkingCalendar,
    minutes: ParsedMinutes,
    memo: dict[tuple[date, str, int], date],
) -> list[ParsedItem]:
    lang = minutes.language
    heard = raw.get("heard")
    applicant_text = raw.get("applicant") or raw.get("lead")
    question = raw.get("question")
    restored = None
    if heard:
        who, what = _heard_parts(heard.replace("\n", " "))
        if not applicant_text:
            applicant_text = who
            restored = nominative_name(who)
        question = question or what
    if raw.get("address") and applicant_text:
        applicant_text = f"{applicant_text}, {raw.get('address')}"
    applicant = parse_applicant(applicant_text)
    name_warning = None
    if restored and applicant.name == restored[0]:
        name_warning = f"the name «{restored[0]}» is read as «{restored[1]}» (nominative)"
        applicant.name = restored[1]
    decision = raw.get("decided") or raw.get("assignment")
    if raw.get("decided") and raw.get("assignment"):
        decision = raw.get("decided") + "\n" + raw.get("assignment")
    _preamble, units = _split_units(raw.item, decision)
    if not units:
        units = [(raw.item, _squash(decision.replace("\n", " ")))]
    item_exec = raw.get("executor")
    item_co = raw.get("coexecutor")
    item_term = raw.get("term")
    out: list[ParsedItem] = []
    for uid, text in units:
        body, inner_exec, inner_co, inner_term = text, "", "", ""
        parts = _split_labels(text, only={"executor", "coexecutor", "term"})
        if any(name for name, _v in parts):
            body = " ".join(v for name, v in parts if name is None).strip()
            inner_exec = " ".join(v for name, v in parts if name == "executor")
            inner_co = " ".join(v for name, v in parts if name == "coexecutor")
            inner_term = " ".join(v for name, v in parts if name == "term")
        exec_text = inner_exec or item_exec
        co_text = inner_co or item_co
        term_text = inner_term or item_term
        if exec_text:
            executors = resolver.match_executors(exec_text, free=False, lang=lang)
        else:
            executors = resolver.match_executors(body, free=True, lang=lang)
        if co_text:
            co = resolver.match_executors(co_text, free=False, lang=lang)
            known = {e.code for e in executors if e.code}
            for e in co:
                if e.code is None or e.code not in known:
                    e.role = "co"
                    executors.append(e)
            if executors:
                executors[0].role = "responsible"
        start = minutes.date
        if term_text:
            term = parse_term(term_text, start, calendar, memo=memo)
        else:
            term = parse_term(body, start, calendar, free=True, memo=memo)
        item = ParsedItem(
            uid, applicant, _squash(question.replace("\n", " ")), body, executors, term
        )
        explained = bool(_EXPLAINED.search(fold1(body))) or (
            not body.strip() and bool(_EXPLAINED.search(fold1(question)))
        )
        if explained and not any(e.code for e in executors) and term.due is None:
            item.no_assignment = True
            item.term = Term(term.raw, None, "none") if term.kind != "none" else term
        else:
            if explained:
                item.warnings.append(
                    "the decision says «explained on the spot» but also names executors or a term"
                )
            _check(item)
        if applicant.identifier_valid is False:
            label = "IIN" if applicant.iin else "BIN"
            item.problems.append(
                Problem(
                    "invalid_identifier",
                    f"the {label} {applicant.iin or applicant.bin} is not valid",
                )
            )
        if term.warning:
            item.warnings.append(term.warning)
        if name_warning:
            item.warnings.append(name_warning)
        for e in executors:
            if e.code and e.note:
                item.warnings.append(f"executor «{e.text}»: {e.note}")
        out.append(item)
    return out


def _check(item: ParsedItem) -> None:
    """Never guess silently: everything not understood becomes a problem of the item."""
    if not item.text.strip():
        item.problems.append(Problem("no_decision", "no decision or assignment is written"))
    if not item.executors:
        item.problems.append(Problem("no_executor", "no executor is named"))
    for e in item.executors:
        if e.code is not None and e.confidence < MATCH_THRESHOLD:
            item.problems.append(
                Problem(
                    "executor_uncertain",
                    f"executor «{e.text}» matched to {e.code} with low confidence"
                    + (f" ({e.note})" if e.note else ""),
                )
            )
        if e.code is None:
            hint = f" ({e.note})" if e.note else ""
            item.problems.append(
                Problem("executor_unmatched", f"executor «{e.text}» was not matched{hint}")
            )
    if item.term.due is None:
        code = "no_term" if item.term.kind in ("missing", "none") else "term_unreadable"
        message = item.term.problem or "no term"
        if item.term.raw:
            message = f"term «{item.term.raw}»: {message}"
        item.problems.append(Problem(code, message))
