"""Hostile uploads through the web page and the API: each bad file fails on its own, with a
readable message; the item and its other files are kept; never a 500 (R-REG-1, R-AUDIT-3)."""

from __future__ import annotations

import io
import json
import re
from pathlib import Path

import pytest
from sqlalchemy import func, select

from docflow.api import issue_token
from docflow.extensions import db
from docflow.org.models import user_by_username
from docflow.registry.models import Attachment, IncomingItem
from tests.fixtures import page
from tests.registry import hostile

# Hostile files that are stored and then fail extraction: generator, expected code, and the
# sentence the item page shows (vocab.EXTRACTION_ERRORS, in English).
NOT_SUPPORTED = "The file type is not supported, or the file is not what its name says."
CORRUPT = "The file is damaged or empty and cannot be read."
CASES = {
    "random_bytes_pdf": ("not_supported", NOT_SUPPORTED),
    "html_as_pdf": ("not_supported", NOT_SUPPORTED),
    "truncated_pdf": ("corrupt", CORRUPT),
    "password_pdf": ("encrypted", "The file is password-protected."),
}


def text_pdf() -> bytes:
    """A good PDF with a text layer (enough text that extraction needs no OCR)."""
    from fpdf import FPDF

    pdf = FPDF()
    pdf.add_page()
    pdf.set_font("helvetica", size=12)
    for i in range(10):
        pdf.cell(text=f"Good scan, line {i}: the pipe leaks", new_x="LMARGIN", new_y="NEXT")
    return bytes(pdf.output())


GOOD = text_pdf()


def file_row(body: str, attachment: Attachment) -> str:
    match = re.search(rf'<tr data-file="{attachment.public_id}">(.*?)</tr>', body, re.S)
    assert match, f"no row for {attachment.filename}"
    return match.group(1)


def attachments(item: IncomingItem) -> list[Attachment]:
    db.session.expire_all()
    return list(
        db.session.scalars(
            select(Attachment).where(Attachment.item_id == item.id).order_by(Attachment.id)
        )
    )


@pytest.fixture
def item(app, make_item):
    """A registered item that already has one good file."""
    from docflow.registry import jobs, operations

    item = make_item()
    operations.attach(item, "first.pdf", io.BytesIO(GOOD), user_by_username("clerk"))
    db.session.commit()
    jobs.schedule()
    return item


def logged_in(app, username: str = "clerk"):
    c = app.test_client()
    c.environ_base["HTTP_ACCEPT_LANGUAGE"] = "en"
    r = c.post("/login", data={"username": username, "password": "docflow-demo"})
    assert r.status_code == 302
    return c


@pytest.fixture
def clerk_client(app):
    return logged_in(app)


@pytest.fixture
def api_headers(app):
    token = issue_token(user_by_username("clerk"))
    db.session.commit()
    return {"Authorization": f"Bearer {token}", "Accept-Language": "en"}


