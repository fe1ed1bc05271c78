"""Layout families of generated minutes, for :mod:`tests.protocols.minutes_generator`.

Each family is a function ``(writer, generated, rng, variant)`` that writes the items of
``generated`` (and may split an item into sub-decisions, updating the truth to match).
"""

from __future__ import annotations

import random
from collections.abc import Callable

from tests.protocols import minutes_forms as f
from tests.protocols.minutes_writing import (
    CALENDAR,
    Generated,
    Truth,
    Writer,
    compose,
    executors,
    term_label,
)

# --- layout families -----------------------------------------------------------------------------

TITLES = {
    "ru": {
        "num": ["№", "№ п/п"],
        "applicant": ["Ф.И.О. заявителя, адрес", "Заявитель", "ФИО, ИИН заявителя"],
        "question": ["Суть обращения", "Краткое содержание вопроса", "Содержание обращения"],
        "decision": ["Поручение", "Принятое решение"],
        "executor": ["Исполнитель", "Ответственный исполнитель"],
        "co": ["Соисполнитель", "Соисполнители"],
        "term": ["Срок", "Срок исполнения"],
    },
    "kk": {
        "num": ["№", "Р/с №"],
        "applicant": [
            "Арыз берушінің аты-жөні",
            "Арыз беруші",
            "Өтініш берушінің аты-жөні, мекенжайы",
        ],
        "question": ["Мәселенің мәні", "Өтініштің мәні"],
        "decision": ["Тапсырма", "Қабылданған шешім"],
        "executor": ["Орындаушы", "Жауапты орындаушы"],
        "co": ["Бірлесіп орындаушы", "Қосымша орындаушылар"],
        "term": ["Мерзімі", "Орындау мерзімі"],
    },
}
LABELS = {
    "ru": {
        "applicant": ["Заявитель", "Ф.И.О. заявителя"],
        "question": ["Суть обращения", "Содержание вопроса"],
        "decision": ["Поручение", "Решение", "Принятое решение"],
        "executor": ["Исполнитель", "Ответственный исполнитель"],
        "co": ["Соисполнитель", "Соисполнители"],
    },
    "kk": {
        "applicant": ["Арыз беруші", "Өтініш беруші"],
        "question": ["Мәселенің мәні", "Өтініштің мәні"],
        "decision": ["Тапсырма", "Қабылданған шешім"],
        "executor": ["Орындаушы", "Жауапты орындаушы"],
        "co": ["Бірлесіп орындаушы"],
    },
}
NOTHING = ["—", "-", ""]


def _cells(t: Truth, columns: list[str], lang: str, rng: random.Random) -> list[str]:
    row = []
    for col in columns:
        if col == "num":
            row.append(t.item + rng.choice(["", "."]))
        elif col == "applicant":
            a = t.applicant
            row.append(a.text if rng.random() < 0.8 else a.text.replace(", ", "\n", 1))
        elif col == "question":
            row.append(t.question[0].upper() + t.question[1:])
        elif col == "decision":
            row.append(t.action if "executor" in columns else t.decision)
        elif col == "executor":
            if t.explained:
                row.append(rng.choice(NOTHING))
            elif "co" in columns:
                row.append(t.executors[0].text(lang, "nom", rng))
            else:
                row.append(t.executor_column)
        elif col == "co":
            co = [e.text(lang, "nom", rng) for e in t.executors[1:]]
            row.append(", ".join(co) if co else rng.choice(NOTHING))
        elif col == "term":
            row.append(t.term.text if t.term else rng.choice(NOTHING))
    return row


def _columns(rng: random.Random, bare: bool) -> list[str]:
    cols = ["applicant", "question", "decision", "executor", "term"]
    if rng.random() < 0.15:
        cols.remove("executor")
    elif rng.random() < 0.3 and not bare:
        cols.insert(cols.index("executor") + 1, "co")
    if rng.random() < 0.15:
        cols.remove("term")
    if rng.random() < 0.3:
        rng.shuffle(cols)
    if not bare or rng.random() < 0.9:
        cols.insert(0, "num")
    return cols


