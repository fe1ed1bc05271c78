"""The head's resolution (issue 14 item 10): an instruction and a term for the executors, given
through the one assignment door; the term never after the item's (and moved off non-working
days, R-DEADLINE-3); shown on the item page, printed on the resolution card, audited and
readable in the history; through the API too, optional there."""

from __future__ import annotations

import datetime as dt
import io

import pdfplumber
import pytest
from sqlalchemy import select

from docflow.api import issue_token
from docflow.core import history_text
from docflow.core.audit import AuditEntry
from docflow.core.calendar import get_calendar
from docflow.core.security import AccessDenied
from docflow.extensions import db
from docflow.main.history import load_texts
from docflow.routing import operations as ops
from docflow.routing import resolution
from docflow.routing.models import ExecutorAssignment
from docflow.routing.resolution import Resolution, ResolutionRefused
from tests.fixtures import page

TEXT = "Жылу беруді тексеріп, өтініш берушіге жазбаша жауап дайындаңыз."


def today() -> dt.date:
    return get_calendar().local_now().date()


def working_day_before(day: dt.date) -> dt.date:
    return get_calendar().previous_working_day(day)


def first_day_off_after(day: dt.date) -> dt.date:
    cal = get_calendar()
    d = day + dt.timedelta(days=1)
    while cal.is_working_day(d):
        d += dt.timedelta(days=1)
    return d


@pytest.fixture
def item(make_item, routed):
    """A distributed item registered today: its term some three weeks ahead."""
    now = dt.datetime.now(dt.UTC)
    return routed("distributed", item=make_item(arrived_at=now))


def assigned(item) -> list[ExecutorAssignment]:
    return ops.active_executors(item)


def test_the_head_gives_instruction_and_term_with_the_assignment(item, users):
    term = working_day_before(item.due_date)
    ops.assign_executors(
        item, users["head.energy"], [users["exec.energy"].id, users["exec2.energy"].id],
        instruction=f"  {TEXT}  ", term=term,
    )  # fmt: skip
    r = resolution.current(item)
    assert r.text == TEXT and r.term == term and r.term_requested is None
    assert [u.username for u in r.executors] == ["exec.energy", "exec2.energy"]
    assert r.given_by.username == "head.energy" and item.state == "in_work"


def test_no_resolution_when_neither_is_given(item, users):
    ops.assign_executors(item, users["head.energy"], [users["exec.energy"].id])
    assert resolution.current(item) is None and len(assigned(item)) == 1


def test_the_term_may_not_be_after_the_items_term_and_nothing_changes(item, users):
    too_late = item.due_date + dt.timedelta(days=1)
    with pytest.raises(ResolutionRefused) as refused:
        ops.assign_executors(
            item, users["head.energy"], [users["exec.energy"].id], instruction=TEXT, term=too_late
        )
    assert "term" in refused.value.fields
    assert item.state == "distributed" and assigned(item) == []  # the door refused it whole
    assert db.session.scalar(select(Resolution)) is None


def test_r_deadline_3_a_term_on_a_day_off_moves_to_the_next_working_day(item, users):
    day_off = first_day_off_after(today())
    assert day_off < item.due_date  # a weekend inside the item's three weeks
    ops.assign_executors(item, users["head.energy"], [users["exec.energy"].id], term=day_off)
    r = resolution.current(item)
    assert r.term == get_calendar().next_working_day(day_off) and r.term_requested == day_off
    assert "is a day off" in resolution.term_note(r, item.due_date)


def test_r_deadline_3_moved_back_where_the_next_working_day_would_pass_the_items_term(item, users):
    day_off = first_day_off_after(today())
    item.due_date = day_off  # a term set at routing may fall on a day off (R-PROT-1)
    db.session.flush()
    ops.assign_executors(item, users["head.energy"], [users["exec.energy"].id], term=day_off)
    r = resolution.current(item)
    assert r.term == working_day_before(day_off) and r.term <= item.due_date


def test_a_past_term_is_refused(item, users):
    with pytest.raises(ResolutionRefused):
        ops.assign_executors(
            item, users["head.energy"], [users["exec.energy"].id],
            term=today() - dt.timedelta(days=7),
        )  # fmt: skip


