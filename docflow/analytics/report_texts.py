"""The reports' fixed wording in Kazakh and Russian, and the titles of codes in either language."""

from __future__ import annotations

from typing import Any

KINDS = ("quarterly_petitions", "half_year_note", "weekly_ratings", "receptions_meetings")
FORMATS = ("docx", "pdf")
LANGUAGES = ("kk", "ru")

KIND_NAMES = {
    "quarterly_petitions": {
        "kk": "Петицияларды тоқсан сайынғы талдау",
        "ru": "Ежеквартальный анализ петиций",
    },
    "half_year_note": {
        "kk": "Өтініштер бойынша жарты жылдық талдамалық анықтама",
        "ru": "Полугодовая аналитическая справка по обращениям",
    },
    "weekly_ratings": {
        "kk": "Өтініш берушілердің жауаптарды бағалауын апта сайынғы талдау",
        "ru": "Еженедельный анализ оценок ответов заявителями",
    },
    "receptions_meetings": {
        "kk": "Жеке қабылдауларда және есепті кездесулерде көтерілген мәселелерді бөлек есепке алу",
        "ru": "Отдельный учет вопросов, поднятых на личных приемах и отчетных встречах",
    },
}

TEXT: dict[str, dict[str, str]] = {
    "kk": {
        "totals": "Негізгі көрсеткіштер",
        "indicator": "Көрсеткіш",
        "value": "Мәні",
        "cases": "Өтініштер",
        "on_time": "Мерзімінде жауап берілді",
        "late": "Мерзімін өткізіп жауап берілді",
        "open": "Қаралуда, мерзімі өтпеген",
        "overdue": "Қаралуда, мерзімі өткен",
        "extended": "Мерзімі ұзартылды",
        "repeat": "Қайталама өтініштер",
        "rating_mean": "Орташа баға",
        "rating": "Баға",
        "rated": "Бағаланды",
        "from_reception": "Жеке қабылдаудан",
        "from_meeting": "Есепті кездесулерден",
        "by_subdivision": "Бөлімшелер бойынша",
        "by_topic": "Тақырыптар бойынша",
        "by_kind": "Түрлері бойынша",
        "by_channel": "Түсу арналары бойынша",
        "by_district": "Аудандар бойынша",
        "list": "Тізім",
        "problems": "Жүйелі проблемалар",
        "problems_how": "Бір аудандан қысқа мерзімде түскен ұқсас өтініштердің әдеттегі деңгейден "
        "жоғары саны; маңыздылығы бойынша сұрыпталған.",
        "no_problems": "Кезеңде әдеттен тыс ештеңе анықталған жоқ.",
        "district": "Аудан",
        "topic": "Тақырып",
        "usually": "Әдетте",
        "period": "Кезең",
        "numbers": "Нөмірлер",
        "number": "Нөмірі",
        "date": "Күні",
        "subdivision": "Бөлімше",
        "summary": "Мәні",
        "ratings": "Бағалар",
        "no_ratings": "Кезеңде бағалар болған жоқ.",
        "low_ratings": "Төмен бағалар (1–2)",
        "receptions": "Жеке қабылдауларда көтерілген мәселелер",
        "meetings": "Есепті кездесулерде көтерілген мәселелер",
        "none": "Жоқ.",
        "no_topic": "тақырыпсыз",
        "no_value": "көрсетілмеген",
    },
    "ru": {
        "totals": "Основные показатели",
        "indicator": "Показатель",
        "value": "Значение",
        "cases": "Обращения",
        "on_time": "Отвечено в срок",
        "late": "Отвечено с нарушением срока",
        "open": "На рассмотрении, в сроке",
        "overdue": "На рассмотрении, просрочено",
        "extended": "Срок продлен",
        "repeat": "Повторные обращения",
        "rating_mean": "Средняя оценка",
        "rating": "Оценка",
        "rated": "Оценено",
        "from_reception": "С личных приемов",
        "from_meeting": "С отчетных встреч",
        "by_subdivision": "По подразделениям",
        "by_topic": "По тематикам",
        "by_kind": "По видам",
        "by_channel": "По каналам поступления",
        "by_district": "По районам",
        "list": "Перечень",
        "problems": "Системные проблемы",
        "problems_how": "Необычно большое число сходных обращений из одного района за короткий "
        "срок по сравнению с обычным уровнем района; по убыванию значимости.",
        "no_problems": "Необычного за период не выявлено.",
        "district": "Район",
        "topic": "Тематика",
        "usually": "Обычно",
        "period": "Период",
        "numbers": "Номера",
        "number": "Номер",
        "date": "Дата",
        "subdivision": "Подразделение",
        "summary": "Суть",
        "ratings": "Оценки",
        "no_ratings": "Оценок за период не было.",
        "low_ratings": "Низкие оценки (1–2)",
        "receptions": "Вопросы, поднятые на личных приемах",
        "meetings": "Вопросы, поднятые на отчетных встречах",
        "none": "Нет.",
        "no_topic": "без тематики",
        "no_value": "не указано",
    },
}


def label_dimension(dimension: str, code: Any, language: str) -> str:
    """The title of a code (subdivision, district, topic, kind, channel) in ``language``."""
    if not code:
        return TEXT[language]["no_topic" if dimension == "topic" else "no_value"]
    if dimension in ("subdivision", "district"):
        from sqlalchemy import select

        from docflow.extensions import db
        from docflow.org.models import Subdivision

        sub = db.session.scalar(select(Subdivision).where(Subdivision.code == code))
        return (sub.names or {}).get(language) or code if sub else str(code)
    if dimension == "topic":
        from docflow.analytics.topics import topic_map

        return topic_map().title(code, language)
    if dimension == "kind":
        from docflow.registry.vocab import KIND_TITLES_KK_RU

        return KIND_TITLES_KK_RU.get(code, {}).get(language, code)
    if dimension == "channel":
        from docflow.registry.vocab import CHANNEL_TITLES_KK_RU

        return CHANNEL_TITLES_KK_RU.get(code, {}).get(language, code)
    if dimension == "source":
        return {"kk": {"imported": "импортталған"}, "ru": {"imported": "импортированные"}}[
            language
        ].get(code, "docflow")
    return str(code)
