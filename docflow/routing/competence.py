"""The competence map: what each subdivision answers for, and where (R-ROUTE-1).

The profile setting ``competence`` lists, per subdivision, Kazakh and Russian words and phrases
an administrator can edit. Two questions are kept apart:

* **what** — the question's subject: the departments' terms (heating → ENERGY, kindergarten
  queue → EDU). ``CompetenceMap.subjects`` ranks them;
* **where** — the district the appeal names: a district akimat's entry has ``names`` (and may
  have ``places``: microdistricts, villages) besides its local terms. ``CompetenceMap.district``
  finds it; its local terms (yard, lighting, potholes…) count only when it is named, since
  without a name the city department for the subject is the right suggestion.

Matching copes with how people write, not with the samples: case endings (Russian endings
replace, Kazakh suffixes are appended, with the consonant alternation «мектеп → мектебі»), a
Russian keyboard for Kazakh letters, Latin look-alike letters inside Cyrillic words, fleeting
vowels («каток → катка», «скамейка → скамеек»). Each word of the text is one piece of evidence:
overlapping terms of one subdivision count once, and a word several subdivisions claim is shared
between them.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

# --- text normalisation ---------------------------------------------------------------------

# Appeals are often typed on a Russian keyboard: «құбыр» as «кубыр», «і» as a Latin «i». Folding
# Kazakh letters to their nearest Russian ones (in text and terms alike) matches either spelling;
# «э» → «е» makes «Ауэзов» and «Әуезов» one word.
_FOLD = str.maketrans("ёәғқңөұүһіiэ", "еагкноуухиие")
# Latin letters that look Cyrillic, typed or OCR'd inside a Cyrillic word («пoликлиника»).
_HOMOGLYPHS = str.maketrans("aceopxykmthb", "асеорхукмтнв")
_WORD = re.compile(r"\w+")
_CYRILLIC = re.compile("[а-я]")
_LATIN = re.compile("[a-z]")


def normalize(text: str) -> str:
    """Lower-case and fold Kazakh letters, so matching ignores case and keyboard layout."""
    return text.lower().translate(_FOLD)


def _word(word: str) -> str:
    if _LATIN.search(word) and _CYRILLIC.search(word):
        return word.translate(_HOMOGLYPHS)
    return word


def tokens(text: str) -> list[str]:
    return [_word(w) for w in _WORD.findall(normalize(text))]


# Russian is fusional: the ending replaces, so «горячая вода» must also match «горячей воды».
# Russian terms lose one nominative ending; Kazakh is agglutinative (suffixes are appended), so a
# Kazakh stem already matches every inflected form by prefix and is used as written.
_RU_ENDINGS = (  # longest first
    *("ая", "яя", "ое", "ее", "ые", "ие", "ый", "ий", "ой", "ую", "юю", "ия", "ья", "ье"),
    *("а", "я", "о", "е", "ы", "и", "у", "ю", "ь", "й"),
)
_MIN_STEM = 3
_MIN_VERB = 4  # a shorter verb stem (кес-, бер-, жағ-) would match unrelated words
# A short term (an abbreviation like «АСП», «ОСИ», or a stem like «дым», «жил-») matches a word
# with at most a case ending more, not every longer word it begins («асп-айды», «оси-на»).
_SHORT, _SHORT_ENDING = 3, 2
_RU_GLUE = frozenset(
    {"в", "во", "на", "к", "ко", "с", "со", "по", "о", "об", "у", "за", "из", "до", "от", "и", "а"}
)
_RU_CONSONANT = "бвгджзклмнпрстфхцчшщ"
# Kazakh voiceless stem-final consonants voice before a vowel suffix: мектеп → мектебі,
# кезек → кезегі, тұрақ → тұрағы (қ/ғ fold to к/г).
_KK_VOICING = {"п": "б", "к": "г"}
# Words of a phrase may be separated by up to this many other words («очередь в детский сад»).
_PHRASE_GAP = 2


def _ru_stem(word: str) -> str:
    for ending in _RU_ENDINGS:
        if word.endswith(ending) and len(word) - len(ending) >= _MIN_STEM:
            return word[: -len(ending)]
    return word


def _ru_variants(word: str) -> tuple[str, ...]:
    """The word's stem, its fleeting-vowel forms (каток → катк-; скамейка → скамеек, площадок)
    and a verbal noun's verb (загрязнение → загрязн-яет, расселение → рассел-яют)."""
    stem = _ru_stem(word)
    variants = [stem]
    for suffix in ("ение", "ание", "ени", "ани"):
        if word.endswith(suffix) and len(word) - len(suffix) >= _MIN_VERB:
            variants.append(word[: -len(suffix)])
            break
    if len(stem) >= 5 and stem[-3] in _RU_CONSONANT and stem[-2] in "ое" and stem[-1] in "кц":
        variants.append(stem[:-2] + stem[-1])  # каток → катка, отец-style
    if len(stem) >= 5 and stem[-1] == "к" and stem[-2] in _RU_CONSONANT + "й":
        base = stem[:-2] if stem[-2] == "й" else stem[:-1]
        variants.extend((base + "ек", base + "ок"))  # genitive plural: нет скамеек, площадок
    return tuple(dict.fromkeys(variants))


