"""Rebuild the default minutes templates ``templates/minutes-{ru,kk}.docx``.

Run ``.venv/bin/python -m docflow.protocols.make_templates``. The templates are Word files with
Jinja tags for docxtpl (see :mod:`docflow.protocols.minutes_out` for the context); the office may
edit them in Word as long as each ``{{ … }}`` tag stays in one piece and the ``{%tr … %}`` rows
of the table stay. Keep the header words of the table: the minutes are read back by them.
"""

from __future__ import annotations

from pathlib import Path

from docx import Document
from docx.enum.section import WD_ORIENT
from docx.enum.table import WD_TABLE_ALIGNMENT
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.shared import Cm, Pt

TEMPLATES = Path(__file__).resolve().parent / "templates"

LAYOUT = {
    "ru": {
        "title": [
            ("ПРОТОКОЛ № {{ number }}", True),
            ("личного приема физических лиц и представителей юридических лиц", False),
        ],
        "date_line": "{{ place }}\t\t\t\t\t\t\t\t\t\t{{ date_text }}",
        "official": "Председательствующий: {{ official_position }} {{ official_short }}",
        "participants": "Присутствовали: {{ participants_text }}",
        "columns": [
            "№ п/п",
            "Ф.И.О. заявителя, ИИН/БИН, адрес",
            "Суть обращения",
            "Принятое решение (поручение)",
            "Исполнитель",
            "Срок исполнения",
        ],
    },
    "kk": {
        "title": [
            ("Жеке тұлғаларды және заңды тұлғалардың өкілдерін жеке қабылдаудың", False),
            ("ХАТТАМАСЫ № {{ number }}", True),
        ],
        "date_line": "{{ place }}\t\t\t\t\t\t\t\t\t\t{{ date_text }}",
        "official": "Төрағалық етті: {{ official_position }} {{ official_short }}",
        "participants": "Қатысқандар: {{ participants_text }}",
        "columns": [
            "Р/с №",
            "Арыз берушінің аты-жөні, ЖСН/БСН, мекенжайы",
            "Мәселенің мәні",
            "Қабылданған шешім (тапсырма)",
            "Орындаушы",
            "Орындау мерзімі",
        ],
    },
}
FIELDS = [
    "{{ v.no }}",
    "{{ v.applicant_text }}",
    "{{ v.question }}",
    "{{ v.decision }}",
    "{{ v.executors_text }}",
    "{{ v.term_text }}",
]
WIDTHS_CM = [1.2, 5.5, 5.0, 6.0, 5.0, 3.3]


def build(lang: str) -> Document:
    spec = LAYOUT[lang]
    doc = Document()
    section = doc.sections[0]
    section.orientation = WD_ORIENT.LANDSCAPE
    section.page_width, section.page_height = Cm(29.7), Cm(21.0)
    for side in ("left_margin", "right_margin"):
        setattr(section, side, Cm(2.0))
    section.top_margin = section.bottom_margin = Cm(1.5)
    normal = doc.styles["Normal"]
    normal.font.name = "Times New Roman"
    normal.font.size = Pt(12)

    for text, bold in spec["title"]:
        p = doc.add_paragraph()
        p.alignment = WD_ALIGN_PARAGRAPH.CENTER
        p.add_run(text).bold = bold
    doc.add_paragraph(spec["date_line"])
    doc.add_paragraph(spec["official"])
    doc.add_paragraph(spec["participants"])

    table = doc.add_table(rows=4, cols=len(spec["columns"]))
    table.style = "Table Grid"
    table.alignment = WD_TABLE_ALIGNMENT.CENTER
    for i, title in enumerate(spec["columns"]):
        cell = table.rows[0].cells[i]
        cell.paragraphs[0].add_run(title).bold = True
        cell.paragraphs[0].alignment = WD_ALIGN_PARAGRAPH.CENTER
    table.rows[1].cells[0].paragraphs[0].add_run("{%tr for v in visitors %}")
    for i, tag in enumerate(FIELDS):
        table.rows[2].cells[i].paragraphs[0].add_run(tag)
    table.rows[3].cells[0].paragraphs[0].add_run("{%tr endfor %}")
    for row in table.rows:
        for i, width in enumerate(WIDTHS_CM):
            row.cells[i].width = Cm(width)

    doc.add_paragraph()
    doc.add_paragraph("{{ official_position }}\t\t\t\t\t\t\t\t{{ official_signature }}")
    return doc


def main() -> None:
    TEMPLATES.mkdir(exist_ok=True)
    for lang in LAYOUT:
        path = TEMPLATES / f"minutes-{lang}.docx"
        build(lang).save(path)
        print(path)


if __name__ == "__main__":
    main()
