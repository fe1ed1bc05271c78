"""Generators of hostile attachments, written at test time (nothing big is committed).

Each function writes one file into ``directory`` and returns its path. ``HOSTILE`` lists them
with the error code the extraction must return.
"""

from __future__ import annotations

import random
import struct
import zipfile
import zlib
from collections.abc import Callable
from pathlib import Path

DATA = Path(__file__).parent / "data"
MB = 1024 * 1024

CONTENT_TYPES = (
    b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    b'<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
    b'<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
    b'<Default Extension="xml" ContentType="application/xml"/>'
    b'<Override PartName="/word/document.xml" ContentType="application/vnd.openxmlformats-'
    b'officedocument.wordprocessingml.document.main+xml"/></Types>'
)
RELS = (
    b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    b'<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
    b'<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/'
    b'relationships/officeDocument" Target="word/document.xml"/></Relationships>'
)
W_NS = b"http://schemas.openxmlformats.org/wordprocessingml/2006/main"


def document_xml(body_text: str, doctype: bytes = b"") -> bytes:
    return (
        b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
        + doctype
        + b'<w:document xmlns:w="'
        + W_NS
        + b'"><w:body><w:p><w:r><w:t>'
        + body_text.encode()
        + b"</w:t></w:r></w:p></w:body></w:document>"
    )


# --- building blocks ----------------------------------------------------------------------------


