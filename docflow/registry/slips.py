"""Receipt slips (талон) and registration labels with a QR code of the registration number.

The applicant gets a receipt slip with the registration number, the date and time of acceptance
and the name and position of who accepted the item (АППК art. 64(2)); a paper document gets a
registration label with a QR code of the number, stuck on its first page, which
:mod:`docflow.registry.batch` finds again in the clerk's scans.

Pure functions on plain data (no Flask). PDFs are made with ``fpdf2`` and embed DejaVu Sans
(Debian ``fonts-dejavu-core``), which has every Kazakh letter; fpdf2 embeds a subset of the font
with a ToUnicode map, so the text of the slip can be searched and extracted. The QR code holds
the registration number itself as UTF-8 (byte mode), so any phone reader shows the number.
"""

from __future__ import annotations

import io
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, NamedTuple
from zoneinfo import ZoneInfo

import segno
from fpdf import FPDF
from fpdf.enums import XPos, YPos

from docflow.core.pdf import FONT, FontNotFoundError, find_font, new_pdf

__all__ = [
    "ALMATY",
    "FontNotFoundError",
    "SlipData",
    "find_font",
    "format_local",
    "qr_matrix",
    "qr_payload",
    "qr_png",
    "render_receipt_slip",
    "render_stamp_label",
]

ALMATY = ZoneInfo("Asia/Almaty")
QR_ERROR = "m"  # ~15 % of the symbol may be damaged (a stamp or a staple across the label)
A5 = (148.0, 210.0)  # mm; a tuple, not "A5", whose fpdf2 size changed in 2.8.5 (and warns)

# Longest text printed per field: beyond that the slip could not stay on one page.
_MAX_CHARS = 300


@dataclass
class SlipData:
    """What a receipt slip and a registration label show (one registered item)."""

    reg_number: str
    registered_at: datetime  # timezone-aware; shown in Asia/Almaty time
    kind: dict[str, str]  # {"kk": ..., "ru": ...}
    channel: dict[str, str]  # {"kk": ..., "ru": ...}
    applicant: str
    accepted_by: str
    accepted_by_position: str | None
    organisation: dict[str, str]  # {"kk": ..., "ru": ...}; "short" (optional) for labels
    due_date: date | None = None
    pages: int | None = None
    item_url: str | None = None  # the public status page's address (with the number)
    status_code: str | None = None  # the code that opens it with the number (printed ABCD-EFGH)
    qr_url: str | None = None  # what the slip's QR opens; None: the QR holds the number


def _new_pdf(format: str | tuple[float, float], title: str, data: SlipData) -> FPDF:
    pdf = new_pdf("P", format=format)
    pdf.set_auto_page_break(False)
    pdf.c_margin = 0  # text starts exactly where it is placed; widths below are exact
    pdf.set_title(title)
    pdf.set_subject(data.reg_number)
    pdf.set_creator("docflow")
    pdf.set_lang("kk")
    pdf.set_creation_date(data.registered_at)
    return pdf


def _output(pdf: FPDF) -> bytes:
    return bytes(pdf.output())


# --- QR --------------------------------------------------------------------------------------


def qr_payload(reg_number: str) -> str:
    """What the QR code of a registered item holds: the registration number itself."""
    payload = reg_number.strip()
    if not payload or any(ch in payload for ch in "\r\n\t"):
        raise ValueError(f"not a registration number: {reg_number!r}")
    return payload


def _qr(payload: str) -> segno.QRCode:
    # Byte mode in UTF-8 for anything non-ASCII: segno would otherwise put pure Cyrillic text
    # in Kanji mode (Shift JIS has Cyrillic letters), which phone readers show as garbage.
    mode = None if payload.isascii() else "byte"
    return segno.make(payload, error=QR_ERROR, mode=mode, encoding="utf-8", micro=False)


def qr_png(payload: str, box: int = 4) -> bytes:
    """A PNG of the QR code of ``payload``: ``box`` pixels per module, 4-module quiet zone."""
    if box < 1:
        raise ValueError("box must be at least 1 pixel")
    buf = io.BytesIO()
    _qr(payload).save(buf, kind="png", scale=box, border=4)
    return buf.getvalue()


def qr_matrix(payload: str) -> list[list[bool]]:
    """The modules of the QR code of ``payload`` (True = dark), without quiet zone."""
    return [[bool(cell) for cell in row] for row in _qr(payload).matrix]


