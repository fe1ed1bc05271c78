"""Words of subdivision names: head nouns with their case, stop words, word similarity."""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

from docflow.protocols.minutes.people import _Mention

# Function words inside subdivision names; they neither match nor weigh.
_STOP = frozenset(
    [
        "и",
        "в",
        "во",
        "по",
        "за",
        "с",
        "со",
        "на",
        "для",
        "при",
        "о",
        "об",
        "от",
        "к",
        "из",
        "а",
        "г",
        "гор",
        "обл",
        "ул",
        "жане",
        "мен",
        "бен",
        "пен",
        "мен",
        "уш",
        "ушин",
    ]
)
_CONJ = frozenset({"и", "жане", "мен", "бен", "пен"})
_NOTHING_RX = re.compile(r"[\s\-–—.]*(?:нет|жоқ|жок)?[\s.]*", re.I)
_JOIN_GAP_RX = re.compile(r"[\s,«»\"]*(?:и|және|мен|бен|пен)?[\s,«»\"]*", re.I)
_ATTACH_GAP_RX = re.compile(r"\s*[(,–—-]?\s*")
_ABBREV = frozenset({"г", "гор", "ул", "обл", "р", "им", "к", "д", "тел", "пр", "мкр", "каз"})
# Abbreviated words of subdivision names, read as written out («Медеу ауд.», «… р-на»), folded.
_EXPAND = {"ауд": "ауданы", "р-на": "района", "р-н": "район", "упр": "управление"}
_NOISE_PREFIXES = (
    "ответствен",
    "исполнител",
    "жауапты",
    "орындаушы",
    "координатор",
    "компетенц",
    "курирующ",
    "необходимост",
    "согласовани",
)
_CO_PREFIXES = ("соисполнител", "косымша")
# Verbs of assignment: the name after them is the executor whatever its case («Обязать
# Управление …»: accusative), folded.
_GOVERNING = frozenset(
    {"поручить", "поручено", "обязать", "рекомендовать", "рекомендовано", "возложить", "предложить"}
)
# Legal forms of state bodies before a formal name («ГУ «Управление образования …»»), folded.
_FORMAL = frozenset({"гу", "кгу", "ргу", "мм", "кмм", "рмм", "гкп", "кгп", "гккп", "ргп", "ргкп"})
_RU_HEADS = (
    "управлени",
    "департамент",
    "акимат",
    "комитет",
    "инспекци",
    "служб",
    "отдел",
    "аппарат",
)
_KK_HEADS = ("баскарма", "болим", "акимдиг", "акимдик")
_SHARED_HEADS = ("аппарат", "департамент", "комитет", "инспекци")
# Surnames declined for a role of their own: instrumental (with, co-executor) or dative.
_CASE_OF_ITS_OWN = ("мен", "пен", "бен", "ым", "ои", "у", "ка", "ке", "га", "ге")
_GENITIVE_KK = ("нын", "нин", "дын", "дин", "тын", "тин")
_DATIVE_KK = ("на", "не", "га", "ге", "ка", "ке")
_INSTR_KK = ("мен", "пен", "бен")


@dataclass(frozen=True)
class _Anchor:
    lang: str  # ru | kk
    head: bool  # the head noun of a name (управление, басқарма …); False for a district word
    case: str  # dat | ins | nom | gen | other
    terminal: bool  # kk: closes the name


@lru_cache(maxsize=8192)
def _anchor(w: str) -> _Anchor | None:
    """Classify a ``fold1`` word that heads a subdivision name, with its case."""
    for stem in _KK_HEADS:
        if w.startswith(stem):
            return _kk_anchor(w[len(stem) :], head=True, stem=stem)
    for stem in _RU_HEADS:
        if w.startswith(stem):
            suffix = w[len(stem) :]
            if stem in _SHARED_HEADS and suffix[:1] in ("ы", "и") and stem != "инспекци":
                return _kk_anchor(suffix, head=True, stem=stem)
            if stem == "инспекци" and suffix.startswith("яс"):
                return _kk_anchor(suffix, head=True, stem=stem)
            return _Anchor("ru", True, _ru_case(stem, suffix), False)
    if w.startswith("аудан"):
        a = _kk_anchor(w[5:], head=False, stem="аудан")
        return _Anchor("kk", False, a.case, a.case in ("dat", "ins", "other"))
    if w.startswith("раион"):
        return _Anchor("ru", False, _ru_case("раион", w[5:]), False)
    return None


def _kk_anchor(suffix: str, head: bool, stem: str) -> _Anchor:
    if suffix.endswith(_GENITIVE_KK):
        case = "gen"
    elif suffix.endswith(_INSTR_KK):
        case = "ins"
    elif suffix.endswith(_DATIVE_KK) or suffix in ("га", "ге", "ка", "ке", "а", "е"):
        case = "dat"
    elif suffix in ("", "ы", "и", "сы", "си", "лары", "лери"):
        case = "nom"
    else:
        case = "other"
    return _Anchor("kk", head, case, case != "gen")


def _ru_case(stem: str, suffix: str) -> str:
    if stem == "управлени":
        table = {"ю": "dat", "ям": "dat", "ем": "ins", "ями": "ins", "е": "nom", "я": "gen"}
    elif stem == "инспекци":
        table = {"и": "dat", "еи": "ins", "я": "nom"}
    elif stem == "служб":
        table = {"е": "dat", "ои": "ins", "а": "nom", "ы": "gen"}
    else:
        table = {"у": "dat", "ам": "dat", "ом": "ins", "ами": "ins", "": "nom", "ы": "nom"}
        table["а"] = "gen"
        table["ов"] = "gen"
    return table.get(suffix, "other")


def _genitive_like(w: str) -> bool:
    if w.endswith(("ть", "ти", "чь", "ться", "тся")):
        return False
    return w.endswith(("а", "я", "ы", "и", "ого", "его", "ои", "еи", "ых", "их", "ов", "ев"))


def _strength(t: str, n: str) -> float:
    """How well text word ``t`` matches name word ``n`` (both ``fold``-ed): case endings and
    Kazakh suffixes allowed, 0 for different words."""
    if t == n:
        return 1.0
    lt, ln = len(t), len(n)
    common = 0
    for a, b in zip(t, n, strict=False):
        if a != b:
            break
        common += 1
    if common == ln and ln >= 3:
        rest = lt - ln
        return 1.0 if rest <= 4 else (0.9 if rest <= 6 else 0.0)
    if common == lt and lt >= 4 and ln - common <= 2:
        return 0.9
    if common >= 4 and common >= 0.7 * ln and ln - common <= 3 and lt - common <= 5:
        return 0.85
    return 0.0


@dataclass(slots=True)
class _Tok:
    kind: str  # w | n | p | person
    raw: str
    f1: str
    ff: str
    start: int
    end: int
    upper: bool = False
    mention: _Mention | None = None
    abbrev: bool = False  # an abbreviation read as its full word; a following «.» is no stop

    @property
    def word(self) -> str:
        """The word for name matching: an abbreviation written out («ауд.» → «ауданы»)."""
        return self.f1 if self.abbrev else self.raw


@dataclass(slots=True)
class _Unit:
    toks: list[_Tok]
    co: bool
    start: int
    end: int
    words_before: int
    joined: bool = False  # only a comma or a conjunction since the previous unit
    person: _Mention | None = None
    anchor: _Anchor | None = None
    formal: bool = False  # after «ГУ», «КГУ», «ММ» …: a formal name in quotes, not declined
    governed: bool = False  # its case is set by a word before it («обязать …», «при участии …»)

    @property
    def is_person(self) -> bool:
        return not self.toks and self.person is not None
