"""Periodic analytical reports (R-AUDIT-2, R-ANS-3): DOCX and PDF, in Kazakh or Russian.

* ``quarterly_petitions`` — the quarterly analysis of petitions (seed 000 p.5(20));
* ``half_year_note`` — the half-year analytical note on appeals: volumes, timeliness, topics,
  districts, emerging problems (p.5(14), (15));
* ``weekly_ratings`` — the weekly analysis of applicants' ratings of answers for the akim's
  office meetings (R-ANS-3, p.5(36)): ratings given in the week, by subdivision, low ones listed;
* ``receptions_meetings`` — the separate accounting of questions raised at personal receptions and
  at officials' reporting meetings with the population (p.5(40); seed 002 p.7).

A report is built once as a :class:`Report` (title, sections of paragraphs, tables and bar
charts) in the chosen language and then written as DOCX (python-docx) or PDF (fpdf2, DejaVu Sans
for the Kazakh letters); the charts are PNG images drawn with Pillow, the same in both. The
report's texts are fixed kk/ru wording, whatever the reader's interface language.
"""

from __future__ import annotations

import datetime as dt
import io
from dataclasses import dataclass, field
from typing import Any

from PIL import Image, ImageDraw, ImageFont

from docflow.analytics import queries as q
from docflow.analytics.problems import find_problems
from docflow.analytics.report_texts import (
    FORMATS,
    KIND_NAMES,
    KINDS,
    LANGUAGES,
    TEXT,
    label_dimension,
)
from docflow.core.pdf import FONT, find_font, new_pdf


@dataclass
class Table:
    header: list[str]
    rows: list[list[Any]]


@dataclass
class Chart:
    title: str
    bars: list[tuple[str, float]]


@dataclass
class Section:
    heading: str
    parts: list[str | Table | Chart] = field(default_factory=list)


@dataclass
class Report:
    kind: str
    language: str
    title: str
    period: str
    organisation: str
    sections: list[Section]


def _fmt(day: dt.date) -> str:
    return day.strftime("%d.%m.%Y")


def _organisation(language: str) -> str:
    from sqlalchemy import select

    from docflow.extensions import db
    from docflow.org.models import Organisation

    org = db.session.scalar(select(Organisation).limit(1))
    if org is None:
        return ""
    return (org.names or {}).get(language) or (org.names or {}).get("ru") or ""


def _breakdown_section(filters, dimension: str, language: str, heading: str) -> Section:
    t = TEXT[language]
    rows = q.breakdown(filters, dimension)
    table = Table(
        [t["value"], t["cases"], t["on_time"], t["late"]],
        [
            [label_dimension(dimension, r["value"], language), r["n"], r["on_time"], r["late"]]
            for r in rows
        ],
    )
    chart = Chart(
        heading, [(label_dimension(dimension, r["value"], language), r["n"]) for r in rows[:12]]
    )
    return Section(heading, [chart, table] if rows else [t["none"]])


def _totals_section(filters, language: str) -> Section:
    t = TEXT[language]
    figures = q.totals(filters)
    return Section(
        t["totals"],
        [
            Table(
                [t["indicator"], t["value"]],
                [
                    [t["cases"], figures["total"]],
                    [t["on_time"], figures["on_time"]],
                    [t["late"], figures["late"]],
                    [t["open"], figures["open"]],
                    [t["overdue"], figures["overdue"]],
                    [t["extended"], figures["extended"]],
                    [t["repeat"], f"{figures['repeat']} ({figures['repeat_rate'] * 100:.1f} %)"],
                    [t["rating_mean"], figures["rating_mean"] if figures["rating_mean"] else "—"],
                    [t["from_reception"], figures["from_reception"]],
                    [t["from_meeting"], figures["from_meeting"]],
                ],
            )
        ],
    )


def _problems_section(filters, language: str) -> Section:
    t = TEXT[language]
    problems = find_problems(filters.date_from, filters.date_to)
    if not problems:
        return Section(t["problems"], [t["no_problems"]])
    return Section(
        t["problems"],
        [
            t["problems_how"],
            Table(
                [t["district"], t["topic"], t["cases"], t["usually"], t["period"], t["numbers"]],
                [
                    [
                        label_dimension("district", p.district, language),
                        label_dimension("topic", p.topic_code, language)
                        if p.topic_code
                        else p.topic,
                        p.count,
                        f"{p.expected:.1f}",
                        f"{_fmt(p.first)} – {_fmt(p.last)}",
                        ", ".join(p.reg_numbers[:12]) + (" …" if len(p.reg_numbers) > 12 else ""),
                    ]
                    for p in problems
                ],
            ),
        ],
    )


