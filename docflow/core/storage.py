"""File storage: content-addressed, SHA-256 per file, never modified in place.

Code stores and opens files through ``get_storage()`` and keeps only the returned key; it never
builds paths itself. The filesystem backend keeps files under the instance folder, read-only;
the memory backend serves tests.
"""

from __future__ import annotations

import contextlib
import errno
import hashlib
import os
import shutil
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO, Protocol

from flask import current_app
from flask_babel import lazy_gettext as _l

from docflow.core import faults
from docflow.core.errors import DomainError

CHUNK = 1024 * 1024
# A write that fails for want of space: the disk is full, or the storage user's quota is.
NO_SPACE = frozenset({errno.ENOSPC, errno.EDQUOT})


class FileTooLarge(ValueError):
    pass


class StorageFull(DomainError):
    """The file could not be stored for want of space; nothing of it was kept (507)."""

    status = 507
    code = "storage_full"

    def __init__(self) -> None:
        super().__init__(
            _l(
                "The file storage is full: the file was not stored. Nothing else was lost; "
                "tell the administrator and send the file again later."
            )
        )


@dataclass(frozen=True)
class StoredFile:
    key: str
    sha256: str
    size: int


class Storage(Protocol):
    def save(self, stream: BinaryIO, max_bytes: int | None = None) -> StoredFile: ...
    def open(self, key: str) -> BinaryIO: ...
    def exists(self, key: str) -> bool: ...
    def local_path(self, key: str) -> contextlib.AbstractContextManager[Path]: ...


def _copy_hashing(stream: BinaryIO, out: BinaryIO, max_bytes: int | None) -> tuple[str, int]:
    digest, size = hashlib.sha256(), 0
    while chunk := stream.read(CHUNK):
        size += len(chunk)
        if max_bytes is not None and size > max_bytes:
            raise FileTooLarge(f"file larger than {max_bytes} bytes")
        digest.update(chunk)
        out.write(chunk)
    return digest.hexdigest(), size


TEMP_PREFIX = ".upload-"  # a file being written; one left behind by a crash: flask storage orphans


class FileSystemStorage:
    def __init__(self, root: str | Path) -> None:
        self.root = Path(root)

    def _path(self, key: str) -> Path:
        if len(key) != 64 or any(c not in "0123456789abcdef" for c in key):
            raise KeyError(key)
        return self.root / key[:2] / key[2:4] / key

    def save(self, stream: BinaryIO, max_bytes: int | None = None) -> StoredFile:
        """Write to a temp file, fsync, rename into place: a file is whole or absent under its
        key. A full disk raises :class:`StorageFull` and leaves no partial file behind."""
        try:
            return self._save(stream, max_bytes)
        except OSError as exc:
            if exc.errno in NO_SPACE:
                raise StorageFull() from exc
            raise

    def _save(self, stream: BinaryIO, max_bytes: int | None) -> StoredFile:
        self.root.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=self.root, prefix=TEMP_PREFIX)
        try:
            with os.fdopen(fd, "wb") as out:
                sha, size = _copy_hashing(stream, out, max_bytes)
                faults.point("storage.partial")
                out.flush()
                os.fsync(out.fileno())
            target = self._path(sha)
            if target.exists():  # same content already stored: keep the original
                os.unlink(tmp)
                os.utime(target)  # young again: the orphan sweep leaves it to the new row
            else:
                target.parent.mkdir(parents=True, exist_ok=True)
                os.chmod(tmp, 0o440)
                os.replace(tmp, target)
        except BaseException:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(tmp)
            raise
        faults.point("storage.saved")
        return StoredFile(sha, sha, size)

    def open(self, key: str) -> BinaryIO:
        return self._path(key).open("rb")

    def exists(self, key: str) -> bool:
        try:
            return self._path(key).exists()
        except KeyError:
            return False

    @contextlib.contextmanager
    def local_path(self, key: str) -> Iterator[Path]:
        yield self._path(key)


class MemoryStorage:
    def __init__(self) -> None:
        self.files: dict[str, bytes] = {}

    def save(self, stream: BinaryIO, max_bytes: int | None = None) -> StoredFile:
        import io

        buf = io.BytesIO()
        sha, size = _copy_hashing(stream, buf, max_bytes)
        self.files.setdefault(sha, buf.getvalue())
        return StoredFile(sha, sha, size)

    def open(self, key: str) -> BinaryIO:
        import io

        return io.BytesIO(self.files[key])

    def exists(self, key: str) -> bool:
        return key in self.files

    @contextlib.contextmanager
    def local_path(self, key: str) -> Iterator[Path]:
        with tempfile.TemporaryDirectory() as tmp:
            path = Path(tmp) / key
            with path.open("wb") as out, self.open(key) as src:
                shutil.copyfileobj(src, out)
            yield path


def get_storage() -> Storage:
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    storage = app.extensions.get("docflow_storage")
    if storage is None:
        backend = app.config.get("STORAGE_BACKEND", "fs")
        if backend == "memory":
            storage = MemoryStorage()
        else:
            root = app.config.get("STORAGE_PATH") or os.path.join(app.instance_path, "files")
            storage = FileSystemStorage(root)
        app.extensions["docflow_storage"] = storage
    return storage
