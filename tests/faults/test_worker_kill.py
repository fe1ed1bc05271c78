"""kill -9 of a gunicorn worker in the middle of a registration, an upload and a signing.

The worker is paused at a named point inside the transaction (``docflow.core.faults``: the
number taken, the file written, the signature recorded — nothing committed yet) and killed
with SIGKILL from the test. Afterwards: no half record, no gap in the numbers (R-REG-4: the
next registration takes the next number), the audit chain verifies (R-AUDIT-3), and every
file in the storage is named by a row — the one a crash leaves between the file and its row is
found and removed by ``flask storage orphans --delete``.
"""

from __future__ import annotations

import hashlib
import http.client
import os
import signal
import threading
import uuid
from pathlib import Path

import pytest
from sqlalchemy import func, select, text

from docflow.api import issue_token
from docflow.core.calendar import get_calendar
from docflow.core.numbering import current_value
from docflow.extensions import db
from docflow.org.models import user_by_username
from docflow.outgoing.letter_models import letter_by_public_id
from docflow.outgoing.operations import journal_settings
from docflow.registry.models import Attachment, IncomingItem
from tests.conftest import fake_iin
from tests.faults.conftest import multipart, wait_for
from tests.outgoing.letter_helpers import (
    PASSPHRASE,
    Api,
    approved_letter,
    make_letter_pki,
    setup_signer,
)

pytestmark = pytest.mark.slow  # real gunicorn processes: tests/faults runs in one process


def token(username: str) -> dict[str, str]:
    t = issue_token(user_by_username(username))
    db.session.commit()
    return {"Authorization": f"Bearer {t}", "Accept-Language": "en"}


def registration(n: int, summary: str) -> dict:
    return {
        "kind": "statement",
        "channel": "post",
        "applicants": [
            {"full_name": f"Жұмабаева Айнұр {n}", "iin": fake_iin(n), "address": f"Абай {n}"}
        ],
        "addressee": "Алматы қаласының әкімі",
        "summary": summary,
    }


def register(srv, headers, n: int, files=()) -> dict:
    body, ctype = multipart(registration(n, f"Құбыр ағып жатыр {n}"), list(files))
    r = srv.request("POST", "/api/v1/items", body, {**headers, "Content-Type": ctype})
    assert r.status == 201, r.text
    return r.json()


def disarmed(marker: Path, action):
    """Run ``action`` with the fault off (the once-file present: "already fired")."""
    marker.write_text("")
    try:
        return action()
    finally:
        marker.unlink()


def killed_mid_request(srv, marker: Path, send) -> None:
    """Send a request that pauses its worker at the armed point; kill -9 the worker there."""
    outcome: dict = {}

    def run() -> None:
        try:
            outcome["reply"] = send()
        except (OSError, http.client.HTTPException) as exc:  # the worker died mid-request
            outcome["error"] = exc

    fresh_view()  # the test holds no lock while the worker writes
    thread = threading.Thread(target=run)
    thread.start()
    try:
        pid = wait_for(marker)
    except AssertionError:
        thread.join(30)
        reply = outcome.get("reply")
        log = srv.log.read_text()[-3000:]
        raise AssertionError(f"{outcome} {reply and reply.text[:2000]}\n{log}") from None
    assert pid in srv.worker_pids() and pid != srv.proc.pid  # a worker, not the master
    os.kill(pid, signal.SIGKILL)
    thread.join(30)
    assert "error" in outcome, outcome.get("reply")  # no answer: the request died with it
    srv.wait_ready()  # the master started a new worker; the server goes on


def fresh_view() -> None:
    """Drop the test's session: what follows reads what the server committed."""
    db.session.remove()


def assert_gapless_incoming() -> None:
    """R-REG-4: per journal and year, the numbers are 1..counter, none skipped, none twice."""
    rows = db.session.execute(
        select(IncomingItem.journal, IncomingItem.reg_year, IncomingItem.reg_seq)
    ).all()
    by_journal: dict[tuple[str, int], list[int]] = {}
    for journal, year, seq in rows:
        by_journal.setdefault((journal, year), []).append(seq)
    assert by_journal
    for (journal, year), seqs in by_journal.items():
        assert sorted(seqs) == list(range(1, current_value(journal, year) + 1)), (journal, year)