@pytest.mark.parametrize("case", list(CASES))
def test_hostile_file_fails_alone(app, item, clerk_client, api_headers, tmp_path, case):
    code, message = CASES[case]
    generate, expected_code = hostile.HOSTILE[case]
    assert expected_code == code
    bad: Path = generate(tmp_path)
    state, number = item.state, item.reg_number

    # The web page: the hostile file and a good one in the same request.
    r = clerk_client.post(
        f"/registry/{item.public_id}/files",
        data={
            "files": [
                (io.BytesIO(bad.read_bytes()), bad.name),
                (io.BytesIO(GOOD), "good.pdf"),
            ]
        },
        content_type="multipart/form-data",
    )
    assert r.status_code == 303
    first, web_bad, web_good = attachments(item)
    assert [a.filename for a in (first, web_bad, web_good)] == ["first.pdf", bad.name, "good.pdf"]
    assert (web_bad.extraction_status, web_bad.extraction_error_code) == ("failed", code)
    assert web_bad.size == bad.stat().st_size  # kept as it came (R-REG-1: never refused)
    assert (first.extraction_status, web_good.extraction_status) == ("done", "done")
    assert "Good scan" in web_good.text

    followed = clerk_client.get(r.headers["Location"])
    assert followed.status_code == 200
    body = page(followed)
    assert "2 file(s) attached." in body
    assert f"failed: {message}" in file_row(body, web_bad)
    assert 'data-status="failed"' in file_row(body, web_bad)
    for good in (first, web_good):
        row = file_row(body, good)
        assert 'data-status="done"' in row and "failed" not in row
    download = clerk_client.get(f"/registry/{item.public_id}/files/{web_bad.public_id}")
    assert download.status_code == 200 and download.data == bad.read_bytes()

    # The API: the same, in one multipart request.
    r = clerk_client.post(
        f"/api/v1/items/{item.public_id}/attachments",
        data={
            "files": [
                (io.BytesIO(bad.read_bytes()), "api-" + bad.name),
                (io.BytesIO(GOOD), "api-good.pdf"),
            ]
        },
        headers=api_headers,
    )
    assert r.status_code == 201
    r = clerk_client.get(f"/api/v1/items/{item.public_id}", headers=api_headers)
    assert r.status_code == 200
    files = {a["filename"]: a["extraction"] for a in r.get_json()["attachments"]}
    assert len(files) == 5
    assert files["api-" + bad.name]["status"] == "failed"
    assert files["api-" + bad.name]["error_code"] == code
    assert files["api-" + bad.name]["error"]  # a sentence for the integrator
    assert files["api-good.pdf"] == {**files["api-good.pdf"], "status": "done", "error_code": None}
    assert files["first.pdf"]["status"] == "done"

    db.session.refresh(item)
    assert (item.state, item.reg_number) == (state, number)  # the item is untouched


def test_empty_file_is_refused_and_the_others_are_kept(
    app, item, clerk_client, api_headers, tmp_path
):
    empty = hostile.empty_pdf(tmp_path)
    r = clerk_client.post(
        f"/registry/{item.public_id}/files",
        data={
            "files": [(io.BytesIO(empty.read_bytes()), empty.name), (io.BytesIO(GOOD), "good.pdf")]
        },
        content_type="multipart/form-data",
    )
    assert r.status_code == 303
    assert [a.filename for a in attachments(item)] == ["first.pdf", "good.pdf"]
    body = page(clerk_client.get(r.headers["Location"]))
    assert "The file “empty.pdf” is empty." in body
    assert "1 file(s) attached." in body

    # Only an empty file: a message, nothing stored, still a redirect (not a 500).
    r = clerk_client.post(
        f"/registry/{item.public_id}/files",
        data={"files": [(io.BytesIO(b""), "nothing.pdf")]},
        content_type="multipart/form-data",
    )
    assert r.status_code == 303
    body = page(clerk_client.get(r.headers["Location"]))
    assert "The file “nothing.pdf” is empty." in body and "file(s) attached" not in body

    # The API refuses the request as a whole (422) and stores nothing of it.
    r = clerk_client.post(
        f"/api/v1/items/{item.public_id}/attachments",
        data={"files": [(io.BytesIO(GOOD), "api-good.pdf"), (io.BytesIO(b""), "empty.pdf")]},
        headers=api_headers,
    )
    assert r.status_code == 422
    assert "empty" in r.get_json()["fields"]["file"]
    assert [a.filename for a in attachments(item)] == ["first.pdf", "good.pdf"]


def test_no_file_chosen(app, item, clerk_client):
    r = clerk_client.post(f"/registry/{item.public_id}/files", data={})
    assert r.status_code == 303
    assert "Choose at least one file." in page(clerk_client.get(r.headers["Location"]))
    assert len(attachments(item)) == 1


def test_hostile_file_name_is_made_harmless(app, item, clerk_client):
    r = clerk_client.post(
        f"/registry/{item.public_id}/files",
        data={"files": [(io.BytesIO(GOOD), '..\\..\\<script>alert(1)</script>|"x".pdf')]},
        content_type="multipart/form-data",
    )
    assert r.status_code == 303
    newest = attachments(item)[-1]
    assert "/" not in newest.filename and "\\" not in newest.filename
    assert "<" not in newest.filename and ">" not in newest.filename
    raw = clerk_client.get(r.headers["Location"]).get_data(as_text=True)
    assert "<script>alert(1)" not in raw


