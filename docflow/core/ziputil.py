"""ZIP safety for Office files (DOCX): a ZIP bomb is refused from the archive's directory alone,
before anything is inflated. Used by the minutes parser and by the text-extraction worker.

This module imports nothing of ``docflow`` (nor Flask): the extraction worker runs in an isolated
interpreter without the package and loads this file by its path.
"""

from __future__ import annotations

import struct
import zipfile
from collections.abc import Iterable
from dataclasses import dataclass

MB = 1024 * 1024
_EOCD = b"PK\x05\x06"
_EOCD_SIZE = 22
# The end-of-central-directory record is within the last 22 bytes + a comment of up to 64 KB.
TAIL_BYTES = _EOCD_SIZE + 65535


@dataclass(frozen=True)
class ZipLimits:
    max_entries: int = 2000
    max_total: int = 100 * MB  # declared uncompressed size of all entries
    max_ratio: int = 100  # uncompressed / compressed, per entry larger than ratio_min_bytes
    # Smaller entries cannot hurt whatever their ratio (tiny XML parts compress very well).
    ratio_min_bytes: int = 256 * 1024


class ZipRefused(Exception):
    """Why an archive is refused: ``code`` is corrupt | unsafe | encrypted, ``message`` English."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


def declared_entries(tail: bytes) -> int:
    """Entries declared by the end-of-central-directory record in ``tail`` (the last
    ``TAIL_BYTES`` of the file), read before :mod:`zipfile` builds one object per entry."""
    pos = tail.rfind(_EOCD)
    if pos < 0 or len(tail) - pos < _EOCD_SIZE:
        raise ZipRefused("corrupt", "The DOCX file is damaged (no ZIP directory).")
    _, _, _, _, entries, cd_size, _, _ = struct.unpack("<4s4H2LH", tail[pos : pos + _EOCD_SIZE])
    if entries == 0xFFFF or cd_size == 0xFFFFFFFF:
        raise ZipRefused("unsafe", "The DOCX file uses ZIP64, which Word documents never need.")
    return entries


def check_entries(infos: Iterable[zipfile.ZipInfo], limits: ZipLimits) -> None:
    """Refuse too many entries, too much declared data, an entry expanding more than
    ``max_ratio`` times, encrypted entries and compression methods Word never writes."""
    infos = list(infos)
    if len(infos) > limits.max_entries:
        raise ZipRefused("unsafe", f"The DOCX file has more than {limits.max_entries} parts.")
    total = 0
    for info in infos:
        if info.flag_bits & 0x1:
            raise ZipRefused("encrypted", "The DOCX file is password-protected.")
        if info.compress_type not in (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED):
            raise ZipRefused("unsafe", "The DOCX file uses an unusual compression method.")
        ratio = info.file_size / max(info.compress_size, 1)
        if info.file_size > limits.ratio_min_bytes and ratio > limits.max_ratio:
            raise ZipRefused(
                "unsafe", f"The DOCX file is a compression bomb: a part expands {ratio:.0f} times."
            )
        total += info.file_size
        if total > limits.max_total:
            raise ZipRefused(
                "unsafe", f"The DOCX file expands to more than {limits.max_total // MB} MB."
            )