def assert_audit_intact(app) -> None:
    result = app.test_cli_runner().invoke(args=["audit", "verify"])
    assert result.exit_code == 0 and "audit trail intact" in result.output, result.output
    db.session.remove()


def assert_database_intact() -> None:
    if db.engine.dialect.name == "sqlite":
        assert db.session.execute(text("PRAGMA integrity_check")).scalar() == "ok"


def storage_state(root: Path) -> tuple[set[str], set[str], list[str]]:
    """(stored keys, keys the rows name, temp files)."""
    stored = {p.name for p in root.glob("??/??/*")}
    named = set(db.session.scalars(select(Attachment.storage_key)))
    named |= {k for k in db.session.scalars(select(Attachment.preview_key)) if k}
    return stored, named, [p.name for p in root.glob(".upload-*")]


def sweep_orphans(app, root: Path, orphans: set[str], temp_files: int) -> None:
    """``flask storage orphans`` names exactly what the crash left; ``--delete`` removes it."""
    stored, named, temps = storage_state(root)
    assert stored - named == orphans and len(temps) == temp_files
    db.session.remove()
    listed = app.test_cli_runner().invoke(args=["storage", "orphans", "--min-age", "0"])
    assert listed.exit_code == 0, listed.output
    assert {
        ln.split()[1] for ln in listed.output.splitlines() if ln.startswith("orphan ")
    } == orphans
    assert sum(ln.startswith("temp ") for ln in listed.output.splitlines()) == temp_files
    # By default a young file is kept: it may be an upload whose row is not committed yet.
    default = app.test_cli_runner().invoke(args=["storage", "orphans", "--delete"])
    assert default.exit_code == 0 and "removed 0 orphan(s), 0 temp file(s)" in default.output
    assert storage_state(root)[0] == stored and len(storage_state(root)[2]) == temp_files
    removed = app.test_cli_runner().invoke(
        args=["storage", "orphans", "--delete", "--min-age", "0"]
    )
    assert removed.exit_code == 0, removed.output
    db.session.remove()
    stored, named, temps = storage_state(root)
    assert stored == named and not temps  # every file named by a row, every row's file there
    for key in named:
        assert (root / key[:2] / key[2:4] / key).is_file()


@pytest.mark.parametrize(
    ("point", "orphans", "temp_files"),
    [
        # The files are stored before the write lock is taken (issue 13): numbered and flushed,
        # the file is in storage and its row not committed.
        ("registration.numbered", True, 0),
        ("storage.partial", False, 1),  # the file half written to its temp file
        ("storage.saved", True, 0),  # the file in place under its key, its row not committed
    ],
)
def test_r_reg_4_worker_killed_mid_registration_leaves_no_half_record_and_no_gap(
    app, server, fault_marker, tmp_path, point, orphans, temp_files
):
    clerk = token("clerk")
    srv = server(
        DOCFLOW_FAULT_POINT=point,
        DOCFLOW_FAULT_ACTION="pause",
        DOCFLOW_FAULT_ONCE=str(fault_marker),
    )
    disarmed(fault_marker, lambda: register(srv, clerk, 1))
    fresh_view()
    first = db.session.scalar(select(IncomingItem).order_by(IncomingItem.id.desc()))
    items_before = db.session.scalar(select(func.count()).select_from(IncomingItem))
    content = f"Өтініш {uuid.uuid4().hex}\n".encode() * 100
    body, ctype = multipart(registration(2, "Өлтірілген тіркеу"), [("letter.txt", content)])
    killed_mid_request(
        srv,
        fault_marker,
        lambda: srv.request("POST", "/api/v1/items", body, {**clerk, "Content-Type": ctype}),
    )
    fresh_view()
    # No half record: neither the item, nor its applicant, file row or history.
    assert db.session.scalar(select(func.count()).select_from(IncomingItem)) == items_before
    assert (
        db.session.scalar(select(func.count()).where(IncomingItem.summary == "Өлтірілген тіркеу"))
        == 0
    )
    assert_database_intact()
    # The next registration, on the new worker, takes the next number.
    after = register(srv, clerk, 3, [("after.txt", b"after the crash\n")])
    fresh_view()
    item = db.session.scalar(select(IncomingItem).where(IncomingItem.public_id == after["id"]))
    assert item.journal == first.journal and item.reg_seq == first.reg_seq + 1
    assert item.reg_seq == current_value(item.journal, item.reg_year)
    assert_gapless_incoming()
    assert_audit_intact(app)
    key = hashlib.sha256(content).hexdigest()
    sweep_orphans(app, tmp_path / "files", {key} if orphans else set(), temp_files)