def _dark_runs(matrix: list[list[bool]]) -> Iterator[tuple[int, int, int]]:
    """(row, first column, length) of each horizontal run of dark modules."""
    for r, row in enumerate(matrix):
        c = 0
        while c < len(row):
            if row[c]:
                start = c
                while c < len(row) and row[c]:
                    c += 1
                yield r, start, c - start
            else:
                c += 1


def _draw_qr(pdf: FPDF, payload: str, x: float, y: float, size: float, border: int = 4) -> None:
    """Draw the QR code as vector rectangles in a ``size`` square (quiet zone included)."""
    matrix = qr_matrix(payload)
    module = size / (len(matrix) + 2 * border)
    pdf.set_fill_color(255)
    pdf.rect(x, y, size, size, style="F")
    pdf.set_fill_color(0)
    ox, oy = x + border * module, y + border * module
    for r, c, n in _dark_runs(matrix):
        pdf.rect(ox + c * module, oy + r * module, n * module, module, style="F")


# --- text helpers ----------------------------------------------------------------------------


def format_local(moment: datetime, fmt: str = "%d.%m.%Y %H:%M") -> str:
    """``moment`` in Asia/Almaty time; naive datetimes are refused (their zone is unknown)."""
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValueError("registered_at must be timezone-aware")
    return moment.astimezone(ALMATY).strftime(fmt)


