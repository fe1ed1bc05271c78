"""The published reception schedule as DOCX and PDF, in Kazakh or Russian (R-RECV-2).

One row per official: full name, position, days and hours, place. Only approved schedules are
printed (``published_schedule``). The PDF embeds DejaVu Sans (every Kazakh letter), found by the
the office's one font setup, :func:`docflow.core.pdf.new_pdf`.
"""

from __future__ import annotations

import datetime as dt
import io

from docx import Document
from docx.enum.section import WD_ORIENT
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.shared import Cm, Pt
from fpdf import FPDF
from fpdf.enums import XPos, YPos
from fpdf.fonts import FontFace

from docflow.core.pdf import FONT, new_pdf
from docflow.protocols.schedule_public import (
    PUBLIC_TEXT,
    PublishedOfficial,
    organisation_names,
    public_lang,
    published_schedule,
)

COLUMN_WIDTHS_CM = (6.5, 6.5, 7.7, 6.0)  # full name, position, days and hours, place (landscape A4)


def schedule_rows(
    lang: str, today: dt.date | None = None
) -> tuple[list[str], list[tuple[str, str, str, str]]]:
    """The table of the published schedule: (headings, rows) in ``lang`` (kk or ru)."""
    lang = public_lang(lang)
    today = today or _today()
    text = PUBLIC_TEXT[lang]
    headings = [text["full_name"], text["position"], text["days"], text["place"]]
    rows = [_row(o, lang, today) for o in published_schedule(today)]
    return headings, rows


def _row(official: PublishedOfficial, lang: str, today: dt.date) -> tuple[str, str, str, str]:
    days = "\n".join(e.days(lang, today) for e in official.entries)
    places: list[str] = []
    for e in official.entries:
        place = e.place_in(lang)
        if place and place not in places:
            places.append(place)
    return official.full_name, official.position(lang), days, "\n".join(places)


def _today() -> dt.date:
    from docflow.core.calendar import get_calendar

    return get_calendar().local_now().date()


def _titles(lang: str, today: dt.date) -> tuple[str, str, str]:
    text = PUBLIC_TEXT[lang]
    org = organisation_names()
    return (
        org.get(lang) or org.get("ru") or org.get("kk") or "",
        text["title"],
        text["as_of"].format(date=today.strftime("%d.%m.%Y")),
    )


def schedule_docx(lang: str, today: dt.date | None = None) -> bytes:
    """The published schedule as a Word document (landscape A4), in Kazakh or Russian."""
    lang = public_lang(lang)
    today = today or _today()
    headings, rows = schedule_rows(lang, today)
    org, title, as_of = _titles(lang, today)
    doc = Document()
    section = doc.sections[0]
    section.orientation = WD_ORIENT.LANDSCAPE
    section.page_width, section.page_height = Cm(29.7), Cm(21.0)
    for side in ("left_margin", "right_margin", "top_margin", "bottom_margin"):
        setattr(section, side, Cm(1.5))
    style = doc.styles["Normal"]
    style.font.name = "Times New Roman"
    style.font.size = Pt(12)
    doc.core_properties.title = title
    doc.core_properties.language = lang
    if org:
        p = doc.add_paragraph(org)
        p.alignment = WD_ALIGN_PARAGRAPH.CENTER
    heading = doc.add_paragraph()
    heading.alignment = WD_ALIGN_PARAGRAPH.CENTER
    run = heading.add_run(title)
    run.bold = True
    run.font.size = Pt(14)
    p = doc.add_paragraph(as_of)
    p.alignment = WD_ALIGN_PARAGRAPH.CENTER
    if not rows:
        doc.add_paragraph(PUBLIC_TEXT[lang]["empty"])
    else:
        table = doc.add_table(rows=1, cols=len(headings))
        table.style = "Table Grid"
        for cell, heading_text, width in zip(
            table.rows[0].cells, headings, COLUMN_WIDTHS_CM, strict=True
        ):
            cell.width = Cm(width)
            cell.paragraphs[0].add_run(heading_text).bold = True
        for row in rows:
            cells = table.add_row().cells
            for cell, value, width in zip(cells, row, COLUMN_WIDTHS_CM, strict=True):
                cell.width = Cm(width)
                cell.text = value
    doc.add_paragraph()
    doc.add_paragraph(PUBLIC_TEXT[lang]["note"])
    out = io.BytesIO()
    doc.save(out)
    return out.getvalue()


def _pdf() -> FPDF:
    return new_pdf("L")


def schedule_pdf(lang: str, today: dt.date | None = None) -> bytes:
    """The published schedule as a PDF (landscape A4, DejaVu Sans), in Kazakh or Russian."""
    lang = public_lang(lang)
    today = today or _today()
    headings, rows = schedule_rows(lang, today)
    org, title, as_of = _titles(lang, today)
    pdf = _pdf()
    pdf.set_title(title)
    pdf.set_lang(lang)
    pdf.add_page()
    width = pdf.epw
    if org:
        pdf.set_font(FONT, "", 11)
        pdf.multi_cell(width, 6, org, align="C", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.set_font(FONT, "B", 15)
    pdf.multi_cell(width, 8, title, align="C", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.set_font(FONT, "", 10)
    pdf.multi_cell(width, 6, as_of, align="C", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.ln(4)
    if not rows:
        pdf.set_font(FONT, "", 11)
        pdf.multi_cell(width, 6, PUBLIC_TEXT[lang]["empty"], new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    else:
        pdf.set_font(FONT, "", 10)
        with pdf.table(
            col_widths=COLUMN_WIDTHS_CM,
            line_height=5.5,
            text_align="LEFT",
            headings_style=FontFace(emphasis="BOLD", fill_color=(235, 235, 235)),
            repeat_headings=1,
            padding=1.5,
        ) as table:
            for values in [headings, *rows]:
                row = table.row()
                for value in values:
                    row.cell(value)
    pdf.ln(4)
    pdf.set_font(FONT, "", 9)
    pdf.multi_cell(width, 5, PUBLIC_TEXT[lang]["note"], new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    return bytes(pdf.output())