def _table_rows(gen: Generated, rng: random.Random, variant: str, bare: bool) -> list[list[str]]:
    cols = _columns(rng, bare)
    rows = []
    if not bare:
        rows.append([rng.choice(TITLES[gen.lang][c]) for c in cols])
        if rng.random() < 0.2:
            rows.append([str(i + 1) for i in range(len(cols))])
    for t in gen.items:
        compose(t, gen.lang, rng, variant, inline_term="term" not in cols)
        rows.append(_cells(t, cols, gen.lang, rng))
    return rows


def table(w: Writer, gen: Generated, rng: random.Random, variant: str) -> None:
    w.table(_table_rows(gen, rng, variant, bare=False))


def table_bare(w: Writer, gen: Generated, rng: random.Random, variant: str) -> None:
    w.table(_table_rows(gen, rng, variant, bare=True))


def _number(w: Writer, item: str, text: str) -> None:
    if w.numbering == "auto":  # Word's numbering continues through the file, as the items do
        w.para(text, numbered=True)
    else:
        w.para(f"{item}{'.' if w.numbering == 'dot' else ')'} {text}")


def labelled(w: Writer, gen: Generated, rng: random.Random, variant: str) -> None:
    lang, labels = gen.lang, LABELS[gen.lang]
    for t in gen.items:
        separate = rng.random() < 0.5 and not t.explained
        compose(t, lang, rng, variant, inline_term=rng.random() < 0.3)
        _number(w, t.item, f"{rng.choice(labels['applicant'])}: {t.applicant.text}.")
        w.para(f"{rng.choice(labels['question'])}: {t.question}.")
        w.para(f"{rng.choice(labels['decision'])}: {t.action if separate else t.decision}")
        if separate:
            co = t.executors[1:]
            if co and rng.random() < 0.5:
                w.para(
                    f"{rng.choice(labels['executor'])}: {t.executors[0].text(lang, 'nom', rng)}."
                )
                w.para(
                    f"{rng.choice(labels['co'])}: {', '.join(c.text(lang, 'nom', rng) for c in co)}."
                )
            else:
                w.para(f"{rng.choice(labels['executor'])}: {t.executor_column}.")
        if t.term and not t.term_inline:
            w.para(f"{term_label(lang, rng, variant)}: {t.term.text}.")


def _term_after(t: Truth, lang: str, rng: random.Random, variant: str) -> str:
    if not t.term or t.term_inline:
        return ""
    return f" {term_label(lang, rng, variant)} {rng.choice(['–', ':', '-'])} {t.term.text}."


def _asked(t: Truth, lang: str, rng: random.Random, variant: str) -> str:
    if lang == "ru":
        pool = {
            "A": [" – по вопросу ", ", по вопросу ", " по вопросу "],
            "B": [" обратился(-ась) по вопросу "],
            "C": [", обратился(-ась) по поводу "],
            "D": [". Суть обращения – "],
            "E": [" – обращение по вопросу "],
            "F": [", обратившийся(-аяся) по вопросу "],
        }
        return f"{t.applicant.text}{f.pick(rng, pool, variant)}{t.question}."
    pool = {
        "A": [", {q} мәселесі бойынша.", " – {q} мәселесі бойынша."],
        "B": [" {q} мәселесі бойынша өтініш білдірді."],
        "C": [", {q} мәселесімен жүгінді."],
        "D": [". Өтініштің мәні – {q}."],
        "E": [" {q} мәселесі жөнінде."],
        "F": [", {q} бойынша өтініш."],
    }
    return t.applicant.text + str(f.pick(rng, pool, variant)).format(q=t.question)


