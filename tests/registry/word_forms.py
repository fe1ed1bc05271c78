"""Word forms for the search tests: Russian nouns declined by paradigm, Kazakh nouns inflected.

Generation runs forwards, by the grammar (which ending follows which stem), independently of
the search's stemmers, which run backwards. Each lemma is a list of its forms; a phrase is a
lemma whose forms are whole phrases.

The word lists are everyday appeal words. Each language has a TUNE list (looked at while the
stemmers were written) and a HELD_OUT list (not looked at): recall is asserted on the latter.
"""

from __future__ import annotations

# --- Russian -------------------------------------------------------------------------------

# Endings: nominative, genitive, dative, accusative, instrumental, prepositional; singular then
# plural. "{}" is the stem; a second stem (after "|") serves the genitive plural where a vowel
# is inserted or dropped (остановок, рынок/рынка).
_RU_NOUN = {
    # masculine, hard: двор
    "m": ("", "а", "у", "", "ом", "е", "ы", "ов", "ам", "ами", "ах"),
    # masculine after г к х: налог (налоги)
    "m-k": ("", "а", "у", "", "ом", "е", "и", "ов", "ам", "ами", "ах"),
    # feminine -а: вода
    "f": ("а", "ы", "е", "у", "ой", "е", "ы", "", "ам", "ами", "ах"),
    # feminine -а after г к х ж ш щ ч: дорога (дороги)
    "f-k": ("а", "и", "е", "у", "ой", "е", "и", "", "ам", "ами", "ах"),
    # feminine -ия: пенсия
    "f-ia": ("ия", "ии", "ии", "ию", "ией", "ии", "ии", "ий", "иям", "иями", "иях"),
    # feminine -ь: очередь
    "f-soft": ("ь", "и", "и", "ь", "ью", "и", "и", "ей", "ям", "ями", "ях"),
    # feminine -ь after a hissing sound: помощь
    "f-hiss": ("ь", "и", "и", "ь", "ью", "и", "и", "ей", "ам", "ами", "ах"),
    # feminine -я: торговля
    "f-ja": ("я", "и", "е", "ю", "ей", "е", "и", "ь", "ям", "ями", "ях"),
    # neuter -ие: отопление
    "n-ie": ("ие", "ия", "ию", "ие", "ием", "ии", "ия", "ий", "иям", "иями", "иях"),
    # neuter -о: строительство
    "n-o": ("о", "а", "у", "о", "ом", "е", "а", "", "ам", "ами", "ах"),
}
_RU_ADJ = {
    # feminine adjectives, hard (холодная) and soft after щ ч (управляющая, горячая)
    "adj-f": ("ая", "ой", "ой", "ую", "ой", "ой", "ые", "ых", "ым", "ые", "ыми", "ых"),
    "adj-f-soft": ("ая", "ей", "ей", "ую", "ей", "ей", "ие", "их", "им", "ие", "ими", "их"),
    "adj-f-k": ("ая", "ой", "ой", "ую", "ой", "ой", "ие", "их", "им", "ие", "ими", "их"),
    # masculine adjectives: земельный, детский (the accusative of an inanimate noun = nominative)
    "adj-m": ("ый", "ого", "ому", "ый", "ым", "ом", "ые", "ых", "ым", "ые", "ыми", "ых"),
    "adj-m-k": ("ий", "ого", "ому", "ий", "им", "ом", "ие", "их", "им", "ие", "ими", "их"),
}


def _ru_noun_cases(stem: str, kind: str, singular_only: bool = False) -> list[str]:
    """The six singular cases, then (unless ``singular_only``) the six plural ones."""
    stem, _, gen_pl_stem = stem.partition("|")
    ends = _RU_NOUN[kind]
    forms = [stem + e for e in ends[:6]]
    if not singular_only:
        plural = [ends[6], ends[7], ends[8], ends[6], ends[9], ends[10]]  # acc = nom: inanimate
        forms += [
            (gen_pl_stem if i == 1 and gen_pl_stem else stem) + e for i, e in enumerate(plural)
        ]
    return forms


def ru_noun(stem: str, kind: str, singular_only: bool = False) -> list[str]:
    return list(dict.fromkeys(_ru_noun_cases(stem, kind, singular_only)))


def ru_phrase(
    adj_stem: str, adj_kind: str, noun_stem: str, noun_kind: str, singular_only: bool = False
) -> list[str]:
    nouns = _ru_noun_cases(noun_stem, noun_kind, singular_only)
    adj = _RU_ADJ[adj_kind][: len(nouns)]
    return list(dict.fromkeys(f"{adj_stem}{a} {n}" for a, n in zip(adj, nouns, strict=True)))


