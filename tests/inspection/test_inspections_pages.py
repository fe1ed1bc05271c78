"""Inspection pages (R-AUDIT-1), with the Flask client: the list, a new inspection, a run's findings
grouped by code and subdivision with filters, a finding's evidence with the link to the case,
the sample's checklist, the report downloads, the remediation pages — and who may see them."""

from __future__ import annotations

import datetime as dt
import io
import re

import pypdfium2 as pdfium
import pytest
from docx import Document
from openpyxl import load_workbook

from docflow.extensions import db
from docflow.inspection import operations as ops
from docflow.inspection import remediation as rem
from docflow.inspection.models import Inspection, InspectionSample, RemediationTask
from docflow.inspection.report import TEXT
from tests.fixtures import page
from tests.inspection.inspect_world import Runner, finding


@pytest.fixture
def fake_checks(monkeypatch, energy_items):
    """The pages run these findings instead of the real checks: 2 ANSWER_LATE (ENERGY, EDU),
    1 REG_LATE (ENERGY)."""
    a, b, _, d = energy_items
    runner = Runner([finding(a), finding(d), finding(b, "REG_LATE", "medium", rule="R-REG-3")])
    monkeypatch.setattr(ops, "_default_runner", lambda: runner)
    return runner


def created(web, **form) -> tuple[object, Inspection]:
    c = web("inspector")
    data = {"title": "Энергетика, қараша", "date_from": "2026-11-01", "date_to": "2026-11-30"}
    r = c.post("/inspections/new", data=data | form)
    assert r.status_code == 303, page(r)
    public_id = r.headers["Location"].rstrip("/").rsplit("/", 1)[-1]
    return c, db.session.scalar(db.select(Inspection).where(Inspection.public_id == public_id))


def test_r_audit_1_inspector_creates_and_lists_inspections(web):
    c, i = created(web, subdivisions=["ENERGY", "EDU"], districts=["MEDEU"], as_of="2026-12-31")
    assert (i.subdivisions, i.districts, i.as_of) == (
        ["EDU", "ENERGY"],
        ["MEDEU"],
        dt.date(2026, 12, 31),
    )
    listing = page(c.get("/inspections/"))
    assert "Энергетика, қараша" in listing and "EDU, ENERGY, MEDEU" in listing
    form = page(c.get("/inspections/new"))
    assert 'value="ENERGY"' in form and 'value="MEDEU"' in form


def test_r_audit_1_a_bad_form_is_shown_again(web):
    c = web("inspector")
    r = c.post(
        "/inspections/new", data={"title": "X", "date_from": "2026-11-30", "date_to": "2026-11-01"}
    )
    assert r.status_code == 422 and "The period ends before it begins." in page(r)
    assert db.session.scalar(db.select(Inspection.id)) is None


def test_r_audit_1_run_page_groups_and_filters(web, fake_checks, energy_items):
    c, i = created(web, subdivisions=["ENERGY", "EDU"])
    r = c.post(f"/inspections/{i.public_id}/run")
    assert r.status_code == 303 and r.headers["Location"].endswith(
        f"/inspections/{i.public_id}/runs/1"
    )
    text = page(c.get(f"/inspections/{i.public_id}/runs/1"))
    assert "Shown: 3 of 3" in text
    groups = re.findall(r'id="code-(\w+)"', text)
    assert groups == ["ANSWER_LATE", "REG_LATE"]
    assert re.findall(r'class="subdivision" data-code="(\w+)"', text) == ["EDU", "ENERGY", "ENERGY"]
    assert f'href="/registry/{energy_items[0].public_id}"' in text  # the link to the case
    assert "answered 2026-12-20, due 2026-12-15" in text  # the evidence
    only = page(c.get(f"/inspections/{i.public_id}/runs/1?code=ANSWER_LATE&subdivision=EDU"))
    assert "Shown: 1 of 3" in only and energy_items[3].reg_number in only
    assert energy_items[0].reg_number not in only
    medium = page(c.get(f"/inspections/{i.public_id}/runs/1?severity=medium"))
    assert "Shown: 1 of 3" in medium and energy_items[1].reg_number in medium
    sent = page(c.get(f"/inspections/{i.public_id}/runs/1?status=sent"))
    assert "Shown: 0 of 3" in sent
    fake_checks.findings = fake_checks.findings[:1]  # a second run finds only the first again
    c.post(f"/inspections/{i.public_id}/run")
    second = page(c.get(f"/inspections/{i.public_id}/runs/2"))
    assert "open findings, 1 are still found and 2 no longer" in second
    first = page(c.get(f"/inspections/{i.public_id}/runs/1"))
    assert first.count("still found in run 2") == 1 and first.count("no longer found in run 2") == 2


