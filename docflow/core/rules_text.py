"""Rule ids in words: what a user reads instead of "R-REG-5" is the law's article.

Code, tests and comments name business rules by id (``R-REG-5``, see the domain rules); a user
reads the legal source the rule comes from — "APPC art. 63(2)" / "ст. 63(2) АППК" /
"ӘРПК 63(2)-бабы". The id stays in a tooltip (``<abbr title="R-REG-5">``), so a support
question can still name the rule.

``RULES`` maps each id to its source and place; ``SOURCES`` holds how each source is written in
kk, ru and en (legal citations are fixed data, like the kk/ru titles on slips, not free text to
translate). ``rule_words()`` is the Jinja filter: it rewrites every id in a (translated) message.
"""

from __future__ import annotations

import re

from flask_babel import LazyString, get_locale
from markupsafe import Markup, escape

RULE_ID_RE = re.compile(r"\bR-[A-Z]+-\d+\b")

# How each source is cited; ``{p}`` is the article or paragraph.
SOURCES = {
    # Administrative Procedural-Process Code of the Republic of Kazakhstan (2020).
    "appc": {"en": "APPC art. {p}", "ru": "ст. {p} АППК", "kk": "ӘРПК {p}-бабы"},
    # The regional rules of personal reception (seeds 001 and 004).
    "reception": {
        "en": "Rules of personal reception, para. {p}",
        "ru": "Правила личного приема, п. {p}",
        "kk": "Жеке қабылдау қағидалары, {p}-тармақ",
    },
    # The statute of the appeals-control department (seeds 000, 002/003).
    "statute": {
        "en": "Department statute, para. {p}",
        "ru": "Положение об отделе, п. {p}",
        "kk": "Бөлім туралы ереже, {p}-тармақ",
    },
    "holidays": {
        "en": "Law on holidays, art. {p}",
        "ru": "Закон о праздниках, ст. {p}",
        "kk": "Мерекелер туралы заң, {p}-бап",
    },
    "personal_data": {
        "en": "Personal Data Law art. {p}",
        "ru": "ст. {p} Закона о персональных данных",
        "kk": "Дербес деректер туралы заңның {p}-бабы",
    },
    "iso15489": {"en": "ISO 15489-1, {p}", "ru": "ISO 15489-1, {p}", "kk": "ISO 15489-1, {p}"},
}

# Rule id → (source, place), from the legal sources the domain rules name.
RULES: dict[str, tuple[str, str]] = {
    "R-KIND-1": ("appc", "4"),
    "R-KIND-2": ("appc", "99"),
    "R-KIND-3": ("appc", "22"),
    "R-REG-1": ("appc", "64(1)"),
    "R-REG-2": ("appc", "63(1)"),
    "R-REG-3": ("appc", "64(3)"),
    "R-REG-4": ("appc", "64(2)"),
    "R-REG-5": ("appc", "63(2)"),
    "R-REG-6": ("reception", "5"),
    "R-REG-7": ("reception", "21"),
    "R-REG-8": ("appc", "64(9)"),
    "R-ROUTE-1": ("statute", "5(2)"),
    "R-ROUTE-2": ("appc", "65"),
    "R-ROUTE-3": ("appc", "46"),
    "R-ROUTE-4": ("reception", "35"),
    "R-ROUTE-5": ("appc", "70"),
    "R-CTRL-1": ("reception", "33"),
    "R-CTRL-2": ("statute", "5(5)"),
    "R-CTRL-3": ("appc", "46"),
    "R-DEADLINE-1": ("appc", "76(1)"),
    "R-DEADLINE-2": ("appc", "76(3)"),
    "R-DEADLINE-3": ("holidays", "5"),
    "R-RECV-1": ("appc", "90"),
    "R-RECV-2": ("reception", "8"),
    "R-RECV-3": ("reception", "9"),
    "R-RECV-4": ("reception", "10"),
    "R-RECV-5": ("reception", "12"),
    "R-RECV-6": ("reception", "13–14"),
    "R-RECV-7": ("reception", "15"),
    "R-RECV-8": ("reception", "16"),
    "R-RECV-9": ("reception", "19"),
    "R-RECV-10": ("reception", "18"),
    "R-RECV-11": ("reception", "22–25"),
    "R-RECV-12": ("appc", "73"),
    "R-RECV-13": ("reception", "36"),
    "R-PROT-1": ("reception", "19"),
    "R-PROT-2": ("reception", "32"),
    "R-PROT-3": ("reception", "19"),
    "R-ANS-1": ("appc", "89(2)"),
    "R-ANS-2": ("statute", "13"),
    "R-ANS-3": ("statute", "5(20)"),
    "R-AUDIT-1": ("statute", "5(34)"),
    "R-AUDIT-2": ("statute", "5(14)–(15)"),
    "R-AUDIT-3": ("iso15489", "5.2.2"),
    "R-PD-1": ("personal_data", "9"),
}


def _lang(lang: str | None) -> str:
    lang = lang or str(get_locale() or "kk")
    return lang if lang in ("kk", "ru", "en") else "en"


def legal_reference(rule_id: str, lang: str | None = None) -> str | None:
    """The short legal reference of a rule in ``lang`` (the current locale), or None if unknown."""
    found = RULES.get(rule_id)
    if found is None:
        return None
    source, place = found
    return SOURCES[source][_lang(lang)].format(p=place)


def rule_words_text(text: object, lang: str | None = None) -> str:
    """``text`` with every known rule id replaced by its legal reference (plain text)."""
    lang = _lang(lang)
    return RULE_ID_RE.sub(lambda m: legal_reference(m.group(0), lang) or m.group(0), str(text))


def rule_words(text: object, lang: str | None = None) -> Markup:
    """Jinja filter: rule ids → ``<abbr title="R-…">the law's article</abbr>``; the rest escaped."""
    if text is None:
        return Markup("")
    lang = _lang(lang)
    safe = str(escape(text))

    def words(m: re.Match) -> str:
        ref = legal_reference(m.group(0), lang)
        if ref is None:
            return m.group(0)
        return f'<abbr title="{m.group(0)}">{escape(ref)}</abbr>'

    return Markup(RULE_ID_RE.sub(words, safe))  # noqa: S704 (escaped above; ids are [A-Z0-9-])


def lazy_rule_words(message: object) -> LazyString:
    """A lazy message (``_l``) that reads with its rule ids in words, in the locale of each use:
    for titles kept in module-level tables (notice kinds) that pages show as plain text."""
    return LazyString(lambda: rule_words_text(message))
