"""Writing minutes for :mod:`tests.protocols.minutes_generator`: the truth of each item, its
decision sentence (executors in their case endings, the term inside or not), the executor column,
and the document with its header and signature."""

from __future__ import annotations

import io
import random
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date

from docx import Document
from docx.oxml import OxmlElement
from docx.oxml.ns import qn

from docflow.core.calendar import WorkingCalendar
from tests.protocols import minutes_forms as f

CALENDAR = WorkingCalendar()


@dataclass
class Executor:
    code: str | None  # None: a name the organisation does not have
    kind: str  # sub | head | both

    def text(self, lang: str, case: str, rng: random.Random) -> str:
        if self.code is None:
            if self.kind == "head":
                return f.unknown_person(lang, case, rng)
            return f.unknown_text(lang, case, rng)
        if self.kind == "head":
            return f.head_text(self.code, lang, case, rng)
        sub = f.sub_text(self.code, lang, case, rng)
        if self.kind == "both":
            if case in ("dat", "nom") and rng.random() < 0.7:
                return f"{sub} ({f.head_text(self.code, lang, 'nom', rng)})"
            if case == "dat":
                gen = f.sub_text(self.code, lang, "gen", rng)
                if lang == "ru":
                    return f"руководителю {gen} {f.head_text(self.code, lang, 'dat', rng)}"
                return f"{gen} басшысы {f.head_text(self.code, lang, 'dat', rng)}"
        return sub


@dataclass
class Truth:
    item: str
    applicant: f.Applicant
    question: str
    executors: list[Executor]
    term: f.Term | None
    explained: bool = False
    # as written, filled by the layout
    decision: str = ""  # the decision sentence, executors (and maybe the term) inside
    action: str = ""  # the decision without executors, for layouts with an executor column
    executor_column: str = ""
    term_inline: bool = False

    @property
    def codes(self) -> list[str | None]:
        return [e.code for e in self.executors]

    @property
    def due(self) -> date | None:
        return self.term.due if self.term else None


@dataclass
class Generated:
    family: str
    lang: str
    seed: int
    variant: str
    blob: bytes
    number: str
    date: date
    items: list[Truth] = field(default_factory=list)


# --- decisions -----------------------------------------------------------------------------------


def _join(parts: list[str], lang: str) -> str:
    if len(parts) == 1:
        return parts[0]
    last = " и " if lang == "ru" else " және "
    return ", ".join(parts[:-1]) + last + parts[-1]


def executors(rng: random.Random) -> list[Executor]:
    count = rng.choices([1, 2, 3], weights=[5, 4, 1])[0]
    codes: list[str | None] = list(rng.sample(f.CODES, count))
    if rng.random() < 0.1:  # a name the organisation does not have, shown unmatched
        codes[rng.randrange(count)] = None
    out = []
    for code in codes:
        kind = rng.choices(["sub", "head", "both"], weights=[6, 2, 2])[0]
        out.append(Executor(code, kind))
    return out


def decision_ru(t: Truth, rng: random.Random, variant: str, term: str) -> str:
    r, co = t.executors[0], t.executors[1:]
    action = rng.choice(f.ACTIONS["ru"]) + term

    def co_with() -> str:
        if not co:
            return ""
        return " совместно с " + _join([c.text("ru", "ins", rng) for c in co], "ru")

    def co_d() -> str:
        if not co:
            return ""
        return " во взаимодействии с " + _join([c.text("ru", "ins", rng) for c in co], "ru")

    def co_e() -> str:
        if not co:
            return ""
        return " при содействии " + _join([c.text("ru", "gen", rng) for c in co], "ru")

    pool: dict[str, list[Callable[[], str]]] = {
        "A": [
            lambda: f"{r.text('ru', 'dat', rng)}{co_with()} {action}.",
            lambda: f"Поручить {r.text('ru', 'dat', rng)}{co_with()} {action}.",
            lambda: f"Рекомендовать {r.text('ru', 'dat', rng)}{co_with()} {action}.",
        ],
        "B": [lambda: f"Обязать {f.sub_text(r.code, 'ru', 'nom', rng)}{co_with()} {action}."]
        if r.code and r.kind == "sub"
        else [],
        "C": [
            lambda: f"Принять к сведению и поручить {r.text('ru', 'dat', rng)}{co_with()} {action}."
        ],
        "D": [lambda: f"{r.text('ru', 'nom', rng)}{co_d()} {action}."],
        "E": [lambda: f"Дать поручение {r.text('ru', 'dat', rng)}{co_e()} {action}."],
        "F": [lambda: f"Поручить {action} {r.text('ru', 'dat', rng)}{co_with()}."],
    }
    if co:
        pool["A"].append(
            lambda: f"{_join([e.text('ru', 'dat', rng) for e in t.executors], 'ru')} {action}."
        )
        pool["B"].append(
            lambda: (
                f"{r.text('ru', 'dat', rng)} при участии"
                f" {_join([c.text('ru', 'gen', rng) for c in co], 'ru')} {action}."
            )
        )
        pool["C"].append(
            lambda: (
                f"{r.text('ru', 'dat', rng)} с участием"
                f" {_join([c.text('ru', 'gen', rng) for c in co], 'ru')} {action}."
            )
        )
    return _sentence(f.pick(rng, pool, variant)())


