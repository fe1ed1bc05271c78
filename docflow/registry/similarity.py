"""How similar two appeals' questions are (R-ROUTE-4 repeat detection), in Kazakh and Russian.

The largest of three signals, each in [0, 1]: the wording (content words matched by stem), the
subject (the office's competence map, through the providers other domains register in
``TOPIC_PROVIDERS``) and the applicant's own word that it is a repeat. ``SIMILAR`` and the scales
are chosen on the tuning questions of tests/registry/test_repeat_detection.py and measured on its
held-out questions.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable

# Chosen on the tuning and development questions of tests/registry/test_repeat_detection.py,
# recall first while at most a fifth of other questions become candidates: an eighth of the
# content words in common, or two sevenths of the subject the same, is the same question.
SIMILAR = 0.5
WORDING_SCALE, SUBJECT_SCALE, REPEAT_MARKER = 4.0, 1.75, 0.6
MAX_WORDS = 120
_WORD = re.compile(r"[^\W\d_]+", re.UNICODE)
# Kazakh letters to their nearest Russian ones, as a Russian keyboard types them (құбыр/кубыр).
_FOLD = str.maketrans("ёәғқңөұүһіi", "еагкноуухии")
_ABBREVIATIONS = frozenset(
    ["ул", "д", "кв", "мкр", "пр", "г", "им", "пос", "с", "т", "корп", "обл", "просп", "тел"]
)
_ADDRESS_NOUNS = frozenset(["патер", "кв", "квартира", "уй", "дом", "корпус", "корп", "блок"])
# What follows a street's or a district's name (folded stems).
_PLACE_NOUNS = ("коше", "дангыл", "шагын", "аудан", "ауыл", "мкр", "район", "улиц", "проспект")
_GAP = re.compile(r"[\s\d«»\"'-]*")

# Subject providers: text -> {"CODE": weight, "CODE:term": weight}; routing registers the
# competence map. Case hooks: called with (item, actor) when the item's earlier cases change
# (a link or a decision), so routing can end an assignment the change makes unlawful.
TOPIC_PROVIDERS: list[Callable[[str], dict[str, float]]] = []

# Not what the question is about. Common words: function words, and words of letters, places and
# times that competence terms may contain («нет воды», «тұрғын үй», «көше жарығы», «социальная
# помощь»). Letter words: the formulas every letter has, address and date words, which the
# subject providers do not see either (one applicant's letters all carry them). Matched after
# folding (see _FOLD); a trailing "*" matches every word that starts so (a stem and its endings).
_COMMON_WORDS = """
и в во на по с со к ко о об обо от до из за для при про под над без через у не ни нет но а же
ли бы то что чтобы как так это уже еще даже только также тоже или либо да если чем потому
поэтому однако я мы вы ты он она оно они мне меня нас вас нам вам ему ей им их его ее мой моя
мое мои моего моей моих моим моем мою наш наша наше наши нашего нашей нашем нашу нашим наших
ваш ваша ваше ваши вашу вашей вашего свой свою своего своей своих себя себе там тут где когда
куда который которая которое которые которых этот эта эти этого этой этом этих тот та те того
той все весь вся всех всем был была было были будет будут есть является можно нужно надо
необходимо должен должны могу может могут хочу хотим очень сейчас теперь всегда никто ничего
каждый какой какие рядом возле около срок сроки срока помочь помощь ул улица улице улицу улицы
улиц дом дома доме дому домом домов дают дали выдают выдали обращ* рассмотр* ответ* прожива*
город* получ*
мен сен ол біз сіз сендер олар маған саған оған бізге сізге оларға менің сенің оның біздің
сіздің олардың мені сені оны бізді сізді мына осы сол бұл ана мұнда сонда және де да те та
ма ме ба бе па пе ғой қой үшін туралы бойынша арқылы дейін кейін бері бар жоқ еді екен емес
болып болды болса болған болады деп деген дейді жатыр тұр отыр ал бірақ сияқты тек енді қазір
ешқандай барлық бәрі әр әрбір өз өзі өзінің немесе не яғни себебі сондықтан егер онда ғана ең
өте сайын келеді қалды үй үйі үйге үйде үйден үйдің үйді үйіміз үйімізге үйіміздің үйімізде
шағын әлі өтініш* көмек* жауа* қарау* мерзім* көше* қала* бер*
"""
_LETTER_WORDS = """
прошу просим просьба просьбу здравствуйте заранее спасибо надеюсь меры мер принять разобраться
ситуации ситуацию решить решение решения вопрос вопросу дать сообщаю сообщаем связи связь адрес
адресу адреса адресом убедительно д кв мкр пр г пос раз раза добрый доброго день пишу пишем
имени жду ждем ждём уважением
аким* уважаем* благодар* установленн* закон* электронн* телефон* почт* жител* жильц* граждан*
обрати* вынужд* письменн* понимани*
микрорайон* проспект* район* недел* месяц* результат* звонил* служб* длит* проблем* январ*
феврал* март* апрел* июн* июл* август* сентябр* октябр* ноябр* декабр*
құрметті мырза ханым шара алдын ала рахмет белгіленген ретінде отырмын отырмыз тұрғыны тұратын
тұрамын тұрамыз жерім рет би қазаннан қазанда қызметке сәлеметсіз қайырлы күн атынан жазып
күтемін күтеміз құрметпен
әкім* сұра* өтінем* жүгін* қолдан* мәселе* шеш* мекенжай* телефон* байланыс* электрон* пошта*
мәжбүр* тұрғында*
хабарла* даңғыл* аудан* апта* нәтиже* жалғас* жіберу* қаңтар* ақпан* наурыз* сәуір* мамыр*
шілде* тамыз* қыркүйек* қараша* желтоқсан*
"""

# The applicant says it is a repeat. «қайта» alone also makes «қайта қарау» (review), «қайта
# даярлау» (retraining): only with a verb of writing, whose stem takes any ending.
REPEAT_MARKERS = (
    *("повторно", "повторное", "повторная", "снова", "вновь", "еще раз", "ещё раз", "опять"),
    *("до сих пор", "так и не", "қайтадан", "тағы да", "әлі де", "әлі күнге", "бұрын да"),
    *("екінші рет", "қайта жүгін", "қайта жаз", "қайта өтін", "қайта хабарлас", "қайта сұра"),
)
_MARKERS = re.compile(
    r"(?<!\w)(?:"
    + "|".join(
        re.escape(m) + (r"\w*" if m.startswith("қайта ") else r"(?!\w)") for m in REPEAT_MARKERS
    )
    + ")",
    re.IGNORECASE,
)


# --- similarity -----------------------------------------------------------------------------


def _fold(word: str) -> str:
    return word.lower().translate(_FOLD)


def _stop_lists(*texts: str) -> tuple[frozenset[str], tuple[str, ...]]:
    words = [_fold(w) for text in texts for w in text.split()]
    return (
        frozenset(w for w in words if not w.endswith("*")),
        tuple(w[:-1] for w in words if w.endswith("*")),
    )


STOP, STOP_STEMS = _stop_lists(_COMMON_WORDS, _LETTER_WORDS)
_LETTER, _LETTER_STEMS = _stop_lists(_LETTER_WORDS)


def _proper(text: str, start: int, word: str) -> bool:
    """A capitalised word inside a sentence, or before «көшесі», «ауданы»…: a name or a place
    (who and where, not what)."""
    if not (word[0].isupper() and word[1:].islower()):
        return False
    end = start + len(word)
    for _ in range(2):  # «Абай даңғылы», «Төле би көшесі»
        after = _WORD.match(text, end + len(_GAP.match(text, end)[0]))
        if not after:
            break
        if _fold(after[0]).startswith(_PLACE_NOUNS):
            return True
        end = after.end()
    before = text[max(0, start - 40) : start].rstrip(" \t«\"'(")
    if not before or before[-1] in "\n!?…":
        return False
    if before[-1] == ".":  # a sentence ends, unless the period closes «ул.», «д.»…
        last = re.findall(r"\w+", before[-12:])
        return bool(last) and _fold(last[-1]) in _ABBREVIATIONS
    return True


def _numbered(text: str, start: int, end: int) -> bool:
    # «12 пәтер», «кв. 12», «дом 17»: a number next to the word makes it part of an address.
    before, after = (
        text[max(0, start - 8) : start].rstrip(" .,"),
        text[end : end + 8].lstrip(" .,№"),
    )
    return (before[-1:].isdigit()) or (after[:1].isdigit())


def _words(text: str) -> Iterable[tuple[re.Match[str], str]]:
    """The words of the text that are not a name, a place or a numbered address part, with
    their folded form."""
    for m in _WORD.finditer(text):
        word = m.group()
        if len(word) < 2 or _proper(text, m.start(), word):
            continue
        folded = _fold(word)
        if folded in _ADDRESS_NOUNS and _numbered(text, m.start(), m.end()):
            continue
        yield m, folded


def content_words(text: str) -> list[str]:
    """The words that say what the question is about, folded, in text order."""
    words = [w for _, w in _words(text or "") if w not in STOP and not w.startswith(STOP_STEMS)]
    return words[:MAX_WORDS]


def _question_text(text: str) -> str:
    """The text without names, addresses and letter formulas: what subject providers read."""
    kept = [
        m.group()
        for m, w in _words(text or "")
        if w not in _LETTER and not w.startswith(_LETTER_STEMS)
    ]
    return " ".join(kept)


# Endings, folded. A Russian word changes its ending («вода» / «воды», «детей» / «детям»); a
# Kazakh root takes a chain of case, possessive and plural suffixes («су» / «суы», «жол» /
# «жолдын»). Not «жол» / «жолдама», «жылу» / «жылдан»: the two remainders must be endings of one
# language.
_RU_ENDINGS_TEXT = """
а у е ы и о ю я ь ом ем ой ей ам ям ах ях ами ями ов ев ью ия ие ии ий ая ое ые ую ый ого ему ому
ым ых ной ное ная ные ного ным ных
"""
_KK_ENDINGS_TEXT = """
ы и сы си н га ге ка ке на не да де та те нда нде ды ди ты ти ны ни дын дин тын тин нын нин ын ин
дан ден тан тен нан нен мен бен пен лар лер дар дер тар тер ым им ымыз имиз мыз миз
"""
_RU_ENDINGS = frozenset(["", *_RU_ENDINGS_TEXT.split()])
_KK_ENDINGS = frozenset(_KK_ENDINGS_TEXT.split())
_VOWELS = "аеиоуыэюя"


def _kk_suffixes(rest: str) -> bool:
    """None, one or two Kazakh suffixes."""
    return (
        not rest
        or rest in _KK_ENDINGS
        or any(rest[:i] in _KK_ENDINGS and rest[i:] in _KK_ENDINGS for i in range(1, len(rest)))
    )


def _match(a: str, b: str) -> bool:
    """The same word in another form: one root with the endings of one language («су» / «суы»,
    «вода» / «воды»; not «жылу» / «жылжымайды»), a long common prefix («отключают» /
    «отключили»), or the first stem of a Russian compound («газ» / «газоснабжение», «вода» /
    «водопровод»)."""
    short, long_ = sorted((a, b), key=len)
    if _compound(short, long_):
        return True
    n = 0
    for x, y in zip(a, b, strict=False):
        if x != y:
            break
        n += 1
    if len(short) > 3 and (n >= max(5, 0.6 * len(short)) or n >= max(4, len(short) - 2)):
        return True  # «строительство» / «строительный», «стройка» / «строят»
    for k in range(n, 1, -1):  # the root: two letters and more («яма» / «ямы»)
        ra, rb = a[k:], b[k:]
        if ra in _RU_ENDINGS and rb in _RU_ENDINGS:
            return True
        if (k >= 3 or k == len(short)) and _kk_suffixes(ra) and _kk_suffixes(rb):
            return True
    return False


def _compound(short: str, long_: str) -> bool:
    stem = short[:-1] if short[-1] in _VOWELS else short
    return len(stem) >= 3 and long_.startswith(stem + "о") and len(long_) >= len(stem) + 5


def wording_similarity(a: str, b: str) -> float:
    """Soft Dice overlap of the content words, case endings ignored; 0..1."""
    wa, wb = set(content_words(a)), set(content_words(b))
    if not wa or not wb:
        return 0.0
    hit_a = sum(1 for x in wa if any(_match(x, y) for y in wb))
    hit_b = sum(1 for y in wb if any(_match(x, y) for x in wa))
    return (hit_a + hit_b) / (len(wa) + len(wb))


def _areas(topics: dict[str, float]) -> dict[str, float]:
    """The subdivisions' shares of a text's subject evidence (terms, "CODE:term", left out)."""
    areas = {k: v for k, v in topics.items() if ":" not in k and v > 0}
    total = sum(areas.values())
    return {k: v / total for k, v in areas.items()} if total else {}


def subject_similarity(a: str, b: str) -> float:
    """How much of the two texts' subjects is the same (0..1): the overlap of their shares per
    subdivision of the office's competence map (one subject each, the same → 1). The providers
    read the texts without names, addresses and letter formulas, which say who and where."""
    best = 0.0
    for provider in TOPIC_PROVIDERS:
        pa, pb = _areas(provider(_question_text(a))), _areas(provider(_question_text(b)))
        best = max(best, sum(min(pa[code], pb[code]) for code in pa.keys() & pb.keys()))
    return best


def says_repeat(text: str) -> bool:
    return bool(_MARKERS.search(text or ""))


def similarity(a: str, b: str) -> float:
    """How similar two questions are (0..1): wording only, for callers comparing two texts."""
    return wording_similarity(a, b)


def question_similarity(new: str, earlier: str) -> tuple[float, str]:
    """The similarity of a new question to an earlier one (0..1) and the signal that gave it:
    the wording, the subject (each scaled so that its evidence of the same question reaches
    ``SIMILAR``) or the applicant's own word that it is a repeat."""
    scores = {
        "wording": min(1.0, WORDING_SCALE * wording_similarity(new, earlier)),
        "subject": min(1.0, SUBJECT_SCALE * subject_similarity(new, earlier)),
        "marker": REPEAT_MARKER if says_repeat(new) else 0.0,
    }
    why = max(scores, key=lambda k: scores[k])
    return scores[why], why
