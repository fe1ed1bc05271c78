"""R-AUDIT-3 for files: a file is replaced or removed as a new version with a reason; nothing
is destroyed. The old file stays in storage and in the file's version history (who, when, why,
SHA-256); a removed file leaves the current files (and the search index) but stays in the
history for the registry's readers; only the office changes files, and not once the item is
answered or closed. Also the inline viewer's pages and headers."""

from __future__ import annotations

import hashlib
import io

import pytest
from sqlalchemy import select, text

from docflow.core.security import AccessDenied
from docflow.core.storage import get_storage
from docflow.extensions import db
from docflow.registry import file_versions, operations, search
from docflow.registry.errors import RegistrationError
from docflow.registry.file_versions import FileChange, FilesLocked
from tests.fixtures import page

OLD = b"%PDF-1.4 the scan as first attached"
NEW = b"%PDF-1.4 the scan attached again, readable"


def attach(item, clerk, data: bytes = OLD, name: str = "scan.pdf"):
    att = operations.attach(item, name, io.BytesIO(data), clerk)
    db.session.commit()
    return att


def stored_bytes(att) -> bytes:
    with get_storage().open(att.storage_key) as fh:
        return fh.read()


def found(word: str) -> set[int]:
    sql, params = search.matching_ids_sql(word)
    return set(db.session.execute(text(sql), params).scalars())


@pytest.fixture
def item_with_file(make_item, clerk):
    item = make_item()
    db.session.commit()
    return item, attach(item, clerk)


# --- replace ---------------------------------------------------------------------------------


def test_r_audit_3_replace_is_a_new_version_and_the_old_file_stays_in_storage(
    item_with_file, clerk
):
    item, old = item_with_file
    new = file_versions.replace_file(
        item, old, "scan-v2.pdf", io.BytesIO(NEW), clerk, reason="Скан нечитаемый, пересканирован"
    )
    db.session.commit()
    assert item.current_attachments == [new]
    assert new.replaces_id == old.id
    assert stored_bytes(old) == OLD and stored_bytes(new) == NEW  # nothing destroyed
    [history] = file_versions.file_histories(item)
    assert [(v.number, v.attachment.id, v.reason, v.current) for v in history.versions] == [
        (1, old.id, None, False),
        (2, new.id, "Скан нечитаемый, пересканирован", True),
    ]
    assert [v.attachment.sha256 for v in history.versions] == [
        hashlib.sha256(OLD).hexdigest(),
        hashlib.sha256(NEW).hexdigest(),
    ]
    assert history.versions[1].uploader.id == clerk.id
    change = db.session.scalar(select(FileChange).where(FileChange.new_attachment_id == new.id))
    assert (change.action, change.attachment_id, change.actor_id) == ("replace", old.id, clerk.id)


@pytest.mark.parametrize("reason", ["", "   ", None])
def test_r_audit_3_a_replacement_or_removal_needs_a_reason(item_with_file, clerk, reason):
    item, old = item_with_file
    with pytest.raises(RegistrationError) as replaced:
        file_versions.replace_file(item, old, "v2.pdf", io.BytesIO(NEW), clerk, reason=reason)
    with pytest.raises(RegistrationError) as removed:
        file_versions.remove_file(item, old, clerk, reason=reason)
    assert "reason" in replaced.value.fields and "reason" in removed.value.fields
    db.session.rollback()
    assert item.current_attachments == [old]
    assert db.session.scalars(select(FileChange)).all() == []


def test_r_audit_3_only_the_current_version_is_replaced_again(item_with_file, clerk):
    item, old = item_with_file
    file_versions.replace_file(item, old, "v2.pdf", io.BytesIO(NEW), clerk, reason="пересканирован")
    with pytest.raises(FilesLocked):
        file_versions.replace_file(item, old, "v3.pdf", io.BytesIO(NEW), clerk, reason="ещё раз")


# --- remove ----------------------------------------------------------------------------------