@pytest.mark.parametrize(
    ("point", "orphans", "temp_files"), [("storage.partial", False, 1), ("storage.saved", True, 0)]
)
def test_worker_killed_mid_upload_keeps_the_item_and_leaves_no_half_file(
    app, server, fault_marker, tmp_path, point, orphans, temp_files
):
    clerk = token("clerk")
    srv = server(
        DOCFLOW_FAULT_POINT=point,
        DOCFLOW_FAULT_ACTION="pause",
        DOCFLOW_FAULT_ONCE=str(fault_marker),
    )
    item = disarmed(fault_marker, lambda: register(srv, clerk, 1))
    content = f"Жауап {uuid.uuid4().hex}\n".encode() * 100
    body, ctype = multipart(None, [("scan.txt", content)])
    path = f"/api/v1/items/{item['id']}/attachments"
    killed_mid_request(
        srv, fault_marker, lambda: srv.request("POST", path, body, {**clerk, "Content-Type": ctype})
    )
    fresh_view()
    kept = db.session.scalar(select(IncomingItem).where(IncomingItem.public_id == item["id"]))
    assert kept is not None and kept.reg_number == item["reg_number"]  # the item is kept
    assert kept.attachments == []  # and no file row without its commit
    assert_database_intact()
    key = hashlib.sha256(content).hexdigest()
    sweep_orphans(app, tmp_path / "files", {key} if orphans else set(), temp_files)
    # Sent again, the file is stored and served.
    again = srv.request("POST", path, body, {**clerk, "Content-Type": ctype})
    assert again.status == 201, again.text
    fresh_view()
    [att] = db.session.scalars(select(Attachment).where(Attachment.item_id == kept.id)).all()
    assert (
        att.sha256 == key
        and (tmp_path / "files" / key[:2] / key[2:4] / key).read_bytes() == content
    )
    assert_audit_intact(app)


def test_r_reg_4_worker_killed_mid_signing_leaves_the_letter_unsigned_and_no_gap(
    app, users, routed, server, fault_marker
):
    pki = make_letter_pki()
    setup_signer(users, pki)
    api = Api(app, users)
    lid = approved_letter(api, routed("in_work"))
    head = api._headers("head.energy")
    db.session.commit()
    before = current_value(journal_settings()["code"], get_calendar().local_now().year)
    srv = server(
        DOCFLOW_FAULT_POINT="signing.recorded",
        DOCFLOW_FAULT_ACTION="pause",
        DOCFLOW_FAULT_ONCE=str(fault_marker),
    )
    sign = f"/api/v1/letters/{lid}/sign"
    killed_mid_request(
        srv, fault_marker, lambda: srv.request("POST", sign, {"passphrase": PASSPHRASE}, head)
    )
    fresh_view()
    letter = letter_by_public_id(lid)
    assert letter.state == "approved" and letter.reg_number is None  # no half signature
    assert letter.signed_pdf is None and letter.signed_at is None
    assert_database_intact()
    fresh_view()
    signed = srv.request("POST", sign, {"passphrase": PASSPHRASE}, head)
    assert signed.status == 200, signed.text
    fresh_view()
    letter = letter_by_public_id(lid)
    assert letter.state == "signed"
    # R-REG-4: the outgoing number the killed signing took was never committed: no gap.
    assert letter.reg_seq == before + 1 == current_value(letter.reg_journal, letter.reg_year)
    assert_audit_intact(app)