def test_r_audit_1_finding_page_shows_the_evidence_and_sends_it(
    web, fake_checks, energy_items, users
):
    c, i = created(web, subdivisions=["ENERGY"])
    c.post(f"/inspections/{i.public_id}/run")
    f = ops.findings_of(i, i.last_run, code="ANSWER_LATE", subdivision="ENERGY")[0]
    text = page(c.get(f"/inspections/findings/{f.public_id}"))
    assert "2026-12-15" in text and f'href="/registry/{energy_items[0].public_id}"' in text
    term = (rem.today() + dt.timedelta(days=7)).isoformat()
    r = c.post(
        f"/inspections/findings/{f.public_id}/remediation",
        data={"term": term, "instruction": "Жауап беріңіз"},
    )
    assert r.status_code == 303
    task = db.session.scalar(db.select(RemediationTask))
    assert task.state == "sent" and task.head_id == users["head.energy"].id


def test_r_audit_1_remediation_pages_head_reports_inspector_decides(web, fake_checks, users):
    c, i = created(web, subdivisions=["ENERGY"])
    c.post(f"/inspections/{i.public_id}/run")
    f = ops.findings_of(i, i.last_run, code="ANSWER_LATE", subdivision="ENERGY")[0]
    task = rem.send_for_remediation(f, users["inspector"], term=rem.today())
    task.term = rem.today() - dt.timedelta(days=1)  # overdue
    db.session.commit()
    head = web("head.energy")
    tasks = page(head.get("/inspections/tasks/"))
    assert f.evidence[:40] in tasks and "Overdue: 1" in tasks
    assert "Send the report" in page(head.get(f"/inspections/tasks/{task.public_id}"))
    r = head.post(
        f"/inspections/tasks/{task.public_id}/report", data={"report": "Жауап жіберілді."}
    )
    assert r.status_code == 303
    db.session.refresh(task)
    assert task.state == "reported"
    assert "Accept" in page(c.get(f"/inspections/tasks/{task.public_id}"))
    c.post(f"/inspections/tasks/{task.public_id}/return", data={"comment": "Көшірмесі жоқ"})
    db.session.refresh(task)
    assert task.state == "returned"
    head.post(
        f"/inspections/tasks/{task.public_id}/report", data={"report": "Көшірме қоса берілді."}
    )
    c.post(f"/inspections/tasks/{task.public_id}/accept", data={"comment": ""})
    db.session.refresh(task)
    assert task.state == "accepted" and task.finding.status == "accepted"
    assert page(web("head.edu").get("/inspections/tasks/")).count("<code>") == 0
    assert web("head.edu").get(f"/inspections/tasks/{task.public_id}").status_code == 403


def test_r_ans_1_r_recv_10_sample_pages(web, energy_items):
    c, i = created(web, subdivisions=["ENERGY", "EDU"])
    r = c.post(f"/inspections/{i.public_id}/sample", data={"size": "3", "seed": "42"})
    assert r.status_code == 303
    rows = db.session.scalars(db.select(InspectionSample).order_by(InspectionSample.position)).all()
    assert len(rows) == 3 and i.sample_seed == 42
    text = page(c.get(f"/inspections/{i.public_id}/sample"))
    assert "The right to complain is explained (R-ANS-1)" in text and "(R-RECV-10)" in text
    assert rows[0].item.reg_number in text
    answers = {
        "answer_motivated": "yes",
        "legislation_cited": "no",
        "complaint_explained": "yes",
        "language_ok": "na",
        "remarks": "Заң жоқ",
    }
    r = c.post(f"/inspections/{i.public_id}/sample/{rows[0].id}", data=answers)
    assert r.status_code == 303
    db.session.refresh(rows[0])
    assert rows[0].legislation_cited == "no" and rows[0].checked
    r = c.post(f"/inspections/{i.public_id}/sample/{rows[1].id}", data={"answer_motivated": "yes"})
    db.session.refresh(rows[1])
    assert not rows[1].checked  # every question must be answered