def test_an_executor_delegating_gives_no_resolution(item, users):
    ops.assign_executors(item, users["head.energy"], [users["exec.energy"].id])
    with pytest.raises(AccessDenied):
        ops.assign_executors(
            item, users["exec.energy"], [users["exec2.energy"].id], kind="delegate",
            reason="отпуск", instruction=TEXT,
        )  # fmt: skip
    ops.assign_executors(
        item, users["exec.energy"], [users["exec2.energy"].id], kind="delegate", reason="отпуск"
    )  # without one, delegation works as before


def test_through_the_page_shown_on_the_item_and_printed(web, item, users):
    db.session.commit()
    head = web("head.energy")
    form = page(head.get(f"/registry/{item.public_id}"))
    assert 'name="instruction"' in form and 'name="term"' in form
    day_off = first_day_off_after(today())
    r = head.post(
        f"/routing/{item.public_id}/assign",
        data={
            "executors": [str(users["exec.energy"].id)],
            "kind": "assign",
            "instruction": TEXT,
            "term": day_off.isoformat(),
        },
        follow_redirects=True,
    )
    html = page(r)
    real = get_calendar().next_working_day(day_off)
    assert "Executors assigned." in html and "is a day off" in html
    assert 'id="resolution"' in html and TEXT in html
    assert f"{real.day} {real.strftime('%b')} {real.year}" in html  # the en date format
    pdf = head.get(f"/routing/{item.public_id}/resolution.pdf")
    assert pdf.status_code == 200 and pdf.mimetype == "application/pdf"
    with pdfplumber.open(io.BytesIO(pdf.data)) as doc:
        text = " ".join((p.extract_text() or "") for p in doc.pages)
    assert item.reg_number in text and "РЕЗОЛЮЦИЯ" in text
    assert "Жылу беруді тексеріп" in " ".join(text.split())
    assert real.strftime("%d.%m.%Y") in text
    assert web("head.edu").get(f"/routing/{item.public_id}/resolution.pdf").status_code == 403


def test_audited_and_readable_in_the_history(item, users):
    ops.assign_executors(
        item, users["head.energy"], [users["exec.energy"].id], instruction=TEXT,
        term=working_day_before(item.due_date),
    )  # fmt: skip
    db.session.flush()
    entry = db.session.scalars(
        select(AuditEntry).where(AuditEntry.object_type == "resolution")
    ).one()
    load_texts()
    sentence = history_text.describe(entry).text
    assert "gave the resolution on" in sentence and item.reg_number in sentence
    assert TEXT in sentence and users["exec.energy"].display_name in sentence


@pytest.fixture
def api(app, users):
    tokens = {n: issue_token(users[n]) for n in ("head.energy",)}
    db.session.commit()
    client = app.test_client()

    def post(item, body):
        return client.post(
            f"/api/v1/items/{item.public_id}/routing/assign",
            json=body,
            headers={"Authorization": f"Bearer {tokens['head.energy']}", "Accept-Language": "en"},
        )

    return post


def test_api_assign_without_a_resolution_still_works(api, item):
    db.session.commit()
    r = api(item, {"executors": ["exec.energy"]})
    assert r.status_code == 200, r.get_json()
    assert r.get_json()["routing"]["resolution"] is None


def test_api_assign_with_a_resolution(api, item):
    db.session.commit()
    term = working_day_before(item.due_date)
    r = api(item, {"executors": ["exec.energy"], "instruction": TEXT, "term": term.isoformat()})
    assert r.status_code == 200, r.get_json()
    given = r.get_json()["routing"]["resolution"]
    assert given["instruction"] == TEXT and given["term"] == term.isoformat()
    assert given["executors"] == ["exec.energy"] and given["given_by"] == "head.energy"


def test_api_refuses_an_unreadable_or_late_term(api, item):
    db.session.commit()
    bad = api(item, {"executors": ["exec.energy"], "term": "01.12.2026"})
    assert bad.status_code == 422 and "term" in bad.get_json()["fields"]
    late = (item.due_date + dt.timedelta(days=3)).isoformat()
    late = api(item, {"executors": ["exec.energy"], "term": late})
    assert late.status_code == 422 and "term" in late.get_json()["fields"]
    db.session.expire_all()
    assert assigned(item) == []
