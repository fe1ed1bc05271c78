"""Reception minutes out: the minutes of a reception as DOCX, from a template the office edits.

The templates are ordinary Word files with Jinja tags (docxtpl): ``templates/minutes-ru.docx``
and ``templates/minutes-kk.docx`` are the defaults, rebuilt by ``make_templates.py``. An office
may pass its own template; it is checked like any uploaded DOCX and rendered in a Jinja sandbox.

Context of a template (all strings already in the minutes' language):
``number``, ``date_text`` («15 октября 2026 года» / «2026 жылғы 15 қазан»), ``date_iso``,
``place``, ``official_name``, ``official_short`` («Сейітов А.Б.» / «А.Б. Сейітов»),
``official_signature`` («А. Сейітов»), ``official_position``, ``participants`` (list),
``participants_text``, and ``visitors``: each with ``no``, ``applicant`` (name),
``identifier_label`` (ИИН/БИН or ЖСН/БСН), ``identifier``, ``address``, ``applicant_text`` (all
three on one line), ``question``, ``decision``, ``executors`` (names, responsible first),
``responsible``, ``co_executors``, ``executors_text`` («…; совместно с: …» / «…; бірлесіп: …»),
``term_text`` («до 30.10.2026» / «2026 жылғы 30 қазанға дейін» / «—»), ``due_iso``.

What is written here reads back into the same assignments with
:func:`docflow.protocols.minutes.parse_minutes` (tested both ways, R-PROT-1..3).
"""

from __future__ import annotations

import io
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any, Literal

from docflow.protocols.minutes import MinutesError, check_package, is_explained, split_full_name

TEMPLATES = Path(__file__).resolve().parent / "templates"
Lang = Literal["kk", "ru"]

RU_MONTHS = (
    "января",
    "февраля",
    "марта",
    "апреля",
    "мая",
    "июня",
    "июля",
    "августа",
    "сентября",
    "октября",
    "ноября",
    "декабря",
)
KK_MONTHS = (
    "қаңтар",
    "ақпан",
    "наурыз",
    "сәуір",
    "мамыр",
    "маусым",
    "шілде",
    "тамыз",
    "қыркүйек",
    "қазан",
    "қараша",
    "желтоқсан",
)
# Dative of the month («қарашаға дейін»), by vowel harmony.
KK_MONTHS_DATIVE = (
    "қаңтарға",
    "ақпанға",
    "наурызға",
    "сәуірге",
    "мамырға",
    "маусымға",
    "шілдеге",
    "тамызға",
    "қыркүйекке",
    "қазанға",
    "қарашаға",
    "желтоқсанға",
)
TEXTS = {
    "ru": {
        "place": "г. Алматы",
        "iin": "ИИН",
        "bin": "БИН",
        "together": "совместно с",
        "explained": "Разъяснено на месте, поручение не требуется.",
    },
    "kk": {
        "place": "Алматы қ.",
        "iin": "ЖСН",
        "bin": "БСН",
        "together": "бірлесіп",
        "explained": "Орнында түсіндірілді, тапсырма талап етілмейді.",
    },
}


@dataclass
class Visitor:
    """One person (or entity) received, with the decision taken (R-PROT-1)."""

    applicant: str
    question: str = ""
    decision: str = ""
    executors: Sequence[str] = ()  # subdivision codes, responsible first
    due: date | None = None
    iin: str | None = None
    bin: str | None = None
    address: str | None = None
    no_assignment: bool = False  # explained on the spot


@dataclass
class MinutesData:
    number: str
    date: date
    official_name: str
    official_position: str | Mapping[str, str] = ""
    participants: Sequence[str] = ()
    visitors: Sequence[Visitor] = ()
    # code → {"kk": …, "ru": …}; e.g. ``Resolver.from_db().names``
    subdivision_names: Mapping[str, Mapping[str, str]] = field(default_factory=dict)
    place: str | Mapping[str, str] | None = None


def format_date(d: date, lang: Lang) -> str:
    if lang == "kk":
        return f"{d.year} жылғы {d.day} {KK_MONTHS[d.month - 1]}"
    return f"{d.day} {RU_MONTHS[d.month - 1]} {d.year} года"


