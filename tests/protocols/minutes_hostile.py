"""Hostile DOCX files for the minutes parser, made at test time (nothing big is committed).

Each function returns the file's bytes; ``HOSTILE`` maps a name to (generator, expected
``MinutesError.code``).
"""

from __future__ import annotations

import io
import os
import struct
import zipfile
import zlib
from collections.abc import Callable

from tests.protocols.minutes_builders import docx_bytes

MB = 1024 * 1024


def deflate_zeros(total: int, chunk: int = MB) -> bytes:
    """``total`` zero bytes as a raw deflate stream, in milliseconds: after a full flush the
    compressed form of the same chunk repeats, so it is computed twice and repeated."""
    assert total % chunk == 0
    comp = zlib.compressobj(9, zlib.DEFLATED, -15)
    zeros = bytes(chunk)
    first = comp.compress(zeros) + comp.flush(zlib.Z_FULL_FLUSH)
    again = comp.compress(zeros) + comp.flush(zlib.Z_FULL_FLUSH)
    return first + again * (total // chunk - 1) + comp.flush()


def build_zip(entries: list[tuple[str, bytes, int, int, int]]) -> bytes:
    """A ZIP written by hand: (name, stored data, method, crc, declared uncompressed size)."""
    out = bytearray()
    central = bytearray()
    for name, data, method, crc, usize in entries:
        encoded = name.encode()
        offset = len(out)
        out += struct.pack(
            "<4s5H3L2H", b"PK\x03\x04", 20, 0, method, 0, 0, crc, len(data), usize, len(encoded), 0
        )
        out += encoded + data
        central += struct.pack(
            "<4s6H3L5H2L",
            b"PK\x01\x02",
            20,
            20,
            0,
            method,
            0,
            0,
            crc,
            len(data),
            usize,
            len(encoded),
            0,
            0,
            0,
            0,
            0,
            offset,
        )
        central += encoded
    cd_offset = len(out)
    out += central
    out += struct.pack(
        "<4s4H2LH", b"PK\x05\x06", 0, 0, len(entries), len(entries), len(central), cd_offset, 0
    )
    return bytes(out)


def plain_minutes() -> bytes:
    return docx_bytes(["ПРОТОКОЛ № 1", "15 октября 2026 года"])


def _entries_of(blob: bytes) -> list[tuple[str, bytes, int, int, int]]:
    with zipfile.ZipFile(io.BytesIO(blob)) as zf:
        out = []
        for info in zf.infolist():
            data = zf.read(info)
            comp = zlib.compressobj(6, zlib.DEFLATED, -15)
            packed = comp.compress(data) + comp.flush()
            out.append((info.filename, packed, 8, zlib.crc32(data), len(data)))
        return out


def with_extra_entry(name: str, data: bytes, usize: int, crc: int = 0) -> bytes:
    return build_zip([*_entries_of(plain_minutes()), (name, data, 8, crc, usize)])


def not_a_zip() -> bytes:
    return b"%PDF-1.7\n" + os.urandom(2000)


def random_bytes() -> bytes:
    return b"PK" + os.urandom(4000)


def empty_file() -> bytes:
    return b""


def old_word_doc() -> bytes:
    return b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(4000)


def truncated_zip() -> bytes:
    blob = plain_minutes()
    return blob[: len(blob) // 2]


def bomb_declared_1gb() -> bytes:
    """1 GB of zeros really compressed (~1 MB), sizes declared honestly."""
    return with_extra_entry("word/media/zeros.bin", deflate_zeros(1024 * MB), 1024 * MB)


def bomb_ratio() -> bytes:
    """50 MB of zeros: under the total limit, but a ratio of about 1000."""
    return with_extra_entry("word/media/zeros.bin", deflate_zeros(50 * MB), 50 * MB)


def bomb_lying_size() -> bytes:
    """200 MB of zeros that declare 1000 bytes: only decompressing tells."""
    return with_extra_entry("word/media/small.bin", deflate_zeros(200 * MB), 1000)


def many_entries() -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as zf:
        for name, data, _m, _c, _u in _entries_of(plain_minutes()):
            zf.writestr(name, zlib.decompress(data, -15))
        for i in range(2001):
            zf.writestr(f"extra/item{i}.xml", b"<a/>")
    return out.getvalue()


def external_entity() -> bytes:
    entries = _entries_of(plain_minutes())
    doc = (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
        '<!DOCTYPE w:document [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>'
        '<w:document xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main">'
        "<w:body><w:p><w:r><w:t>ПРОТОКОЛ № 1 &xxe;</w:t></w:r></w:p></w:body></w:document>"
    ).encode()
    comp = zlib.compressobj(6, zlib.DEFLATED, -15)
    packed = comp.compress(doc) + comp.flush()
    replaced = [
        (n, packed, 8, zlib.crc32(doc), len(doc)) if n == "word/document.xml" else (n, d, m, c, u)
        for n, d, m, c, u in entries
    ]
    return build_zip(replaced)


def zip_not_word() -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as zf:
        zf.writestr("[Content_Types].xml", "<Types/>")
        zf.writestr("xl/workbook.xml", "<workbook/>")
    return out.getvalue()


def no_minutes() -> bytes:
    return docx_bytes(
        [
            "Уважаемые коллеги!",
            "Направляем вам план мероприятий на 2026 год для сведения.",
            "1. Провести совещание.",
            "2. Подготовить отчёт.",
        ]
    )


def no_text() -> bytes:
    return docx_bytes(["", "   "])


HOSTILE: dict[str, tuple[Callable[[], bytes], str]] = {
    "not_a_zip": (not_a_zip, "not_docx"),
    "random_bytes": (random_bytes, "corrupt"),
    "empty_file": (empty_file, "empty"),
    "old_word_doc": (old_word_doc, "not_docx"),
    "truncated_zip": (truncated_zip, "corrupt"),
    "bomb_declared_1gb": (bomb_declared_1gb, "unsafe"),
    "bomb_ratio": (bomb_ratio, "unsafe"),
    "bomb_lying_size": (bomb_lying_size, "unsafe"),
    "many_entries": (many_entries, "unsafe"),
    "external_entity": (external_entity, "unsafe"),
    "zip_not_word": (zip_not_word, "not_docx"),
    "no_minutes": (no_minutes, "not_minutes"),
    "no_text": (no_text, "empty"),
}
