"""Files chosen on the registration form survive a validation error (issue 14, R-REG-1: a
document's files are never lost on the way to registration)."""

from __future__ import annotations

import datetime as dt
import io
import re
import uuid

from sqlalchemy import select

from docflow.core.storage import get_storage
from docflow.extensions import db
from docflow.org.models import user_by_username
from docflow.registry import staged_uploads
from docflow.registry.models import IncomingItem
from tests.fixtures import page

IIN = "920704404563"
SCAN = b"%PDF-1.4 the scan of the appeal"


def form(**changes) -> dict:
    data = {
        "token": uuid.uuid4().hex,
        "kind": "statement",
        "channel": "post",
        "language": "kk",
        "applicants-0-type": "individual",
        "applicants-0-full_name": "Жұмабаева Айнұр Серікқызы",
        "applicants-0-iin": IIN,
        "applicants-0-address": "Алматы қ., Абай даңғ. 1",
        "addressee": "Алматы қаласының әкімі",
        "summary": "Жертөледе кәріз құбыры ағып жатыр",
        "signed": "y",
    }
    data.update(changes)
    return data


def staged_token(text: str) -> str:
    found = re.search(r'name="staged"[^>]*value="([0-9a-f]{32})"', text) or re.search(
        r'value="([0-9a-f]{32})"[^>]*name="staged"', text
    )
    assert found, "no staged token in the form"
    return found.group(1)


def test_files_are_kept_across_a_validation_error_and_attached_on_success(app, web):
    clerk = web("clerk")
    bad = form(
        **{"applicants-0-iin": "900101300812"},  # a wrong check digit: 422
        files=[(io.BytesIO(SCAN), "appeal.pdf"), (io.BytesIO(b""), "empty.pdf")],
    )
    r = clerk.post("/registry/new", data=bad, content_type="multipart/form-data")
    assert r.status_code == 422
    text = page(r)
    assert "Kept from your last attempt" in text and "appeal.pdf" in text
    assert "Not kept" in text and "empty.pdf" in text  # said, never dropped silently
    token = staged_token(text)
    fixed = form(token=bad["token"], staged=token)  # no file chosen again
    r = clerk.post("/registry/new", data=fixed, content_type="multipart/form-data")
    assert r.status_code == 302, page(r)
    item = db.session.scalars(select(IncomingItem)).one()
    [att] = item.attachments
    assert att.filename == "appeal.pdf"
    assert get_storage().open(att.storage_key).read() == SCAN
    clerk_id = user_by_username("clerk").id
    assert staged_uploads.files(token, clerk_id) == []  # released once used


def test_a_second_error_keeps_the_first_files_and_adds_new_ones(app, web):
    clerk = web("clerk")
    first = form(**{"applicants-0-iin": "900101300812"}, files=[(io.BytesIO(SCAN), "one.pdf")])
    token = staged_token(
        page(clerk.post("/registry/new", data=first, content_type="multipart/form-data"))
    )
    second = form(
        **{"applicants-0-iin": "900101300812"},
        staged=token,
        files=[(io.BytesIO(b"%PDF-1.4 two"), "two.pdf")],
    )
    text = page(clerk.post("/registry/new", data=second, content_type="multipart/form-data"))
    assert staged_token(text) == token
    names = [f.filename for f in staged_uploads.files(token, user_by_username("clerk").id)]
    assert names == ["one.pdf", "two.pdf"]


def test_a_staging_is_its_owners_only_and_never_a_path(app):
    from werkzeug.datastructures import FileStorage

    clerk, other = user_by_username("clerk").id, user_by_username("controller").id
    with app.test_request_context():
        token, kept = staged_uploads.stage(
            [FileStorage(io.BytesIO(SCAN), "a.pdf", content_type="application/pdf")], clerk
        )
        assert [f.filename for f in kept] == ["a.pdf"]
        assert staged_uploads.files(token, other) == []
        staged_uploads.release(token, other)  # not theirs: nothing removed
        assert len(staged_uploads.files(token, clerk)) == 1
        assert staged_uploads.files("../" + token, clerk) == []
        assert staged_uploads.files("..", clerk) == []


def test_stagings_are_removed_after_an_hour(app):
    from werkzeug.datastructures import FileStorage

    clerk = user_by_username("clerk").id
    with app.test_request_context():
        token, _kept = staged_uploads.stage([FileStorage(io.BytesIO(SCAN), "a.pdf")], clerk)
        now = dt.datetime.now(dt.UTC)
        assert staged_uploads.cleanup(now + dt.timedelta(minutes=59)) == 0
        assert len(staged_uploads.files(token, clerk)) == 1
        assert staged_uploads.cleanup(now + dt.timedelta(minutes=61)) == 1
        assert staged_uploads.files(token, clerk) == []
