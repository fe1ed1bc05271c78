"""The inspection's report (R-AUDIT-1): DOCX and PDF in Kazakh or Russian, findings as XLSX —
each file opens (python-docx, pypdfium2, openpyxl read it back) and holds the counts per
subdivision and code, the findings, the sample and the proposals."""

from __future__ import annotations

import io

import pypdfium2 as pdfium
import pytest
from docx import Document
from openpyxl import load_workbook
from PIL import Image

from docflow.extensions import db
from docflow.inspection import operations as ops
from docflow.inspection import sample as sampling
from docflow.inspection.report import TEXT, bar_chart_png, build_report
from docflow.inspection.report_docx import report_docx
from docflow.inspection.report_pdf import report_pdf
from docflow.inspection.report_xlsx import findings_xlsx
from tests.inspection.inspect_world import Runner, finding


@pytest.fixture
def reported(inspection, energy_items, users):
    """A run with 3 ANSWER_LATE (2 ENERGY, 1 EDU) and 1 REG_LATE (ENERGY), a read sample, an
    own finding, remarks and proposals."""
    a, b, c, d = energy_items
    found = [finding(a), finding(b), finding(d), finding(c, "REG_LATE", "medium", rule="R-REG-3")]
    ops.run_inspection(inspection, users["inspector"], runner=Runner(found, checked=4))
    ops.add_finding(
        inspection,
        users["inspector"],
        evidence="Журнал толық емес.",
        rule="R-REG-4",
        subdivision_code="ENERGY",
    )
    s = sampling.draw_sample(inspection, users["inspector"], size=2, seed=11)
    answers = {
        "answer_motivated": "yes",
        "legislation_cited": "no",
        "complaint_explained": "yes",
        "language_ok": "yes",
    }
    sampling.record_checklist(s[0], users["inspector"], answers, "Заңға сілтеме жоқ")
    ops.save_texts(
        inspection,
        users["inspector"],
        remarks="Ескерту мәтіні",
        proposals="Тәртіптік жаза қолдану ұсынылады",
    )
    db.session.commit()
    return inspection


def docx_text(data: bytes) -> tuple[str, list[list[list[str]]]]:
    doc = Document(io.BytesIO(data))
    paragraphs = "\n".join(p.text for p in doc.paragraphs)
    tables = [[[c.text for c in row.cells] for row in t.rows] for t in doc.tables]
    return paragraphs, tables


def pdf_text(data: bytes) -> str:
    pdf = pdfium.PdfDocument(data)
    return "\n".join(pdf[i].get_textpage().get_text_range() for i in range(len(pdf)))


def test_r_audit_1_counts_per_subdivision_and_code(reported):
    r = build_report(reported, "kk")
    assert r.codes == ["ANSWER_LATE", "INSPECTOR", "REG_LATE"]
    headings, rows = r.count_rows()
    assert headings[1:-1] == r.codes
    table = {row[0]: row[1:] for row in rows}
    assert table["EDU"] == ["1", "0", "0", "1"]
    assert table["ENERGY"] == ["2", "1", "1", "4"]
    assert table[TEXT["kk"]["total"]] == ["3", "1", "1", "5"]


@pytest.mark.parametrize("lang", ["kk", "ru"])
def test_r_audit_1_docx_report_opens_and_holds_the_counts(reported, lang):
    paragraphs, tables = docx_text(report_docx(build_report(reported, lang)))
    assert TEXT[lang]["title"] in paragraphs
    assert "Тәртіптік жаза қолдану ұсынылады" in paragraphs  # the proposals
    counts = next(t for t in tables if t[0][0] == TEXT[lang]["subdivision"])
    assert counts[0][1:] == ["ANSWER_LATE", "INSPECTOR", "REG_LATE", TEXT[lang]["total"]]
    assert ["ENERGY", "2", "1", "1", "4"] in counts and ["EDU", "1", "0", "0", "1"] in counts
    legend = next(t for t in tables if t[0][:2] == [TEXT[lang]["code"], TEXT[lang]["check"]])
    assert [row[0] for row in legend[1:]] == ["ANSWER_LATE", "INSPECTOR", "REG_LATE"]
    assert legend[2][1] == TEXT[lang]["inspector_finding"] and legend[3][2] == "R-REG-3"
    findings = next(t for t in tables if t[0][:2] == [TEXT[lang]["code"], TEXT[lang]["rule"]])
    assert len(findings) == 1 + 4  # the run's findings
    assert any(row[0] == "REG_LATE" and row[1] == "R-REG-3" for row in findings)
    doc = Document(io.BytesIO(report_docx(build_report(reported, lang))))
    assert len(doc.inline_shapes) == 2  # the two charts


@pytest.mark.parametrize("lang", ["kk", "ru"])
def test_r_audit_1_pdf_report_opens_and_holds_the_counts(reported, energy_items, lang):
    text = pdf_text(report_pdf(build_report(reported, lang)))
    assert TEXT[lang]["title"] in text and TEXT[lang]["counts"] in text
    assert "ANSWER_LATE" in text and "REG_LATE" in text
    assert energy_items[2].reg_number in text
    assert TEXT[lang]["sample"] in text and "Заңға сілтеме жоқ" in text
    assert "Тәртіптік жаза" in text
    other = "ru" if lang == "kk" else "kk"
    assert TEXT[other]["title"] not in text


def test_r_audit_1_findings_xlsx_opens_with_the_findings_and_counts(reported, energy_items):
    wb = load_workbook(io.BytesIO(findings_xlsx(build_report(reported, "ru"))))
    findings, counts, sample = wb.worksheets
    rows = list(findings.iter_rows(values_only=True))
    assert rows[0][0] == TEXT["ru"]["code"] and len(rows) == 1 + 5  # 4 automatic + 1 own
    assert {r[3] for r in rows[1:]} >= {i.reg_number for i in energy_items}
    table = {r[0]: r[1:] for r in counts.iter_rows(values_only=True)}
    assert table["ENERGY"] == (2, 1, 1, 4)
    assert table[TEXT["ru"]["total"]] == (3, 1, 1, 5)
    assert sample.max_row == 1 + 2


def test_r_audit_1_report_says_the_audit_trail_integrity(reported):
    r = build_report(reported, "ru")
    assert r.audit_text().startswith("Цепочка цела")
    reported.last_run.audit_ok, reported.last_run.audit_broken_seq = False, 9
    reported.last_run.audit_reason = "entry content does not match its hash"
    assert "запись №9" in build_report(reported, "ru").audit_text()


def test_r_audit_1_report_without_a_run(inspection):
    r = build_report(inspection, "kk")
    assert r.run is None and r.audit_text() == TEXT["kk"]["no_run"]
    assert TEXT["kk"]["no_run"] in docx_text(report_docx(r))[0]
    assert pdf_text(report_pdf(r))


def test_bar_chart_draws_longer_bars_for_more(app):
    img = Image.open(io.BytesIO(bar_chart_png("T", [("A", 4), ("B", 1)]))).convert("RGB")
    blue = (52, 101, 164)

    def bar_length(y: int) -> int:
        return sum(1 for x in range(img.width) if img.getpixel((x, y)) == blue)

    a, b = bar_length(70 + 20), bar_length(70 + 40 + 20)
    assert a > 3 * b > 0