def test_r_audit_3_removed_file_leaves_the_current_files_but_stays_in_history(
    item_with_file, clerk
):
    item, att = item_with_file
    other = attach(item, clerk, b"%PDF-1.4 the envelope", "envelope.pdf")
    file_versions.remove_file(item, att, clerk, reason="Документ другого заявителя")
    db.session.commit()
    assert item.current_attachments == [other]
    assert stored_bytes(att) == OLD
    removed = [h for h in file_versions.file_histories(item) if h.removal]
    assert [(h.last.id, h.removal.reason, h.removal.actor_id) for h in removed] == [
        (att.id, "Документ другого заявителя", clerk.id)
    ]
    with pytest.raises(FilesLocked):  # a removed file is not removed twice
        file_versions.remove_file(item, att, clerk, reason="again")


def test_r_audit_3_the_search_index_follows_the_current_version(item_with_file, clerk):
    item, old = item_with_file
    old.text = "подвал затоплен канализацией"
    search.reindex(item)
    db.session.commit()
    assert item.id in found("затоплен")
    new = file_versions.replace_file(
        item, old, "v2.pdf", io.BytesIO(NEW), clerk, reason="пересканирован"
    )
    new.text = "отключили отопление зимой"
    search.reindex(item)
    db.session.commit()
    assert item.id not in found("затоплен") and item.id in found("отопление")
    file_versions.remove_file(item, new, clerk, reason="не тот документ")
    db.session.commit()
    assert item.id not in found("отопление")


# --- who and when ----------------------------------------------------------------------------


@pytest.mark.parametrize("who", ["exec.energy", "head.energy", "inspector"])
def test_r_audit_3_only_the_office_changes_files(routed, make_item, clerk, users, who):
    item = routed("in_work")
    att = attach(item, clerk)
    with pytest.raises(AccessDenied):
        file_versions.remove_file(item, att, users[who], reason="не нужен")
    with pytest.raises(AccessDenied):
        file_versions.replace_file(item, att, "x.pdf", io.BytesIO(NEW), users[who], reason="x")
    db.session.rollback()
    # the office may, in the same state
    file_versions.remove_file(item, att, users["controller"], reason="дубль скана")


@pytest.mark.parametrize("state", ["answered", "closed"])
def test_r_audit_3_files_of_an_answered_or_closed_item_are_kept(routed, make_item, clerk, state):
    item = make_item()
    att = attach(item, clerk)
    routed(state, item=item)
    db.session.commit()
    with pytest.raises(FilesLocked) as refused:
        file_versions.remove_file(item, att, clerk, reason="поздно")
    assert refused.value.status == 409
    with pytest.raises(FilesLocked):
        file_versions.replace_file(item, att, "x.pdf", io.BytesIO(NEW), clerk, reason="поздно")


def test_r_audit_3_the_answer_document_is_not_changed_among_the_files(routed, clerk):
    item = routed("answer_review")
    db.session.commit()
    [answer] = [a for a in item.attachments if a.source == "answer"]
    with pytest.raises(FilesLocked):
        file_versions.remove_file(item, answer, clerk, reason="не нужен")


# --- pages -----------------------------------------------------------------------------------


def test_r_audit_3_replace_and_remove_through_the_item_page(item_with_file, web):
    item, old = item_with_file
    c = web("clerk")
    base = f"/registry/{item.public_id}/files/{old.public_id}"
    # no reason: refused, nothing changes
    r = c.post(f"{base}/replace", data={"file": (io.BytesIO(NEW), "v2.pdf"), "reason": ""})
    assert r.status_code == 303
    assert len(db.session.scalars(select(FileChange)).all()) == 0
    # the old upload form's "replaces" needs the reason too
    r = c.post(
        f"/registry/{item.public_id}/files",
        data={"files": (io.BytesIO(NEW), "v2.pdf"), "replaces": old.public_id},
    )
    assert r.status_code == 303 and db.session.scalars(select(FileChange)).all() == []
    r = c.post(
        f"{base}/replace",
        data={"file": (io.BytesIO(NEW), "scan-v2.pdf"), "reason": "Скан нечитаемый"},
    )
    assert r.status_code == 303
    db.session.expire_all()
    [new] = item.current_attachments
    assert new.filename == "scan-v2.pdf"
    html = page(c.get(f"/registry/{item.public_id}"))
    assert "Earlier versions and removed files" in html
    assert "Скан нечитаемый" in html and old.sha256 in html
    r = c.post(
        f"/registry/{item.public_id}/files/{new.public_id}/remove",
        data={"reason": "Не то обращение"},
    )
    assert r.status_code == 303
    db.session.expire_all()
    assert item.current_attachments == []
    html = page(c.get(f"/registry/{item.public_id}"))
    assert "Не то обращение" in html and "No files yet." in html
    # the old versions are still there to open, for the office
    assert c.get(f"{base}").data == OLD


