"""The archive of a backup: a directory, or a tar file, written whole or not at all.

Writers build the archive under a hidden temporary name beside the target, hashing every file as
it is copied, and rename it into place when complete; the reader gives uniform access to both
forms and refuses tar entries that would land outside the archive.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import hashlib
import io
import os
import shutil
import tarfile
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import BinaryIO

from docflow.core.storage import CHUNK


class BackupError(Exception):
    """The backup cannot be made or restored; the message says why."""


class BackupProblem(Exception):
    """What verification found wrong first."""


def copy_hashing(src: BinaryIO, out: BinaryIO | None = None) -> tuple[str, int]:
    digest, size = hashlib.sha256(), 0
    while chunk := src.read(CHUNK):
        digest.update(chunk)
        size += len(chunk)
        if out is not None:
            out.write(chunk)
    return digest.hexdigest(), size


class _HashingReader:
    def __init__(self, stream: BinaryIO) -> None:
        self.stream, self.digest, self.size = stream, hashlib.sha256(), 0

    def read(self, n: int = -1) -> bytes:
        chunk = self.stream.read(n)
        self.digest.update(chunk)
        self.size += len(chunk)
        return chunk


class DirWriter:
    """Builds the archive in a hidden sibling directory and renames it into place at the end."""

    def __init__(self, target: Path) -> None:
        self.target = target
        self.tmp = Path(tempfile.mkdtemp(dir=target.parent, prefix=f".{target.name}.partial-"))

    def add(self, name: str, src: Path) -> tuple[str, int]:
        out_path = self.tmp / name
        out_path.parent.mkdir(parents=True, exist_ok=True)
        with src.open("rb") as fh, out_path.open("wb") as out:
            sha, size = copy_hashing(fh, out)
            out.flush()
            os.fsync(out.fileno())
        return sha, size

    def add_bytes(self, name: str, data: bytes) -> None:
        (self.tmp / name).write_bytes(data)

    def commit(self) -> None:
        os.rename(self.tmp, self.target)

    def abort(self) -> None:
        shutil.rmtree(self.tmp, ignore_errors=True)


class TarWriter:
    def __init__(self, target: Path) -> None:
        self.target = target
        fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.partial-")
        os.close(fd)
        self.tmp = Path(tmp)
        self.tar = tarfile.open(self.tmp, "w")  # noqa: SIM115 - closed in commit/abort

    def _info(self, name: str, size: int) -> tarfile.TarInfo:
        info = tarfile.TarInfo(name)
        info.size, info.mode, info.mtime = size, 0o440, int(dt.datetime.now(dt.UTC).timestamp())
        return info

    def add(self, name: str, src: Path) -> tuple[str, int]:
        with src.open("rb") as fh:
            size = os.fstat(fh.fileno()).st_size
            reader = _HashingReader(fh)
            self.tar.addfile(self._info(name, size), reader)  # type: ignore[arg-type]
        if reader.size != size:
            raise BackupError(f"{name} changed while it was copied")
        return reader.digest.hexdigest(), size

    def add_bytes(self, name: str, data: bytes) -> None:
        self.tar.addfile(self._info(name, len(data)), io.BytesIO(data))

    def commit(self) -> None:
        self.tar.close()
        with self.tmp.open("rb") as fh:
            os.fsync(fh.fileno())
        os.rename(self.tmp, self.target)

    def abort(self) -> None:
        with contextlib.suppress(Exception):
            self.tar.close()
        self.tmp.unlink(missing_ok=True)


class Archive:
    """Uniform access to a directory or a tar archive."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.tar: tarfile.TarFile | None = None
        if path.is_dir():
            return
        if not path.is_file():
            raise BackupProblem(f"{path}: no such backup")
        try:
            self.tar = tarfile.open(path, "r:")  # noqa: SIM115 - closed in close()
        except tarfile.TarError as exc:
            raise BackupProblem(f"{path}: not a tar archive ({exc})") from None

    def names(self) -> set[str]:
        if self.tar is None:
            return {
                p.relative_to(self.path).as_posix() for p in self.path.rglob("*") if p.is_file()
            }
        names = set()
        for member in self.tar.getmembers():
            if not member.isfile() or member.name.startswith("/") or ".." in member.name.split("/"):
                raise BackupProblem(f"unexpected entry in the archive: {member.name}")
            names.add(member.name)
        return names

    @contextlib.contextmanager
    def open(self, name: str) -> Iterator[BinaryIO]:
        if self.tar is None:
            with (self.path / name).open("rb") as fh:
                yield fh
            return
        fh = self.tar.extractfile(name)
        if fh is None:
            raise BackupProblem(f"{name}: not a file")
        with fh:
            yield fh  # type: ignore[misc]

    def local(self, name: str, tmp: Path) -> Path:
        """A path to read member ``name`` at: in place for a directory, extracted into ``tmp``."""
        if self.tar is None:
            return self.path / name
        dest = tmp / Path(name).name
        with self.open(name) as src, dest.open("wb") as out:
            shutil.copyfileobj(src, out, CHUNK)
        return dest

    def close(self) -> None:
        if self.tar is not None:
            self.tar.close()


@contextlib.contextmanager
def open_archive(path: str | Path) -> Iterator[Archive]:
    archive = Archive(Path(path))
    try:
        yield archive
    finally:
        archive.close()
