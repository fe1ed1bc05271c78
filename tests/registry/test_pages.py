"""The records office's pages through the test client: register, item page, journal, export,
actions, slips, repeats (R-REG-1..9, R-PD-1, R-AUDIT-3)."""

from __future__ import annotations

import datetime as dt
import io
import re
import uuid

import openpyxl
import pdfplumber
import pytest
from sqlalchemy import func, select

from docflow.core import audit
from docflow.core.calendar import WorkingCalendar
from docflow.core.workflow import history
from docflow.extensions import db
from docflow.org.models import user_by_username
from docflow.registry import blueprint
from docflow.registry.models import Annotation, IncomingItem, ItemLink
from docflow.registry.operations import ApplicantData
from tests.fixtures import page
from tests.registry.conftest import almaty

# Their documents arrive on 20 November 2026: registered that day (a later one needs a reason).
pytestmark = pytest.mark.usefixtures("on_arrival_day")
IIN = "920704404563"
OTHER_IIN = "900101300811"
NUMBER_RE = re.compile(r"(?:ЖТ|ЗТ|КХ)-\d{4}-\d{6,8}")


def text_pdf(*lines: str) -> bytes:
    """A small PDF with a real text layer (enough text that extraction needs no OCR)."""
    from fpdf import FPDF

    pdf = FPDF()
    pdf.add_page()
    pdf.set_font("helvetica", size=12)
    for line in [*lines, *(f"Line {i}: the water pipe in the basement leaks" for i in range(8))]:
        pdf.cell(text=line, new_x="LMARGIN", new_y="NEXT")
    return bytes(pdf.output())


def numbers(response) -> set[str]:
    return set(NUMBER_RE.findall(page(response)))


def count_items() -> int:
    return db.session.scalar(select(func.count()).select_from(IncomingItem))


@pytest.fixture
def clerk_client(web):
    return web("clerk")


def form_data(**changes) -> dict:
    data = {
        "token": uuid.uuid4().hex,
        "kind": "statement",
        "channel": "post",
        "language": "kk",
        "arrived_at": "2026-11-20T10:30",
        "applicants-0-type": "individual",
        "applicants-0-full_name": "Жұмабаева Айнұр Серікқызы",
        "applicants-0-iin": IIN,
        "applicants-0-address": "Алматы қ., Абай даңғ. 1",
        "addressee": "Алматы қаласының әкімі",
        "summary": "Жертөледе КӘРІЗ құбыры ағып жатыр",
        "signed": "y",
    }
    data.update(changes)
    return {k: v for k, v in data.items() if v is not None}


# --- registration page ------------------------------------------------------------------------


def test_register_page_is_for_registrars_only(app, web):
    r = web("clerk").get("/registry/new")
    assert r.status_code == 200
    body = page(r)
    for name in ("kind", "channel", "arrived_at", "applicants-0-iin", "summary", "token", "files"):
        assert f'name="{name}"' in body
    assert web("inspector").get("/registry/new").status_code == 403
    assert web("head.energy").get("/registry/new").status_code == 403
    assert web("inspector").post("/registry/new", data=form_data()).status_code == 403
    assert count_items() == 0


def test_register_form_registers_and_redirects_to_the_item(app, clerk_client):
    data = form_data(files=[(io.BytesIO(text_pdf("Scan of the appeal")), "appeal.pdf")])
    r = clerk_client.post("/registry/new", data=data, content_type="multipart/form-data")
    assert r.status_code == 302
    item = db.session.scalars(select(IncomingItem)).one()
    assert r.headers["Location"] == f"/registry/{item.public_id}?registered=1"
    assert item.reg_number == "ЖТ-2026-00000001"
    assert item.state == "registered"
    assert item.registered_by_id == user_by_username("clerk").id
    assert item.registration_date.isoformat() == "2026-11-20"  # R-REG-3: a Friday, in hours
    assert item.arrived_at == almaty(2026, 11, 20, 10, 30)  # the form's time is Almaty time
    assert [a.iin for a in item.applicants] == [IIN]
    assert item.idempotency_key.endswith(data["token"])
    [att] = item.attachments
    assert (att.filename, att.extraction_status) == ("appeal.pdf", "done")  # sync extraction
    assert "Scan of the appeal" in att.text

    followed = clerk_client.get(r.headers["Location"])
    assert followed.status_code == 200
    body = page(followed)
    assert f"Registered under number {item.reg_number}." in body  # the flash
    assert "Print the receipt slip" in body  # just_registered actions
    assert "appeal.pdf" in body