def test_r_audit_3_removed_versions_only_for_those_who_see_the_registry(routed, clerk, web):
    item = routed("in_work")
    att = attach(item, clerk)
    kept = attach(item, clerk, b"%PDF-1.4 kept", "kept.pdf")
    file_versions.remove_file(item, att, clerk, reason="другого заявителя")
    db.session.commit()
    executor, inspector = web("exec.energy"), web("inspector")
    url = f"/registry/{item.public_id}/files/{att.public_id}"
    assert executor.get(url).status_code == 404
    assert executor.get(f"/registry/{item.public_id}/files/{kept.public_id}").status_code == 200
    assert "другого заявителя" not in page(executor.get(f"/registry/{item.public_id}"))
    assert (
        executor.post(
            f"{url.replace(att.public_id, kept.public_id)}/remove", data={"reason": "x"}
        ).status_code
        == 403
    )
    assert inspector.get(url).data == OLD
    assert "другого заявителя" in page(inspector.get(f"/registry/{item.public_id}"))


def test_inline_viewer_frames_a_pdf_and_shows_an_image(item_with_file, clerk, web):
    item, pdf = item_with_file
    png = attach(item, clerk, b"\x89PNG\r\n\x1a\n fake", "photo.png")
    c = web("clerk", lang="ru")
    viewer = c.get(f"/registry/{item.public_id}/files/{pdf.public_id}/view")
    assert viewer.status_code == 200
    inline = f"/registry/{item.public_id}/files/{pdf.public_id}?inline=1"
    assert f'<iframe id="file-frame" src="{inline}"' in page(viewer)
    assert "frame-src 'self'" in viewer.headers["Content-Security-Policy"]
    framed = c.get(inline)
    assert framed.mimetype == "application/pdf" and framed.data == OLD
    assert framed.headers["X-Frame-Options"] == "SAMEORIGIN"
    assert "frame-ancestors 'self'" in framed.headers["Content-Security-Policy"]
    assert "attachment" not in framed.headers.get("Content-Disposition", "")
    # everything else still refuses to be framed
    assert c.get(f"/registry/{item.public_id}").headers["X-Frame-Options"] == "DENY"
    download = c.get(f"/registry/{item.public_id}/files/{pdf.public_id}")
    assert download.headers["X-Frame-Options"] == "DENY"
    image = page(c.get(f"/registry/{item.public_id}/files/{png.public_id}/view"))
    assert (
        f'<img id="file-image" class="file-image" src="/registry/{item.public_id}/files/{png.public_id}?inline=1"'
        in image
    )
    docx = attach(item, clerk, b"PK not really", "letter.docx")
    r = c.get(f"/registry/{item.public_id}/files/{docx.public_id}/view")
    assert r.status_code == 302  # not shown inline: downloaded


def test_r_audit_3_the_trail_says_in_words_who_replaced_and_removed_what(item_with_file, clerk):
    from docflow.core import audit, history_text
    from docflow.core.audit import AuditEntry
    from docflow.main.history import load_texts

    item, old = item_with_file
    with audit.acting_as(audit.Actor(clerk.id, clerk.display_name)):
        new = file_versions.replace_file(
            item, old, "scan-v2.pdf", io.BytesIO(NEW), clerk, reason="нечитаемый"
        )
        file_versions.remove_file(item, new, clerk, reason="не тот документ")
        db.session.commit()
    load_texts()
    entries = db.session.scalars(
        select(AuditEntry).where(AuditEntry.object_type == "file_change").order_by(AuditEntry.seq)
    ).all()
    texts = [history_text.describe(e).text for e in entries]
    assert len(texts) == 2
    assert "“scan.pdf” replaced by “scan-v2.pdf”" in texts[0] and "нечитаемый" in texts[0]
    assert "“scan-v2.pdf” removed" in texts[1] and "не тот документ" in texts[1]
    assert all(item.reg_number in t and clerk.display_name in t for t in texts)