def _sentence(text: str) -> str:
    """Capitalised, one full stop (a term may end with «г.»)."""
    text = text.replace("..", ".")
    return text[0].upper() + text[1:]


def decision_kk(t: Truth, rng: random.Random, variant: str, term: str) -> str:
    r, co = t.executors[0], t.executors[1:]
    action = (term + " " if term else "") + rng.choice(f.ACTIONS["kk"])

    def co_with() -> str:
        if not co:
            return ""
        return " " + ", ".join(c.text("kk", "ins", rng) for c in co) + " бірлесіп"

    def co_d() -> str:
        if not co:
            return ""
        return " " + ", ".join(c.text("kk", "ins", rng) for c in co) + " бірлесе отырып"

    def co_e() -> str:
        if not co:
            return ""
        return " " + ", ".join(c.text("kk", "ins", rng) for c in co) + " өзара әрекеттесе отырып"

    pool: dict[str, list[Callable[[], str]]] = {
        "A": [
            lambda: f"{r.text('kk', 'dat', rng)}{co_with()} {action} тапсырылсын.",
            lambda: f"{r.text('kk', 'dat', rng)}{co_with()} {action}.",
            lambda: f"{r.text('kk', 'dat', rng)}{co_with()} {action} ұсынылсын.",
        ],
        "B": [lambda: f"{r.text('kk', 'dat', rng)}{co_with()} {action} жүктелсін."],
        "C": [lambda: f"{action} {r.text('kk', 'dat', rng)}{co_with()} тапсырылсын."],
        "D": [
            lambda: (
                f"{r.text('kk', 'nom', rng)}{co_d()} {action}ды қамтамасыз етсін."
                if action.endswith(("у", "ю"))
                else f"{r.text('kk', 'nom', rng)}{co_d()} {action} тиіс."
            )
        ],
        "E": [lambda: f"{r.text('kk', 'dat', rng)}{co_e()} {action} жөнінде тапсырма берілсін."],
        "F": [lambda: f"{r.text('kk', 'dat', rng)}{co_with()} {action} міндеттелсін."],
    }
    if co:
        pool["A"].append(
            lambda: f"{co_with().strip()} {r.text('kk', 'dat', rng)} {action} тапсырылсын."
        )
        pool["A"].append(
            lambda: (
                f"{_join([e.text('kk', 'dat', rng) for e in t.executors], 'kk')} {action}"
                " тапсырылсын."
            )
        )
        pool["B"].append(
            lambda: (
                f"{r.text('kk', 'dat', rng)}"
                f" {', '.join(c.text('kk', 'gen', rng) for c in co)} қатысуымен {action} тапсырылсын."
            )
        )
        pool["C"].append(
            lambda: (
                f"{r.text('kk', 'dat', rng)} {', '.join(c.text('kk', 'ins', rng) for c in co)}"
                f" бірге {action} тапсырылсын."
            )
        )
    return _sentence(f.pick(rng, pool, variant)())


def executor_column(t: Truth, lang: str, rng: random.Random) -> str:
    r, co = t.executors[0], t.executors[1:]
    text = r.text(lang, "nom", rng)
    if not co:
        return text
    style = rng.choice(["comma", "semicolon", "lines", "with"])
    if style == "with":
        if lang == "ru":
            return text + " совместно с " + _join([c.text("ru", "ins", rng) for c in co], "ru")
        return text + " (" + ", ".join(c.text("kk", "ins", rng) for c in co) + " бірлесіп)"
    sep = {"comma": ", ", "semicolon": "; ", "lines": "\n"}[style]
    return sep.join([text, *(c.text(lang, "nom", rng) for c in co)])