def test_invalid_iin_is_422_with_the_message_and_nothing_registered(app, clerk_client):
    r = clerk_client.post("/registry/new", data=form_data(**{"applicants-0-iin": "900101300812"}))
    assert r.status_code == 422
    body = page(r)
    assert "The document is not registered yet" in body
    assert "check digit" in body
    assert "Жертөледе КӘРІЗ құбыры" in body and "Жұмабаева Айнұр Серікқызы" in body  # kept filled
    assert count_items() == 0


def test_the_same_form_submitted_twice_registers_once(app, clerk_client):
    data = form_data()
    first = clerk_client.post("/registry/new", data=dict(data))
    second = clerk_client.post("/registry/new", data=dict(data))
    assert first.status_code == second.status_code == 302
    assert first.headers["Location"] == second.headers["Location"]
    assert count_items() == 1
    # A new token is a new form: the same paper again is registered once confirmed.
    other = clerk_client.post("/registry/new", data=form_data(confirm_duplicate="y"))
    assert other.status_code == 302 and count_items() == 2


def test_two_applicants_make_a_collective_appeal(app, clerk_client):
    data = form_data(
        **{
            "applicants-1-type": "individual",
            "applicants-1-full_name": "Оспанов Ерлан Болатұлы",
            "applicants-1-iin": "670212307771",
            "applicants-1-address": "Алматы, Сейфуллин к. 5",
        }
    )
    r = clerk_client.post("/registry/new", data=data)
    assert r.status_code == 302
    item = db.session.scalars(select(IncomingItem)).one()
    assert item.collective is True
    assert [a.full_name for a in item.applicants] == [
        "Жұмабаева Айнұр Серікқызы",
        "Оспанов Ерлан Болатұлы",
    ]
    body = page(clerk_client.get(r.headers["Location"]))
    assert "Collective" in body and "Оспанов Ерлан Болатұлы" in body


def test_item_page_shows_number_applicant_history_and_the_notice(app, clerk_client):
    data = form_data(**{"applicants-0-address": "", "signed": None})  # R-REG-5: incomplete
    r = clerk_client.post("/registry/new", data=data)
    assert r.status_code == 302  # R-REG-1: registered all the same
    item = db.session.scalars(select(IncomingItem)).one()
    assert item.state == "awaiting_correction"
    assert item.missing_details == ["address", "signed"]

    r = clerk_client.get(f"/registry/{item.public_id}")
    assert r.status_code == 200
    body = page(r)
    assert item.reg_number in body
    assert "Жұмабаева Айнұр Серікқызы" in body
    assert "Awaiting correction" in body
    assert "Notice to the applicant" in body
    assert "Missing: postal address; signature of the applicant or representative." in body
    assert "почтовый адрес" in body and "пошталық мекенжайы" in body  # the kk/ru notice
    assert "Record the details the applicant supplied" in body  # the clerk may record them
    history_part = body.split("<h2>History</h2>", 1)[1]
    assert "Registered" in history_part and "Registered → Registered" not in history_part
    # issue 14: the history reads as sentences
    assert "asked the applicant to supply missing details → Awaiting correction" in history_part
    assert "Дина Ерланқызы Сапарова" in history_part  # who


def test_complete_appeal_has_no_notice_and_unknown_items_are_404(app, clerk_client, make_item):
    item = make_item()
    db.session.commit()
    body = page(clerk_client.get(f"/registry/{item.public_id}"))
    assert item.reg_number in body and "Notice to the applicant" not in body
    assert clerk_client.get("/registry/0123456789abcdef0123").status_code == 404
    assert clerk_client.get("/registry/" + "a" * 40).status_code == 404


# --- journal ----------------------------------------------------------------------------------


@pytest.fixture
def today_23_nov(monkeypatch):
    """The office's "today" is Monday 23 November 2026 (overdue marks depend on it)."""
    monkeypatch.setattr(
        WorkingCalendar, "local_now", lambda self: dt.datetime(2026, 11, 23, 10, 0, tzinfo=self.tz)
    )