RU_TUNE: dict[str, list[str]] = {
    "вода": ru_noun("вод", "f"),
    "отопление": ru_noun("отоплен", "n-ie", singular_only=True),
    "дорога": ru_noun("дорог", "f-k"),
    "школа": ru_noun("школ", "f"),
    "управляющая компания": ru_phrase("управляющ", "adj-f-soft", "компан", "f-ia"),
    "двор": ru_noun("двор", "m"),
    "квартира": ru_noun("квартир", "f"),
    "крыша": ru_noun("крыш", "f-k"),
    "ремонт": ru_noun("ремонт", "m"),
    "пенсия": ru_noun("пенс", "f-ia"),
    "жалоба": ru_noun("жалоб", "f"),
    "район": ru_noun("район", "m"),
    "освещение": ru_noun("освещен", "n-ie"),
    "подъезд": ru_noun("подъезд", "m"),
    "лифт": ru_noun("лифт", "m"),
    "детский сад": ru_phrase("детск", "adj-m-k", "сад", "m"),
    "очередь": ru_noun("очеред", "f-soft"),
}
RU_HELD_OUT: dict[str, list[str]] = {
    "труба": ru_noun("труб", "f"),
    "подвал": ru_noun("подвал", "m"),
    "остановка": ru_noun("остановк|остановок", "f-k"),
    "площадка": ru_noun("площадк|площадок", "f-k"),
    "тротуар": ru_noun("тротуар", "m"),
    "налог": ru_noun("налог", "m-k"),
    "разрешение": ru_noun("разрешен", "n-ie"),
    "строительство": ru_noun("строительств", "n-o", singular_only=True),
    "водоснабжение": ru_noun("водоснабжен", "n-ie", singular_only=True),
    "канализация": ru_noun("канализац", "f-ia"),
    "поликлиника": ru_noun("поликлиник", "f-k"),
    "библиотека": ru_noun("библиотек", "f-k"),
    # the nominative and accusative singular keep the vowel the other forms drop
    "рынок": [f if f != "рынк" else "рынок" for f in ru_noun("рынк", "m-k")],
    "город": ru_noun("город", "m"),
    "памятник": ru_noun("памятник", "m-k"),
    "авария": ru_noun("авар", "f-ia"),
    "земельный участок": ru_phrase("земельн", "adj-m", "участк", "m-k"),
    "скорая помощь": ru_phrase("скор", "adj-f", "помощ", "f-hiss", singular_only=True),
    "детская площадка": ru_phrase("детск", "adj-f-k", "площадк|площадок", "f-k"),
    "помощь": ru_noun("помощ", "f-hiss", singular_only=True),
    "пособие": ru_noun("пособ", "n-ie"),
    "загрязнение": ru_noun("загрязнен", "n-ie"),
    "электричество": ru_noun("электричеств", "n-o", singular_only=True),
    "торговля": ru_noun("торговл", "f-ja", singular_only=True),
    "мусор": ru_noun("мусор", "m", singular_only=True),
}


# --- Kazakh --------------------------------------------------------------------------------

KK_BACK = set("аоұыяёю")
KK_FRONT = set("әөүіеэи")
KK_VOWELS = set("аәоөұүыіеэиуюяё")
_VOICELESS = set("пфктсшщхцчқһбвгд")
_NASAL = set("мнң")


def _front(word: str) -> bool:
    for ch in reversed(word):
        if ch in KK_BACK:
            return False
        if ch in KK_FRONT:
            return True
    return False  # су, ту: back


def _pick(word: str, back: str, front: str) -> str:
    return front if _front(word) else back


def _vowel_end(word: str) -> bool:
    return word[-1] in KK_VOWELS and word[-1] not in "уи"


