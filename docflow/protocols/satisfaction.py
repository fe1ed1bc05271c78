"""Applicants' satisfaction: phone survey, quarterly statistics and report (R-RECV-13).

The front office phones a sample of applicants who got a consultation or declined sign-up and
records the result; at least quarterly the results go to the region's appeals-control department
as a DOCX report in Kazakh or Russian.
"""

from __future__ import annotations

import datetime as dt
import io
from dataclasses import dataclass, field
from typing import Any

from docx import Document
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.shared import Pt
from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from docflow.core.calendar import get_calendar
from docflow.core.db import atomic
from docflow.core.security import AccessDenied, Permission, has_permission
from docflow.core.settings import get_setting
from docflow.extensions import db
from docflow.protocols.models import SatisfactionCall, SignUp
from docflow.protocols.schedule_public import organisation_names, public_lang
from docflow.protocols.schedules import SETTING_KEY, ScheduleError
from docflow.registry.models import IncomingItem

REASONS = {
    "consultation": _l("Got a consultation"),
    "declined": _l("Declined sign-up"),
}
RESULTS = {
    "satisfied": _l("Satisfied"),
    "partly": _l("Partly satisfied"),
    "not_satisfied": _l("Not satisfied"),
    "unreachable": _l("Could not be reached"),
}
REACHED = ("satisfied", "partly", "not_satisfied")
MAX_COMMENT = 5000


class SatisfactionError(ScheduleError):
    """A survey record breaks a rule (422)."""


@atomic
def record_call(
    actor: Any,
    *,
    reason: str,
    result: str,
    signup: SignUp | None = None,
    item: IncomingItem | None = None,
    comment: str | None = None,
    called_on: dt.date | None = None,
) -> SatisfactionCall:
    """Record one survey call (R-RECV-13) of an applicant who got a consultation or declined.

    ``signup`` or ``item`` name the applicant's request (the item is taken from the sign-up when
    only that is given). ``called_on`` defaults to today and may not be in the future.
    """
    if not has_permission(actor, Permission.MANAGE_RECEPTION):
        raise AccessDenied()
    if reason not in REASONS:
        raise SatisfactionError(
            _l("Choose why the applicant is called (consultation or declined sign-up).")
        )
    if result not in RESULTS:
        raise SatisfactionError(_l("Choose the result of the call."))
    today = get_calendar().local_now().date()
    called_on = called_on or today
    if called_on > today:
        raise SatisfactionError(_l("The call cannot be dated in the future."))
    if signup is not None:
        if item is not None and item.id != signup.item_id:
            raise SatisfactionError(_l("The sign-up belongs to another registered request."))
        item = item or db.session.get(IncomingItem, signup.item_id)
    comment = (comment or "").strip()[:MAX_COMMENT] or None
    call = SatisfactionCall(
        signup_id=signup.id if signup is not None else None,
        item_id=item.id if item is not None else None,
        reason=reason,
        result=result,
        comment=comment,
        called_by_id=getattr(actor, "id", None),
        called_on=called_on,
    )
    db.session.add(call)
    db.session.flush()
    return call


def quarter_bounds(year: int, quarter: int) -> tuple[dt.date, dt.date]:
    if quarter not in (1, 2, 3, 4):
        raise SatisfactionError(_l("A quarter is 1 to 4."))
    first = dt.date(year, 3 * quarter - 2, 1)
    last = (
        dt.date(year, 12, 31)
        if quarter == 4
        else dt.date(year, 3 * quarter + 1, 1) - dt.timedelta(days=1)
    )
    return first, last


def quarter_of(day: dt.date) -> tuple[int, int]:
    return day.year, (day.month - 1) // 3 + 1


@dataclass(frozen=True)
class QuarterStats:
    year: int
    quarter: int
    date_from: dt.date
    date_to: dt.date
    total: int
    by_reason: dict[str, int]
    by_result: dict[str, int]
    matrix: dict[str, dict[str, int]] = field(default_factory=dict)  # reason → result → count

    @property
    def reached(self) -> int:
        return sum(self.by_result[r] for r in REACHED)

    @property
    def satisfaction_rate(self) -> float | None:
        """Satisfied among the applicants reached (0..1); None when nobody was reached."""
        return self.by_result["satisfied"] / self.reached if self.reached else None

    def reached_for(self, reason: str) -> int:
        return sum(self.matrix[reason][r] for r in REACHED)


def quarter_stats(year: int, quarter: int) -> QuarterStats:
    """Counts of the quarter's calls per reason and result, and the satisfaction rate (R-RECV-13)."""
    first, last = quarter_bounds(year, quarter)
    rows = db.session.execute(
        select(SatisfactionCall.reason, SatisfactionCall.result).where(
            SatisfactionCall.called_on >= first, SatisfactionCall.called_on <= last
        )
    ).all()
    matrix = {reason: dict.fromkeys(RESULTS, 0) for reason in REASONS}
    for reason, result in rows:
        if reason in matrix and result in RESULTS:
            matrix[reason][result] += 1
    by_reason = {reason: sum(matrix[reason].values()) for reason in REASONS}
    by_result = {result: sum(matrix[r][result] for r in REASONS) for result in RESULTS}
    return QuarterStats(
        year, quarter, first, last, sum(by_reason.values()), by_reason, by_result, matrix
    )


def recent_calls(limit: int = 50) -> list[SatisfactionCall]:
    return list(
        db.session.scalars(
            select(SatisfactionCall)
            .order_by(SatisfactionCall.called_on.desc(), SatisfactionCall.id.desc())
            .limit(limit)
        )
    )


# --- the quarterly report (DOCX, kk or ru) ----------------------------------------------------

