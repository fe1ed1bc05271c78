"""Batch scanning end to end: labels route pages to registered items, the rest waits (R-REG-7)."""

from __future__ import annotations

import io

import pypdfium2 as pdfium
from sqlalchemy import select

from docflow.extensions import db
from docflow.registry import scanning
from docflow.registry.models import ScanBatch, UnmatchedScan, item_by_number
from tests.registry.test_batch import save_pdf, stack


def _pages(data: bytes) -> int:
    return len(pdfium.PdfDocument(data))


def test_batch_scan_is_split_and_attached(app, make_item, clerk, tmp_path, client, login):
    first, second = make_item(), make_item(summary="Екінші хат")
    db.session.commit()
    path = save_pdf(
        stack({1: (first.reg_number,), 3: (second.reg_number,)}), tmp_path / "stack.pdf"
    )
    batch = scanning.upload_batch("stack.pdf", path.open("rb"), clerk)
    db.session.commit()
    scanning.process_batch(batch.id)
    batch = db.session.get(ScanBatch, batch.id)
    assert batch.status == "done"
    assert batch.summary == {"attached": [first.reg_number, second.reg_number], "unmatched": 1}
    first, second = item_by_number(first.reg_number), item_by_number(second.reg_number)
    assert [a.source for a in first.attachments] == ["batch"]
    from docflow.core.storage import get_storage

    data = get_storage().open(first.attachments[0].storage_key).read()
    assert _pages(data) == 2  # pages 2-3 of the stack
    queue = scanning.unmatched_queue()
    assert len(queue) == 1 and queue[0].pages == [0]
    # A clerk resolves the unmatched first page through the page.
    login("clerk")
    page = client.get("/registry/scans")
    assert page.status_code == 200 and "stack-p1-1.pdf" in page.get_data(as_text=True)
    r = client.post(
        f"/registry/scans/unmatched/{queue[0].id}", data={"reg_number": second.reg_number}
    )
    assert r.status_code == 303
    db.session.expire_all()
    assert db.session.get(UnmatchedScan, queue[0].id).resolved_item_id == second.id
    assert len(item_by_number(second.reg_number).attachments) == 2
    assert scanning.unmatched_queue() == []


def test_unknown_label_goes_to_the_queue_with_the_label(app, clerk, tmp_path):
    path = save_pdf(stack({0: ("ЖТ-2026-99999999",)}, count=2), tmp_path / "s.pdf")
    batch = scanning.upload_batch("s.pdf", path.open("rb"), clerk)
    db.session.commit()
    scanning.process_batch(batch.id)
    queue = scanning.unmatched_queue()
    assert [(u.label, u.pages) for u in queue] == [("ЖТ-2026-99999999", [0, 1])]


def test_a_file_that_is_not_a_scan_fails_the_batch_readably(app, clerk):
    batch = scanning.upload_batch("notes.pdf", io.BytesIO(b"<html>not a pdf</html>"), clerk)
    db.session.commit()
    scanning.process_batch(batch.id)
    batch = db.session.get(ScanBatch, batch.id)
    assert batch.status == "failed" and batch.error
    assert db.session.scalars(select(UnmatchedScan)).all() == []


def test_watched_folder_takes_scans(app, make_item, clerk, tmp_path):
    item = make_item()
    db.session.commit()
    folder = tmp_path / "scanner"
    folder.mkdir()
    save_pdf(stack({0: (item.reg_number,)}, count=1), folder / "scan1.pdf")
    (folder / "readme.txt").write_text("not a scan")
    taken = scanning.watch_folder(folder, clerk)
    assert taken == ["scan1.pdf"]
    assert not (folder / "scan1.pdf").exists() and (folder / "readme.txt").exists()
    from docflow.registry.jobs import process_pending

    process_pending()
    assert len(item_by_number(item.reg_number).attachments) == 1
