"""How people write the parts of reception minutes, for :mod:`tests.protocols.minutes_generator`.

Subdivisions of the demo organisation in every case ending (Russian: nominative, dative,
instrumental, genitive; Kazakh: nominative, dative, instrumental, genitive), with or without the
city, abbreviated («г.», «р-на», «қ.», «ауд.», «ГУ «…»»), district akimats named by their
district; heads by surname and initials before or after, in Kazakh or Russian spelling, declined;
names that are not in the organisation; applicants with valid IINs/BINs; terms as dates or
relative terms with the due date they mean on the office calendar.

Phrasings come in pools: ``"A"`` (what the parser was first tuned on), ``"B"`` (other verbs,
connectors and term wordings, held out for the first measurement and tuned on after it) and
``"C"``, ``"D"``, ``"E"`` (each written before the measurement before it, used for one
measurement, tuned on after it) and ``"F"`` (written before the fourth measurement's fixes,
used only for the last one). A variant draws from its own pool and the ones before it.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import date, timedelta

from docflow.core.calendar import WorkingCalendar, add_months
from docflow.core.identifiers import check_digit, is_valid_bin, is_valid_iin
from docflow.org.profile import DEMO_PROFILE, read_profile

PROFILE = read_profile(DEMO_PROFILE)
SUBS = {s["code"]: s for s in PROFILE["subdivisions"]}
CODES = sorted(SUBS)
RU_SPELLING = str.maketrans("әғқңөұүһіӘҒҚҢӨҰҮҺІ", "агкноуухиАГКНОУУХИ")
VOWELS = "аәеёиіоөуұүыэюя"
FRONT = "әеіөүиэ"


def pick(rng: random.Random, pool: dict[str, list], variant: str) -> object:
    """One of the phrasings of ``variant`` and the variants before it."""
    options = [x for v in "ABCDEF"[: "ABCDEF".index(variant) + 1] for x in pool.get(v, [])]
    return rng.choice(options)


# --- Kazakh and Russian endings ------------------------------------------------------------------


def _front(word: str) -> bool:
    last = next((ch for ch in reversed(word.lower()) if ch in VOWELS), "а")
    return last in FRONT


def kk_case(word: str, case: str) -> str:
    """A Kazakh word (a name's last word, or a surname) with a case ending."""
    if case == "nom":
        return word
    front, last = _front(word), word[-1].lower()
    vowel_end = last in VOWELS
    if case == "dat":
        if word.endswith(("ы", "і")):  # possessive: басқармасы → басқармасына
            return word + ("не" if front else "на")
        if vowel_end or last in "нмңлрйуз":
            return word + ("ге" if front else "ға")
        return word + ("ке" if front else "қа")
    if case == "ins":
        if vowel_end or last in "рйлу":
            return word + "мен"
        if last in "мнңжз":
            return word + "бен"
        return word + "пен"
    if case == "gen":
        if vowel_end:
            return word + ("нің" if front else "ның")
        if last in "мнңжз":
            return word + ("дің" if front else "дың")
        return word + ("тің" if front else "тың")
    raise ValueError(case)


RU_NOUN = {  # nominative → dative, instrumental, genitive
    "управление": ("управлению", "управлением", "управления"),
    "аппарат": ("аппарату", "аппаратом", "аппарата"),
    "отдел": ("отделу", "отделом", "отдела"),
    "акимат": ("акимату", "акиматом", "акимата"),
    "департамент": ("департаменту", "департаментом", "департамента"),
    "район": ("району", "районом", "района"),
}
CASE_INDEX = {"dat": 0, "ins": 1, "gen": 2}


def ru_noun(word: str, case: str) -> str:
    if case == "nom":
        return word
    low = RU_NOUN[word.lower()][CASE_INDEX[case]]
    return low.capitalize() if word[0].isupper() else low


def ru_adjective(word: str, case: str) -> str:
    """Алатауский → Алатаускому / Алатауским / Алатауского."""
    stem = word[:-2]
    return stem + {"nom": "ий", "dat": "ому", "ins": "им", "gen": "ого"}[case]


def ru_surname(surname: str, case: str) -> str:
    if case == "nom":
        return surname
    if surname.endswith("а"):  # Тұрсынова → Тұрсыновой
        return surname[:-1] + "ой"
    return surname + {"dat": "у", "ins": "ым", "gen": "а"}[case]


# --- subdivisions ------------------------------------------------------------------------------


def _district_word(code: str, lang: str) -> str:
    name = SUBS[code]["name"][lang]
    if lang == "ru":  # Аппарат акима Алатауского района → Алатауский
        return name.split()[2][:-3] + "ий"
    return name.split()[0]  # Алатау ауданы әкімінің аппараты → Алатау


def sub_ru(code: str, case: str, rng: random.Random) -> str:
    sub = SUBS[code]
    name = sub["name"]["ru"]
    words = name.split()
    if sub["kind"] == "district":
        adj = _district_word(code, "ru")
        style = rng.choice(["apparat", "apparat_lower", "akimat", "rayon", "abbrev"])
        if style == "rayon":
            return f"{ru_adjective(adj, case)} {ru_noun('район', case)}"
        gen = f"{ru_adjective(adj, 'gen')} района"
        if style == "akimat":
            return f"{ru_noun('акимат', case)} {gen}"
        if style == "abbrev":
            return f"{ru_noun('аппарат', case)} акима {ru_adjective(adj, 'gen')} р-на"
        head = ru_noun("Аппарат", case)
        return f"{head.lower() if style == 'apparat_lower' else head} акима {gen}"
    head, rest = words[0], " ".join(words[1:])
    city = " города Алматы"
    if code == "APPEALS":
        city = " аппарата акима города Алматы"
    short = rest[: -len(city)] if rest.endswith(city) else rest
    style = rng.choice(["full", "full", "short", "abbrev", "gu"])
    if style == "gu":  # a state institution's formal name: not declined
        return f"ГУ «{name}»"
    if style == "short":
        return f"{ru_noun(head, case)} {short}"
    if style == "abbrev":
        return f"{ru_noun(head, case)} {short}{city.replace('города', 'г.')}"
    return f"{ru_noun(head, case)} {rest}"


def sub_kk(code: str, case: str, rng: random.Random) -> str:
    sub = SUBS[code]
    name = sub["name"]["kk"]
    if sub["kind"] == "district":
        district = _district_word(code, "kk")
        style = rng.choice(["apparat", "apparat", "akimdik", "audan", "abbrev"])
        if style == "akimdik":
            return f"{district} ауданының {kk_case('әкімдігі', case)}"
        if style == "audan":
            return f"{district} {kk_case('ауданы', case)}"
        audan = "ауд." if style == "abbrev" else "ауданы"
        return f"{district} {audan} әкімінің {kk_case('аппараты', case)}"
    words = name.split()
    *body, last = words
    city = "Алматы қаласының "
    short = " ".join(body)[len(city) :] if name.startswith(city) else ""
    style = rng.choice(["full", "full", "short", "abbrev"])
    if style == "short" and short:
        text = f"{short} {kk_case(last, case)}"
        return text[0].upper() + text[1:]
    if style == "abbrev" and short:
        return f"Алматы қ. {short} {kk_case(last, case)}"
    return f"{' '.join(body)} {kk_case(last, case)}"


def sub_text(code: str, lang: str, case: str, rng: random.Random) -> str:
    return sub_ru(code, case, rng) if lang == "ru" else sub_kk(code, case, rng)


# Names written as executors that the organisation does not have: shown unmatched, never guessed.
UNKNOWN_RU = [
    ("Управление", "цифровизации города Алматы"),
    ("Департамент", "полиции города Алматы"),
    ("Управление", "по делам религий города Алматы"),
]
UNKNOWN_KK = [
    ("Алматы қаласының Цифрландыру", "басқармасы"),
    ("Алматы қаласының Полиция", "департаменті"),
    ("Алматы қаласының Дін істері", "басқармасы"),
]


def unknown_text(lang: str, case: str, rng: random.Random) -> str:
    if lang == "ru":
        head, rest = rng.choice(UNKNOWN_RU)
        return f"{ru_noun(head, case)} {rest}"
    body, last = rng.choice(UNKNOWN_KK)
    return f"{body} {kk_case(last, case)}"


# --- heads ---------------------------------------------------------------------------------------


def head_parts(code: str) -> tuple[str, str, str]:
    """(surname, given name, patronymic) of a subdivision's head (written "Given Patr Surname")."""
    given, patronymic, surname = SUBS[code]["head"].split()
    return surname, given, patronymic


def head_text(code: str, lang: str, case: str, rng: random.Random) -> str:
    """The head as people write them: initials before or after, Kazakh or Russian spelling."""
    surname, given, patronymic = head_parts(code)
    spelling = lang == "ru" and rng.random() < 0.5
    if spelling:
        surname, given, patronymic = (
            w.translate(RU_SPELLING) for w in (surname, given, patronymic)
        )
    inits = f"{given[0]}.{patronymic[0]}."
    written = ru_surname(surname, case) if lang == "ru" else kk_case(surname, case)
    style = rng.choice(["after", "before", "before_space"])
    if style == "after":
        return f"{written} {inits}"
    if style == "before_space":
        return f"{given[0]}. {patronymic[0]}. {written}"
    return f"{inits} {written}"


UNKNOWN_PEOPLE = [("Жумагалиев", "Р", "С"), ("Сейтказиев", "А", "Б")]


def unknown_person(lang: str, case: str, rng: random.Random) -> str:
    surname, g, p = rng.choice(UNKNOWN_PEOPLE)
    written = ru_surname(surname, case) if lang == "ru" else kk_case(surname, case)
    return f"{written} {g}.{p}." if rng.random() < 0.5 else f"{g}.{p}. {written}"


# --- applicants ----------------------------------------------------------------------------------

PERSONS = {
    "ru": [
        "Серикбаев Нурлан Аскарович",
        "Ким Ольга Викторовна",
        "Иванов Сергей Петрович",
        "Ахметжанова Гульнара Сериковна",
        "Петренко Андрей Викторович",
        "Нурпеисов Ермек Канатович",
        "Цой Виктор Робертович",
        "Смагулова Айгуль Бахытовна",
    ],
    "kk": [
        "Жұмабаева Айнұр Серікқызы",
        "Оспанов Ерлан Болатұлы",
        "Сейітқали Дана Асқарқызы",
        "Әбдірахманов Нұрлан Қайратұлы",
        "Төлеуова Гүлмира Асанқызы",
        "Ермеков Дәулет Маратұлы",
        "Сәрсенбаев Асқар Төлеуұлы",
        "Омарова Әсем Қайратқызы",
    ],
}
# Russian names СЛУШАЛИ may write in the genitive.
GENITIVE = {
    "Серикбаев Нурлан Аскарович": "Серикбаева Нурлана Аскаровича",
    "Иванов Сергей Петрович": "Иванова Сергея Петровича",
    "Нурпеисов Ермек Канатович": "Нурпеисова Ермека Канатовича",
    "Ахметжанова Гульнара Сериковна": "Ахметжановой Гульнары Сериковны",
}
ENTITIES = {
    "ru": ["ТОО «Алем Строй»", "ТОО «Жол Курылыс»", "ОСИ «Самал-2»"],
    "kk": ["«Жол Құрылыс» ЖШС", "«Алем Строй» ЖШС", "«Самал-2» ПИБ"],
}
ADDRESSES = {
    "ru": [
        "Алмалинский район, ул. Толе би, д. 12, кв. 5",
        "Бостандыкский район, мкр. Орбита-2, д. 5",
        "Медеуский район, пр. Достык, 88",
        "ул. Абая, д. 7",
        "Ауэзовский район, мкр. 5, д. 12",
    ],
    "kk": [
        "Әуезов ауданы, 5-шағын аудан, 12-үй",
        "Медеу ауданы, Достық даңғылы, 88",
        "Наурызбай ауданы",
        "Абай даңғылы, 150",
        "Алмалы ауданы, Төле би көшесі, 12",
    ],
}


def iin(rng: random.Random) -> str:
    while True:
        born = date(1950, 1, 1) + timedelta(days=rng.randrange(54 * 365))
        century = rng.choice("34") if born.year < 2000 else rng.choice("56")
        first = f"{born:%y%m%d}{century}{rng.randrange(10000):04d}"
        digit = check_digit(first)
        if digit is not None and is_valid_iin(first + str(digit)):
            return first + str(digit)


def bin_(rng: random.Random) -> str:
    while True:
        first = f"{rng.randrange(0, 24):02d}{rng.randrange(1, 13):02d}4{rng.randrange(10**6):06d}"
        digit = check_digit(first)
        if digit is not None and is_valid_bin(first + str(digit)):
            return first + str(digit)


@dataclass
class Applicant:
    name: str
    iin: str | None
    bin: str | None
    address: str | None
    text: str  # as written in the applicant column or at the start of an item


def applicant(lang: str, rng: random.Random, variant: str = "A") -> Applicant:
    label_iin, label_bin = ("ИИН", "БИН") if lang == "ru" else ("ЖСН", "БСН")
    address = rng.choice(ADDRESSES[lang]) if rng.random() < 0.8 else None
    if rng.random() < 0.15:
        name, number = rng.choice(ENTITIES[lang]), bin_(rng)
        text = (
            f"{name} ({label_bin} {number})"
            if rng.random() < 0.5
            else f"{name}, {label_bin} {number}"
        )
        return Applicant(name, None, number, address, text + (f", {address}" if address else ""))
    name = rng.choice(PERSONS[lang])
    number = iin(rng) if rng.random() < 0.9 else None
    if variant == "F" and rng.random() < 0.3:  # «Иванов … (1985 г.р.)»
        born = (
            f" ({rng.randrange(1950, 2004)} г.р.)"
            if lang == "ru"
            else f" ({rng.randrange(1950, 2004)} ж.т.)"
        )
        text = name + born + (f", {label_iin} {number}" if number else "")
        return Applicant(name, number, None, address, text + (f", {address}" if address else ""))
    if variant in ("D", "E", "F") and rng.random() < 0.3:  # «гр. Иванов …», «азамат Оспанов …»
        prefix = "гр. " if lang == "ru" else "азамат "
        text = prefix + name + (f", {label_iin} {number}" if number else "")
        return Applicant(name, number, None, address, text + (f", {address}" if address else ""))
    if number is None:
        text = name
    elif rng.random() < 0.5:
        text = f"{name} ({label_iin} {number})"
    else:
        text = f"{name}, {label_iin} {number}"
    return Applicant(name, number, None, address, text + (f", {address}" if address else ""))


QUESTIONS = {
    "ru": [
        "ремонта кровли многоквартирного дома",
        "отсутствия горячего водоснабжения",
        "благоустройства придомовой территории",
        "предоставления места в детском саду",
        "назначения адресной социальной помощи",
        "вырубки деревьев во дворе",
        "освещения улицы в Медеуском районе",
        "изменения маршрута автобуса",
        "оформления земельного участка",
        "постановки в очередь на жилье",
        "перевода ребенка в другую школу",
        "вывоза мусора",
    ],
    "kk": [
        "баласын балабақшаға орналастыру",
        "ауладағы ойын алаңын жөндеу",
        "көп пәтерлі үйдің шатырын жөндеу",
        "ыстық сумен жабдықтаудың болмауы",
        "автобус бағытын өзгерту",
        "жер учаскесін ресімдеу",
        "тұрғын үй кезегіне қою",
        "Әуезов ауданындағы көше жарығы",
        "әлеуметтік көмек тағайындау",
        "ағаштарды кесу",
        "емханаға тіркелу",
        "қоқыс шығару",
    ],
}
ACTIONS = {
    "ru": [
        "рассмотреть обращение и дать ответ заявителю",
        "провести проверку и проинформировать заявителя о результатах",
        "изучить вопрос и принять меры в соответствии с законодательством",
        "рассмотреть возможность включения дома в программу ремонта",
        "обеспечить восстановление горячего водоснабжения",
        "дать письменное разъяснение заявителю",
        "проверить состояние дороги в Ауэзовском районе",
    ],
    "kk": [
        "мәселені заңнамаға сәйкес қарап, арыз берушіге жауап беру",
        "тексеру жүргізіп, нәтижесі туралы арыз берушіге хабарлау",
        "мәселені зерделеп, шара қабылдау",
        "ойын алаңын жөндеу мәселесін пысықтау",
        "жүру кестесін қайта қарау мүмкіндігін зерделеу",
        "Әуезов ауданындағы балабақшаға орналастыру мүмкіндігін қарау",
        "ыстық сумен жабдықтауды қалпына келтіру",
    ],
}
EXPLAINED = {
    "ru": ["Разъяснено на месте, поручение не требуется.", "Даны разъяснения на месте."],
    "kk": ["Орнында түсіндірілді, тапсырма талап етілмейді.", "Орнында түсінік берілді."],
}


# --- terms ---------------------------------------------------------------------------------------

RU_MONTHS = "января февраля марта апреля мая июня июля августа сентября октября ноября декабря"
KK_MONTHS_DAT = (
    "қаңтарға ақпанға наурызға сәуірге мамырға маусымға шілдеге тамызға қыркүйекке қазанға"
    " қарашаға желтоқсанға"
)
KK_MONTHS = "қаңтар ақпан наурыз сәуір мамыр маусым шілде тамыз қыркүйек қазан қараша желтоқсан"
RU_WORDS = {5: "пяти", 10: "десяти", 15: "пятнадцати", 20: "двадцати"}


@dataclass
class Term:
    text: str
    due: date
    marked: bool = True  # readable inside a sentence (has «до», «дейін», «в течение» …)


def _date_term(lang: str, day: date, rng: random.Random, variant: str) -> Term:
    d, m, y = day.day, day.month, day.year
    if lang == "ru":
        month = RU_MONTHS.split()[m - 1]
        pool = {
            "A": [f"до {day:%d.%m.%Y}", f"до {day:%d.%m.%Y} г.", f"до {d} {month} {y} года"],
            "B": [f"не позднее {day:%d.%m.%Y}", f"в срок до {d} {month} {y} г."],
            "C": [f"в срок не позднее {day:%d.%m.%Y}", f"не позднее {d} {month} {y} года"],
            "D": [f"в срок до «{d}» {month} {y} года", f"до {day:%d.%m.%y} г."],
            "E": [f"исполнить до {day:%d.%m.%Y}", f"не позже {day:%d.%m.%Y} г."],
            "F": [f"к {d} {month} {y} года", f"до {d}.{m:02d}.{y}г."],
        }
        return Term(str(pick(rng, pool, variant)), day)
    month = KK_MONTHS_DAT.split()[m - 1]
    pool = {
        "A": [f"{y} жылғы {d} {month} дейін", f"{day:%d.%m.%Y} ж. дейін"],
        "B": [f"{y} жылғы «{d}» {month} дейін", f"{day:%d.%m.%Y} дейін"],
        "C": [f"{y} ж. {d} {month} дейін", f"{day:%d.%m.%Y} жылға дейін"],
        "D": [f"{y} жылдың {d} {month} дейін", f"{day:%d.%m.%Y} ж. дейін мерзімде"],
        "E": [f"{day:%d.%m.%Y} ж. дейін орындалсын", f"{y} жылғы {d} {month} дейінгі мерзімде"],
        "F": [f"{y} ж. «{d}» {month} дейін", f"{d}.{m:02d}.{y} жылға дейін"],
    }
    return Term(str(pick(rng, pool, variant)), day)


def term(
    lang: str, start: date, calendar: WorkingCalendar, rng: random.Random, variant: str
) -> Term:
    """A term as written, and its due date counted from the minutes date (R-DEADLINE-1)."""
    roll = rng.random()
    if roll < 0.4:
        return _date_term(lang, start + timedelta(days=rng.randrange(7, 60)), rng, variant)
    n = rng.choice([3, 5, 10, 15, 20])
    if variant == "E" and roll < 0.3 and lang == "kk":  # the number also in words
        due = calendar.add_working_days(start, n)
        words = {3: "үш", 5: "бес", 10: "он", 15: "он бес", 20: "жиырма"}[n]
        return Term(f"{n} ({words}) жұмыс күні ішінде", due)
    if variant in ("D", "E", "F") and roll < 0.5:  # days, working or calendar not said: calendar
        due = calendar.add_calendar_days(start, n)
        if lang == "ru":
            return Term(rng.choice([f"в течение {n} дней", f"в {n}-дневный срок"]), due)
        return Term(f"{n} күн ішінде", due)
    if roll < 0.7:
        due = calendar.add_working_days(start, n)
        if lang == "ru":
            words = f" ({RU_WORDS[n]})" if n in RU_WORDS and rng.random() < 0.3 else ""
            return Term(f"в течение {n}{words} рабочих дней", due)
        return Term(f"{n} жұмыс күні ішінде", due)
    if roll < 0.8:
        due = calendar.add_calendar_days(start, n)
        if lang == "ru":
            return Term(f"в течение {n} календарных дней", due)
        return Term(f"{n} күнтізбелік күн ішінде", due)
    if roll < 0.93:
        due = calendar.next_working_day(add_months(start, 1), include_self=True)
        pool = {
            "A": ["в месячный срок", "в течение месяца"]
            if lang == "ru"
            else ["1 ай ішінде", "бір ай ішінде"],
            "B": ["в течение одного месяца"] if lang == "ru" else ["бір ай мерзімде"],
            "C": ["в течение 1 (одного) месяца"] if lang == "ru" else ["бір айлық мерзімде"],
            "D": ["в течение месяца со дня получения"] if lang == "ru" else ["бір ай көлемінде"],
            "E": ["в месячный срок со дня получения"] if lang == "ru" else ["бір ай ішінде"],
        }
        return Term(str(pick(rng, pool, variant)), due)
    due = calendar.add_calendar_days(start, 14)
    return Term("в течение двух недель" if lang == "ru" else "екі апта ішінде", due)


def minutes_date_text(lang: str, day: date) -> str:
    if lang == "ru":
        return f"{day.day} {RU_MONTHS.split()[day.month - 1]} {day.year} года"
    return f"{day.year} жылғы {day.day} {KK_MONTHS.split()[day.month - 1]}"
