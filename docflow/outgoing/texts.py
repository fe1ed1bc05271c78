"""Texts of the notices to applicants, in Kazakh and Russian (R-RECV-10: the applicant's choice).

Official style: the item's registration number and date, dates as dd.mm.yyyy, the receiving
official's name and position and the time for reception notices, and the name of the employee
who prepared the notice. Outgoing owns every notice's text — the reception-cancelled one too
(R-RECV-8), which protocols ask for through :mod:`docflow.outgoing.notices`. Pure functions of
the records (no Flask request needed).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from docflow.core.calendar import get_calendar
from docflow.extensions import db
from docflow.org.models import Official
from docflow.registry.models import IncomingItem
from docflow.registry.vocab import REQUIRED_DETAILS_KK_RU

Texts = tuple[str, str]  # (kk, ru)

# R-RECV-7 grounds of a refusal, in the applicant's languages whatever the UI language.
REFUSAL_GROUNDS_KK_RU = {
    "out_of_competence": {
        "kk": "мәселе органның құзыретіне жатпайды",
        "ru": "вопрос не относится к компетенции органа",
    },
    "decision_exists": {
        "kk": "сол мәні мен негіздері бойынша шешім бұрын қабылданған",
        "ru": "по тому же предмету и тем же основаниям уже имеется решение",
    },
    "court_act": {
        "kk": "мәселе бойынша заңды күшіне енген сот актісі бар",
        "ru": "по вопросу имеется судебный акт",
    },
    "returned": {"kk": "өтініш қайтарылған", "ru": "обращение было возвращено"},
    "already_received": {
        "kk": "Сіз сол мәселе бойынша бұрын қабылдандыңыз немесе жауап алдыңыз",
        "ru": "Вы уже были приняты или получили ответ по тому же вопросу",
    },
}


def fmt_date(day: dt.date | None) -> str:
    return day.strftime("%d.%m.%Y") if day else ""


def fmt_time(t: dt.time | None) -> str:
    return t.strftime("%H:%M") if t else ""


def _names(item: IncomingItem) -> str:
    return item.applicant_names or ""


def _dear(item: IncomingItem) -> Texts:
    names = _names(item)
    if not names:
        return "Құрметті өтініш беруші!", "Уважаемый заявитель!"
    ru = "Уважаемый(-ая)" if len(item.applicants) <= 1 else "Уважаемые"
    return f"Құрметті {names}!", f"{ru} {names}!"


def _signature(actor: Any) -> Texts:
    name = getattr(actor, "display_name", None) or getattr(actor, "username", None)
    if not name:
        return "", ""
    employee = getattr(actor, "employee", None)
    positions = (getattr(employee, "positions", None) or {}) if employee else {}
    kk_pos = positions.get("kk") or positions.get("ru") or ""
    ru_pos = positions.get("ru") or positions.get("kk") or ""
    return (
        f"\n\nОрындаған: {name}{', ' + kk_pos if kk_pos else ''}",
        f"\n\nИсполнитель: {name}{', ' + ru_pos if ru_pos else ''}",
    )


def _finish(item: IncomingItem, actor: Any, kk: str, ru: str) -> Texts:
    dear_kk, dear_ru = _dear(item)
    sign_kk, sign_ru = _signature(actor)
    return f"{dear_kk}\n\n{kk}{sign_kk}", f"{dear_ru}\n\n{ru}{sign_ru}"


def _official(official: Any) -> Texts:
    """«Ерғали Сапарұлы Төлегенов, Алматы қаласының әкімі» in kk and ru."""
    positions = getattr(official, "positions", None) or {}
    kk = positions.get("kk") or positions.get("ru") or ""
    ru = positions.get("ru") or positions.get("kk") or ""
    name = official.full_name
    return (f"{name}, {kk}" if kk else name), (f"{name}, {ru}" if ru else name)


# --- the registry: R-REG-5 and R-REG-6 --------------------------------------------------------


def correction(item: IncomingItem, actor: Any) -> Texts:
    """R-REG-5 (АППК art. 63(2), 64(6)-(7)): what is missing and until when."""
    missing = item.missing_details or []
    kk_list = "; ".join(
        REQUIRED_DETAILS_KK_RU[m]["kk"] for m in missing if m in REQUIRED_DETAILS_KK_RU
    )
    ru_list = "; ".join(
        REQUIRED_DETAILS_KK_RU[m]["ru"] for m in missing if m in REQUIRED_DETAILS_KK_RU
    )
    reg, due = fmt_date(item.registration_date), fmt_date(item.correction_due)
    kk = (
        f"Сіздің {reg} күні {item.reg_number} нөмірімен тіркелген өтінішіңізде Қазақстан "
        f"Республикасы Әкімшілік рәсімдік-процестік кодексінің 63-бабының 2-тармағында көзделген "
        f"мына деректер жоқ: {kk_list}. Оларды {due} дейін ұсынуыңызды сұраймыз. Көрсетілген "
        f"мерзімде ұсынылмаған жағдайда өтініш ҚР ӘРПК 64-бабына сәйкес қайтарылады. Өтініштің "
        f"қайтарылуы жаңа өтініш беруге кедергі болмайды."
    )
    ru = (
        f"В Вашем обращении, зарегистрированном {reg} под № {item.reg_number}, отсутствуют "
        f"сведения, предусмотренные пунктом 2 статьи 63 Административного процедурно-"
        f"процессуального кодекса Республики Казахстан: {ru_list}. Просим представить их до "
        f"{due}. В случае непредставления в указанный срок обращение будет возвращено в "
        f"соответствии со статьей 64 АППК РК. Возврат обращения не препятствует повторному "
        f"обращению."
    )
    return _finish(item, actor, kk, ru)


def left_without_consideration(item: IncomingItem, actor: Any) -> Texts:
    """R-REG-6: a sign-up request without the essence of the question."""
    reg = fmt_date(item.registration_date)
    kk = (
        f"Сіздің {reg} күні {item.reg_number} нөмірімен тіркелген жеке қабылдауға жазылу туралы "
        f"өтінішіңізде мәселенің мәні көрсетілмегендіктен, ол қараусыз қалдырылды. Мәселенің "
        f"мәнін көрсете отырып, қайта жүгінуге құқығыңыз бар."
    )
    ru = (
        f"Ваша заявка на личный прием, зарегистрированная {reg} под № {item.reg_number}, "
        f"оставлена без рассмотрения, так как в ней не указана суть вопроса. Вы вправе обратиться "
        f"повторно, указав суть вопроса."
    )
    return _finish(item, actor, kk, ru)


# --- routing: R-ROUTE-2, R-DEADLINE-2, R-ROUTE-5 ----------------------------------------------


def forwarding(item: IncomingItem, fwd: Any, actor: Any) -> Texts:
    """R-ROUTE-2 (АППК art. 65): forwarded to the competent body, wholly or in part."""
    reg, body, on = fmt_date(item.registration_date), fwd.body, fmt_date(_local_date(fwd))
    if fwd.partial:
        kk_what = "өтінішіңіз біздің құзыретімізге жатпайтын мәселелер бөлігінде"
        ru_what = "в части вопросов, не относящихся к нашей компетенции, Ваше обращение,"
    else:
        kk_what = "өтінішіңіз"
        ru_what = "Ваше обращение,"
    kk = (
        f"Сіздің {reg} күні {item.reg_number} нөмірімен тіркелген {kk_what} Қазақстан "
        f"Республикасы Әкімшілік рәсімдік-процестік кодексінің 65-бабына сәйкес {on} күні "
        f"құзыреті бойынша қарау үшін мына органға жолданғанын хабарлаймыз: {body}."
    )
    ru = (
        f"Сообщаем, что {ru_what} зарегистрированное {reg} под № {item.reg_number}, {on} "
        f"направлено по компетенции для рассмотрения в соответствии со статьей 65 "
        f"Административного процедурно-процессуального кодекса Республики Казахстан: {body}."
    )
    return _finish(item, actor, kk, ru)


def extension(item: IncomingItem, ext: Any, actor: Any) -> Texts:
    """R-DEADLINE-2 (АППК art. 76): the term extended; the applicant told within 3 working days."""
    reg, old, new = (
        fmt_date(item.registration_date),
        fmt_date(ext.old_due),
        fmt_date(ext.new_due),
    )
    reason = _clause(ext.reason)
    kk = (
        f"Сіздің {reg} күні {item.reg_number} нөмірімен тіркелген өтінішіңізді қарау мерзімі "
        f"Қазақстан Республикасы Әкімшілік рәсімдік-процестік кодексінің 76-бабына сәйкес "
        f"{old} бастап {new} дейін ұзартылғанын хабарлаймыз."
        + (f" Ұзарту себебі: {reason}." if reason else "")
    )
    ru = (
        f"Сообщаем, что срок рассмотрения Вашего обращения, зарегистрированного {reg} под "
        f"№ {item.reg_number}, в соответствии со статьей 76 Административного процедурно-"
        f"процессуального кодекса Республики Казахстан продлен с {old} до {new}."
        + (f" Причина продления: {reason}." if reason else "")
    )
    return _finish(item, actor, kk, ru)


def termination(item: IncomingItem, earlier: IncomingItem | None, actor: Any, on: dt.date) -> Texts:
    """R-ROUTE-5 (АППК art. 70(1), (3), (5)): a repeat appeal with a decision already given,
    without new arguments or newly discovered circumstances; the applicant told within 3 working
    days. Names the earlier case the appeal is attached to."""
    reg, day = fmt_date(item.registration_date), fmt_date(on)
    if earlier is not None:
        when = fmt_date(earlier.registration_date)
        kk_case = f" ({when} күнгі {earlier.reg_number} нөмірлі өтініш)"
        ru_case = f" (обращение № {earlier.reg_number} от {when})"
    else:
        kk_case = ru_case = ""
    kk = (
        f"Сіздің {reg} күні {item.reg_number} нөмірімен тіркелген өтінішіңізді қарау Қазақстан "
        f"Республикасы Әкімшілік рәсімдік-процестік кодексінің 70-бабына сәйкес {day} күні "
        f"тоқтатылғанын хабарлаймыз: сол мәні мен негіздері бойынша шешім бұрын "
        f"қабылданған{kk_case}, ал өтініште жаңа дәлелдер немесе жаңадан анықталған мән-жайлар "
        f"келтірілмеген. Өтінішіңіз бұрын қаралған өтінішке қосып тігілді. Бұл шешімге Қазақстан "
        f"Республикасының заңнамасында белгіленген тәртіппен шағым жасауға құқығыңыз бар."
    )
    ru = (
        f"Сообщаем, что рассмотрение Вашего обращения, зарегистрированного {reg} под "
        f"№ {item.reg_number}, {day} прекращено в соответствии со статьей 70 Административного "
        f"процедурно-процессуального кодекса Республики Казахстан: по тому же предмету и тем же "
        f"основаниям ранее принято решение{ru_case}, а новых доводов или вновь открывшихся "
        f"обстоятельств в обращении не приведено. Ваше обращение приобщено к ранее рассмотренному "
        f"обращению. Данное решение может быть обжаловано в порядке, установленном "
        f"законодательством Республики Казахстан."
    )
    return _finish(item, actor, kk, ru)


def _clause(text: str | None) -> str:
    """Free text put before a full stop of ours: without its own final full stop."""
    return (text or "").strip().rstrip(".").strip()


def _sentence(text: str | None) -> str:
    """Free text as a sentence of its own: ends with a full stop."""
    text = (text or "").strip()
    return text if not text or text[-1] in ".!?" else text + "."


def _local_date(record: Any) -> dt.date:
    moment = getattr(record, "forwarded_at", None)
    cal = get_calendar()
    return cal.to_local(moment).date() if moment else cal.local_now().date()


# --- personal reception: R-RECV-11, -12, -8 ---------------------------------------------------


def _place(session: Any) -> dict[str, str]:
    # Sessions carry their place (copied from the schedule when generated).
    return getattr(session, "place", None) or {}


def signup_inclusion(item: IncomingItem, signup: Any, session: Any, actor: Any) -> Texts:
    """R-RECV-11: the applicant is included in the list of a reception (within 15 working days)."""
    reg, day = fmt_date(item.registration_date), fmt_date(session.date)
    off_kk, off_ru = _official(session.official or signup.official)
    kk = (
        f"Сіздің {reg} күні {item.reg_number} нөмірімен тіркелген жеке қабылдауға жазылу туралы "
        f"өтінішіңіз бойынша Сіз {day} күнгі азаматтарды жеке қабылдау тізіміне енгізілгеніңізді "
        f"хабарлаймыз. Қабылдауды жүргізеді: {off_kk}. Қабылдаудың нақты уақыты туралы Сізге "
        f"қосымша хабарланады."
    )
    ru = (
        f"Сообщаем, что по Вашей заявке на личный прием, зарегистрированной {reg} под "
        f"№ {item.reg_number}, Вы включены в список граждан на личный прием {day}. Прием ведет: "
        f"{off_ru}. О точном времени приема Вам будет сообщено дополнительно."
    )
    return _finish(item, actor, kk, ru)


def signup_time(item: IncomingItem, signup: Any, session: Any, actor: Any) -> Texts:
    """R-RECV-11: the date and time of the reception (within 2 more working days)."""
    reg, day, at = (
        fmt_date(item.registration_date),
        fmt_date(session.date),
        fmt_time(signup.slot_time or session.start),
    )
    off_kk, off_ru = _official(session.official or signup.official)
    place = _place(session)
    place_kk = place.get("kk") or place.get("ru") or ""
    place_ru = place.get("ru") or place.get("kk") or ""
    video = bool(signup.video or session.video_link)
    kk = (
        f"Сіздің {reg} күні {item.reg_number} нөмірімен тіркелген жеке қабылдауға жазылу туралы "
        f"өтінішіңіз бойынша жеке қабылдау {day} күні сағат {at}-да өтетінін хабарлаймыз. "
        f"Қабылдауды жүргізеді: {off_kk}."
        + (f" Өтетін орны: {place_kk}." if place_kk and not video else "")
        + (" Қабылдау бейнеконференцбайланыс режимінде өтеді." if video else "")
        + " Өзіңізбен бірге жеке басыңызды куәландыратын құжатты, ал өкілге өкілеттігін "
        "растайтын құжатты алып келуіңізді сұраймыз."
    )
    ru = (
        f"Сообщаем, что по Вашей заявке на личный прием, зарегистрированной {reg} под "
        f"№ {item.reg_number}, личный прием состоится {day} в {at}. Прием ведет: {off_ru}."
        + (f" Место проведения: {place_ru}." if place_ru and not video else "")
        + (" Прием будет проведен в режиме видеоконференцсвязи." if video else "")
        + " При себе необходимо иметь документ, удостоверяющий личность, представителю — также "
        "документ, подтверждающий полномочия."
    )
    return _finish(item, actor, kk, ru)


def hearing_draft(item: IncomingItem, signup: Any, actor: Any) -> Texts:
    """R-RECV-12 (АППК art. 73): the draft refusal, the right to object, the decision date."""
    reg = fmt_date(item.registration_date)
    ground = REFUSAL_GROUNDS_KK_RU.get(signup.refusal_ground or "", {"kk": "", "ru": ""})
    note = _sentence(signup.reference_note)
    off_kk, off_ru = _official(signup.official)
    objection, decision = fmt_date(signup.objection_due), fmt_date(signup.decision_on)
    kk = (
        f"Сіздің {reg} күні {item.reg_number} нөмірімен тіркелген жеке қабылдауға жазылу туралы "
        f"өтінішіңіз бойынша жеке қабылдаудан бас тарту туралы шешімнің жобасын тыңдау үшін "
        f"жолдаймыз. Қабылдауды жүргізетін лауазымды тұлға: {off_kk}. Бас тарту негізі: "
        f"{ground['kk']}."
        + (f" {note}" if note else "")
        + f" Қазақстан Республикасы Әкімшілік рәсімдік-процестік кодексінің 73-бабына сәйкес Сіз "
        f"{objection} қоса алғанда жазбаша немесе ауызша қарсылық білдіруге құқылысыз. Шешім "
        f"{decision} күнінен бұрын қабылданбайды."
    )
    ru = (
        f"По Вашей заявке на личный прием, зарегистрированной {reg} под № {item.reg_number}, "
        f"направляем для заслушивания проект решения об отказе в личном приеме. Должностное "
        f"лицо, ведущее прием: {off_ru}. Основание отказа: {ground['ru']}."
        + (f" {note}" if note else "")
        + f" В соответствии со статьей 73 Административного процедурно-процессуального кодекса "
        f"Республики Казахстан Вы вправе представить возражение в письменной или устной форме "
        f"до {objection} включительно. Решение будет принято не ранее {decision}."
    )
    return _finish(item, actor, kk, ru)


def reception_cancelled_texts(session: Any, item: IncomingItem) -> Texts:
    """R-RECV-8: the reception will not take place — the one text of this notice, for the
    journal's letter and for the protocols module's list of applicants to tell (kk, ru)."""
    official = session.official or db.session.get(Official, session.official_id)
    positions = official.positions or {}
    names = _names(item)
    date, start = fmt_date(session.date), fmt_time(session.start)
    kk = (
        f"Құрметті {names}! {official.full_name} ({positions.get('kk') or positions.get('ru', '')}) "
        f"{date}, сағат {start} өткізуі тиіс азаматтарды жеке қабылдау дәлелді себеппен өтпейді. "
        f"Сіздің {item.reg_number} нөмірлі өтінішіңіз бойынша қабылдаудың жаңа күні мен уақыты "
        f"туралы Сізге қосымша хабарланады."
    )
    dear = "Уважаемый(-ая)" if len(item.applicants) <= 1 else "Уважаемые"
    ru = (
        f"{dear} {names}! Личный прием граждан, который {official.full_name} "
        f"({positions.get('ru') or positions.get('kk', '')}) должен был провести {date} в {start}, "
        f"не состоится по уважительной причине. О новой дате и времени приема по Вашему обращению "
        f"№ {item.reg_number} Вам будет сообщено дополнительно."
    )
    return kk, ru


def reception_cancelled(item: IncomingItem, session: Any, actor: Any) -> Texts:
    """R-RECV-8: the reception will not take place, signed by the employee who prepared it."""
    kk, ru = reception_cancelled_texts(session, item)
    sign_kk, sign_ru = _signature(actor)
    return kk + sign_kk, ru + sign_ru