def _utc_offset(moment: datetime) -> str:
    offset = moment.astimezone(ALMATY).utcoffset()
    minutes = int(offset.total_seconds() // 60) if offset else 0
    sign = "+" if minutes >= 0 else "-"
    return f"UTC{sign}{abs(minutes) // 60:02d}:{abs(minutes) % 60:02d}"


def _clip(text: str | None, limit: int = _MAX_CHARS) -> str:
    text = " ".join((text or "").split())
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def _bilingual(names: dict[str, str] | None) -> str:
    """Kazakh and Russian on two lines; once when they are the same or only one is known."""
    names = names or {}
    kk, ru = _clip(names.get("kk")), _clip(names.get("ru"))
    if kk and ru and kk != ru:
        return f"{kk}\n{ru}"
    return kk or ru or _clip(next(iter(names.values()), ""))


def _printed_code(code: str) -> str:
    # two groups of four: read out and typed without losing one's place
    half = len(code) // 2
    return f"{code[:half]}-{code[half:]}" if len(code) >= 8 else code


def _date(value: date) -> str:
    return value.strftime("%d.%m.%Y")


# --- receipt slip ----------------------------------------------------------------------------


class _Row(NamedTuple):
    kk: str
    ru: str
    value: str
    style: str = ""  # "" plain, "B" bold, "number" the registration number, "sign" a blank


def _receipt_rows(data: SlipData) -> list[_Row]:
    when = f"{format_local(data.registered_at)} ({_utc_offset(data.registered_at)})"
    rows = [
        _Row("Тіркеу нөмірі", "Регистрационный номер", data.reg_number, "number"),
        _Row("Қабылданған күні мен уақыты", "Дата и время принятия", when),
        _Row("Құжат түрі", "Вид документа", _bilingual(data.kind)),
        _Row("Түсу арнасы", "Способ поступления", _bilingual(data.channel)),
        _Row("Өтініш беруші", "Заявитель", _clip(data.applicant), "B"),
    ]
    if data.pages is not None:
        rows.append(_Row("Парақтар саны", "Количество листов", str(data.pages)))
    if data.due_date is not None:
        rows.append(_Row("Жауап беру мерзімі", "Срок ответа", _date(data.due_date), "B"))
    accepted = _clip(data.accepted_by)
    if data.accepted_by_position:
        accepted = f"{accepted}\n{_clip(data.accepted_by_position)}"
    rows.append(_Row("Қабылдаған", "Принял", accepted))
    rows.append(_Row("Қолы", "Подпись", "", "sign"))
    return rows


class _Receipt:
    """Lays the receipt out at a font ``scale``; with ``draw`` False it only measures."""

    margin = 12.0
    qr_size = 32.0
    footer_h = 9.0
    label_w = 46.0

    def __init__(self, pdf: FPDF, data: SlipData) -> None:
        self.pdf = pdf
        self.data = data
        self.rows = _receipt_rows(data)
        self.width = pdf.w - 2 * self.margin
        self.bottom = pdf.h - self.margin
        self.qr_top = self.bottom - self.footer_h - self.qr_size
        self.scale = 1.0
        self.draw = False

    def font(self, size: float, bold: bool = False, gray: int = 0) -> float:
        """Set the font; returns its line height in mm."""
        self.pdf.set_font(FONT, "B" if bold else "", size * self.scale)
        self.pdf.set_text_color(gray)
        return size * self.scale * 0.45

    def text(self, x: float, y: float, w: float, h: float, text: str, **kw: Any) -> float:
        """Write ``text`` wrapped in width ``w`` at (x, y); returns the y below it."""
        kw.setdefault("align", "L")
        if not self.draw:
            kw.pop("link", None)
            return y + self.pdf.multi_cell(w, h, text, dry_run=True, output="HEIGHT", **kw)
        self.pdf.set_xy(x, y)
        self.pdf.multi_cell(w, h, text, new_x=XPos.LEFT, new_y=YPos.NEXT, **kw)
        return self.pdf.get_y()

    def line(self, y: float, gray: int = 0, width: float = 0.15) -> None:
        if self.draw:
            self.pdf.set_draw_color(gray)
            self.pdf.set_line_width(width)
            self.pdf.line(self.margin, y, self.margin + self.width, y)

    def layout(self, scale: float, draw: bool) -> bool:
        """Lay out (or only measure) the slip; whether it fits on the page."""
        self.scale, self.draw = scale, draw
        m, w = self.margin, self.width
        org = self.data.organisation or {}
        y = self.text(m, m, w, self.font(10, bold=True), _clip(org.get("kk")), align="C")
        y = self.text(m, y, w, self.font(9), _clip(org.get("ru")), align="C")
        y += 1.5
        self.line(y, width=0.3)
        y += 2.5
        y = self.text(m, y, w, self.font(13, bold=True), "ТАЛОН", align="C")
        subtitle = "құжаттың (өтініштің) қабылданғаны туралы\nо приёме документа (обращения)"
        y = self.text(m, y, w, self.font(8.5, gray=60), subtitle, align="C")
        y += 3
        for row in self.rows:
            label = f"{row.kk}\n{row.ru}"
            y1 = self.text(m, y, self.label_w - 2, self.font(7.5, gray=90), label)
            big = row.style == "number"
            lh = self.font(13 if big else 10, bold=big or row.style == "B")
            y2 = self.text(m + self.label_w, y + 0.3, w - self.label_w, lh, row.value)
            y = max(y1, y2, y + (8 if row.style == "sign" else 0)) + 1.2
            self.line(y, gray=190)
            y += 1.5
        if y > self.qr_top - 4:
            return False
        self.scale = 1.0  # the QR block and the footer have their own space: never shrunk
        return self.qr_block() <= self.bottom - self.footer_h

    def qr_block(self) -> float:
        """The QR code of the number with the status link beside it; returns its bottom."""
        m, top, size = self.margin, self.qr_top, self.qr_size
        if self.draw:
            _draw_qr(self.pdf, self.data.qr_url or qr_payload(self.data.reg_number), m, top, size)
        x = m + size + 4
        w = self.width - size - 4
        if self.data.qr_url:  # the QR opens the status page: one caption for both
            caption = "Өтініштің жай-күйін тексеру\nПроверка статуса обращения"
        else:
            caption = "Тіркеу нөмірінің QR-коды\nQR-код регистрационного номера"
        y = self.text(x, top + (1 if self.data.qr_url else 4), w, self.font(7.5, gray=90), caption)
        y = self.text(x, y, w, self.font(11, bold=True), self.data.reg_number)
        if self.data.item_url:
            if not self.data.qr_url:
                status = "Өтініштің жай-күйі / Статус обращения:"
                y = self.text(x, y + 1.5, w, self.font(7.5, gray=90), status)
            url = _clip(self.data.item_url, 120)
            lh = self.font(7.5)
            y = self.text(x, y, w, lh, url, wrapmode="CHAR", link=self.data.item_url)
        if self.data.status_code:
            y = self.text(x, y + 1, w, self.font(7.5, gray=90), "Тексеру коды / Код проверки:")
            y = self.text(x, y, w, self.font(11, bold=True), _printed_code(self.data.status_code))
        legal = (
            "ҚР Әкімшілік рәсімдік-процестік кодексінің 64-бабының 2-бөлігіне сәйкес берілді.\n"
            "Выдан в соответствии с частью 2 статьи 64 АППК РК."
        )
        footer_y = self.bottom - self.footer_h + 2
        self.text(m, footer_y, self.width, self.font(6.5, gray=110), legal, align="C")
        return max(y, top + size)


def render_receipt_slip(data: SlipData) -> bytes:
    """The applicant's receipt slip: a one-page A5 PDF, Kazakh and Russian labels.

    Long names shrink the type (down to 60 %) so that the slip always stays on one page;
    every field is cut at 300 characters.
    """
    qr_payload(data.reg_number)
    format_local(data.registered_at)  # refuses a naive datetime before any layout work
    pdf = _new_pdf(A5, f"Талон {data.reg_number}", data)
    pdf.set_margins(_Receipt.margin, _Receipt.margin, _Receipt.margin)
    pdf.add_page()
    receipt = _Receipt(pdf, data)
    scales = (1.0, 0.9, 0.8, 0.7, 0.6)
    scale = next((s for s in scales if receipt.layout(s, draw=False)), scales[-1])
    receipt.layout(scale, draw=True)
    return _output(pdf)


# --- registration label ----------------------------------------------------------------------

LABEL_SIZE = (70.0, 40.0)  # mm, width × height


def _fit_size(pdf: FPDF, text: str, width: float, start: float, smallest: float) -> float:
    size = start
    while size > smallest:
        pdf.set_font(FONT, "B", size)
        if pdf.get_string_width(text) <= width:
            return size
        size -= 0.25
    return smallest


def _fit_lines(
    pdf: FPDF, text: str, width: float, max_lines: int, start: float, smallest: float
) -> tuple[float, list[str]]:
    """The largest font size ≤ ``start`` at which ``text`` wraps to ≤ ``max_lines`` lines."""
    size = start
    while True:
        pdf.set_font(FONT, "", size)
        lines = pdf.multi_cell(width, 1, text, dry_run=True, output="LINES", align="L")
        if len(lines) <= max_lines or size <= smallest:
            if len(lines) > max_lines:
                lines = lines[:max_lines]
                lines[-1] = lines[-1].rstrip()[:-1] + "…"
            return size, lines
        size -= 0.25


def render_stamp_label(data: SlipData) -> bytes:
    """A 70×40 mm registration label: organisation, number, date and time, QR of the number."""
    payload = qr_payload(data.reg_number)
    when = format_local(data.registered_at)
    pdf = _new_pdf(LABEL_SIZE, f"Тіркеу белгісі {data.reg_number}", data)
    margin = 2.0
    pdf.set_margins(margin, margin, margin)
    pdf.add_page()
    height = LABEL_SIZE[1]
    qr_size = height - 2 * margin
    _draw_qr(pdf, payload, margin, margin, qr_size, border=2)

    x = margin + qr_size + 1.5
    width = LABEL_SIZE[0] - x - margin
    org = data.organisation or {}
    org_name = _clip(org.get("short") or org.get("kk") or org.get("ru"), 160)
    pdf.set_text_color(0)
    y = margin + 1
    if org_name:
        size, lines = _fit_lines(pdf, org_name, width, 3, 6.5, 4.5)
        pdf.set_font(FONT, "", size)
        lh = size * 0.42
        for line in lines:
            pdf.set_xy(x, y)
            pdf.cell(width, lh, line, align="L")
            y += lh
        y += 1.2
    pdf.set_draw_color(0)
    pdf.set_line_width(0.2)
    pdf.line(x, y, x + width, y)
    y += 1.2

    pdf.set_font(FONT, "", 5)
    pdf.set_text_color(70)
    pdf.set_xy(x, y)
    pdf.cell(width, 2.2, "Тіркеу нөмірі / Рег. №", align="L")
    y += 2.4
    pdf.set_text_color(0)
    size = _fit_size(pdf, data.reg_number, width, 10, 5.5)
    pdf.set_font(FONT, "B", size)
    pdf.set_xy(x, y)
    pdf.multi_cell(width, size * 0.42, data.reg_number, align="L", new_x=XPos.LEFT)
    y = pdf.get_y() + 1

    pdf.set_font(FONT, "", 5)
    pdf.set_text_color(70)
    pdf.set_xy(x, y)
    pdf.cell(width, 2.2, "Күні / Дата", align="L")
    y += 2.4
    pdf.set_font(FONT, "B", 7.5)
    pdf.set_text_color(0)
    pdf.set_xy(x, y)
    pdf.cell(width, 3.2, when, align="L")
    y += 3.8

    extra = []
    if data.pages is not None:
        extra.append(f"Парақ / Листов: {data.pages}")
    if data.due_date is not None:
        extra.append(f"Мерзімі / Срок: {_date(data.due_date)}")
    pdf.set_font(FONT, "", 5.5)
    for line in extra:
        if y + 2.6 > height - margin:
            break
        pdf.set_xy(x, y)
        pdf.cell(width, 2.6, line, align="L")
        y += 2.8
    return _output(pdf)
