"""DOCX minutes built with python-docx for the tests and the benchmark (nothing big committed).

``decisions_ru()`` is the third sample, «СЛУШАЛИ / ПОСТАНОВИЛИ» with sub-items; it is also kept
as ``data/minutes-ru-decisions.docx`` (rebuild: ``python -m tests.protocols.minutes_builders``).
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from pathlib import Path

from docx import Document
from docx.oxml import OxmlElement
from docx.oxml.ns import qn

DATA = Path(__file__).parent / "data"
Block = (
    str | tuple[str, int] | Sequence[Sequence[str]]
)  # paragraph | (auto-numbered, numId) | table


def docx_bytes(blocks: Sequence[Block]) -> bytes:
    """A DOCX of paragraphs (str), auto-numbered paragraphs ((text, numId)) and tables (rows)."""
    doc = Document()
    for block in blocks:
        if isinstance(block, str):
            doc.add_paragraph(block)
        elif isinstance(block, tuple):
            text, num_id = block
            p = doc.add_paragraph(text)
            ppr = p._p.get_or_add_pPr()
            numpr = OxmlElement("w:numPr")
            ilvl = OxmlElement("w:ilvl")
            ilvl.set(qn("w:val"), "0")
            num = OxmlElement("w:numId")
            num.set(qn("w:val"), str(num_id))
            numpr.append(ilvl)
            numpr.append(num)
            ppr.append(numpr)
        else:
            rows = [list(r) for r in block]
            table = doc.add_table(rows=len(rows), cols=max(len(r) for r in rows))
            for r, row in enumerate(rows):
                for c, text in enumerate(row):
                    cell = table.rows[r].cells[c]
                    lines = text.split("\n")
                    cell.paragraphs[0].text = lines[0]
                    for line in lines[1:]:
                        cell.add_paragraph(line)
    out = io.BytesIO()
    doc.save(out)
    return out.getvalue()


DECISIONS_RU: list[Block] = [
    "ПРОТОКОЛ № 47",
    "личного приема физических лиц и представителей юридических лиц",
    "заместителем акима города Алматы Жумабековым М.К.",
    "г. Алматы                                                            22 октября 2026 года",
    "Присутствовали: Исабеков Д.К. – руководитель Управления земельных отношений города Алматы;"
    " Байжанов Е.С. – руководитель Управления городской мобильности города Алматы.",
    "1. СЛУШАЛИ: Нурпеисов Ермек Канатович (ИИН 900101300811), Бостандыкский район,"
    " мкр. Орбита-2, д. 5, кв. 12, по вопросу оформления земельного участка под"
    " индивидуальное жилищное строительство.",
    "ПОСТАНОВИЛИ:",
    "1.1. Управлению земельных отношений города Алматы (Исабеков Д.К.) рассмотреть заявление и"
    " дать ответ по существу. Срок: в течение 15 рабочих дней.",
    "1.2. Аппарату акима Бостандыкского района совместно с Управлением градостроительства и"
    " урбанистики изучить возможность подключения участка к инженерным сетям."
    " Срок: до 20 ноября 2026 года.",
    "2. СЛУШАЛИ: ТОО «Жол Курылыс» (БИН 940140000385), в лице директора Ахметова Б.С., по"
    " вопросу согласования схемы организации дорожного движения.",
    "ПОСТАНОВИЛИ:",
    "2.1. Байжанову Е.С. рассмотреть схему организации дорожного движения и согласовать её в"
    " установленном порядке в месячный срок.",
    "3. СЛУШАЛИ: Ахметжанова Гульнара Сериковна, Турксибский район, по вопросу назначения пособия.",
    "ПОСТАНОВИЛИ: Разъяснено на месте, поручение не требуется.",
    "4. СЛУШАЛИ: Ким Ольга Викторовна (ИИН 780911420014), Алмалинский район, ул. Абая, д. 7,"
    " по вопросу вырубки деревьев во дворе.",
    "ПОСТАНОВИЛИ:",
    "1) Управлению экологии и окружающей среды города Алматы обследовать зеленые насаждения во"
    " дворе дома. Срок – 10 рабочих дней.",
    "2) Аппарату акима Алмалинского района проинформировать заявителя о результатах."
    " Срок: до 13.11.2026.",
    "",
    "Заместитель акима города Алматы                                 М. Жумабеков",
]

DECISIONS_KK: list[Block] = [
    "Алматы қаласы әкімінің орынбасарының жеке қабылдауының",
    "ХАТТАМАСЫ № 52",
    "Алматы қ.                                   2026 жылғы 12 қараша",
    "Төрағалық етті: Алматы қаласы әкімінің орынбасары Г.Е. Әбенова",
    "1. ТЫҢДАЛДЫ: Сәрсенбаев Асқар Төлеуұлы (ЖСН 900101300811), Алатау ауданы, мектепке"
    " орналастыру мәселесі бойынша.",
    "ҚАУЛЫ ЕТТІ:",
    "1.1. Алматы қаласының Білім басқармасына мәселені қарап, арыз берушіге жауап беру."
    " Мерзімі: 10 жұмыс күні ішінде.",
    "1.2. Алатау ауданы әкімінің аппаратына Алматы қаласының Спорт басқармасымен бірлесіп"
    " спорт алаңын салу мүмкіндігін қарау. Мерзімі: 1 ай ішінде.",
    "2. ТЫҢДАЛДЫ: Омарова Әсем Қайратқызы, Жетісу ауданы, жәрдемақы мәселесі бойынша.",
    "ҚАУЛЫ ЕТТІ: Орнында түсіндірілді, тапсырма талап етілмейді.",
    "",
    "Алматы қаласы әкімінің орынбасары                       Г. Әбенова",
]


def decisions_ru() -> bytes:
    return docx_bytes(DECISIONS_RU)


def decisions_kk() -> bytes:
    return docx_bytes(DECISIONS_KK)


def main() -> None:
    path = DATA / "minutes-ru-decisions.docx"
    path.write_bytes(decisions_ru())
    print(path)


if __name__ == "__main__":
    main()
