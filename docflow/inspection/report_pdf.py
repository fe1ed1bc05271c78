"""The inspection's report as a PDF (fpdf2, DejaVu Sans), in Kazakh or Russian (R-AUDIT-1)."""

from __future__ import annotations

import io

from fpdf.enums import XPos, YPos
from fpdf.fonts import FontFace

from docflow.core.pdf import FONT, new_pdf
from docflow.inspection.report import Report, charts

HEADINGS = FontFace(emphasis="BOLD", fill_color=(235, 235, 235))
FINDING_WIDTHS = (30, 22, 16, 30, 20, 100, 28, 20)


def report_pdf(report: Report) -> bytes:
    """Landscape A4, the same sections as the DOCX."""
    pdf = new_pdf("L")
    pdf.set_title(report.t("title"))
    pdf.set_lang(report.lang)
    pdf.add_page()
    width = pdf.epw
    i = report.inspection

    def line(text: str, size: int = 10, style: str = "", h: float = 5.5, align: str = "L") -> None:
        pdf.set_font(FONT, style, size)
        pdf.multi_cell(width, h, text, align=align, new_x=XPos.LMARGIN, new_y=YPos.NEXT)

    def heading(text: str) -> None:
        if pdf.will_page_break(30):  # a heading is not left alone at the foot of a page
            pdf.add_page()
        pdf.ln(3)
        line(text, 12, "B", 7)

    def table(headings, rows, widths=None, size: int = 8) -> None:
        pdf.set_font(FONT, "", size)
        with pdf.table(
            col_widths=widths,
            line_height=4.5,
            text_align="LEFT",
            headings_style=HEADINGS,
            repeat_headings=1,
            padding=1,
        ) as t:
            for values in [headings, *rows]:
                r = t.row()
                for value in values:
                    r.cell(str(value))

    line(report.t("title"), 15, "B", 8, "C")
    line(i.title, 11, "", 6, "C")
    pdf.ln(2)
    line(f"{report.t('scope')}: {'; '.join(report.scope)}")
    line(f"{report.t('period')}: {report.period_text()}")
    line(f"{report.t('as_of')}: {i.as_of.strftime('%d.%m.%Y')}")
    line(f"{report.t('inspector')}: {report.inspector}")
    heading(report.t("run"))
    line(report.run_text())
    if report.run is not None and report.run.not_judged:
        judged = ", ".join(f"{k}: {v}" for k, v in sorted(report.run.not_judged.items()))
        line(f"{report.t('not_judged')}: {judged}")

    heading(report.t("counts"))
    if report.all_findings:
        table(*report.count_rows())
        pdf.ln(2)
        table(*report.legend_rows(), widths=(40, 160, 40))
        for png in charts(report):
            pdf.ln(2)
            pdf.image(io.BytesIO(png), w=min(width, 220))
    else:
        line(report.t("none"))

    heading(report.t("findings"))
    if report.findings:
        rows = [report.finding_row(f) for f in report.findings]
        table(report.finding_headings(), rows, FINDING_WIDTHS, 7)
    else:
        line(report.t("none"))
    if report.manual:
        heading(report.t("manual"))
        rows = [report.finding_row(f) for f in report.manual]
        table(report.finding_headings(), rows, FINDING_WIDTHS, 7)

    if report.sample:
        heading(report.t("sample"))
        line(report.sample_line())
        table(*report.sample_rows(), size=9)
        pdf.ln(2)
        table(*report.sample_case_rows(), size=7)

    heading(report.t("audit"))
    line(report.audit_text())
    if i.remarks:
        heading(report.t("remarks"))
        line(i.remarks)
    heading(report.t("proposals"))
    line(i.proposals or "—")
    return bytes(pdf.output())
