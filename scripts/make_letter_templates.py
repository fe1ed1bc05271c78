"""Rebuild the default letter templates ``docflow/outgoing/letter_templates/letter-{kind}-{lang}.docx``.

Run ``.venv/bin/python scripts/make_letter_templates.py`` (``--check``: exit 1 when a shipped
template differs from what this script makes). The output is deterministic — the same bytes on
every run (fixed document properties, fixed ZIP timestamps) — so the shipped files are reviewable.

The templates are ordinary Word files with ``{{ name }}`` placeholders
(:data:`docflow.outgoing.docx_templates.PLACEHOLDERS`); an office edits them in Word and uploads
its own on the letter templates page. Letterhead: the organisation's and the subdivision's names
in Kazakh (left) and Russian (right), a double rule; then the outgoing number and date, the
incoming reference, the addressee; the body; for a final answer the decision, its legal basis
and the right to complain (R-ANS-1); the signer; the executor; the QR code to the verification page.
"""

from __future__ import annotations

import argparse
import datetime as dt
import io
import sys
import zipfile
from pathlib import Path

from docx import Document
from docx.enum.table import WD_TABLE_ALIGNMENT
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Cm, Pt

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "docflow" / "outgoing" / "letter_templates"
KINDS = ("answer_final", "answer_interim", "notice")
LANGS = ("kk", "ru")
FONT = "Times New Roman"  # Liberation Serif (fonts-liberation2) on the server: same metrics
FIXED = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)

WORDS = {
    "kk": {
        "outgoing": "Шығыс № {{ reg_number }}, {{ reg_date }}",
        "incoming": "{{ incoming_date }} № {{ incoming_number }} өтінішке",
        "decision": "Шешім: {{ decision }}.",
        "basis": "Құқықтық негіздеме: {{ legal_basis }}",
        "executor": "Орынд.: {{ executor }}",
        "verify": "Құжаттың түпнұсқалығын тексеру үшін QR-кодты сканерлеңіз немесе мына мекенжайды ашыңыз: {{ verification_url }}",
        "title": "Хат үлгісі",
    },
    "ru": {
        "outgoing": "Исх. № {{ reg_number }} от {{ reg_date }}",
        "incoming": "На № {{ incoming_number }} от {{ incoming_date }}",
        "decision": "Решение: {{ decision }}.",
        "basis": "Правовое основание: {{ legal_basis }}",
        "executor": "Исп.: {{ executor }}",
        "verify": "Для проверки подлинности документа отсканируйте QR-код или откройте адрес: {{ verification_url }}",
        "title": "Шаблон письма",
    },
}


def _run(paragraph, text: str, *, bold: bool = False, size: float | None = None):
    run = paragraph.add_run(text)
    run.bold = bold or None
    if size:
        run.font.size = Pt(size)
    return run


def _para(container, text: str = "", *, bold=False, size=None, align=None, indent=None, after=0):
    p = container.add_paragraph()
    if text:
        _run(p, text, bold=bold, size=size)
    if align is not None:
        p.alignment = align
    fmt = p.paragraph_format
    fmt.space_after = Pt(after)
    fmt.space_before = Pt(0)
    if indent is not None:
        fmt.first_line_indent = Cm(indent)
    return p


def _table(doc, widths_cm: list[float]):
    table = doc.add_table(rows=1, cols=len(widths_cm))
    table.alignment = WD_TABLE_ALIGNMENT.CENTER
    table.autofit = False
    for cell, width in zip(table.rows[0].cells, widths_cm, strict=True):
        cell.width = Cm(width)
        cell.paragraphs[0]._p.getparent().remove(cell.paragraphs[0]._p)
    return table.rows[0].cells


def _double_rule(paragraph) -> None:
    ppr = paragraph._p.get_or_add_pPr()
    borders = OxmlElement("w:pBdr")
    bottom = OxmlElement("w:bottom")
    for key, value in (("val", "double"), ("sz", "6"), ("space", "1"), ("color", "000000")):
        bottom.set(qn(f"w:{key}"), value)
    borders.append(bottom)
    ppr.append(borders)