def _cases_table(filters, language: str, limit: int = 300, **cell) -> Table:
    t = TEXT[language]
    _total, rows = q.cases(filters, limit=limit, **cell)
    return Table(
        [t["number"], t["date"], t["subdivision"], t["topic"], t["summary"]],
        [
            [
                item.reg_number,
                _fmt(fact.day),
                label_dimension("subdivision", fact.subdivision, language),
                label_dimension("topic", fact.topic, language),
                (item.summary or "")[:160],
            ]
            for fact, item in rows
        ],
    )


def build(kind: str, date_from: dt.date, date_to: dt.date, language: str) -> Report:
    if kind not in KINDS or language not in LANGUAGES:
        raise ValueError(kind)
    t = TEXT[language]
    base = q.Filters(date_from, date_to)
    sections: list[Section] = []
    if kind == "quarterly_petitions":
        petitions = q.Filters(date_from, date_to, kinds=["petition"])
        sections = [
            _totals_section(petitions, language),
            _breakdown_section(petitions, "subdivision", language, t["by_subdivision"]),
            _breakdown_section(petitions, "topic", language, t["by_topic"]),
            Section(t["list"], [_cases_table(petitions, language)]),
        ]
    elif kind == "half_year_note":
        sections = [
            _totals_section(base, language),
            _breakdown_section(base, "kind", language, t["by_kind"]),
            _breakdown_section(base, "channel", language, t["by_channel"]),
            _breakdown_section(base, "subdivision", language, t["by_subdivision"]),
            _breakdown_section(base, "district", language, t["by_district"]),
            _breakdown_section(base, "topic", language, t["by_topic"]),
            _problems_section(base, language),
        ]
    elif kind == "weekly_ratings":
        from docflow.analytics.ratings import ratings_given

        sections = _ratings_sections(ratings_given(date_from, date_to), language)
    elif kind == "receptions_meetings":
        for flag, heading in (("from_reception", t["receptions"]), ("from_meeting", t["meetings"])):
            total, _rows = q.cases(base, limit=1, **{flag: True})
            section = Section(heading, [f"{t['cases']}: {total}"])
            if total:
                section.parts.append(_cases_table(base, language, **{flag: True}))
            sections.append(section)
    return Report(
        kind,
        language,
        KIND_NAMES[kind][language],
        f"{_fmt(date_from)} – {_fmt(date_to)}",
        _organisation(language),
        sections,
    )


def _ratings_sections(given: list[dict[str, Any]], language: str) -> list[Section]:
    t = TEXT[language]
    if not given:
        return [Section(t["ratings"], [t["no_ratings"]])]
    per: dict[str | None, list[int]] = {}
    for r in given:
        per.setdefault(r["subdivision"], []).append(r["score"])
    rows = sorted(per.items(), key=lambda kv: (sum(kv[1]) / len(kv[1]), kv[0] or ""))
    table = Table(
        [t["subdivision"], t["rated"], t["rating_mean"], "1", "2", "3", "4", "5"],
        [
            [
                label_dimension("subdivision", code, language),
                len(scores),
                f"{sum(scores) / len(scores):.2f}",
                *[scores.count(s) for s in range(1, 6)],
            ]
            for code, scores in rows
        ],
    )
    chart = Chart(
        t["rating_mean"],
        [(label_dimension("subdivision", c, language), round(sum(s) / len(s), 2)) for c, s in rows],
    )
    low = [r for r in given if r["score"] <= 2]
    low_table = Table(
        [t["number"], t["subdivision"], t["rating"], t["date"]],
        [
            [
                r["reg_number"],
                label_dimension("subdivision", r["subdivision"], language),
                r["score"],
                _fmt(r["on"]),
            ]
            for r in low
        ],
    )
    mean = sum(r["score"] for r in given) / len(given)
    return [
        Section(
            t["ratings"],
            [f"{t['rated']}: {len(given)}; {t['rating_mean']}: {mean:.2f}", chart, table],
        ),
        Section(t["low_ratings"], [low_table] if low else [t["none"]]),
    ]