REPORT_TEXT = {
    "kk": {
        "recipient": "Өтініштерді қарауды бақылау бөліміне",
        "title": "{year} жылғы {quarter}-тоқсандағы өтініш берушілердің қанағаттануын мониторингтеу туралы ақпарат",
        "intro": (
            "{org} қабылдау бөлмесі {date_from} – {date_to} кезеңінде кеңес алған немесе жеке "
            "қабылдауға жазылудан бас тартқан өтініш берушілерге іріктемелі телефон сауалнамасын "
            "жүргізді."
        ),
        "group": "Өтініш берушілер",
        "calls": "Қоңыраулар саны",
        "reasons": {"consultation": "Кеңес алғандар", "declined": "Жазылудан бас тартқандар"},
        "results": {
            "satisfied": "Қанағаттанды",
            "partly": "Ішінара қанағаттанды",
            "not_satisfied": "Қанағаттанбады",
            "unreachable": "Хабарласу мүмкін болмады",
        },
        "total": "Барлығы",
        "summary": "Барлық қоңыраулар: {total}. Хабарласқандар: {reached}. Қанағаттанғандар: {satisfied} ({rate}).",
        "rate": "хабарласқандардың {percent} %",
        "no_rate": "хабарласқандар жоқ",
        "none": "Тоқсанда қоңыраулар жүргізілмеген.",
        "made": "Құрастырылған күні: {date}",
    },
    "ru": {
        "recipient": "В отдел по контролю за рассмотрением обращений",
        "title": "Информация о мониторинге удовлетворенности заявителей за {quarter} квартал {year} года",
        "intro": (
            "Приемной ({org}) в период с {date_from} по {date_to} проведен выборочный "
            "телефонный опрос заявителей, получивших консультацию или отказавшихся от записи "
            "на личный прием."
        ),
        "group": "Заявители",
        "calls": "Количество звонков",
        "reasons": {
            "consultation": "Получили консультацию",
            "declined": "Отказались от записи",
        },
        "results": {
            "satisfied": "Удовлетворены",
            "partly": "Частично удовлетворены",
            "not_satisfied": "Не удовлетворены",
            "unreachable": "Не удалось дозвониться",
        },
        "total": "Всего",
        "summary": "Всего звонков: {total}. Дозвонились: {reached}. Удовлетворены: {satisfied} ({rate}).",
        "rate": "{percent} % от опрошенных",
        "no_rate": "опрошенных нет",
        "none": "В квартале звонков не было.",
        "made": "Дата составления: {date}",
    },
}


def _percent(rate: float) -> str:
    return f"{rate * 100:.1f}".replace(".", ",")


def report_recipient(lang: str) -> str:
    configured = (get_setting(SETTING_KEY) or {}).get("report_recipient") or {}
    return configured.get(lang) or REPORT_TEXT[lang]["recipient"]


def quarterly_report_docx(
    year: int, quarter: int, lang: str, today: dt.date | None = None
) -> bytes:
    """The front office's quarterly report to the region's appeals-control department (R-RECV-13):
    the calls per reason and result and the satisfaction rate among the applicants reached."""
    lang = public_lang(lang)
    text = REPORT_TEXT[lang]
    stats = quarter_stats(year, quarter)
    today = today or get_calendar().local_now().date()
    org = organisation_names()
    org_name = org.get(lang) or org.get("ru") or org.get("kk") or ""

    doc = Document()
    style = doc.styles["Normal"]
    style.font.name = "Times New Roman"
    style.font.size = Pt(12)
    title = text["title"].format(year=year, quarter=quarter)
    doc.core_properties.title = title
    doc.core_properties.language = lang
    p = doc.add_paragraph(report_recipient(lang))
    p.alignment = WD_ALIGN_PARAGRAPH.RIGHT
    heading = doc.add_paragraph()
    heading.alignment = WD_ALIGN_PARAGRAPH.CENTER
    run = heading.add_run(title)
    run.bold = True
    run.font.size = Pt(14)
    doc.add_paragraph(
        text["intro"].format(
            org=org_name,
            date_from=stats.date_from.strftime("%d.%m.%Y"),
            date_to=stats.date_to.strftime("%d.%m.%Y"),
        )
    )
    columns = [text["group"], text["calls"], *text["results"].values()]
    table = doc.add_table(rows=1, cols=len(columns))
    table.style = "Table Grid"
    for cell, heading_text in zip(table.rows[0].cells, columns, strict=True):
        cell.paragraphs[0].add_run(heading_text).bold = True
    for reason in REASONS:
        values = [text["reasons"][reason], stats.by_reason[reason]]
        values += [stats.matrix[reason][r] for r in RESULTS]
        for cell, value in zip(table.add_row().cells, values, strict=True):
            cell.text = str(value)
    totals = [text["total"], stats.total, *(stats.by_result[r] for r in RESULTS)]
    for cell, value in zip(table.add_row().cells, totals, strict=True):
        cell.paragraphs[0].add_run(str(value)).bold = True
    doc.add_paragraph()
    if stats.total == 0:
        doc.add_paragraph(text["none"])
    rate = (
        text["rate"].format(percent=_percent(stats.satisfaction_rate))
        if stats.satisfaction_rate is not None
        else text["no_rate"]
    )
    doc.add_paragraph(
        text["summary"].format(
            total=stats.total,
            reached=stats.reached,
            satisfied=stats.by_result["satisfied"],
            rate=rate,
        )
    )
    doc.add_paragraph(text["made"].format(date=today.strftime("%d.%m.%Y")))
    out = io.BytesIO()
    doc.save(out)
    return out.getvalue()
