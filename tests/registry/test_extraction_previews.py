"""First-page previews: a step of their own after the text (jobs, and the task with a broker);
a failing preview never costs the text or the registration."""

from __future__ import annotations

import io

import pytest
from PIL import Image
from sqlalchemy import select

from docflow.core import tasks
from docflow.core.storage import get_storage
from docflow.core.tasks import TaskRun
from docflow.extensions import db
from docflow.registry import extraction, extraction_previews, jobs, operations
from docflow.registry.extraction import PreviewResult
from docflow.registry.models import Attachment, IncomingItem
from tests.registry.hostile import DATA

LETTER = DATA / "letter-kk-text.pdf"


@pytest.fixture(autouse=True)
def _no_failures_left():
    extraction_previews._failures.clear()
    yield
    extraction_previews._failures.clear()


def attach(item, path=LETTER, name="letter.pdf") -> int:
    with path.open("rb") as fh:
        att = operations.attach(item, name, fh, item.registered_by)
    db.session.commit()
    return att.id


def fresh(att_id: int) -> Attachment:
    db.session.expire_all()
    return db.session.get(Attachment, att_id)


def assert_png(key: str | None) -> None:
    assert key
    with get_storage().open(key) as fh:
        image = Image.open(io.BytesIO(fh.read()))
    assert image.format == "PNG" and 700 <= max(image.size) <= 800


def test_preview_is_made_after_the_text_and_shown(app, make_item, web, monkeypatch):
    seen = []
    real = extraction_previews.make_one

    def spy(att_id):  # the state of the file when its preview step begins
        att = fresh(att_id)
        seen.append((att.extraction_status, bool(att.text), att.preview_key))
        return real(att_id)

    monkeypatch.setattr(extraction_previews, "make_one", spy)
    item = make_item()
    att_id = attach(item)
    jobs.schedule()  # EXTRACTION_MODE=sync in the tests: the jobs run now
    assert seen == [("done", True, None)]  # text stored and committed before the preview
    att = fresh(att_id)
    assert "Жұмабаева" in att.text
    assert_png(att.preview_key)

    clerk = web("clerk")
    page = clerk.get(f"/registry/{item.public_id}")
    assert b'class="preview"' in page.data
    r = clerk.get(f"/registry/{item.public_id}/files/{att.public_id}/preview.png")
    assert (r.status_code, r.mimetype) == (200, "image/png")
    assert r.data.startswith(b"\x89PNG")
    assert real(att_id) is None  # idempotent: made once, a second run does nothing


def test_failing_preview_keeps_the_text_and_the_registration(app, make_item, web, monkeypatch):
    def crash(path, **kw):  # our machinery breaks (e.g. the scratch directory)
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(extraction, "make_preview", crash)
    item = make_item()
    att_id = attach(item)
    jobs.schedule()
    att = fresh(att_id)
    assert (att.extraction_status, att.preview_key) == ("done", None)
    assert "Жұмабаева" in att.text
    assert db.session.get(IncomingItem, item.id).reg_number == item.reg_number
    assert extraction_previews._failures == {att_id: 1}  # tried again at the next run

    monkeypatch.undo()
    jobs.process_pending()  # nothing pending to extract: the retry only
    assert_png(fresh(att_id).preview_key)
    assert extraction_previews._failures == {}


def test_file_that_cannot_be_drawn_gets_no_preview_and_is_not_retried(
    app, make_item, web, monkeypatch
):
    calls = []

    def refuse(path, **kw):
        calls.append(path)
        return PreviewResult("failed", "pdf", None, "corrupt", "The PDF is damaged.")

    monkeypatch.setattr(extraction, "make_preview", refuse)
    item = make_item()
    att_id = attach(item)
    jobs.schedule()
    att = fresh(att_id)
    assert att.extraction_status == "done" and att.text
    assert att.preview_key == extraction_previews.NO_PREVIEW
    assert extraction_previews.process_missing() == 0 and len(calls) == 1  # never again
    clerk = web("clerk")
    assert b'class="preview"' not in clerk.get(f"/registry/{item.public_id}").data
    r = clerk.get(f"/registry/{item.public_id}/files/{att.public_id}/preview.png")
    assert r.status_code == 404


def test_docx_has_no_preview_step(app, make_item, tmp_path, monkeypatch):
    import docx

    document = docx.Document()
    document.add_paragraph("Өтініш мәтіні")
    path = tmp_path / "appeal.docx"
    document.save(path)
    called = []
    monkeypatch.setattr(extraction, "make_preview", lambda *a, **kw: called.append(a))
    att_id = attach(make_item(), path, "appeal.docx")
    jobs.schedule()
    att = fresh(att_id)
    assert (att.extraction_status, att.file_kind, att.preview_key) == ("done", "docx", None)
    assert called == []


def test_previews_left_behind_are_made_by_the_sweep(app, make_item):
    item = make_item()
    att_id = attach(item)
    jobs.claim(att_id)
    jobs.process_one(att_id)  # the text; the worker stopped before the preview
    assert fresh(att_id).preview_key is None
    assert extraction_previews.process_missing() == 1
    assert_png(fresh(att_id).preview_key)


def test_with_tasks_the_preview_is_a_task_of_its_own_retried(app, make_item, monkeypatch):
    """The broker path, run embedded: the extraction task queues ``registry.preview``; a storage
    failure is retried, and the preview task runs once per attachment."""
    storage = get_storage()
    real_save = storage.save
    failures = []

    def save_once_failing(stream, *a, **kw):
        if not failures:
            failures.append(1)
            raise OSError(28, "No space left on device")
        return real_save(stream, *a, **kw)

    item = make_item()
    att_id = attach(item)
    monkeypatch.setattr(storage, "save", save_once_failing)
    with tasks.sync_mode(app):
        tasks.enqueue("registry.extract", att_id, idempotency_key=f"extract:{att_id}:0")
        db.session.commit()
    db.session.expire_all()
    run = db.session.scalar(select(TaskRun).where(TaskRun.key == f"preview:{att_id}"))
    assert (run.name, run.state, run.attempts) == ("registry.preview", "done", 2)
    att = fresh(att_id)
    assert att.extraction_status == "done" and "Жұмабаева" in att.text
    assert_png(att.preview_key)
    with tasks.sync_mode(app):
        assert extraction_previews.queue(att_id) is False  # nothing left to do


def test_item_page_waits_for_a_preview_that_comes_after_the_text(app, make_item, web):
    item = make_item()
    att_id = attach(item)
    jobs.claim(att_id)
    jobs.process_one(att_id)  # the text is stored; the preview step has not run yet
    clerk = web("clerk")
    page = clerk.get(f"/registry/{item.public_id}").data
    assert b'data-preview="waiting"' in page and b'class="preview"' not in page
    files = clerk.get(f"/registry/{item.public_id}/files.json").get_json()["files"]
    assert [(f["status"], f["preview_waiting"]) for f in files] == [("done", True)]

    extraction_previews.process([att_id])
    page = clerk.get(f"/registry/{item.public_id}").data
    assert b'data-preview="waiting"' not in page and b'class="preview"' in page
    files = clerk.get(f"/registry/{item.public_id}/files.json").get_json()["files"]
    assert [(f["status"], f["preview_waiting"]) for f in files] == [("done", False)]
