"""The printed card of an item with the head's resolution (резолюция / бұрыштама), A5.

Pure function on plain data, like the receipt slip (:mod:`docflow.registry.slips`): DejaVu Sans
embedded with a ToUnicode map, so every Kazakh letter prints and the text can be extracted.
Labels in Kazakh and Russian, as on the office's other paper.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from fpdf.enums import XPos, YPos

from docflow.core.pdf import FONT, new_pdf
from docflow.registry.slips import format_local

A5 = (148.0, 210.0)
_MAX_CHARS = 600


@dataclass
class ResolutionCard:
    organisation: dict[str, str]  # {"kk": …, "ru": …}
    reg_number: str
    registered_on: dt.date
    due_date: dt.date | None
    summary: str
    instruction: str | None
    term: dt.date | None
    executors: list[str]  # the first is responsible (R-ROUTE-3)
    given_by: str
    given_at: dt.datetime  # aware; printed in Asia/Almaty time
    earlier: list[str] = field(default_factory=list)  # earlier resolutions, one line each


def _clip(text: str | None, limit: int = _MAX_CHARS) -> str:
    text = " ".join((text or "").split())
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def _d(value: dt.date | None) -> str:
    return value.strftime("%d.%m.%Y") if value else "—"


def render_resolution_card(card: ResolutionCard) -> bytes:
    """One A5 page: the item, the executors, the instruction, the term, who gave it and when."""
    pdf = new_pdf("P", format=A5)
    pdf.set_margins(12, 12, 12)
    pdf.set_auto_page_break(True, 12)
    pdf.set_title(f"Бұрыштама / Резолюция {card.reg_number}")
    pdf.set_subject(card.reg_number)
    pdf.set_creator("docflow")
    pdf.set_lang("kk")
    pdf.set_creation_date(card.given_at)
    pdf.add_page()
    w = pdf.epw

    def line(text: str, size: float = 9.5, bold: bool = False, gray: int = 0, align="L"):
        pdf.set_font(FONT, "B" if bold else "", size)
        pdf.set_text_color(gray)
        pdf.multi_cell(w, size * 0.48, text, align=align, new_x=XPos.LMARGIN, new_y=YPos.NEXT)

    def row(kk: str, ru: str, value: str, bold: bool = False):
        line(f"{kk} / {ru}", 7.5, gray=90)
        line(value or "—", 10, bold=bold)
        pdf.ln(1.2)

    org = card.organisation or {}
    line(_clip(org.get("kk"), 200), 10, bold=True, align="C")
    line(_clip(org.get("ru"), 200), 9, align="C")
    pdf.ln(2)
    line("БҰРЫШТАМА\nРЕЗОЛЮЦИЯ", 13, bold=True, align="C")
    pdf.ln(3)
    row("Тіркеу нөмірі", "Регистрационный номер", card.reg_number, bold=True)
    row("Тіркелген күні", "Дата регистрации", _d(card.registered_on))
    row("Жауап беру мерзімі", "Срок ответа", _d(card.due_date))
    row("Қысқаша мазмұны", "Краткое содержание", _clip(card.summary))
    executors = [f"{n} (жауапты / ответственный)" if i == 0 else n for i, n in enumerate(card.executors)]  # fmt: skip
    row("Орындаушылар", "Исполнители", "\n".join(executors), bold=True)
    row("Тапсырма", "Поручение", _clip(card.instruction), bold=True)
    row("Орындаушылардың мерзімі", "Срок исполнителям", _d(card.term), bold=True)
    row("Бұрыштама берген", "Резолюцию дал", _clip(card.given_by, 200))
    row("Күні", "Дата", format_local(card.given_at))
    line("Қолы / Подпись: ______________________", 9.5)
    if card.earlier:
        pdf.ln(3)
        line("Бұрынғы бұрыштамалар / Прежние резолюции", 7.5, gray=90)
        for text in card.earlier:
            line(_clip(text, 300), 8)
    return bytes(pdf.output())