@pytest.fixture
def journal_items(app, make_item, today_23_nov):
    items = {
        "sewer": make_item(
            summary="Жертөледе КӘРІЗ құбыры ағып жатыр", arrived_at=almaty(2026, 10, 1, 10, 0)
        ),
        "kindergarten": make_item(
            kind="complaint",
            channel="reception",
            summary="Балабақша кезегі туралы шағым",
            applicant=ApplicantData(full_name="Ким Ольга Викторовна", address="Алматы"),
            arrived_at=almaty(2026, 11, 16, 11, 0),
        ),
        "letter": make_item(
            kind="correspondence",
            applicants=[],
            summary="Письмо министерства энергетики о тарифах",
            addressee="Әкім",
            arrived_at=almaty(2026, 11, 18, 9, 30),
        ),
    }
    db.session.commit()
    return {k: v.reg_number for k, v in items.items()}


def test_journal_lists_items(app, clerk_client, journal_items):
    r = clerk_client.get("/registry/")
    assert r.status_code == 200
    body = page(r)
    by_number = {v: k for k, v in journal_items.items()}
    assert [by_number[n] for n in NUMBER_RE.findall(body)] == ["letter", "kindergarten", "sewer"]
    assert "Ким Ольга Викторовна" in body
    assert body.count("overdue</strong>") == 1  # only the October item is marked overdue


JOURNAL_QUERIES = [
    ("kind=complaint", {"kindergarten"}),
    ("kind=correspondence", {"letter"}),
    ("state=registered", {"sewer", "kindergarten", "letter"}),
    ("state=withdrawn", set()),
    ("overdue=y", {"sewer"}),  # registered 1 Oct, due 21 Oct, still open
    ("from_reception=y", {"kindergarten"}),  # R-REG-2
    ("channel=post", {"sewer", "letter"}),
    ("date_from=2026-11-01", {"kindergarten", "letter"}),
    ("date_to=2026-11-17", {"sewer", "kindergarten"}),
    ("date_from=2026-11-17&date_to=2026-11-18", {"letter"}),
    ("q=кәріз", {"sewer"}),  # Kazakh word, different case
    ("q=КӘРІЗ+құбыры", {"sewer"}),  # every word must match
    ("q=балабақша", {"kindergarten"}),
    ("q=тариф", {"letter"}),  # a word's beginning
    ("q=ольга", {"kindergarten"}),  # the applicant's name
    ("q=кәріз+балабақша", set()),
    ("kind=complaint&channel=post", set()),
    ("q=%20%20", {"sewer", "kindergarten", "letter"}),  # blank search: no filter
]


def test_journal_filters_and_search(app, clerk_client, journal_items):
    for query, expected in JOURNAL_QUERIES:  # one database for all: fast
        r = clerk_client.get(f"/registry/?{query}")
        assert r.status_code == 200, query
        assert numbers(r) == {journal_items[k] for k in expected}, query
        if not expected:
            assert "Nothing found." in page(r), query


def test_journal_search_does_not_index_iins(app, clerk_client, journal_items):
    # R-PD-1: an IIN typed into the search box finds nothing (and is not kept in an index).
    r = clerk_client.get(f"/registry/?q={IIN}", follow_redirects=True)
    assert r.status_code == 200 and numbers(r) == set()


def test_journal_pagination(app, clerk_client, make_item, monkeypatch):
    monkeypatch.setattr(blueprint, "PAGE_SIZE", 2)
    made = [make_item(summary=f"Өтініш {i}") for i in range(5)]
    db.session.commit()
    newest_first = [i.reg_number for i in reversed(made)]
    pages = []
    for n in (1, 2, 3):
        r = clerk_client.get(f"/registry/?page={n}&kind=statement")
        assert r.status_code == 200
        body = page(r)
        pages.append(NUMBER_RE.findall(body))
        has_next = f"page={n + 1}" in body
        assert has_next == (n < 3)
        if n < 3:
            assert "kind=statement" in body.split("Next")[0].rsplit("href=", 1)[1]  # filters kept
    assert pages == [newest_first[0:2], newest_first[2:4], newest_first[4:5]]
    assert clerk_client.get("/registry/?page=0").status_code == 200  # clamped to 1
    assert numbers(clerk_client.get("/registry/?page=9")) == set()


def test_journal_needs_login_and_registry_permission(app, client, web, journal_items):
    r = client.get("/registry/")
    assert r.status_code == 302 and "/login" in r.headers["Location"]
    assert web("head.energy").get("/registry/").status_code == 403
    assert numbers(web("inspector").get("/registry/")) == set(journal_items.values())


