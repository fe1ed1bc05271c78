"""Labels and decisions in a text: «Заявитель:», «Тапсырма:», «Мерзімі:» …, where an unlabelled
decision starts, numbered sub-decisions, who and what of «СЛУШАЛИ», names in the genitive."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field

from docflow.protocols.minutes.applicants import _TITLE_RX, _cut_name
from docflow.protocols.minutes.people import _SURNAME_RX
from docflow.protocols.minutes.text import _LO, _UP, fold1

_LABELS: list[tuple[str, str]] = [
    ("heard", r"слушали|тындалды"),
    ("decided", r"постановили|решили|каулы\s+етти|каулы\s+етеди|шешти|шешим\s+кабылданды"),
    ("spoke", r"выступили|соилегендер|соиледи|соз\s+соилегендер"),
    (
        "applicant",
        r"арыз\s+беруш(?:и|инин)(?:\s+аты[-\s]жони)?|отиниш\s+беруш(?:и|инин)|"
        r"заявител(?:ь|и|ница)|обратившиися|обратившаяся|ф\.\s*и\.\s*о\.?(?:\s+заявителя)?|"
        r"аты[-\s]жони",
    ),
    ("address", r"мекен[-\s]?жаиы|адрес(?:\s+проживания)?"),
    ("identifier", r"ИИН|ЖСН|БИН|БСН"),
    (
        "question",
        r"маселенин\s+мани|маселе(?:\s+мани)?|отиништин\s+мани|арыздын\s+мани|отиниш\s+мани|"
        r"суть\s+(?:обращения|вопроса|жалобы|заявления)|содержание\s+(?:обращения|вопроса)|"
        r"краткое\s+содержание|существо\s+обращения|вопрос|такырыбы",
    ),
    (
        "coexecutor",
        r"соисполнител(?:ь|и)|бирлесип\s+орындаушы(?:лар)?|косымша\s+орындаушы(?:лар)?",
    ),
    (
        "executor",
        r"(?:жауапты\s+)?орындаушы(?:лар)?|жауапты|(?:ответственн\w+\s+)?исполнител(?:ь|и)|"
        r"ответственн\w+",
    ),
    (
        "assignment",
        r"тапсырма(?:лар)?|поручени[ея]|поручено|принятое\s+решение|"
        r"кабылданган\s+шешим|решение|шешим",
    ),
    (
        "term",
        r"(?:орындал?у\s+)?мерзими|мерзим|(?:контрольн\w+\s+|крайн\w+\s+)?срок"
        r"(?:\s+(?:исполнения|выполнения))?(?:\s+поручения)?",
    ),
]


_LABEL_ALT = "|".join(f"(?P<{name}_{i}>{rx})" for i, (name, rx) in enumerate(_LABELS))


_LABEL_AT = re.compile(rf"\s*(?:{_LABEL_ALT})\s*(?::|[-–—](?=\s)|(?=\s*$)|(?=\s+\d\.\d))")


# «Поручено Управлению …», «Тапсырылсын: …»: an assignment opened by a verb, colon optional;
# the verb is kept in the text.
_VERB_LABEL_AT = re.compile(
    r"\s*(?=(?P<assignment_v>(?:поручено|поручить|рекомендовано|рекомендовать|обязать)(?![а-я])|"
    r"(?:тапсырылсын|жуктелсин|усынылсын)\s*:))"
)  # Kazakh verbs end their sentence: only «Тапсырылсын:» opens one


_LABEL_START = re.compile(r"(?:[.;!?»)]\s+|\n)")


_MID_LABELS = {
    "term",
    "executor",
    "coexecutor",
    "decided",
    "assignment",
    "question",
    "address",
    "spoke",
}


_ITEM_LABELS = {
    "heard",
    "decided",
    "applicant",
    "question",
    "assignment",
    "executor",
    "coexecutor",
    "term",
}


_CONTINUABLE = {"applicant", "address", "question", "assignment", "decided", "heard", "lead"}


# «3. …», «3) …», or «3.» on a line of its own (a table of the visitor follows).
_ITEM_NUM = re.compile(r"^\s*(\d{1,3})\s*([.)])(?=\s|[^\W\d_]|$)\s*(.*)$", re.DOTALL)
_BULLET = re.compile(r"^\s*[•·▪●◦○■□*\-–—]\s+")  # «– …», «• …»: a list item without a number
_ITEM_NO = re.compile(r"^\s*№\s*(\d{1,3})\s*$")  # «№ 3» on a line of its own


_SUB_NUM = re.compile(r"^\s*(\d{1,3})\.(\d{1,2})(?:\.|\))?(?=\s|[^\W\d_])\s*(.*)$", re.DOTALL)


_SIGNATURE_START = re.compile(
    r"^(?:протокол\s+вел|хаттаманы\s+жургизген|секретар|хатшы|исп\.|орынд\.|подпись|колы)", re.I
)


_EXPLAINED = re.compile(
    r"разъяснен\w*\s+на\s+месте|на\s+месте\s+(?:дан\w*|был\w*)\s+разъяснени|"
    r"поручени\w*\s+не\s+требу|без\s+поручени|принят\w*\s+к\s+сведению|"
    r"вопрос\w*\s+(?:снят|решен)\w*\s+на\s+месте|"
    r"орнында\s+тусиндирил|орнында\s+тусиник\s+берил|орнында\s+тусиндирме\s+берил|"
    r"тапсырма\s+(?:талап\s+етилмеиди|берилмеиди|кажет\s+емес|кажет\s+етпеиди)|"
    r"назарга\s+алынсын|мелимет\s+ушин\s+кабылдансын|малимет\s+ушин\s+кабылдансын"
)


def is_explained(text: str) -> bool:
    """True when ``text`` says the question was explained on the spot, no assignment needed
    («разъяснено на месте», «поручение не требуется», «орнында түсіндірілді» …)."""
    return bool(_EXPLAINED.search(fold1(text or "")))


@dataclass
class _RawItem:
    item: str
    fields: dict[str, list[str]] = field(default_factory=dict)
    pos: float = 0  # where it starts among the document's blocks (a table row: a fraction)
    counted: bool = False  # its number is not written («– …», «Заявитель: …»): counted in order

    def add(self, name: str, text: str) -> None:
        self.fields.setdefault(name, []).append(text)

    def get(self, name: str) -> str:
        return "\n".join(t for t in self.fields.get(name, []) if t.strip()).strip()

    @property
    def labelled(self) -> bool:
        return bool(set(self.fields) & _ITEM_LABELS)


def _split_labels(text: str, only: set[str] | None = None) -> list[tuple[str | None, str]]:
    """[(label, value)] of a paragraph; the text before the first label has label None."""
    if only is not None and not any(c in text for c in ":-–—"):
        return [(None, text)]  # these labels all need a colon or a dash
    t = fold1(text)
    cuts: list[tuple[int, int, str]] = []
    starts = [0, *(m.end() for m in _LABEL_START.finditer(t))]
    for pos in starts:
        m = _LABEL_AT.match(t, pos)
        if m is None:
            m = _VERB_LABEL_AT.match(t, pos)
        if m is None or (cuts and m.start() < cuts[-1][1]):
            continue
        name = (m.lastgroup or "").rsplit("_", 1)[0]
        at_start = not t[: m.start()].strip()
        if not at_start and name not in _MID_LABELS:
            continue
        if only is not None and name not in only:
            continue
        cuts.append((m.start(), m.end(), name))
    if not cuts:
        return [(None, text)]
    out: list[tuple[str | None, str]] = []
    if text[: cuts[0][0]].strip():
        out.append((None, text[: cuts[0][0]].strip()))
    for i, (_s, e, name) in enumerate(cuts):
        end = cuts[i + 1][0] if i + 1 < len(cuts) else len(text)
        out.append((name, text[e:end].strip()))
    return out


def _looks_like_signature(text: str) -> bool:
    if _SIGNATURE_START.match(text.strip()):
        return True
    return bool(
        re.search(r"\S(?:\s{3,}|\t)+\S", text)
        and re.search(
            rf"(?:[{_UP}]\.\s?(?:[{_UP}]\.\s?)?{_SURNAME_RX}|{_SURNAME_RX}\s+[{_UP}]\.\s?(?:[{_UP}]\.)?)\s*$",
            text.strip(),
        )
    )


def _split_units(item_id: str, text: str) -> tuple[str, list[tuple[str, str]]]:
    """(preamble, [(id, text)]) of a decision: «1.1 …», «1) …» lines become sub-items."""
    units: list[tuple[str, list[str]]] = []
    preamble: list[str] = []
    for line in text.split("\n"):
        line = line.strip()
        if not line:
            continue
        bullet = _BULLET.match(line)
        if bullet:  # «ПОСТАНОВИЛИ: – …; – …»: sub-decisions behind dashes, counted in order
            line = f"{len(units) + 1}. {line[bullet.end() :]}"
        sub = _SUB_NUM.match(line)
        top = None if sub else _ITEM_NUM.match(line)
        inline = None
        if not sub and not top:
            inline = re.match(r"^(\d{1,3})\.(\d{1,2})\.?\s+(.*)$", line)
        if sub:
            units.append((f"{int(sub.group(1))}.{int(sub.group(2))}", [sub.group(3)]))
        elif top:
            units.append((f"{item_id}.{int(top.group(1))}", [top.group(3)]))
        elif inline:
            units.append((f"{int(inline.group(1))}.{int(inline.group(2))}", [inline.group(3)]))
        elif units:
            units[-1][1].append(line)
        else:
            preamble.append(line)
    # «ПОСТАНОВИЛИ: 1.1. … 1.2. …» written on one line.
    if not units and len(preamble) == 1:
        parts = list(re.finditer(r"(?:^|(?<=\s))(\d{1,3})\.(\d{1,2})\.?\s+", preamble[0]))
        if len(parts) >= 2 or (parts and parts[0].start() == 0):
            head = preamble[0][: parts[0].start()].strip()
            for i, m in enumerate(parts):
                end = parts[i + 1].start() if i + 1 < len(parts) else len(preamble[0])
                units.append(
                    (f"{int(m.group(1))}.{int(m.group(2))}", [preamble[0][m.end() : end].strip()])
                )
            preamble = [head] if head else []
    return "\n".join(preamble), [(uid, " ".join(lines).strip()) for uid, lines in units]


_GEN_PATR_M = re.compile(r"(?:ович|евич|ич)а$")


_GEN_PATR_F = re.compile(r"(?:овн|евн|ичн|иничн)ы$")


def nominative_name(text: str) -> tuple[str, str] | None:
    """(as written, nominative) of a Russian full name in the genitive, as СЛУШАЛИ writes it
    («Серикбаева Нурлана Аскаровича» → «Серикбаев Нурлан Аскарович»); None when the
    patronymic is not in the genitive (Kazakh -ұлы/-қызы names do not decline)."""
    text = _TITLE_RX.sub("", text.strip())
    head = text[: _cut_name(text)].strip()
    words = head.split()
    if len(words) != 3:
        return None
    surname, given, patronymic = words
    if _GEN_PATR_M.search(patronymic):
        patronymic = patronymic[:-1]
        if re.search(r"(?:ов|ев|ёв|ин|ын)а$", surname):
            surname = surname[:-1]
        elif surname.endswith("ского"):
            surname = surname[:-3] + "ий"
        if given.endswith("я"):
            given = given[:-1] + "й"
        elif given.endswith("ы"):
            given = given[:-1] + "а"
        elif given.endswith("а") and given[-2:-1] not in "аеёиоуыэюя":
            given = given[:-1]
    elif _GEN_PATR_F.search(patronymic):
        patronymic = patronymic[:-1] + "а"
        if re.search(r"(?:ов|ев|ёв|ин|ын)ой$", surname):
            surname = surname[:-2] + "а"
        elif surname.endswith("ской"):
            surname = surname[:-2] + "ая"
        if given.endswith("ии"):
            given = given[:-1] + "я"
        elif given.endswith("ы") or (given.endswith("и") and given[-2:-1] in "гкхжчшщ"):
            given = given[:-1] + "а"
    else:
        return None
    return head, f"{surname} {given} {patronymic}"


# «по вопросу …», «… мәселесі бойынша»: where the question starts (ru) or ends (kk).
_ASKED_RX = re.compile(
    r"\bпо\s+(?:вопросу|поводу)\b|\bо\s+|\bмаселеси\s+(?:боиынша|жонинде)|\bбоиынша|\bжонинде\b|"
    r"\bмаселесимен\b|\bтуралы\b"
)
# These end the question; the others open it.
_KK_ASKED = ("боиынша", "жонинде", "маселесимен", "туралы")
_QUESTION_CUT = re.compile(r"[,;–—)]|\s-\s|\.(?=\s)")
# A full name or an organisation written straight before the question («Ермеков Дәулет
# Маратұлы жол жөндеу мәселесі бойынша», ««Жол Құрылыс» ЖШС …»).
_NAME_LEAD = re.compile(
    rf"\s*(?:(?:(?:азамат(?:ша)?|гр\.|гражданин\w*)\s+)?"
    rf"(?:[{_UP}][{_LO}]+\s+){{1,2}}[{_UP}][{_LO}]+?(?:ұлы|улы|қызы|кызы|ович|евич|овна|евна|ична)"
    rf"|«[^»]{{1,60}}»(?:\s+[{_UP}]{{2,5}})?)(?=\s)"
)
_ASKING = re.compile(r"\s*,?\s*(?:обратил(?:ся|ась|ись)|просит|просил\w*)(?:\s*\(-?\w+\))?\s*$")
_ADDRESS_LEAD = re.compile(
    rf"\s*(?:\d[\w/-]*|(?:ЖСН|ИИН|БСН|БИН)\s*:?\s*\d{{12}}|[{_UP}][{_LO}]+\s+(?:ауданы|қаласы|көшесі|"
    rf"даңғылы|шағын\s+ауданы))(?=\s)"
)


def _heard_parts(heard: str) -> tuple[str, str]:
    """(applicant text, question) of a СЛУШАЛИ / ТЫҢДАЛДЫ paragraph."""
    who, what = _who_and_what(heard)
    return (who, what) if what else (heard, heard)


def _who_and_what(text: str) -> tuple[str, str]:
    """(applicant, question) of «Ким О.В., ул. Абая 7, по вопросу ремонта» or «Оспанов Е.Б.
    (ЖСН …), жол жөндеу мәселесі бойынша»; without such words the first sentence is the
    applicant and the rest the question."""
    t = fold1(text)
    m = _ASKED_RX.search(t)
    if m and m.start() > 0:
        if m.group(0).endswith(_KK_ASKED):
            cuts = list(_QUESTION_CUT.finditer(text, 0, m.start()))
            start = cuts[-1].end() if cuts else 0
            # «…, Абай даңғылы, 150 жол жөндеу мәселесі бойынша»: the address or the IIN runs on
            # into the question without a comma.
            while lead := (
                _ADDRESS_LEAD.match(text, start, m.start())
                or _NAME_LEAD.match(text, start, m.start())
            ):
                start = lead.end()
            return text[:start].strip(" ,;–—-"), text[start : m.start()].strip(" ,")
        who = _ASKING.sub("", text[: m.start()])  # «Ким О.В. обратилась по вопросу …»
        return who.strip(" ,–—-"), text[m.end() :].strip(" ,.")
    sentences = _sentences(text)
    if len(sentences) > 1:
        return text[: sentences[1][0]].strip(), text[sentences[1][0] :].strip()
    return text, ""


# Abbreviations after which a full stop does not end a sentence (folded).
_ABBREVIATIONS = frozenset(
    [
        "г",
        "гор",
        "гр",
        "ул",
        "д",
        "кв",
        "мкр",
        "пр",
        "просп",
        "им",
        "обл",
        "р-на",
        "р-н",
        "ауд",
        "к",
        "кош",
        "тел",
        "каз",
        "пер",
        "б",
        "ж",
        "т.б",
        "ст",
        "стр",
        "корп",
        "тов",
    ]
)
_SENTENCE_END = re.compile(r"[.!?;](?=\s+[«\"(]?[A-ZА-ЯЁӘҒҚҢӨҰҮҺІ0-9])|\n")
_WORD_BEFORE = re.compile(r"([\w-]+)\.?$")


def _sentences(text: str) -> list[tuple[int, int]]:
    """(start, end) of the sentences of ``text``: not cut after «ул.», «д.», initials …"""
    out: list[tuple[int, int]] = []
    start = 0
    for m in _SENTENCE_END.finditer(text):
        if m.group(0) == ".":
            before = _WORD_BEFORE.search(text, max(0, m.start() - 12), m.start() + 1)
            word = before.group(1) if before else ""
            if fold1(word) in _ABBREVIATIONS or (len(word) == 1 and word.isupper()):
                continue
        if text[start : m.end()].strip():
            out.append((start, m.end()))
        start = m.end()
    if text[start:].strip():
        out.append((start, len(text)))
    return out


# A sentence that assigns: a verb of assignment, or an executor it names (checked by the caller).
_DECISION_VERB = re.compile(
    r"(?<![а-я])(?:поручить|поручено|рекомендовать|рекомендовано|обязать|возложить|предложить|"
    r"тапсырылсын|усынылсын|жуктелсин|миндеттелсин|тапсырылды)(?![а-я])"
)


def decision_start(text: str, names_executor: Callable[[str], bool]) -> int | None:
    """Where the decision starts in an unlabelled item text («… по вопросу ремонта. Управлению
    … рассмотреть. Срок …»): the first sentence after the first that assigns something, says the
    question was explained, or names an executor (``names_executor``)."""
    for start, end in _sentences(text)[1:]:
        sentence = text[start:end]
        folded = fold1(sentence)
        if _DECISION_VERB.search(folded) or _EXPLAINED.search(folded):
            return start
        if names_executor(sentence):
            return start
    return None