class KazakhNoun:
    """Inflects a noun: ``voice`` for п/к/қ that voice before a vowel (мектеп → мектебі),
    ``drop`` for a last-syllable ы/і that drops before a vowel (орын → орны)."""

    def __init__(self, root: str, voice: bool = False, drop: bool = False, head: str = ""):
        self.root, self.voice, self.drop, self.head = root, voice, drop, head

    def _before_vowel(self, base: str) -> str:
        if base == self.root and self.drop:
            base = base[:-2] + base[-1]
        if base == self.root and self.voice:
            base = base[:-1] + {"п": "б", "к": "г", "қ": "ғ"}.get(base[-1], base[-1])
        return base

    def plural(self, base: str) -> str:
        last = base[-1]
        if _vowel_end(base) or last in "рйуи":
            c = "л"
        elif last in "лмнңзж":
            c = "д"
        else:
            c = "т"
        return base + c + _pick(base, "ар", "ер")

    def poss3(self, base: str) -> str:
        if _vowel_end(base):
            return base + _pick(base, "сы", "сі")
        return self._before_vowel(base) + _pick(base, "ы", "і")

    def poss1(self, base: str) -> str:
        if _vowel_end(base):
            return base + "м"
        return self._before_vowel(base) + _pick(base, "ым", "ім")

    def poss1pl(self, base: str) -> str:
        if _vowel_end(base):
            return base + _pick(base, "мыз", "міз")
        return self._before_vowel(base) + _pick(base, "ымыз", "іміз")

    def poss2(self, base: str) -> str:
        if _vowel_end(base):
            return base + _pick(base, "ңыз", "ңіз")
        return self._before_vowel(base) + _pick(base, "ыңыз", "іңіз")

    @staticmethod
    def cases(base: str, after_poss3: bool = False, after_poss1: bool = False) -> list[str]:
        last = base[-1]
        vowel = _vowel_end(base)
        voiceless = not vowel and last in _VOICELESS
        nasal = last in _NASAL

        def h(back: str, front: str) -> str:
            return _pick(base, back, front)

        if after_poss3:
            return [
                base + h("ның", "нің"),
                base + h("на", "не"),
                base + "н",
                base + h("нда", "нде"),
                base + h("нан", "нен"),
                base + "мен",
                base + h("ндағы", "ндегі"),
            ]
        gen = "т" if voiceless else ("н" if vowel or nasal else "д")
        acc = "т" if voiceless else ("н" if vowel else "д")
        dat = h("а", "е") if after_poss1 else (h("қа", "ке") if voiceless else h("ға", "ге"))
        loc = "т" if voiceless else "д"
        abl = "т" if voiceless else ("н" if nasal else "д")
        ins = "пен" if voiceless else ("бен" if last in "жз" else "мен")
        return [
            base + gen + h("ың", "ің"),
            base + dat,
            base + acc + h("ы", "і"),
            base + loc + h("а", "е"),
            base + abl + h("ан", "ен"),
            base + ins,
            base + loc + h("ағы", "егі"),
        ]

    def forms(self) -> list[str]:
        r = self.root
        pl = self.plural(r)
        p3, pl_p3 = self.poss3(r), self.poss3(pl)
        p1, p1pl, p2 = self.poss1(r), self.poss1pl(r), self.poss2(r)
        words = [r, pl, p3, pl_p3, p1, p1pl, p2]
        words += self.cases(r) + self.cases(pl)
        words += self.cases(p3, after_poss3=True) + self.cases(pl_p3, after_poss3=True)
        words += self.cases(p1, after_poss1=True)[:2] + self.cases(p1pl)[:4]
        words += self.cases(p2)[:4]
        out = list(dict.fromkeys(words))
        return [f"{self.head} {w}" for w in out] if self.head else out


def kk(root: str, **kw) -> list[str]:
    return KazakhNoun(root, **kw).forms()


KK_TUNE: dict[str, list[str]] = {
    "су": kk("су"),
    "мектеп": kk("мектеп", voice=True),
    "жол": kk("жол"),
    "жылу": kk("жылу"),
    "аудан": kk("аудан"),
    "қала": kk("қала"),
    "тұрғын": kk("тұрғын"),
    "үй": kk("үй"),
    "басқарушы компания": kk("компания", head="басқарушы"),
    "лифт": kk("лифт"),
    "кезек": kk("кезек", voice=True),
    "жарық": kk("жарық", voice=True),
    "кітап": kk("кітап", voice=True),
    "тамақ": kk("тамақ", voice=True),
}
KK_HELD_OUT: dict[str, list[str]] = {
    "жер": kk("жер"),
    "көше": kk("көше"),
    "ауыл": kk("ауыл"),
    "пәтер": kk("пәтер"),
    "шатыр": kk("шатыр"),
    "құбыр": kk("құбыр"),
    "жертөле": kk("жертөле"),
    "балабақша": kk("балабақша"),
    "аула": kk("аула"),
    "аялдама": kk("аялдама"),
    "тротуар": kk("тротуар"),
    "емхана": kk("емхана"),
    "кітапхана": kk("кітапхана"),
    "зейнетақы": kk("зейнетақы"),
    "жәрдемақы": kk("жәрдемақы"),
    "төлем": kk("төлем"),
    "салық": kk("салық", voice=True),
    "жұмыс": kk("жұмыс"),
    "орын": kk("орын", drop=True),
    "көпір": kk("көпір"),
    "газ": kk("газ"),
    "электр": kk("электр"),
    "ағаш": kk("ағаш"),
    "қоқыс": kk("қоқыс"),
    "жедел жәрдем": kk("жәрдем", head="жедел"),
}