def deflate_zeros(total: int, *, raw: bool = False, chunk: int = MB) -> bytes:
    """``total`` zero bytes, deflated, in milliseconds: after a full flush the compressed form of
    the same chunk repeats, so it is computed twice and repeated. zlib-wrapped unless ``raw``."""
    assert total % chunk == 0
    comp = zlib.compressobj(9, zlib.DEFLATED, -15 if raw else 15)
    zeros = bytes(chunk)
    first = comp.compress(zeros) + comp.flush(zlib.Z_FULL_FLUSH)
    again = comp.compress(zeros) + comp.flush(zlib.Z_FULL_FLUSH)
    assert again == comp.compress(zeros) + comp.flush(zlib.Z_FULL_FLUSH)
    end = comp.flush()
    data = first + again * (total // chunk - 1)
    if raw:
        return data + end
    adler = (total % 65521) << 16 | 1  # Adler-32 of zeros: a stays 1, b counts the bytes
    return data + end[:-4] + struct.pack(">I", adler)


def build_pdf(objects: list[bytes], trailer_extra: bytes = b"") -> bytes:
    """A PDF with a correct cross-reference table; object 1 is the catalog."""
    out = bytearray(b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n")
    offsets = []
    for number, body in enumerate(objects, 1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % number + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    for offset in offsets:
        out += b"%010d 00000 n \n" % offset
    out += b"trailer\n<< /Size %d /Root 1 0 R %s>>\n" % (len(objects) + 1, trailer_extra)
    out += b"startxref\n%d\n%%%%EOF\n" % xref
    return bytes(out)


def _one_page(contents: bytes, resources: bytes = b"<< >>") -> list[bytes]:
    return [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 4 0 R /Resources "
        + resources
        + b" >>",
        contents,
    ]


def _stream(data: bytes, extra: bytes = b"") -> bytes:
    return b"<< /Length %d %s>>\nstream\n" % (len(data), extra) + data + b"\nendstream"


def _crc_of_zeros(total: int, chunk: int = MB) -> int:
    crc, zeros = 0, bytes(chunk)
    for _ in range(total // chunk):
        crc = zlib.crc32(zeros, crc)
    return crc


def _zip(path: Path, entries: list[tuple[str, bytes, int, int, int]]) -> Path:
    """Write a ZIP by hand from (name, deflated data, crc, uncompressed size, method)."""
    out = bytearray()
    central = bytearray()
    for name, data, crc, size, method in entries:
        raw_name = name.encode()
        offset = len(out)
        out += struct.pack(
            "<4s5H3L2H",
            b"PK\x03\x04",
            20,
            0,
            method,
            0,
            0x21,
            crc,
            len(data),
            size,
            len(raw_name),
            0,
        )
        out += raw_name + data
        central += struct.pack(
            "<4s6H3L5H2L",
            b"PK\x01\x02",
            20,
            20,
            0,
            method,
            0,
            0x21,
            crc,
            len(data),
            size,
            len(raw_name),
            0,
            0,
            0,
            0,
            0,
            offset,
        )
        central += raw_name
    eocd = struct.pack(
        "<4s4H2LH", b"PK\x05\x06", 0, 0, len(entries), len(entries), len(central), len(out), 0
    )
    path.write_bytes(bytes(out + central + eocd))
    return path


def _deflated(name: str, data: bytes) -> tuple[str, bytes, int, int, int]:
    comp = zlib.compressobj(6, zlib.DEFLATED, -15)
    return name, comp.compress(data) + comp.flush(), zlib.crc32(data), len(data), 8


# --- the hostile files --------------------------------------------------------------------------


def truncated_pdf(directory: Path) -> Path:
    data = (DATA / "letter-kk-text.pdf").read_bytes()
    path = directory / "truncated.pdf"
    path.write_bytes(data[: len(data) // 2])
    return path


def garbage_pdf(directory: Path) -> Path:
    """A PDF header followed by random bytes."""
    path = directory / "garbage.pdf"
    path.write_bytes(b"%PDF-1.4\n" + random.Random(1).randbytes(64 * 1024))
    return path


def random_bytes_pdf(directory: Path) -> Path:
    path = directory / "random.pdf"
    path.write_bytes(random.Random(2).randbytes(64 * 1024))
    return path


def empty_pdf(directory: Path) -> Path:
    path = directory / "empty.pdf"
    path.write_bytes(b"")
    return path


def deflate_bomb_pdf(directory: Path, megabytes: int = 500) -> Path:
    """A page whose content stream inflates to ``megabytes`` MB of zeros (the file: ~0.5 MB)."""
    bomb = _stream(deflate_zeros(megabytes * MB), b"/Filter /FlateDecode ")
    path = directory / "deflate-bomb.pdf"
    path.write_bytes(build_pdf(_one_page(bomb)))
    return path


def password_pdf(directory: Path) -> Path:
    """A PDF under the standard security handler whose user password is not empty."""
    text = b"BT /F1 24 Tf 72 720 Td (Secret) Tj ET"
    objects = _one_page(_stream(text))
    objects.append(
        b"<< /Filter /Standard /V 1 /R 2 /Length 40 /P -44 /O <"
        + b"11" * 32
        + b"> /U <"
        + b"22" * 32
        + b"> >>"
    )
    file_id = b"<00112233445566778899aabbccddeeff>"
    path = directory / "password.pdf"
    path.write_bytes(build_pdf(objects, b"/Encrypt 5 0 R /ID [%s %s] " % (file_id, file_id)))
    return path


def html_as_pdf(directory: Path) -> Path:
    path = directory / "letter.pdf"
    path.write_text(
        "<!DOCTYPE html>\n<html><head><title>Өтініш</title></head>"
        "<body><p>Бұл PDF емес.</p></body></html>\n",
        encoding="utf-8",
    )
    return path


def huge_png(directory: Path, side: int = 20000) -> Path:
    """A valid PNG header declaring ``side`` × ``side`` pixels, with a tiny IDAT."""

    def chunk(tag: bytes, body: bytes) -> bytes:
        return struct.pack(">I", len(body)) + tag + body + struct.pack(">I", zlib.crc32(tag + body))

    ihdr = struct.pack(">IIBBBBB", side, side, 8, 0, 0, 0, 0)
    data = b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr)
    data += chunk(b"IDAT", zlib.compress(bytes(side + 1))) + chunk(b"IEND", b"")
    path = directory / f"huge-{side}.png"
    path.write_bytes(data)
    return path


def large_png(directory: Path) -> Path:
    """8000 × 8000: over the 50 Mpx limit but under Pillow's own error threshold (2× the limit)."""
    return huge_png(directory, 8000)


def truncated_png(directory: Path) -> Path:
    data = (DATA / "scan-kk-photo.png").read_bytes()
    path = directory / "truncated.png"
    path.write_bytes(data[: len(data) // 3])
    return path


def docx_zip_bomb(directory: Path, megabytes: int = 1024) -> Path:
    """A DOCX with a part of ``megabytes`` MB of zeros (the file: ~1 MB)."""
    entries = [
        _deflated("[Content_Types].xml", CONTENT_TYPES),
        _deflated("_rels/.rels", RELS),
        _deflated("word/document.xml", document_xml("Бомба")),
        (
            "word/media/image1.png",
            deflate_zeros(megabytes * MB, raw=True),
            _crc_of_zeros(megabytes * MB),
            megabytes * MB,
            8,
        ),
    ]
    return _zip(directory / "bomb.docx", entries)


def docx_lying_sizes(directory: Path) -> Path:
    """A DOCX whose directory declares 10 kB for a part that inflates to 100 MB."""
    bomb = deflate_zeros(100 * MB, raw=True)
    entries = [
        _deflated("[Content_Types].xml", CONTENT_TYPES),
        _deflated("_rels/.rels", RELS),
        ("word/document.xml", bomb, 0, 10_000, 8),
    ]
    return _zip(directory / "lying.docx", entries)


def docx_xxe(directory: Path, target: str = "file:///etc/passwd") -> Path:
    """A DOCX whose document.xml declares an external entity and uses it."""
    doctype = b'<!DOCTYPE w:document [<!ENTITY xxe SYSTEM "' + target.encode() + b'">]>\n'
    xml = document_xml("Мазмұны: &xxe; соңы", doctype)
    path = directory / "xxe.docx"
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", CONTENT_TYPES)
        archive.writestr("_rels/.rels", RELS)
        archive.writestr("word/document.xml", xml)
    return path


def docx_billion_laughs(directory: Path) -> Path:
    entities = b'<!ENTITY a0 "ha">' + b"".join(
        b'<!ENTITY a%d "%s">' % (i, (b"&a%d;" % (i - 1)) * 10) for i in range(1, 10)
    )
    xml = document_xml("&a9;", b"<!DOCTYPE w:document [" + entities + b"]>\n")
    path = directory / "laughs.docx"
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", CONTENT_TYPES)
        archive.writestr("word/document.xml", xml)
    return path


#: generator, the expected error code
HOSTILE: dict[str, tuple[Callable[[Path], Path], str]] = {
    "truncated_pdf": (truncated_pdf, "corrupt"),
    "garbage_pdf": (garbage_pdf, "corrupt"),
    "random_bytes_pdf": (random_bytes_pdf, "not_supported"),
    "empty_pdf": (empty_pdf, "corrupt"),
    "deflate_bomb_pdf": (deflate_bomb_pdf, "too_large"),
    "password_pdf": (password_pdf, "encrypted"),
    "html_as_pdf": (html_as_pdf, "not_supported"),
    "huge_png": (huge_png, "too_large"),
    "large_png": (large_png, "too_large"),
    "truncated_png": (truncated_png, "corrupt"),
    "docx_zip_bomb": (docx_zip_bomb, "unsafe"),
    "docx_lying_sizes": (docx_lying_sizes, "corrupt"),
    "docx_xxe": (docx_xxe, "unsafe"),
    "docx_billion_laughs": (docx_billion_laughs, "unsafe"),
}
