"""The printable notice: A4, DejaVu Sans (every Kazakh letter), the texts in kk and/or ru.

Pure function on plain data, like :mod:`docflow.registry.slips` (whose font lookup it reuses):
fpdf2 embeds a subset of the font with a ToUnicode map, so the text can be searched and extracted.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from fpdf import FPDF
from fpdf.enums import XPos, YPos

from docflow.core.pdf import FONT, new_pdf
from docflow.registry.slips import format_local

LABELS = {
    "kk": {
        "number": "Шығыс №",
        "date": "Күні",
        "to": "Кімге",
        "appeal": "Өтініш №",
    },
    "ru": {
        "number": "Исх. №",
        "date": "Дата",
        "to": "Кому",
        "appeal": "Обращение №",
    },
}


@dataclass
class NoticePrint:
    reg_number: str
    registered_at: dt.datetime  # aware; printed in Asia/Almaty time
    recipient: str
    item_number: str
    item_date: dt.date
    organisation: dict[str, str]  # {"kk": …, "ru": …}
    text_kk: str
    text_ru: str


def _pdf(data: NoticePrint, lang: str) -> FPDF:
    pdf = new_pdf("P", margins=(20, 15, 15))
    pdf.set_title(data.reg_number)
    pdf.set_subject(data.item_number)
    pdf.set_creator("docflow")
    pdf.set_lang("ru" if lang == "ru" else "kk")
    pdf.set_creation_date(data.registered_at)
    return pdf


def _line(pdf: FPDF, text: str, size: float = 10, bold: bool = False, align: str = "L") -> None:
    pdf.set_font(FONT, "B" if bold else "", size)
    pdf.multi_cell(pdf.epw, size * 0.5, text, align=align, new_x=XPos.LMARGIN, new_y=YPos.NEXT)


def render_notice_pdf(data: NoticePrint, lang: str = "both") -> bytes:
    """The notice as a PDF: ``lang`` kk, ru, or both (Kazakh first, then Russian)."""
    langs = [lang] if lang in ("kk", "ru") else ["kk", "ru"]
    pdf = _pdf(data, lang)
    pdf.add_page()
    for code in langs:
        name = data.organisation.get(code) or data.organisation.get("kk") or ""
        if name:
            _line(pdf, name, 12, bold=True, align="C")
    pdf.ln(4)
    date = format_local(data.registered_at, "%d.%m.%Y")
    item_date = data.item_date.strftime("%d.%m.%Y")

    def label(key: str) -> str:
        return " / ".join(LABELS[c][key] for c in langs)

    _line(pdf, f"{label('number')}: {data.reg_number}    {label('date')}: {date}", 10, bold=True)
    _line(pdf, f"{label('appeal')}: {data.item_number}, {item_date}", 10)
    _line(pdf, f"{label('to')}: {data.recipient}", 10)
    for i, code in enumerate(langs):
        pdf.ln(5)
        if i:
            y = pdf.get_y()
            pdf.set_draw_color(160)
            pdf.line(pdf.l_margin, y, pdf.l_margin + pdf.epw, y)
            pdf.ln(4)
        text = data.text_kk if code == "kk" else data.text_ru
        for paragraph in text.split("\n"):
            if paragraph.strip():
                _line(pdf, paragraph.strip(), 11, align="J")
            else:
                pdf.ln(2)
    return bytes(pdf.output())
