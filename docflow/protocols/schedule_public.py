"""The published reception schedule (R-RECV-2): approved schedules in Kazakh and Russian."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import select

from docflow.core.settings import get_setting
from docflow.extensions import db
from docflow.org.models import Official, Organisation
from docflow.protocols.models import ReceptionSchedule
from docflow.protocols.schedules import LANGS, fmt_date, fmt_time, schedules

# --- the published schedule (R-RECV-2) -------------------------------------------------------

WEEKDAYS = {
    "kk": ("дүйсенбі", "сейсенбі", "сәрсенбі", "бейсенбі", "жұма", "сенбі", "жексенбі"),
    "ru": ("понедельник", "вторник", "среда", "четверг", "пятница", "суббота", "воскресенье"),
}
# Kazakh possessive forms: «айдың бірінші дүйсенбісі»
_KK_POSSESSIVE = (
    "дүйсенбісі",
    "сейсенбісі",
    "сәрсенбісі",
    "бейсенбісі",
    "жұмасы",
    "сенбісі",
    "жексенбісі",
)
_KK_ORDINALS = ("бірінші", "екінші", "үшінші", "төртінші", "бесінші")
_RU_EVERY = ("по понедельникам", "по вторникам", "по средам", "по четвергам", "по пятницам",
             "по субботам", "по воскресеньям")  # fmt: skip
_RU_GENDER = ("m", "m", "f", "m", "f", "f", "n")
_RU_ORDINALS = {
    "m": ("первый", "второй", "третий", "четвертый", "пятый"),
    "f": ("первая", "вторая", "третья", "четвертая", "пятая"),
    "n": ("первое", "второе", "третье", "четвертое", "пятое"),
}

# The published schedule is a document in exactly Kazakh and Russian (R-RECV-2): its texts are
# fixed here, like the bilingual slips, not left to the UI catalogs.
PUBLIC_TEXT = {
    "kk": {
        "title": "Азаматтарды жеке қабылдау кестесі",
        "full_name": "Тегі, аты, әкесінің аты",
        "position": "Лауазымы",
        "days": "Қабылдау күндері мен сағаттары",
        "place": "Қабылдау орны",
        "video": "бейнебайланыс арқылы",
        "from": "{date} бастап",
        "until": "{date} дейін",
        "empty": "Бекітілген қабылдау кестесі әзірге жоқ.",
        "docx": "Кестені жүктеп алу (DOCX)",
        "pdf": "Кестені жүктеп алу (PDF)",
        "as_of": "{date} жағдай бойынша",
        "note": (
            "Жеке қабылдауға жазылу туралы өтініш мәселенің мәнін көрсете отырып, кеңсеге "
            "қолма-қол, пошта арқылы немесе электрондық түрде беріледі. Қабылдау қазақ немесе "
            "орыс тілінде, өтініш берушінің келісімімен бейнебайланыс арқылы да өткізіледі."
        ),
    },
    "ru": {
        "title": "График личного приема граждан",
        "full_name": "Фамилия, имя, отчество",
        "position": "Должность",
        "days": "Дни и часы приема",
        "place": "Место приема",
        "video": "по видеосвязи",
        "from": "с {date}",
        "until": "по {date}",
        "empty": "Утвержденных графиков приема пока нет.",
        "docx": "Скачать график (DOCX)",
        "pdf": "Скачать график (PDF)",
        "as_of": "по состоянию на {date}",
        "note": (
            "Заявка на личный прием с указанием сути вопроса подается в канцелярию нарочно, "
            "по почте или в электронной форме. Прием ведется на казахском или русском языке, "
            "с согласия заявителя — также по видеосвязи."
        ),
    },
}


def public_lang(value: str | None) -> str:
    return value if value in LANGS else "kk"


def describe_days(weekday: int, week_of_month: int | None, lang: str) -> str:
    """«по понедельникам» / «вторая среда месяца»; «әр дүйсенбі» / «айдың екінші сәрсенбісі»."""
    lang = public_lang(lang)
    if lang == "kk":
        if week_of_month is None:
            return f"әр {WEEKDAYS['kk'][weekday]}"
        return f"айдың {_KK_ORDINALS[week_of_month - 1]} {_KK_POSSESSIVE[weekday]}"
    if week_of_month is None:
        return _RU_EVERY[weekday]
    return (
        f"{_RU_ORDINALS[_RU_GENDER[weekday]][week_of_month - 1]} {WEEKDAYS['ru'][weekday]} месяца"
    )


@dataclass(frozen=True)
class PublishedEntry:
    schedule_id: int
    weekday: int
    week_of_month: int | None
    start: dt.time
    end: dt.time
    place: dict[str, str]
    video: bool
    valid_from: dt.date
    valid_to: dt.date | None

    def days(self, lang: str, today: dt.date | None = None) -> str:
        """Days and hours in ``lang``, with the validity when it is not simply "from now on"."""
        text = PUBLIC_TEXT[public_lang(lang)]
        out = (
            f"{describe_days(self.weekday, self.week_of_month, lang)}, "
            f"{fmt_time(self.start)}–{fmt_time(self.end)}"
        )
        extra = []
        if today is not None and self.valid_from > today:
            extra.append(text["from"].format(date=fmt_date(self.valid_from)))
        if self.valid_to is not None:
            extra.append(text["until"].format(date=fmt_date(self.valid_to)))
        if self.video:
            extra.append(text["video"])
        return out + (f" ({', '.join(extra)})" if extra else "")

    def place_in(self, lang: str) -> str:
        return self.place.get(public_lang(lang)) or next(iter(self.place.values()), "")


@dataclass(frozen=True)
class PublishedOfficial:
    official_id: int
    code: str
    full_name: str
    positions: dict[str, str]
    entries: list[PublishedEntry]

    def position(self, lang: str) -> str:
        return self.positions.get(public_lang(lang)) or next(iter(self.positions.values()), "")


def published_schedule(today: dt.date) -> list[PublishedOfficial]:
    """The approved schedules in force on ``today`` or later, grouped by official (R-RECV-2).

    Officials in the order of the profile (the akim first), each with full name and positions in
    Kazakh and Russian; drafts are never published.
    """
    grouped: dict[int, list[ReceptionSchedule]] = {}
    for s in schedules(approved=True):
        if s.valid_to is None or s.valid_to >= today:
            grouped.setdefault(s.official_id, []).append(s)
    if not grouped:
        return []
    officials = db.session.scalars(
        select(Official).where(Official.id.in_(grouped)).order_by(Official.id)
    )
    out = []
    for official in officials:
        entries = [
            PublishedEntry(
                s.id,
                s.weekday,
                s.week_of_month,
                s.start,
                s.end,
                dict(s.place or {}),
                s.video,
                s.valid_from,
                s.valid_to,
            )
            for s in sorted(
                grouped[official.id],
                key=lambda s: (s.valid_from, s.week_of_month or 0, s.weekday, s.start),
            )
        ]
        out.append(
            PublishedOfficial(
                official.id,
                official.code,
                official.full_name,
                dict(official.positions or {}),
                entries,
            )
        )
    return out


def organisation_names() -> dict[str, str]:
    """The body's name in kk/ru for printed headings: the profile title, else the organisation."""
    title = (get_setting("profile") or {}).get("title") or {}
    if title.get("kk") or title.get("ru"):
        return title
    org = db.session.scalar(select(Organisation).order_by(Organisation.id).limit(1))
    return dict(org.names) if org else {}
