"""Files chosen on the registration form, kept across a validation error (issue 14).

A browser never re-sends chosen files: when the form comes back with an error, the files
would be lost silently. Instead the view stages them here, under an unguessable token that the
re-rendered form carries in a hidden field; the next submission of that form gets them back
and attaches them with the new registration. A staging belongs to the user who made it, holds
only what the form sent, and is removed once used or after ``MAX_AGE`` (one hour) — every
staging call sweeps the old ones away.

Staged files live under the instance folder (``STAGED_UPLOADS_PATH`` overrides), outside the
content-addressed storage: they are not records yet, and the storage never deletes.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import os
import re
import secrets
import shutil
import tempfile
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, BinaryIO

from flask import current_app

MAX_AGE = dt.timedelta(hours=1)
MAX_FILES = 50
CHUNK = 1024 * 1024
_TOKEN = re.compile(r"[0-9a-f]{32}")
MANIFEST = "manifest.json"


@dataclass(frozen=True)
class StagedFile:
    filename: str
    content_type: str | None
    size: int
    path: Path

    @contextlib.contextmanager
    def open(self) -> Iterator[BinaryIO]:
        with self.path.open("rb") as stream:
            yield stream


def _root() -> Path:
    configured = current_app.config.get("STAGED_UPLOADS_PATH")
    return Path(configured or os.path.join(current_app.instance_path, "staged_uploads"))


def _dir(token: str | None) -> Path | None:
    if not token or not _TOKEN.fullmatch(token):
        return None  # never a path from the request
    return _root() / token


def _limit() -> int | None:
    config = current_app.config
    return config.get("MAX_ATTACHMENT_BYTES") or config.get("MAX_CONTENT_LENGTH")


def _read_manifest(folder: Path) -> dict[str, Any] | None:
    try:
        return json.loads((folder / MANIFEST).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None


def files(token: str | None, user_id: int) -> list[StagedFile]:
    """The files staged under ``token`` by this user (none when expired, unknown or another's)."""
    folder = _dir(token)
    manifest = _read_manifest(folder) if folder is not None else None
    if not manifest or manifest.get("user") != user_id:
        return []
    created = dt.datetime.fromisoformat(manifest["created"])
    if dt.datetime.now(dt.UTC) - created > MAX_AGE:
        return []
    out = []
    for entry in manifest.get("files", []):
        path = folder / entry["part"]
        if path.is_file():
            out.append(
                StagedFile(entry["filename"], entry.get("content_type"), entry["size"], path)
            )
    return out


def stage(
    uploads: Iterable[Any], user_id: int, token: str | None = None
) -> tuple[str | None, list]:
    """Keep the form's new ``uploads`` (werkzeug FileStorage) with those already under ``token``.

    Returns ``(token, files)``: the token to put in the re-rendered form (None when nothing is
    kept) and every file kept. A file larger than the upload limit or empty is not kept: the
    registration would refuse it anyway, and the form says to choose it again.
    """
    cleanup()
    kept = files(token, user_id)
    new = [u for u in uploads if u and u.filename]
    if not new:
        return (token if kept else None), kept
    folder = _dir(token) if kept else None
    if folder is None:
        token = secrets.token_hex(16)
        folder = _root() / token
        folder.mkdir(parents=True, exist_ok=True)
        kept = []
    entries = [
        {
            "filename": f.filename,
            "content_type": f.content_type,
            "size": f.size,
            "part": f.path.name,
        }
        for f in kept
    ]
    for upload in new[: max(0, MAX_FILES - len(entries))]:
        part = f"{len(entries):03d}"
        size = _copy(upload.stream, folder / part, _limit())
        if size:
            entries.append(
                {
                    "filename": upload.filename,
                    "content_type": upload.mimetype,
                    "size": size,
                    "part": part,
                }
            )
    manifest = {
        "user": user_id,
        "created": dt.datetime.now(dt.UTC).isoformat(),
        "files": entries,
    }
    _write(folder / MANIFEST, json.dumps(manifest, ensure_ascii=False))
    return token, files(token, user_id)


def _copy(stream: BinaryIO, target: Path, limit: int | None) -> int:
    """Copy at most ``limit`` bytes; 0 (and nothing kept) for an empty or too large file."""
    size = 0
    with target.open("wb") as out:
        while chunk := stream.read(CHUNK):
            size += len(chunk)
            if limit is not None and size > limit:
                break
            out.write(chunk)
    if size == 0 or (limit is not None and size > limit):
        target.unlink(missing_ok=True)
        return 0
    return size


def _write(path: Path, text: str) -> None:
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".manifest-")
    with os.fdopen(fd, "w", encoding="utf-8") as out:
        out.write(text)
    os.replace(tmp, path)


def release(token: str | None, user_id: int) -> None:
    """Remove a staging once its files are attached (only its owner's)."""
    folder = _dir(token)
    if folder is None:
        return
    manifest = _read_manifest(folder)
    if manifest is not None and manifest.get("user") == user_id:
        shutil.rmtree(folder, ignore_errors=True)
    cleanup()  # the forms given up on go too


def cleanup(now: dt.datetime | None = None) -> int:
    """Remove stagings older than ``MAX_AGE``; returns how many were removed."""
    root = _root()
    if not root.is_dir():
        return 0
    cutoff = (now or dt.datetime.now(dt.UTC)) - MAX_AGE
    removed = 0
    for folder in root.iterdir():
        if not (folder.is_dir() and _TOKEN.fullmatch(folder.name)):
            continue
        manifest = _read_manifest(folder)
        try:
            created = dt.datetime.fromisoformat(manifest["created"]) if manifest else None
        except (KeyError, ValueError):
            created = None
        if created is None:  # a staging being written, or broken: judged by its age on disk
            created = dt.datetime.fromtimestamp(folder.stat().st_mtime, dt.UTC)
        if created < cutoff:
            shutil.rmtree(folder, ignore_errors=True)
            removed += 1
    return removed