# --- export -----------------------------------------------------------------------------------


def test_export_xlsx_for_a_period(app, clerk_client, make_item, journal_items):
    formula = make_item(
        summary='=HYPERLINK("http://evil")',  # would be a formula in Excel
        arrived_at=almaty(2026, 11, 19, 10, 0),
    ).reg_number
    db.session.commit()
    r = clerk_client.get("/registry/export.xlsx?date_from=2026-11-01&date_to=2026-11-30")
    assert r.status_code == 200
    assert r.mimetype == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    assert "journal-2026-11-01-2026-11-30.xlsx" in r.headers["Content-Disposition"]
    ws = openpyxl.load_workbook(io.BytesIO(r.data)).active
    rows = list(ws.iter_rows(values_only=True))
    assert rows[0][0] == "Registration number" and rows[0][7] == "Summary"
    exported = {row[0]: row for row in rows[1:]}
    assert set(exported) == {
        journal_items["kindergarten"],
        journal_items["letter"],
        formula,
    }  # the October item is outside the period
    kindergarten = exported[journal_items["kindergarten"]]
    assert kindergarten[5] == "Ким Ольга Викторовна"
    assert kindergarten[7] == "Балабақша кезегі туралы шағым"
    assert kindergarten[10] == "yes"  # from personal reception
    assert exported[formula][7] == "'" + '=HYPERLINK("http://evil")'  # text, not a formula
    entry = db.session.scalars(
        select(audit.AuditEntry).where(audit.AuditEntry.action == "export")
    ).one()
    assert entry.summary["rows"] == 3 and entry.actor_name == "Дина Ерланқызы Сапарова"


def test_export_honours_the_journal_filters(app, clerk_client, journal_items):
    r = clerk_client.get(
        "/registry/export.xlsx?date_from=2026-09-01&date_to=2026-11-30&kind=complaint"
    )
    ws = openpyxl.load_workbook(io.BytesIO(r.data)).active
    assert [row[0] for row in ws.iter_rows(min_row=2, values_only=True)] == [
        journal_items["kindergarten"]
    ]


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ("", "Choose the period (from and to) to export."),
        ("date_from=2026-11-01", "Choose the period (from and to) to export."),
        ("date_from=2024-01-01&date_to=2026-11-30", "Export at most one year at a time."),
    ],
)
def test_export_without_a_valid_period_redirects_with_a_message(
    app, clerk_client, journal_items, query, message
):
    r = clerk_client.get(f"/registry/export.xlsx?{query}")
    assert r.status_code == 302
    assert r.headers["Location"].startswith("/registry/")
    followed = clerk_client.get(r.headers["Location"])
    assert followed.status_code == 200 and message in page(followed)


# --- actions: withdraw, link, annotate ---------------------------------------------------------


def test_clerk_withdraws_with_a_comment(app, clerk_client, make_item):
    item = make_item()
    db.session.commit()
    # Without the written reference: the error is shown and the state is kept (R-REG-8).
    r = clerk_client.post(f"/registry/{item.public_id}/do/withdraw", data={"comment": "  "})
    assert r.status_code == 303
    db.session.refresh(item)
    assert item.state == "registered"
    body = page(clerk_client.get(r.headers["Location"]))
    assert "A comment is required for “Withdrawn by the applicant”." in body
    # Automatic transitions cannot be fired through the URL.
    r = clerk_client.post(f"/registry/{item.public_id}/do/request_correction", data={})
    assert r.status_code == 404

    r = clerk_client.post(
        f"/registry/{item.public_id}/do/withdraw", data={"comment": "Арыз 18.11.2026 №5"}
    )
    assert r.status_code == 303 and r.headers["Location"] == f"/registry/{item.public_id}"
    db.session.refresh(item)
    assert item.state == "withdrawn"  # R-REG-8
    assert [(h.transition, h.comment) for h in history(item)][-1] == (
        "withdraw",
        "Арыз 18.11.2026 №5",
    )
    body = page(clerk_client.get(r.headers["Location"]))
    assert "Done: Withdrawn by the applicant." in body
    assert "Withdrawn by the applicant" in body.split("<h2>History</h2>", 1)[1]
    assert "No actions available to you now." in body  # final state
    r = clerk_client.post(f"/registry/{item.public_id}/do/withdraw", data={"comment": "again"})
    assert r.status_code == 303
    assert "is not possible in the state" in page(clerk_client.get(r.headers["Location"]))


