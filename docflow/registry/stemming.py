"""Word stems for the registry search: Russian by Snowball, Kazakh by suffix stripping.

Search matches a query word against the stems of the indexed words as well as against the
words themselves, so "управляющая" finds "управляющую" and "мектеп" finds "мектебінде".

Stems are computed here, in Python, for both databases: SQLite and PostgreSQL then index the
same stems, and Kazakh (which neither database stems) fits in beside Russian. The Russian stemmer
is the Snowball algorithm PostgreSQL's ``russian`` configuration also uses (PyStemmer).

Kazakh is agglutinative: root + plural + possessive + case, each suffix's first sound chosen by
the sound before it and its vowel by the word's last vowel (harmony). Suffixes are stripped from
the end one at a time, only where that choice fits what stays, so that Russian endings that look
like Kazakh ones ("вода", "работе") are mostly left alone, and only while a stem of a sensible
length remains; where an ending reads two ways, both stems are kept. Voiced stem-final б/г/ғ
(мектебі, кезегі, жарығы) fold back to п/к/қ, and a dropped ы/і (орны) is put back.

A word gets a stem per language it may be in: a word with a letter only Kazakh has is stemmed
as Kazakh only; any other Cyrillic word both ways. The two languages are kept apart in the index,
so a Russian stem never meets a Kazakh one by chance.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from functools import lru_cache

import Stemmer

KK_ONLY = frozenset("әғқңөұүһі")
_CYRILLIC_WORD = re.compile(r"[а-яёәғқңөұүһі]+")

VOWELS = frozenset("аәоөұүыіеэиуюяё")
BACK = frozenset("аоұыяёю")
FRONT = frozenset("әөүіеэи")
VOICELESS = frozenset("пфктсшщхцчқһ") | frozenset("бвгдғ")  # final б в г д ғ sound voiceless
NASAL = frozenset("мнң")
GLIDE = frozenset("рйуи")  # take the vowel-initial forms: -лар, -дың, -ды …

# What the sound before a suffix must be. "poss3" is a third-person possessive ы/і (after it
# Kazakh takes -н, -на, -нда, -нан …).
V = "vowel"
SON = "sonorant"  # л м н ң з ж
GL = "glide"  # р й у и
VL = "voiceless"
NAS = "nasal"
P3 = "poss3"
P1 = "poss1"  # a first or second person singular possessive -м / -ң


def _forms(back: str, front: str, *after: str) -> list[tuple[str, frozenset[str]]]:
    return [(back, frozenset(after)), (front, frozenset(after))]


# (suffix, contexts it may follow). Both harmony variants of each.
SUFFIXES: list[tuple[str, frozenset[str]]] = [
    # plural
    *_forms("лар", "лер", V, GL),
    *_forms("дар", "дер", SON),
    *_forms("тар", "тер", VL),
    # possessive
    *_forms("ы", "і", SON, GL, VL),
    *_forms("сы", "сі", V),
    *_forms("ым", "ім", SON, GL, VL),
    ("м", frozenset({V})),  # қалам: my city, or a pen (both kept, see OPTIONAL)
    *_forms("ың", "ің", SON, GL, VL),
    *_forms("мыз", "міз", V),
    *_forms("ымыз", "іміз", SON, GL, VL),
    *_forms("ңыз", "ңіз", V),
    *_forms("ыңыз", "іңіз", SON, GL, VL),
    # cases
    ("н", frozenset({P3})),
    *_forms("ға", "ге", V, SON, GL),
    *_forms("қа", "ке", VL),
    *_forms("на", "не", P3),
    *_forms("да", "де", V, SON, GL),
    *_forms("та", "те", VL),
    *_forms("нда", "нде", P3),
    *_forms("дан", "ден", V, GL, "лзж"),
    *_forms("тан", "тен", VL),
    *_forms("нан", "нен", NAS, P3),
    *_forms("ның", "нің", V, NAS),
    *_forms("а", "е", P1),  # dative after my/your: үйіме, суыма
    *_forms("дың", "дің", GL, "лзж"),
    *_forms("тың", "тің", VL),
    *_forms("ны", "ні", V),
    *_forms("ды", "ді", SON, GL),
    *_forms("ты", "ті", VL),
    ("мен", frozenset({V, SON, GL})),
    ("бен", frozenset({SON})),
    ("пен", frozenset({VL})),
    # locative attribute: ауылдағы, көшедегі
    *_forms("дағы", "дегі", V, SON, GL),
    *_forms("тағы", "тегі", VL),
    *_forms("ндағы", "ндегі", P3),
]
# Longest first, so "-ның" is tried before "-ы".
SUFFIXES.sort(key=lambda s: -len(s[0]))
_BY_LAST = {
    last: [s for s in SUFFIXES if s[0][-1] == last] for last in {s[0][-1] for s in SUFFIXES}
}

INVARIANT = frozenset({"мен", "бен", "пен"})  # the instrumental has no back form
OPTIONAL = frozenset({"м"})  # so often the end of a root that the word is kept as a stem too
# Two-letter roots without a Kazakh-only letter are kept only when listed: "су" (water) is
# common in appeals, while a two-letter remainder of a longer word ("во" of "вода") is noise.
SHORT_ROOTS = frozenset({"су", "ас", "ат", "ет", "ой", "ел"})
MAX_STRIPS = 5
CONSONANTS = frozenset("бвгғджзйклмнңпрстфхһцчшщқ")
DROPPING = frozenset("нзқрлс")  # root-final consonants after a vowel that may drop
_DEVOICE = str.maketrans({"б": "п", "г": "к", "ғ": "қ"})


def _harmony(stem: str) -> str | None:
    """'back' or 'front' by the stem's last vowel (у is neutral); None when it has none."""
    for ch in reversed(stem):
        if ch in BACK:
            return "back"
        if ch in FRONT:
            return "front"
    return "back" if "у" in stem else None