def format_term(d: date | None, lang: Lang) -> str:
    if d is None:
        return "—"
    if lang == "kk":
        return f"{d.year} жылғы {d.day} {KK_MONTHS_DATIVE[d.month - 1]} дейін"
    return f"до {d:%d.%m.%Y}"


def short_name(full_name: str, lang: Lang) -> str:
    """«Айдос Болатұлы Сейітов» → «Сейітов А.Б.» (ru) / «А.Б. Сейітов» (kk)."""
    surname, given, patronymic = split_full_name(full_name)
    initials = "".join(f"{x[0]}." for x in (given, patronymic) if x)
    if not initials:
        return surname
    return f"{initials} {surname}" if lang == "kk" else f"{surname} {initials}"


def _pick(value: str | Mapping[str, str] | None, lang: Lang, default: str = "") -> str:
    if value is None:
        return default
    if isinstance(value, str):
        return value
    return value.get(lang) or value.get("ru") or value.get("kk") or default


def build_context(data: MinutesData, lang: Lang) -> dict[str, Any]:
    """The template context (see the module docstring)."""
    if lang not in TEXTS:
        raise ValueError(f"lang must be 'kk' or 'ru', got {lang!r}")
    texts = TEXTS[lang]

    def name(code: str) -> str:
        return _pick(data.subdivision_names.get(code), lang, code)

    visitors = []
    for no, v in enumerate(data.visitors, start=1):
        label, ident = None, None
        if v.iin:
            label, ident = texts["iin"], v.iin
        elif v.bin:
            label, ident = texts["bin"], v.bin
        parts = [v.applicant]
        if ident:
            parts.append(f"{label} {ident}")
        if v.address:
            parts.append(v.address)
        executors = [] if v.no_assignment else [name(c) for c in v.executors]
        responsible = executors[0] if executors else ""
        co = executors[1:]
        executors_text = responsible or "—"
        if co:
            executors_text += f"; {texts['together']}: " + ", ".join(co)
        decision = v.decision.strip()
        if v.no_assignment and not is_explained(decision):
            # Say it in words the minutes are read back by.
            decision = (
                f"{decision.rstrip('.')}. {texts['explained']}" if decision else texts["explained"]
            )
        due = None if v.no_assignment else v.due
        visitors.append(
            {
                "no": str(no),
                "applicant": v.applicant,
                "identifier_label": label or "",
                "identifier": ident or "",
                "address": v.address or "",
                "applicant_text": ", ".join(parts),
                "question": v.question,
                "decision": decision,
                "executors": executors,
                "responsible": responsible,
                "co_executors": co,
                "executors_text": executors_text,
                "term_text": format_term(due, lang),
                "due_iso": due.isoformat() if due else "",
            }
        )
    surname, given, _patronymic = split_full_name(data.official_name)
    return {
        "lang": lang,
        "number": data.number,
        "date_text": format_date(data.date, lang),
        "date_iso": data.date.isoformat(),
        "place": _pick(data.place, lang, texts["place"]),
        "official_name": data.official_name,
        "official_short": short_name(data.official_name, lang),
        "official_signature": f"{given[:1]}. {surname}" if given else surname,
        "official_position": _pick(data.official_position, lang),
        "participants": list(data.participants),
        "participants_text": "; ".join(data.participants),
        "visitors": visitors,
    }


def render_minutes(data: MinutesData, lang: Lang = "ru", template: Path | None = None) -> bytes:
    """The minutes as DOCX bytes, from ``template`` or the default template of ``lang``."""
    from docxtpl import DocxTemplate
    from jinja2 import TemplateError
    from jinja2.sandbox import SandboxedEnvironment

    context = build_context(data, lang)
    path = Path(template) if template else TEMPLATES / f"minutes-{lang}.docx"
    try:
        blob = path.read_bytes()
    except OSError as exc:
        raise MinutesError(
            "bad_template", f"The minutes template cannot be read: {exc.strerror}."
        ) from None
    check_package(blob)  # an office template is a DOCX like any other: same limits
    doc = DocxTemplate(io.BytesIO(blob))
    env = SandboxedEnvironment(autoescape=True)
    try:
        doc.render(context, jinja_env=env, autoescape=True)
    except TemplateError as exc:
        raise MinutesError(
            "bad_template", f"The minutes template has an error: {exc.message or exc}."
        ) from None
    out = io.BytesIO()
    doc.save(out)
    return out.getvalue()