def test_link_form(app, clerk_client, make_item):
    earlier = make_item(summary="Кәріз құбыры", arrived_at=almaty(2026, 10, 1, 10, 0))
    item = make_item(summary="Кәріз құбыры әлі ағып жатыр")
    db.session.commit()
    url = f"/registry/{item.public_id}"
    r = clerk_client.post(
        f"{url}/link",
        data={"reg_number": earlier.reg_number, "kind": "repeat", "note": "сол мәселе"},
    )
    assert r.status_code == 303
    link = db.session.scalars(select(ItemLink)).one()
    assert (link.item_id, link.target_id, link.kind, link.note) == (
        item.id,
        earlier.id,
        "repeat",
        "сол мәселе",
    )
    body = page(clerk_client.get(url))
    assert f"Linked to {earlier.reg_number}." in body
    linked = body.split("<h2>Linked cases</h2>", 1)[1].split("</ul>", 1)[0]
    assert earlier.reg_number in linked and "Repeat appeal on the same question" in linked

    r = clerk_client.post(f"{url}/link", data={"reg_number": "ЖТ-2026-99999999", "kind": "repeat"})
    assert "No registered item with that number." in page(clerk_client.get(r.headers["Location"]))
    r = clerk_client.post(f"{url}/link", data={"reg_number": item.reg_number, "kind": "repeat"})
    assert "An item cannot be linked to itself." in page(clerk_client.get(r.headers["Location"]))
    assert db.session.scalar(select(func.count()).select_from(ItemLink)) == 1


def test_annotate_form_keeps_the_old_value(app, clerk_client, make_item):
    item = make_item(summary="Старый текст")
    db.session.commit()
    url = f"/registry/{item.public_id}"
    r = clerk_client.post(
        f"{url}/annotate",
        data={"field": "summary", "value": "Новый текст", "reason": "опечатка"},
    )
    assert r.status_code == 303
    db.session.refresh(item)
    assert item.summary == "Новый текст"
    note = db.session.scalars(select(Annotation)).one()
    assert (note.field, note.old_value, note.new_value, note.reason) == (
        "summary",
        "Старый текст",
        "Новый текст",
        "опечатка",
    )
    body = page(clerk_client.get(url))
    assert "The correction is recorded; the previous value is kept." in body
    assert "corrected “summary”: Старый текст → Новый текст" in body

    for data, message in (
        ({"field": "summary", "value": "x", "reason": ""}, "Say why the detail is corrected."),
        (
            {"field": "page_count", "value": "три", "reason": "r"},
            "The number of pages must be a number.",
        ),
    ):
        r = clerk_client.post(f"{url}/annotate", data=data)
        assert r.status_code == 303
        assert message in page(clerk_client.get(url))
    r = clerk_client.post(
        f"{url}/annotate", data={"field": "page_count", "value": "3", "reason": "r"}
    )
    db.session.refresh(item)
    assert item.page_count == 3
    assert db.session.scalar(select(func.count()).select_from(Annotation)) == 2


def test_inspector_may_read_but_not_withdraw_link_or_annotate(app, web, make_item):
    earlier = make_item()
    item = make_item()
    db.session.commit()
    inspector = web("inspector")
    r = inspector.get(f"/registry/{item.public_id}")
    assert r.status_code == 200
    body = page(r)
    assert "Save the correction" not in body and "No actions available to you now." in body
    r = inspector.post(f"/registry/{item.public_id}/do/withdraw", data={"comment": "x"})
    assert r.status_code == 403
    db.session.refresh(item)
    assert item.state == "registered"
    assert [h.transition for h in history(item)] == ["create"]
    r = inspector.post(
        f"/registry/{item.public_id}/link",
        data={"reg_number": earlier.reg_number, "kind": "repeat"},
    )
    assert r.status_code == 403
    r = inspector.post(
        f"/registry/{item.public_id}/annotate",
        data={"field": "summary", "value": "x", "reason": "y"},
    )
    assert r.status_code == 403
    assert db.session.scalar(select(func.count()).select_from(Annotation)) == 0
    assert db.session.scalar(select(func.count()).select_from(ItemLink)) == 0


# --- personal data: who viewed what, no IIN in URLs (R-PD-1) -----------------------------------