def test_r_audit_1_report_downloads(web, fake_checks, energy_items):
    c, i = created(web, subdivisions=["ENERGY", "EDU"])
    c.post(f"/inspections/{i.public_id}/run")
    c.post(f"/inspections/{i.public_id}/texts", data={"remarks": "", "proposals": "Сөгіс жариялау"})
    show = page(c.get(f"/inspections/{i.public_id}"))
    assert "report.docx?lang=ru" in show and "report.pdf?lang=kk" in show
    docx = c.get(f"/inspections/{i.public_id}/report.docx?lang=ru")
    assert docx.status_code == 200 and "attachment" in docx.headers["Content-Disposition"]
    doc = Document(io.BytesIO(docx.data))
    assert TEXT["ru"]["title"] in doc.paragraphs[0].text
    assert "Сөгіс жариялау" in "\n".join(p.text for p in doc.paragraphs)
    pdf = c.get(f"/inspections/{i.public_id}/report.pdf?lang=kk")
    assert pdf.mimetype == "application/pdf"
    text = pdfium.PdfDocument(pdf.data)[0].get_textpage().get_text_range()
    assert TEXT["kk"]["title"] in text
    xlsx = c.get(f"/inspections/{i.public_id}/report.xlsx?lang=kk")
    wb = load_workbook(io.BytesIO(xlsx.data))
    assert wb.worksheets[0].max_row == 1 + 3
    assert c.get(f"/inspections/{i.public_id}/report.pdf?lang=en").status_code == 400
    assert c.get(f"/inspections/{i.public_id}/report.pdf?run=9").status_code == 404


def test_r_audit_1_own_finding_and_close(web, energy_items):
    c, i = created(web, subdivisions=["ENERGY"])
    data = {
        "reg_number": energy_items[0].reg_number,
        "subdivision_code": "",
        "rule": "R-ANS-1",
        "severity": "high",
        "evidence": "Жауап дәлелсіз",
    }
    assert c.post(f"/inspections/{i.public_id}/findings", data=data).status_code == 303
    assert "Жауап дәлелсіз" in page(c.get(f"/inspections/{i.public_id}"))
    assert ops.findings_of(i, None, manual=True)[0].subdivision_code == "ENERGY"
    ops.run_inspection(i, users_inspector(i), runner=Runner([]))
    db.session.commit()
    assert c.post(f"/inspections/{i.public_id}/close").status_code == 303
    db.session.refresh(i)
    assert i.state == "closed"
    c.post(f"/inspections/{i.public_id}/findings", data=data)
    assert len(ops.findings_of(i, None, manual=True)) == 1  # closed: refused


def users_inspector(i: Inspection):
    return i.created_by


@pytest.mark.parametrize(
    "name", ["clerk", "controller", "head.energy", "exec.energy", "admin", "akim"]
)
def test_r_audit_1_inspection_pages_are_the_inspectors(web, name):
    _, i = created(web)
    c = web(name)
    for path in (
        "/inspections/",
        "/inspections/new",
        f"/inspections/{i.public_id}",
        f"/inspections/{i.public_id}/report.pdf",
    ):
        assert c.get(path).status_code == 403, path


def test_r_audit_1_inspection_with_the_real_checks(web, make_item, users):
    """The pages over the real automatic checks: an appeal sent to ENERGY and never answered is
    OVERDUE_OPEN as of the year's end; its run page shows it with the link to the case."""
    from docflow.routing import operations as routing
    from tests.registry.conftest import almaty

    item = make_item(arrived_at=almaty(2026, 11, 3, 10, 0))
    routing.distribute(item, users["controller"], ["ENERGY"])
    db.session.commit()
    c, i = created(web, subdivisions=["ENERGY"], as_of="2026-12-31")
    assert c.post(f"/inspections/{i.public_id}/run").status_code == 303
    db.session.refresh(i)
    assert i.last_run.checked == 1
    codes = {f.code for f in ops.findings_of(i, i.last_run)}
    assert "OVERDUE_OPEN" in codes
    text = page(c.get(f"/inspections/{i.public_id}/runs/1?code=OVERDUE_OPEN"))
    assert item.reg_number in text and f'href="/registry/{item.public_id}"' in text