def compose(t: Truth, lang: str, rng: random.Random, variant: str, inline_term: bool) -> None:
    """Fill the written forms of ``t``: decision sentence, bare action, executor column."""
    if t.explained:
        t.decision = t.action = rng.choice(f.EXPLAINED[lang])
        return
    t.term_inline = inline_term
    term = t.term.text if (inline_term and t.term) else ""
    if lang == "ru":
        t.decision = decision_ru(t, rng, variant, " " + term if term else "")
        t.action = (rng.choice(f.ACTIONS["ru"]) + (" " + term if term else "")).capitalize() + "."
    else:
        t.decision = decision_kk(t, rng, variant, term)
        t.action = ((term + " " if term else "") + rng.choice(f.ACTIONS["kk"])).capitalize() + "."
    t.executor_column = executor_column(t, lang, rng)


def term_label(lang: str, rng: random.Random, variant: str) -> str:
    pool = {
        "A": ["Срок", "Срок исполнения"] if lang == "ru" else ["Мерзімі", "Орындау мерзімі"],
        "B": ["Срок исполнения поручения"] if lang == "ru" else ["Орындалу мерзімі"],
        "C": ["Срок выполнения"] if lang == "ru" else ["Мерзім"],
        "D": ["Срок контроля"] if lang == "ru" else ["Бақылау мерзімі"],
        "E": ["Контрольный срок"] if lang == "ru" else ["Орындалу мерзімі"],
        "F": ["Исполнить в срок"] if lang == "ru" else ["Орындау уақыты"],
    }
    return str(f.pick(rng, pool, variant))


# --- the document --------------------------------------------------------------------------------


class Writer:
    """python-docx with the few things the layouts need."""

    def __init__(self, numbering: str = "dot") -> None:
        self.doc = Document()
        self.numbering = numbering  # dot «1.» | paren «1)» | auto (Word's own numbering)

    def para(self, text: str, numbered: bool = False) -> None:
        p = self.doc.add_paragraph(text)
        if numbered:  # Word's own numbering: the number is not in the text
            numpr = OxmlElement("w:numPr")
            for tag, val in (("w:ilvl", "0"), ("w:numId", "9")):
                el = OxmlElement(tag)
                el.set(qn("w:val"), val)
                numpr.append(el)
            p._p.get_or_add_pPr().append(numpr)

    def table(self, rows: list[list[str]]) -> None:
        table = self.doc.add_table(rows=len(rows), cols=max(len(r) for r in rows))
        for r, row in enumerate(rows):
            for c, text in enumerate(row):
                cell = table.rows[r].cells[c]
                lines = text.split("\n")
                cell.paragraphs[0].text = lines[0]
                for line in lines[1:]:
                    cell.add_paragraph(line)

    def bytes(self) -> bytes:
        out = io.BytesIO()
        self.doc.save(out)
        return out.getvalue()


def header(w: Writer, lang: str, number: str, day: date, rng: random.Random) -> None:
    when = f.minutes_date_text(lang, day)
    if lang == "ru":
        w.para(f"ПРОТОКОЛ № {number}")
        w.para("личного приема физических лиц и представителей юридических лиц")
        w.para("заместителем акима города Алматы Сейтовым А.Б.")
        w.para(f"г. Алматы                                                   {when}")
        if rng.random() < 0.5:
            w.para("Присутствовали: Ахметова С.М. – руководитель отдела по контролю.")
    else:
        w.para("Алматы қаласы әкімінің орынбасарының жеке қабылдауының")
        w.para(f"ХАТТАМАСЫ № {number}")
        w.para(f"Алматы қ.                                                   {when}")
        w.para("Төрағалық етті: Алматы қаласы әкімінің орынбасары А.Б. Сейітов")


def footer(w: Writer, lang: str) -> None:
    w.para("")
    if lang == "ru":
        w.para("Заместитель акима города Алматы                                 А. Сейтов")
    else:
        w.para("Алматы қаласы әкімінің орынбасары                               А. Сейітов")


def truths(lang: str, rng: random.Random, start: date, variant: str, count: int) -> list[Truth]:
    out = []
    for i in range(count):
        explained = rng.random() < 0.1
        out.append(
            Truth(
                str(i + 1),
                f.applicant(lang, rng, variant),
                rng.choice(f.QUESTIONS[lang]),
                [] if explained else executors(rng),
                None if explained else f.term(lang, start, CALENDAR, rng, variant),
                explained=explained,
            )
        )
    return out