def _kk_variants(stem: str) -> tuple[str, ...]:
    """The stem, its voiced form (мектеп → мектеб-і) and a verbal noun's verb (тазалау →
    тазала-нбай, ластану → ластан-ған)."""
    variants = [stem]
    voiced = _KK_VOICING.get(stem[-1]) if len(stem) >= 3 else None
    if voiced:
        variants.append(stem[:-1] + voiced)
    if stem.endswith("у") and len(stem) - 1 >= _MIN_VERB:
        variants.append(stem[:-1])
    return tuple(variants)


# --- terms ----------------------------------------------------------------------------------

CONTEXT_MARK, CONTEXT_WEIGHT = "~", 0.5


@dataclass(frozen=True)
class _Term:
    """A word or phrase of the map: a run of words, each matched by prefix (any variant)."""

    text: str
    stems: tuple[tuple[str, ...], ...]  # per word: the prefixes that match it
    joined: tuple[str, ...] = ()  # a Kazakh two-word term written as one word: the prefixes
    context: bool = False  # «~завод»: names a place or an actor, not the problem

    @classmethod
    def parse(cls, text: str, lang: str | None) -> _Term | None:
        context = text.startswith(CONTEXT_MARK)
        if context:
            text = text[len(CONTEXT_MARK) :]
        words = tokens(text)
        if lang == "ru":
            # Prepositions vary («очередь в/на детский сад»); the phrase gap absorbs them.
            words = [w for w in words if w not in _RU_GLUE] or words
            stems = tuple(_ru_variants(w) for w in words)
            words = [alternatives[0] for alternatives in stems]
        elif lang == "kk":
            stems = tuple(_kk_variants(w) for w in words)
        else:
            stems = tuple((w,) for w in words)
        if not stems:
            return None
        # Kazakh compounds are written apart or together: «көп балалы» / «көпбалалы».
        joined = _kk_variants(words[0] + words[1]) if lang == "kk" and len(words) == 2 else ()
        return cls(text, stems, joined, context)

    @property
    def key(self) -> tuple[str, ...]:
        return tuple(alternatives[0] for alternatives in self.stems)

    @property
    def weight(self) -> float:
        # A phrase says more than a single word («ыстық су» vs «су»); a place or an actor
        # («~аула», «~завод») less than the problem itself («ағаш кесу», «дым»).
        return (1.0 + 0.5 * (len(self.stems) - 1)) * (CONTEXT_WEIGHT if self.context else 1.0)

    @property
    def specificity(self) -> int:
        return sum(len(alternatives[0]) for alternatives in self.stems)

    def find(self, words: Sequence[str], prefixes: set[str]) -> tuple[tuple[int, int], ...] | None:
        """(position, matched prefix length) of each word the term covers (first occurrence)."""
        if self.joined and any(s in prefixes for s in self.joined):
            for start, word in enumerate(words):
                if _starts(word, self.joined):
                    return ((start, len(self.joined[0])),)
        if not all(any(s in prefixes for s in alternatives) for alternatives in self.stems):
            return None  # the usual case, decided without scanning the text
        short = len(self.stems) == 1 and len(self.stems[0][0]) <= _SHORT
        for start, word in enumerate(words):
            if short and len(word) > len(self.stems[0][0]) + _SHORT_ENDING:
                continue
            if _starts(word, self.stems[0]):
                rest = _follows(words, start + 1, self.stems[1:])
                if rest is not None:
                    positions = (start, *rest)
                    return tuple(
                        (p, len(alts[0])) for p, alts in zip(positions, self.stems, strict=True)
                    )
        return None