def test_views_and_downloads_are_in_the_access_log(app, clerk_client, make_item):
    from docflow.core.access_log import AccessEntry

    r = clerk_client.post(
        "/registry/new",
        data=form_data(files=[(io.BytesIO(text_pdf("Appeal")), "appeal.pdf")]),
        content_type="multipart/form-data",
    )
    item = db.session.scalars(select(IncomingItem)).one()
    assert IIN not in r.headers["Location"]
    att = item.attachments[0]

    def entries(action):  # R-PD-1: reads go to the access log, apart from the audit trail
        return db.session.scalars(select(AccessEntry).where(AccessEntry.action == action)).all()

    assert entries("view") == []
    body = page(clerk_client.get(r.headers["Location"]))
    assert IIN in body  # shown to the clerk, on the page only
    for href in re.findall(r'(?:href|src|action)="([^"]+)"', body):
        assert IIN not in href
    [view] = entries("view")
    clerk = user_by_username("clerk")
    assert (view.object_type, view.object_id, view.user_id) == (
        "incoming_item",
        item.public_id,
        clerk.id,
    )
    d = clerk_client.get(f"/registry/{item.public_id}/files/{att.public_id}")
    assert d.status_code == 200 and d.data.startswith(b"%PDF")
    assert "attachment" in d.headers["Content-Disposition"]
    [download] = entries("download")
    assert (download.object_type, download.object_id, download.user_id) == (
        "attachment",
        att.public_id,
        clerk.id,
    )
    inline = clerk_client.get(f"/registry/{item.public_id}/files/{att.public_id}?inline=1")
    assert inline.headers["Content-Disposition"].startswith("inline")
    assert len(entries("download")) == 2
    other = make_item()  # a file is served only under its own item
    db.session.commit()
    assert clerk_client.get(f"/registry/{other.public_id}/files/{att.public_id}").status_code == 404
    # No IIN anywhere in the trail (masked), and the chain holds.
    dump = str([(e.summary, e.object_id) for e in db.session.scalars(select(audit.AuditEntry))])
    assert IIN not in dump
    assert audit.verify().ok


# --- slip and label (R-REG-4) ------------------------------------------------------------------


@pytest.mark.parametrize("query", ["", "?label=1"])
def test_slip_and_label_are_pdfs_with_the_number(app, clerk_client, make_item, query):
    item = make_item()
    db.session.commit()
    r = clerk_client.get(f"/registry/{item.public_id}/slip.pdf{query}")
    assert r.status_code == 200 and r.mimetype == "application/pdf"
    assert r.data.startswith(b"%PDF")
    with pdfplumber.open(io.BytesIO(r.data)) as pdf:
        text = "\n".join(p.extract_text() or "" for p in pdf.pages)
    assert item.reg_number in text
    if not query:
        assert "Жұмабаева Айнұр Серікқызы" in text  # the applicant on the slip
        assert "Сапарова" in text  # who accepted it (art. 64(2))


# --- repeats (R-ROUTE-5) -------------------------------------------------------------------------


def test_repeats_finds_the_earlier_item_of_the_same_applicant(app, clerk_client, web, make_item):
    earlier = make_item(
        applicant=ApplicantData(full_name="Жұмабаева Айнұр Серікқызы", iin=IIN),
        summary="Жертөледе кәріз құбыры ағып жатыр",
    )
    make_item(
        applicant=ApplicantData(full_name="Басқа адам", iin=OTHER_IIN, address="X"),
        summary="Кәріз құбыры",
    )
    db.session.commit()
    r = clerk_client.post("/registry/repeats", json={"iin": IIN, "summary": "кәріз құбыры ағады"})
    assert r.status_code == 200
    candidates = r.get_json()["candidates"]
    assert [c["reg_number"] for c in candidates] == [earlier.reg_number]
    assert candidates[0]["public_id"] == earlier.public_id
    assert candidates[0]["url"] == f"/registry/{earlier.public_id}"
    assert candidates[0]["similar"] is True
    assert IIN not in r.get_data(as_text=True)
    nobody = clerk_client.post("/registry/repeats", json={"iin": "670212307771"})
    assert nobody.get_json() == {"candidates": []}
    assert clerk_client.post("/registry/repeats", data="not json").get_json() == {"candidates": []}
    assert web("inspector").post("/registry/repeats", json={"iin": IIN}).status_code == 403