def inline(w: Writer, gen: Generated, rng: random.Random, variant: str, items=None) -> None:
    lang = gen.lang
    for t in items if items is not None else gen.items:
        compose(t, lang, rng, variant, inline_term=rng.random() < 0.5)
        text = f"{_asked(t, lang, rng, variant)} {t.decision}{_term_after(t, lang, rng, variant)}"
        _number(w, t.item, text)


def heard(w: Writer, gen: Generated, rng: random.Random, variant: str) -> None:
    lang = gen.lang
    out: list[Truth] = []
    heard_label, decided_label = (
        ("СЛУШАЛИ", "ПОСТАНОВИЛИ") if lang == "ru" else ("ТЫҢДАЛДЫ", "ҚАУЛЫ ЕТТІ")
    )
    for t in gen.items:
        who = t.applicant.text
        if lang == "ru" and t.applicant.name in f.GENITIVE and rng.random() < 0.5:
            who = who.replace(t.applicant.name, f.GENITIVE[t.applicant.name])
        if lang == "ru":
            about = f"{who} по вопросу {t.question}."
        else:
            about = f"{who}, {t.question} мәселесі бойынша."
        if rng.random() < 0.5:
            w.para(f"{t.item}. {heard_label}: {about}")
        else:
            w.para(f"{t.item}. {heard_label}:")
            w.para(about)
        decisions = [t]
        if not t.explained and rng.random() < 0.4:
            for _ in range(rng.choice([1, 2])):
                decisions.append(
                    Truth(
                        t.item,
                        t.applicant,
                        t.question,
                        executors(rng),
                        f.term(lang, gen.date, CALENDAR, rng, variant),
                    )
                )
        for d in decisions:
            compose(d, lang, rng, variant, inline_term=rng.random() < 0.5)
        if len(decisions) == 1 and rng.random() < 0.5:
            w.para(f"{decided_label}: {t.decision}{_term_after(t, lang, rng, variant)}")
            out.append(t)
            continue
        w.para(f"{decided_label}:")
        base = t.item
        for k, d in enumerate(decisions, start=1):
            d.item = f"{base}.{k}"
            w.para(f"{d.item}. {d.decision}{_term_after(d, lang, rng, variant)}")
            out.append(d)
    gen.items = out


def cell(w: Writer, gen: Generated, rng: random.Random, variant: str) -> None:
    """Held out: the applicant with the question in one cell, the decision with its executors and
    term in another."""
    lang = gen.lang
    titles = {
        "ru": [
            ["№", "Заявитель, суть обращения", "Принятое решение"],
            [
                "№ п/п",
                "Ф.И.О. заявителя и краткое содержание обращения",
                "Поручение, исполнитель, срок",
            ],
        ],
        "kk": [
            ["№", "Арыз беруші, мәселенің мәні", "Қабылданған шешім"],
            [
                "Р/с №",
                "Өтініш берушінің аты-жөні және өтініштің мәні",
                "Тапсырма, орындаушы, мерзімі",
            ],
        ],
    }
    rows = [rng.choice(titles[lang])]
    for t in gen.items:
        compose(t, lang, rng, variant, inline_term=rng.random() < 0.5)
        sep = rng.choice([", ", "\n"])
        asked = f"по вопросу {t.question}" if lang == "ru" else f"{t.question} мәселесі бойынша"
        rows.append(
            [
                t.item,
                f"{t.applicant.text}{sep}{asked}",
                t.decision + _term_after(t, lang, rng, variant),
            ]
        )
    w.table(rows)