def _starts(word: str, alternatives: tuple[str, ...]) -> bool:
    return any(word.startswith(s) for s in alternatives)


def _follows(
    words: Sequence[str], pos: int, stems: Sequence[tuple[str, ...]]
) -> tuple[int, ...] | None:
    if not stems:
        return ()
    for i in range(pos, min(pos + _PHRASE_GAP + 1, len(words))):
        if _starts(words[i], stems[0]):
            rest = _follows(words, i + 1, stems[1:])
            if rest is not None:
                return (i, *rest)
    return None


def _unique(terms: Iterable[_Term]) -> tuple[_Term, ...]:
    # «лифт» in both languages, or «участок» and «участк», count once.
    first: dict[tuple[str, ...], _Term] = {}
    for term in terms:
        first.setdefault(term.key, term)
    return tuple(first.values())


# --- the map --------------------------------------------------------------------------------

NAME_WEIGHT = 1.0
# The subject is usually named first («Прошу залить каток во дворе»): earlier evidence weighs up
# to this much more, which mostly breaks ties between one-word matches.
POSITION_BONUS = 0.15


@dataclass(frozen=True)
class _Competence:
    terms: tuple[_Term, ...]
    # A district akimat: its names («Медеу ауданы», «Медеуский район») and places gate the
    # entry (see the module docstring).
    names: tuple[_Term, ...] = ()


@dataclass(frozen=True)
class District:
    """Where: the district akimat an appeal names (``names``: the names or places found).

    ``terms`` are its local-question terms found in the text; the question is ``local`` (the
    district akimat answers it) only when there are some.
    """

    code: str
    names: tuple[str, ...]
    terms: tuple[str, ...] = ()
    score: float = 0.0

    @property
    def local(self) -> bool:
        return bool(self.terms)


Scores = dict[str, tuple[float, list[str]]]


