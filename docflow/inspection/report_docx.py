"""The inspection's report as a Word document (python-docx), in Kazakh or Russian (R-AUDIT-1)."""

from __future__ import annotations

import io

from docx import Document
from docx.enum.section import WD_ORIENT
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.shared import Cm, Pt

from docflow.inspection.report import Report, charts


def _table(doc, headings: list[str], rows: list[list[str]], size: int = 9) -> None:
    table = doc.add_table(rows=1, cols=len(headings))
    table.style = "Table Grid"
    for cell, text in zip(table.rows[0].cells, headings, strict=True):
        run = cell.paragraphs[0].add_run(text)
        run.bold = True
        run.font.size = Pt(size)
    for values in rows:
        for cell, text in zip(table.add_row().cells, values, strict=True):
            cell.text = ""
            cell.paragraphs[0].add_run(str(text)).font.size = Pt(size)


def report_docx(report: Report) -> bytes:
    """Landscape A4: the heading, the run, counts, charts, findings, sample, audit, proposals."""
    doc = Document()
    section = doc.sections[0]
    section.orientation = WD_ORIENT.LANDSCAPE
    section.page_width, section.page_height = Cm(29.7), Cm(21.0)
    for side in ("left_margin", "right_margin", "top_margin", "bottom_margin"):
        setattr(section, side, Cm(1.5))
    style = doc.styles["Normal"]
    style.font.name = "Times New Roman"
    style.font.size = Pt(12)
    i = report.inspection
    doc.core_properties.title = report.t("title")
    doc.core_properties.language = report.lang
    heading = doc.add_paragraph()
    heading.alignment = WD_ALIGN_PARAGRAPH.CENTER
    run = heading.add_run(report.t("title"))
    run.bold, run.font.size = True, Pt(15)
    p = doc.add_paragraph(i.title)
    p.alignment = WD_ALIGN_PARAGRAPH.CENTER
    doc.add_paragraph(f"{report.t('scope')}: {'; '.join(report.scope)}")
    doc.add_paragraph(f"{report.t('period')}: {report.period_text()}")
    doc.add_paragraph(f"{report.t('as_of')}: {i.as_of.strftime('%d.%m.%Y')}")
    doc.add_paragraph(f"{report.t('inspector')}: {report.inspector}")
    doc.add_heading(report.t("run"), level=2)
    doc.add_paragraph(report.run_text())
    if report.run is not None and report.run.not_judged:
        judged = ", ".join(f"{k}: {v}" for k, v in sorted(report.run.not_judged.items()))
        doc.add_paragraph(f"{report.t('not_judged')}: {judged}")

    doc.add_heading(report.t("counts"), level=2)
    if report.all_findings:
        _table(doc, *report.count_rows())
        doc.add_paragraph()
        _table(doc, *report.legend_rows())
        for png in charts(report):
            doc.add_picture(io.BytesIO(png), width=Cm(24))
    else:
        doc.add_paragraph(report.t("none"))

    doc.add_heading(report.t("findings"), level=2)
    if report.findings:
        _table(doc, report.finding_headings(), [report.finding_row(f) for f in report.findings], 8)
    else:
        doc.add_paragraph(report.t("none"))
    if report.manual:
        doc.add_heading(report.t("manual"), level=2)
        _table(doc, report.finding_headings(), [report.finding_row(f) for f in report.manual], 8)

    if report.sample:
        doc.add_heading(report.t("sample"), level=2)
        doc.add_paragraph(report.sample_line())
        _table(doc, *report.sample_rows())
        doc.add_paragraph()
        _table(doc, *report.sample_case_rows(), 8)

    doc.add_heading(report.t("audit"), level=2)
    doc.add_paragraph(report.audit_text())
    if i.remarks:
        doc.add_heading(report.t("remarks"), level=2)
        doc.add_paragraph(i.remarks)
    doc.add_heading(report.t("proposals"), level=2)
    doc.add_paragraph(i.proposals or "—")
    out = io.BytesIO()
    doc.save(out)
    return out.getvalue()
