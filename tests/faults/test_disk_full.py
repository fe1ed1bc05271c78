"""A full disk during an upload: ``OSError(ENOSPC)`` injected at the storage's write.

The fault point ``storage.partial`` (``docflow.core.faults``) raises ENOSPC while the file is
half in its temp file, as a full disk does. Then: a 507 (or, with a registration, the file
refused and the registration kept, R-REG-1) with a message in the reader's language (kk/ru/en),
no attachment row, no temp file and no blob left behind.
"""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest
from flask_babel import force_locale
from sqlalchemy import func, select

from docflow.api import issue_token
from docflow.core.storage import FileSystemStorage, StorageFull, get_storage
from docflow.extensions import db
from docflow.org.models import user_by_username
from docflow.registry.models import Attachment, IncomingItem
from tests.conftest import fake_iin

LANGS = ("kk", "ru", "en")


@pytest.fixture
def disk_full(monkeypatch):
    monkeypatch.setenv("DOCFLOW_FAULT_POINT", "storage.partial")
    monkeypatch.setenv("DOCFLOW_FAULT_ACTION", "enospc")
    monkeypatch.delenv("DOCFLOW_FAULT_ONCE", raising=False)


def expected_message(lang: str) -> str:
    with force_locale(lang):
        return StorageFull().message


def bearer(lang: str) -> dict[str, str]:
    token = issue_token(user_by_username("clerk"))
    db.session.commit()
    return {"Authorization": f"Bearer {token}", "Accept-Language": lang}


def registration(n: int) -> dict:
    return {
        "kind": "statement",
        "channel": "post",
        "applicants": [
            {"full_name": f"Сейітова Гүлнар {n}", "iin": fake_iin(n), "address": "Абай 1"}
        ],
        "addressee": "Алматы қаласының әкімі",
        "summary": f"Жол жөндеу {n}",
    }


def files_root() -> Path:
    storage = get_storage()
    assert isinstance(storage, FileSystemStorage)  # the backend production uses
    return storage.root


def assert_nothing_half_written(attachments_before: int) -> None:
    db.session.remove()
    assert db.session.scalar(select(func.count()).select_from(Attachment)) == attachments_before
    root = files_root()
    assert not list(root.glob(".upload-*"))  # no partial temp file
    named = set(db.session.scalars(select(Attachment.storage_key)))
    assert {p.name for p in root.glob("??/??/*")} <= named  # no blob without its row


def attachment_count() -> int:
    return db.session.scalar(select(func.count()).select_from(Attachment))


@pytest.mark.parametrize("lang", LANGS)
def test_r_reg_1_disk_full_refuses_the_file_and_keeps_the_registration(
    app, client, disk_full, lang
):
    before = attachment_count()
    items = db.session.scalar(select(func.count()).select_from(IncomingItem))
    r = client.post(
        "/api/v1/items",
        data={
            "data": json.dumps(registration(1)),
            "files": (io.BytesIO(b"scan " * 1000), "scan.txt"),
        },
        headers=bearer(lang),
        content_type="multipart/form-data",
    )
    assert r.status_code == 201, r.get_data(as_text=True)
    body = r.get_json()
    assert body["reg_number"] and body["attachments"] == []
    assert body["files_refused"] == [
        {"name": "scan.txt", "error": "storage_full", "message": expected_message(lang)}
    ]
    assert_nothing_half_written(before)
    assert db.session.scalar(select(func.count()).select_from(IncomingItem)) == items + 1


@pytest.mark.parametrize("lang", LANGS)
def test_disk_full_on_an_upload_to_a_registered_item_is_a_507_in_the_readers_language(
    app, client, make_item, disk_full, lang
):
    item = make_item()
    db.session.commit()
    public_id, number, before = item.public_id, item.reg_number, attachment_count()
    r = client.post(
        f"/api/v1/items/{public_id}/attachments",
        data={"files": [(io.BytesIO(b"a" * 5000), "a.txt"), (io.BytesIO(b"b" * 10), "b.txt")]},
        headers=bearer(lang),
        content_type="multipart/form-data",
    )
    assert r.status_code == 507, r.get_data(as_text=True)
    body = r.get_json()
    assert body["error"] == "storage_full" and body["message"] == expected_message(lang)
    assert "Traceback" not in r.get_data(as_text=True)
    assert_nothing_half_written(before)
    kept = db.session.scalar(select(IncomingItem).where(IncomingItem.public_id == public_id))
    assert kept.reg_number == number and kept.attachments == []


def test_disk_full_on_the_upload_page_says_so_and_stores_nothing(app, web, make_item, disk_full):
    item = make_item()
    db.session.commit()
    before = attachment_count()
    c = web("clerk")
    assert c.post("/lang/ru").status_code in (200, 302, 303)
    r = c.post(
        f"/registry/{item.public_id}/files",
        data={"files": (io.BytesIO(b"x" * 2000), "x.txt")},
        content_type="multipart/form-data",
    )
    assert r.status_code == 303
    page = c.get(r.headers["Location"])
    assert page.status_code == 200
    assert expected_message("ru") in page.get_data(as_text=True)
    assert_nothing_half_written(before)


def test_the_disk_frees_up_and_the_same_file_is_stored(app, client, make_item, monkeypatch):
    """The refusal leaves nothing that blocks a retry: once there is space, the file goes in."""
    item = make_item()
    db.session.commit()
    monkeypatch.setenv("DOCFLOW_FAULT_POINT", "storage.partial")
    monkeypatch.setenv("DOCFLOW_FAULT_ACTION", "enospc")
    headers = bearer("en")
    send = lambda: client.post(  # noqa: E731
        f"/api/v1/items/{item.public_id}/attachments",
        data={"files": (io.BytesIO(b"retry " * 300), "retry.txt")},
        headers=headers,
        content_type="multipart/form-data",
    )
    assert send().status_code == 507
    monkeypatch.delenv("DOCFLOW_FAULT_POINT")
    r = send()
    assert r.status_code == 201, r.get_data(as_text=True)
    [att] = r.get_json()["attachments"]
    db.session.remove()
    row = db.session.scalar(select(Attachment).where(Attachment.public_id == att["id"]))
    with get_storage().open(row.storage_key) as fh:
        assert fh.read() == b"retry " * 300


def test_a_full_disk_reported_at_fsync_becomes_storage_full(app, tmp_path, monkeypatch):
    """Not only the fault point: a disk that fills with delayed allocation says ENOSPC only at
    fsync; that is a full disk too, and the temp file goes."""
    import errno
    import os

    def fsync(_fd):
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    monkeypatch.setattr("docflow.core.storage.os.fsync", fsync)
    storage = FileSystemStorage(tmp_path / "small-disk")
    with pytest.raises(StorageFull):
        storage.save(io.BytesIO(b"z" * 4096))
    assert not list((tmp_path / "small-disk").rglob("*"))