class CompetenceMap:
    """What each subdivision answers for, from the profile setting ``competence``.

    Setting shape: ``{CODE: {"kk": [term, …], "ru": [term, …], "names": [term, …],
    "places": [term, …]}}`` — terms are lower-case stems or phrases matched by word prefix;
    a term marked ``~`` («~аула», «~завод») names a place or an actor the subdivision deals with
    rather than a problem, and counts half (many questions happen in a yard, few are about
    it); ``names`` (and ``places``) make the entry a district's (see ``District``).
    """

    def __init__(self, entries: Mapping[str, _Competence] | None = None) -> None:
        self.entries: dict[str, _Competence] = dict(entries or {})
        # First stem → the terms starting with it, so scoring looks only at terms that can match.
        self._index: dict[str, list[tuple[str, bool, _Term]]] = defaultdict(list)
        for code, entry in self.entries.items():
            for is_name, terms in ((True, entry.names), (False, entry.terms)):
                for term in terms:
                    for stem in term.stems[0]:
                        self._index[stem].append((code, is_name, term))

    @classmethod
    def from_profile_setting(cls, data: Mapping[str, Any] | None) -> CompetenceMap:
        """Parse the setting; a malformed entry raises ``ValueError`` naming the code."""
        entries: dict[str, _Competence] = {}
        for code, entry in (data or {}).items():
            if not isinstance(entry, Mapping):
                raise ValueError(f'competence["{code}"] must be an object of term lists')
            terms: list[_Term] = []
            names: list[_Term] = []
            for lang, values in entry.items():
                if not isinstance(values, list) or not all(isinstance(v, str) for v in values):
                    raise ValueError(f'competence["{code}"]["{lang}"] must be a list of strings')
                is_name = lang in ("names", "places")
                parsed = (_Term.parse(v, None if is_name else lang) for v in values)
                (names if is_name else terms).extend(t for t in parsed if t is not None)
            entries[code] = _Competence(_unique(terms), _unique(names))
        return cls(entries)

    def __bool__(self) -> bool:
        return bool(self.entries)

    @property
    def codes(self) -> list[str]:
        return list(self.entries)

    @property
    def districts(self) -> set[str]:
        return {code for code, entry in self.entries.items() if entry.names}

    # -- scoring --

    def _matches(self, words: Sequence[str]) -> dict[str, list]:
        prefixes = {w[:i] for w in words for i in range(1, len(w) + 1)}
        found: dict[str, list] = defaultdict(list)
        seen: set[tuple[str, int]] = set()
        for prefix in prefixes:
            for code, is_name, term in self._index.get(prefix, ()):
                if (code, id(term)) in seen:
                    continue
                seen.add((code, id(term)))
                positions = term.find(words, prefixes)
                if positions is not None:
                    found[code].append((is_name, term, positions))
        return found

    def _evidence(self, words: Sequence[str], found: Mapping[str, list]) -> Scores:
        """Per code: each text word counted once (its longest term); a word several codes claim
        goes to the longest claim (the word «өнеркәсіп» is industry, not «өнер» art) and is
        shared on a tie; earlier words weigh a little more."""
        chosen: dict[str, list[tuple[_Term, tuple[tuple[int, int], ...]]]] = {}
        for code, hits in found.items():
            hits = sorted(
                (h for h in hits if not h[0]),
                key=lambda h: (-len(h[1].stems), -h[1].specificity, h[2][0][0]),
            )
            used: set[int] = set()
            kept = []
            for _, term, covered in hits:
                positions = {p for p, _ in covered}
                if used.isdisjoint(positions):
                    used.update(positions)
                    kept.append((term, covered))
            if kept:
                chosen[code] = kept
        longest: dict[int, int] = defaultdict(int)
        claims: dict[int, int] = defaultdict(int)
        for kept in chosen.values():
            for _, covered in kept:
                for p, length in covered:
                    longest[p] = max(longest[p], length)
        for kept in chosen.values():
            for _, covered in kept:
                for p, length in covered:
                    claims[p] += length == longest[p]
        n = max(len(words), 1)
        result: Scores = {}
        for code, kept in chosen.items():
            score = 0.0
            for term, covered in kept:
                share = sum(
                    1 / claims[p] if length == longest[p] else 0.0 for p, length in covered
                ) / len(covered)
                first = covered[0][0]
                score += term.weight * share * (1 + POSITION_BONUS * (1 - first / n))
            if score > 0:
                kept.sort(key=lambda item: item[1][0][0])
                result[code] = (score, [term.text for term, _ in kept])
        return result

    def subjects(self, text: str) -> Scores:
        """What: the departments (entries without names) whose terms occur in ``text``, as
        (evidence, the terms found as written, in text order)."""
        return self.analyse(text)[0]

    def district(self, text: str) -> District | None:
        """Where: the district named in ``text`` (most name mentions, then the first named)."""
        return self.analyse(text)[1]

    def _district(self, words: Sequence[str], found: Mapping[str, list]) -> District | None:
        named = []
        for code in self.districts & set(found):
            names = [(term, pos[0][0]) for is_name, term, pos in found[code] if is_name]
            if names:
                first = min(pos for _, pos in names)
                named.append((-len(names), first, code, names))
        if not named:
            return None
        _, _, code, names = min(named)
        # The words of the name («мкр Самал», «Медеу ауданы») are not a question; a question is
        # local when a term of its own (not only a place or an actor) is found.
        in_name = {p for is_name, _, pos in found[code] if is_name for p, _ in pos}
        hits = [h for h in found[code] if not h[0] and in_name.isdisjoint(p for p, _ in h[2])]
        local = self._evidence(words, {code: hits}).get(code)
        if local is None or all(term.context for _, term, _ in hits):
            return District(code, tuple(t.text for t, _ in sorted(names, key=lambda n: n[1])))
        score, terms = local
        return District(
            code,
            tuple(t.text for t, _ in sorted(names, key=lambda n: n[1])),
            tuple(terms),
            NAME_WEIGHT + score,
        )

    def analyse(self, text: str) -> tuple[Scores, District | None]:
        """What and where at once: ``subjects(text)`` and ``district(text)``."""
        words = tokens(text)
        found = self._matches(words)
        # Words of a district's name or place say where, never what («Шаңырақ» is no «шаң»).
        named = {
            p for hits in found.values() for is_name, _, pos in hits if is_name for p, _ in pos
        }
        subjects = self._evidence(
            words,
            {
                code: [h for h in hits if named.isdisjoint(p for p, _ in h[2])]
                for code, hits in found.items()
                if code not in self.districts
            },
        )
        return subjects, self._district(words, found)

    def score(self, text: str) -> Scores:
        """What and where together: the subjects, and the named district when the question is
        local to it (its evidence: the name's weight plus its local terms)."""
        result, where = self.analyse(text)
        if where is not None and where.local:
            result[where.code] = (where.score, [*where.names, *where.terms])
        return result