def mixed(w: Writer, gen: Generated, rng: random.Random, variant: str) -> None:
    """Held out: a table of some visitors and inline paragraphs for the others, in one file."""
    w.numbering = "dot"  # the paragraphs go on from the table's numbers
    half = max(1, len(gen.items) // 2)
    first, second = gen.items[:half], gen.items[half:]
    also = (
        "Также рассмотрены обращения:"
        if gen.lang == "ru"
        else "Сондай-ақ келесі өтініштер қаралды:"
    )
    table_first = rng.random() < 0.5
    if not table_first:
        first, second = second, first
        for i, t in enumerate(first + second, start=1):
            t.item = str(i)
    part = Generated(
        gen.family,
        gen.lang,
        gen.seed,
        variant,
        b"",
        gen.number,
        gen.date,
        first if table_first else second,
    )
    if table_first:
        table(w, part, rng, variant)
        w.para(also)
        inline(w, gen, rng, variant, items=second)
    else:
        inline(w, gen, rng, variant, items=first)
        w.para(also)
        table(w, part, rng, variant)
    gen.items = first + second


def lines(w: Writer, gen: Generated, rng: random.Random, variant: str) -> None:
    """Held out to the end: each item on several paragraphs without labels — the applicant, the
    question, the decision, the term."""
    lang = gen.lang
    for t in gen.items:
        compose(t, lang, rng, variant, inline_term=rng.random() < 0.4)
        _number(w, t.item, t.applicant.text + ".")
        if lang == "ru":
            w.para(f"По вопросу {t.question}.")
        else:
            w.para(f"{t.question[0].upper() + t.question[1:]} мәселесі бойынша.")
        w.para(t.decision)
        if t.term and not t.term_inline:
            w.para(f"{term_label(lang, rng, variant)}: {t.term.text}.")


def heard_table(w: Writer, gen: Generated, rng: random.Random, variant: str) -> None:
    """Held out to the last measurement: «СЛУШАЛИ / ПОСТАНОВИЛИ» as the columns of a table."""
    lang = gen.lang
    title = ["№", "Слушали", "Постановили"] if lang == "ru" else ["№", "Тыңдалды", "Қаулы етті"]
    rows = [title]
    for t in gen.items:
        compose(t, lang, rng, variant, inline_term=rng.random() < 0.5)
        if lang == "ru":
            about = f"{t.applicant.text}, по вопросу {t.question}"
        else:
            about = f"{t.applicant.text}, {t.question} мәселесі бойынша"
        rows.append([t.item, about, t.decision + _term_after(t, lang, rng, variant)])
    w.table(rows)


def cards(w: Writer, gen: Generated, rng: random.Random, variant: str) -> None:
    """Held out to the last measurement: one two-column table per visitor, labels on the left."""
    lang, labels = gen.lang, LABELS[gen.lang]
    for t in gen.items:
        compose(t, lang, rng, variant, inline_term=False)
        w.para(f"{t.item}." if rng.random() < 0.5 else f"№ {t.item}")
        rows = [
            [rng.choice(labels["applicant"]), t.applicant.text],
            [rng.choice(labels["question"]), t.question[0].upper() + t.question[1:]],
            [rng.choice(labels["decision"]), t.action],
        ]
        if not t.explained:
            rows.append([rng.choice(labels["executor"]), t.executor_column])
            rows.append([term_label(lang, rng, variant), t.term.text if t.term else "—"])
        w.table(rows)


def bullets(w: Writer, gen: Generated, rng: random.Random, variant: str) -> None:
    """Held out to the very end: one paragraph per visitor behind a dash or a bullet, no
    numbers (the items are counted in order)."""
    lang, mark = gen.lang, rng.choice(["– ", "• ", "- "])
    for t in gen.items:
        compose(t, lang, rng, variant, inline_term=rng.random() < 0.5)
        w.para(
            f"{mark}{_asked(t, lang, rng, variant)} {t.decision}{_term_after(t, lang, rng, variant)}"
        )


LAYOUTS: dict[str, Callable[[Writer, Generated, random.Random, str], None]] = {
    "table": table,
    "table_bare": table_bare,
    "labelled": labelled,
    "inline": inline,
    "heard": heard,
    "cell": cell,
    "mixed": mixed,
    "lines": lines,
    "heard_table": heard_table,
    "cards": cards,
    "bullets": bullets,
}