def _contexts(stem: str) -> set[str]:
    last = stem[-1]
    found: set[str] = set()
    if last in VOWELS and last not in "уи":
        found.add(V)
    if last in VOICELESS:
        found.add(VL)
    if last in NASAL or last in "лзж":
        found.add(SON)
    if last in NASAL:
        found.add(NAS)
    if last in GLIDE:
        found.add(GL)
    if last in "лзж":
        found.add("лзж")
    if last in "мң":
        found.add(P1)
    # A possessive ы/і after a consonant or a glide: үйі, мектебі, қаласы, суы.
    if last in "ыі" and len(stem) >= 3 and (stem[-2] not in VOWELS or stem[-2] in "уи"):
        found.add(P3)
    return found


def _long_enough(stem: str) -> bool:
    if not any(ch in VOWELS for ch in stem):
        return False
    if len(stem) >= 3:
        return True
    return len(stem) == 2 and (stem in SHORT_ROOTS or any(ch in KK_ONLY for ch in stem))


def _suffix_vowel(suffix: str) -> str | None:
    for ch in suffix:
        if ch in BACK:
            return "back"
        if ch in FRONT:
            return "front"
    return None


def kazakh_stems(word: str) -> frozenset[str]:
    """The stems of a lower-case Kazakh word: case, possessive and plural suffixes stripped.

    Where an ending can be read two ways (ауданы: аудан + ы, or ауда + ны) every reading is
    kept, so the set of a form always holds the stems of the words it is built on: two forms
    of one word share a stem.
    """
    found: set[str] = set()
    _strip(word, 0, False, found)
    return frozenset(found)


def _strip(stem: str, depth: int, vowel_suffix: bool, found: set[str]) -> None:
    stripped = False
    if depth < MAX_STRIPS:
        for suffix, after in _BY_LAST.get(stem[-1], ()):
            if not stem.endswith(suffix) or len(stem) <= len(suffix):
                continue
            rest = stem[: -len(suffix)]
            if not _long_enough(rest) or not (after & _contexts(rest)):
                continue
            vowel = _suffix_vowel(suffix)
            if vowel and suffix not in INVARIANT and _harmony(rest) not in (vowel, None):
                continue
            stripped = stripped or suffix not in OPTIONAL
            _strip(rest, depth + 1, suffix[0] in VOWELS, found)
    if stripped:
        return
    found.add(stem[:-1] + stem[-1].translate(_DEVOICE))
    # орын → орны, халық → халқы: the last ы/і of a root drops before a vowel; put it back.
    if vowel_suffix and len(stem) >= 3 and stem[-1] in DROPPING and stem[-2] in CONSONANTS:
        vowel = "і" if _harmony(stem) == "front" else "ы"
        _strip(stem[:-1] + vowel + stem[-1], depth + 1, False, found)


def may_be_altered(stem: str) -> bool:
    """Whether a Kazakh stem can differ from the start of a word it is the stem of: a voiced
    б/г/ғ made voiceless, or a dropped ы/і put back (орны → орын, or оры once -н is off)."""
    if stem[-1] in "пкқ" or stem[-1] in "ыі":
        return True
    return len(stem) >= 3 and stem[-2] in "ыі" and stem[-1] in DROPPING


_russian = Stemmer.Stemmer("russian")


def russian_stem(word: str) -> str:
    stem = _russian.stemWord(word)
    # A two-letter stem of a longer word is mostly a Kazakh word cut by Russian rules
    # (ауыл, ауа → "ау"): keep the word.
    return stem if len(stem) >= 3 or len(stem) == len(word) else word


@lru_cache(maxsize=65_536)  # a registry's vocabulary; a few MB a process
def word_stems(word: str) -> tuple[str | None, tuple[str, ...]]:
    """(Russian stem, Kazakh stems) of a lower-case word; None or () where a language does not
    apply.

    Only Cyrillic words of two letters or more are stemmed: numbers, registration numbers and
    Latin words are matched as they are.
    """
    if len(word) < 2 or not _CYRILLIC_WORD.fullmatch(word):
        return None, ()
    kk = tuple(sorted(kazakh_stems(word)))
    if any(ch in KK_ONLY for ch in word):
        return None, kk
    return russian_stem(word), kk


def document_stems(words: Iterable[str]) -> tuple[list[str], list[str]]:
    """The distinct Russian and Kazakh stems of ``words``, each list sorted."""
    ru: set[str] = set()
    kk: set[str] = set()
    for word in set(words):
        r, k = word_stems(word)
        if r:
            ru.add(r)
        kk.update(k)
    return sorted(ru), sorted(kk)