def test_web_upload_to_a_closed_or_foreign_item(app, item, clerk_client):
    from docflow.registry import operations

    operations.withdraw(item, user_by_username("clerk"), comment="Арыз №5")
    db.session.commit()
    r = clerk_client.post(
        f"/registry/{item.public_id}/files",
        data={"files": [(io.BytesIO(GOOD), "late.pdf")]},
        content_type="multipart/form-data",
    )
    assert r.status_code == 403  # a withdrawn item is final: no one modifies it
    assert len(attachments(item)) == 1
    r = clerk_client.post(
        "/registry/0123456789abcdef0123/files",
        data={"files": [(io.BytesIO(GOOD), "x.pdf")]},
        content_type="multipart/form-data",
    )
    assert r.status_code == 404


# --- size limits -------------------------------------------------------------------------------


@pytest.fixture
def small_app(make_app):
    """An app whose requests may carry at most 4 kB, with an item and a token."""
    app = make_app("demo", MAX_CONTENT_LENGTH=4096)
    with app.app_context():
        from docflow.registry.operations import ApplicantData, RegistrationData, register

        clerk = user_by_username("clerk")
        item = register(
            RegistrationData(
                kind="statement",
                channel="post",
                applicants=[ApplicantData(full_name="Ким Ольга", address="Алматы")],
                addressee="Әкім",
                summary="Кәріз",
            ),
            clerk,
        )
        token = issue_token(clerk)
        db.session.commit()
        yield app, item.public_id, {"Authorization": f"Bearer {token}"}


def test_oversized_upload_is_413(small_app):
    app, public_id, headers = small_app
    big = b"%PDF-1.4\n" + bytes(8192)
    c = logged_in(app)
    r = c.post(
        f"/registry/{public_id}/files",
        data={"files": [(io.BytesIO(big), "big.pdf")]},
        content_type="multipart/form-data",
    )
    assert r.status_code == 413
    assert r.mimetype == "text/html"
    r = c.post(
        f"/api/v1/items/{public_id}/attachments",
        data={"files": [(io.BytesIO(big), "big.pdf")]},
        headers=headers,
    )
    assert r.status_code == 413 and r.get_json()["error"]
    r = c.post(
        "/api/v1/items",
        data={"data": json.dumps({"kind": "statement"}), "files": [(io.BytesIO(big), "big.pdf")]},
        headers=headers,
    )
    assert r.status_code == 413 and r.get_json()["error"]
    assert db.session.scalar(select(func.count()).select_from(Attachment)) == 0
    assert db.session.scalar(select(func.count()).select_from(IncomingItem)) == 1


def test_file_over_the_attachment_limit_fails_alone(make_app):
    app = make_app("demo", MAX_ATTACHMENT_BYTES=len(GOOD) + 100)
    with app.app_context():
        from docflow.registry.operations import ApplicantData, RegistrationData, register

        item = register(
            RegistrationData(
                kind="statement",
                channel="post",
                applicants=[ApplicantData(full_name="Ким Ольга", address="Алматы")],
                addressee="Әкім",
                summary="Кәріз",
            ),
            user_by_username("clerk"),
        )
        db.session.commit()
        c = logged_in(app)
        r = c.post(
            f"/registry/{item.public_id}/files",
            data={
                "files": [
                    (io.BytesIO(GOOD + bytes(1000)), "too-big.pdf"),
                    (io.BytesIO(GOOD), "good.pdf"),
                ]
            },
            content_type="multipart/form-data",
        )
        assert r.status_code == 303
        assert [a.filename for a in attachments(item)] == ["good.pdf"]
        body = page(c.get(r.headers["Location"]))
        assert "too-big.pdf: The file is too large." in body