def build(kind: str, lang: str) -> Document:
    words = WORDS[lang]
    doc = Document()
    section = doc.sections[0]
    section.page_width, section.page_height = Cm(21.0), Cm(29.7)
    section.left_margin, section.right_margin = Cm(3.0), Cm(1.5)
    section.top_margin, section.bottom_margin = Cm(2.0), Cm(2.0)
    normal = doc.styles["Normal"]
    normal.font.name = FONT
    normal.font.size = Pt(14)
    normal.element.rPr.rFonts.set(qn("w:eastAsia"), FONT)
    props = doc.core_properties
    props.title, props.author, props.last_modified_by = words["title"], "docflow", "docflow"
    props.created = props.modified = FIXED
    props.revision = 1
    props.comments = kind

    kk, _emblem, ru = _table(doc, [7.0, 2.5, 7.0])
    for cell, lang_code in ((kk, "kk"), (ru, "ru")):
        _para(cell, f"{{{{ org_name_{lang_code} }}}}", bold=True, size=11, align=WD_ALIGN_PARAGRAPH.CENTER)  # fmt: skip
        _para(cell, f"{{{{ subdivision_name_{lang_code} }}}}", size=10, align=WD_ALIGN_PARAGRAPH.CENTER)  # fmt: skip
    _emblem.add_paragraph()
    _double_rule(_para(doc, "", size=6, after=6))

    refs, addressee = _table(doc, [8.0, 8.5])
    _para(refs, words["outgoing"], size=12)
    _para(refs, words["incoming"], size=12)
    _para(addressee, "{{ applicant }}", bold=True)
    _para(addressee, "{{ address }}", size=12)
    _para(doc, "", after=6)

    justify = WD_ALIGN_PARAGRAPH.JUSTIFY
    _para(doc, "{{ body }}", align=justify, indent=1.25)
    if kind == "answer_final":
        _para(doc, words["decision"], align=justify, indent=1.25).paragraph_format.space_before = Pt(6)  # fmt: skip
        _para(doc, words["basis"], align=justify, indent=1.25)
        _para(doc, "{{ complaint }}", align=justify, indent=1.25).paragraph_format.space_before = Pt(6)  # fmt: skip
    _para(doc, "", after=18)

    position, name = _table(doc, [9.0, 7.5])
    _para(position, "{{ signer_position }}", bold=True)
    _para(name, "{{ signer_name }}", bold=True, align=WD_ALIGN_PARAGRAPH.RIGHT)
    _para(doc, "", after=18)
    _para(doc, words["executor"], size=9)

    qr, caption = _table(doc, [3.0, 13.5])
    _para(qr, "{{ qr }}")
    _para(caption, words["verify"], size=8)
    return doc


def _deterministic(docx: bytes) -> bytes:
    """The same package with fixed entry times and attributes (byte-for-byte reproducible)."""
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(docx)) as src, zipfile.ZipFile(out, "w") as dst:
        for info in src.infolist():
            entry = zipfile.ZipInfo(info.filename, date_time=(1980, 1, 1, 0, 0, 0))
            entry.compress_type = zipfile.ZIP_DEFLATED
            entry.external_attr = 0o644 << 16
            dst.writestr(entry, src.read(info.filename))
    return out.getvalue()


def render(kind: str, lang: str) -> bytes:
    buf = io.BytesIO()
    build(kind, lang).save(buf)
    return _deterministic(buf.getvalue())


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="only compare with the shipped files")
    args = parser.parse_args(argv)
    OUT.mkdir(parents=True, exist_ok=True)
    stale = []
    for kind in KINDS:
        for lang in LANGS:
            path = OUT / f"letter-{kind}-{lang}.docx"
            data = render(kind, lang)
            if args.check:
                if not path.exists() or path.read_bytes() != data:
                    stale.append(path.name)
                continue
            path.write_bytes(data)
            print(f"wrote {path.relative_to(ROOT)}")
    if stale:
        print("out of date: " + ", ".join(stale), file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