# --- writing ---------------------------------------------------------------------------------


def chart_png(chart: Chart, width: int = 1400) -> bytes:
    font = ImageFont.truetype(str(find_font(False)), 22)
    row, label_w = 40, 520
    height = max(1, len(chart.bars)) * row + 70
    image = Image.new("RGB", (width, height), "white")
    draw = ImageDraw.Draw(image)
    draw.text((10, 10), chart.title, fill="#0f172a", font=font)
    top = max((v for _l, v in chart.bars), default=0) or 1
    for n, (label, value) in enumerate(chart.bars):
        y = 55 + n * row
        text = label if len(label) <= 40 else label[:39] + "…"
        draw.text(
            (label_w - 10 - draw.textlength(text, font=font), y + 6),
            text,
            fill="#0f172a",
            font=font,
        )
        w = (width - label_w - 120) * value / top
        draw.rectangle([label_w, y + 4, label_w + max(w, 2), y + row - 6], fill="#1f5fa8")
        draw.text((label_w + w + 8, y + 6), f"{value:g}", fill="#0f172a", font=font)
    out = io.BytesIO()
    image.save(out, format="PNG")
    return out.getvalue()


def to_docx(report: Report) -> bytes:
    from docx import Document
    from docx.shared import Cm, Pt

    doc = Document()
    style = doc.styles["Normal"]
    style.font.name = "Times New Roman"
    style.font.size = Pt(12)
    if report.organisation:
        doc.add_paragraph(report.organisation)
    doc.add_heading(report.title, level=1)
    doc.add_paragraph(report.period)
    for section in report.sections:
        doc.add_heading(section.heading, level=2)
        for part in section.parts:
            if isinstance(part, str):
                doc.add_paragraph(part)
            elif isinstance(part, Chart):
                if part.bars:
                    doc.add_picture(io.BytesIO(chart_png(part)), width=Cm(16))
            else:
                table = doc.add_table(rows=1, cols=len(part.header))
                table.style = "Table Grid"
                for cell, text in zip(table.rows[0].cells, part.header, strict=True):
                    cell.text = str(text)
                for values in part.rows:
                    cells = table.add_row().cells
                    for cell, value in zip(cells, values, strict=True):
                        cell.text = str(value)
    out = io.BytesIO()
    doc.save(out)
    return out.getvalue()


def to_pdf(report: Report) -> bytes:
    pdf = new_pdf()
    pdf.add_page()
    pdf.set_font(FONT, "", 10)
    if report.organisation:
        pdf.multi_cell(0, 5, report.organisation, new_x="LMARGIN", new_y="NEXT")
    pdf.set_font(FONT, "B", 14)
    pdf.multi_cell(0, 8, report.title, new_x="LMARGIN", new_y="NEXT")
    pdf.set_font(FONT, "", 10)
    pdf.multi_cell(0, 6, report.period, new_x="LMARGIN", new_y="NEXT")
    for section in report.sections:
        pdf.ln(3)
        pdf.set_font(FONT, "B", 12)
        pdf.multi_cell(0, 7, section.heading, new_x="LMARGIN", new_y="NEXT")
        pdf.set_font(FONT, "", 9)
        for part in section.parts:
            if isinstance(part, str):
                pdf.multi_cell(0, 5, part, new_x="LMARGIN", new_y="NEXT")
            elif isinstance(part, Chart):
                if part.bars:
                    pdf.image(io.BytesIO(chart_png(part)), w=170)
            else:
                with pdf.table(text_align="LEFT", line_height=5) as table:
                    header = table.row()
                    for text in part.header:
                        header.cell(str(text))
                    for values in part.rows:
                        row = table.row()
                        for value in values:
                            row.cell(str(value))
    return bytes(pdf.output())


def render(kind: str, date_from: dt.date, date_to: dt.date, language: str, fmt: str) -> bytes:
    if fmt not in FORMATS:
        raise ValueError(fmt)
    report = build(kind, date_from, date_to, language)
    return to_docx(report) if fmt == "docx" else to_pdf(report)
