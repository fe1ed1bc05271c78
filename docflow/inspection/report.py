"""What an inspection's report says (R-AUDIT-1), whatever the format: the scope and period, the
counts per subdivision and check code, the findings, the sample read by hand, the audit trail's
integrity, the remarks and the proposals — in Kazakh or Russian, the inspector's choice.

The texts are the report's own (kk, ru), like the published schedule's, so that a report comes
out in the chosen language whatever the UI speaks. The charts are bar charts drawn with Pillow
into a PNG that the DOCX and the PDF both embed (matplotlib is not a dependency of docflow; the
figure needs bars and labels only), in DejaVu Sans for every Kazakh letter.
"""

from __future__ import annotations

import datetime as dt
import io
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from flask_babel import force_locale
from sqlalchemy import select

from docflow.core.pdf import FontNotFoundError, find_font
from docflow.extensions import db
from docflow.inspection.models import (
    CHECKLIST,
    MANUAL_CODE,
    Inspection,
    InspectionFinding,
    InspectionRun,
)
from docflow.inspection.operations import findings_of
from docflow.inspection.sample import sample_of, sample_summary
from docflow.org.models import Subdivision, User

LANGUAGES = ("kk", "ru")

TEXT: dict[str, dict[str, str]] = {
    "kk": {
        "title": "Іс жүргізуді тексеру туралы анықтама",
        "scope": "Тексеру аясы",
        "whole_office": "бүкіл мекеме",
        "period": "Кезең",
        "as_of": "Жағдай бойынша",
        "inspector": "Тексеруші",
        "run": "Автоматты тексеру",
        "run_line": "№{number}, {at}: тексерілген істер — {checked}, бұзушылықтар — {count}",
        "not_judged": "Бағаланбаған істер (деректер жеткіліксіз)",
        "counts": "Бөлімшелер мен кодтар бойынша бұзушылықтар саны",
        "subdivision": "Бөлімше",
        "total": "Барлығы",
        "chart_codes": "Кодтар бойынша бұзушылықтар",
        "chart_subdivisions": "Бөлімшелер бойынша бұзушылықтар",
        "findings": "Бұзушылықтар тізімі",
        "code": "Код",
        "check": "Тексеру",
        "rule": "Норма",
        "severity": "Маңыздылығы",
        "case": "Іс",
        "evidence": "Дәлел",
        "status": "Мәртебесі",
        "still_open": "Кейінгі тексеруде әлі бар",
        "none": "Бұзушылық анықталған жоқ.",
        "manual": "Тексерушінің өз анықтағандары",
        "sample": "Қолмен оқылған іріктеме",
        "sample_line": "Іріктеме: {size} іс, кездейсоқ сан (seed) {seed}; оқылғаны — {read}",
        "question": "Сұрақ",
        "yes": "иә",
        "no": "жоқ",
        "na": "қатысты емес",
        "remarks": "Ескертпелер",
        "audit": "Аудит журналының тұтастығы",
        "audit_ok": "Тізбек бүтін: {checked} жазба тексерілді, оның ішінде кезеңде — {period}.",
        "audit_broken": "Тізбек бұзылған: №{seq} жазба — {reason}.",
        "proposals": "Ұсыныстар",
        "no_run": "Автоматты тексеру әлі жүргізілмеген.",
        "yes_short": "иә",
        "open": "ашық",
        "sent": "жоюға жіберілді",
        "remedied": "жойылды, қабылдауды күтуде",
        "accepted": "қабылданды",
        "returned": "басшыға қайтарылды",
        "high": "жоғары",
        "medium": "орташа",
        "low": "төмен",
        "answer_motivated": "Жауап дәлелді",
        "legislation_cited": "Жауапта заңнамаға сілтеме бар",
        "complaint_explained": "Шағымдану құқығы түсіндірілген",
        "language_ok": "Жауап өтініш тілінде немесе мемлекеттік тілде",
        "inspector_finding": "Тексерушінің анықтағаны",
    },
    "ru": {
        "title": "Справка о проверке состояния делопроизводства",
        "scope": "Охват проверки",
        "whole_office": "всё учреждение",
        "period": "Период",
        "as_of": "По состоянию на",
        "inspector": "Проверяющий",
        "run": "Автоматическая проверка",
        "run_line": "№{number}, {at}: проверено дел — {checked}, нарушений — {count}",
        "not_judged": "Не оценены (недостаточно данных)",
        "counts": "Количество нарушений по подразделениям и кодам",
        "subdivision": "Подразделение",
        "total": "Итого",
        "chart_codes": "Нарушения по кодам",
        "chart_subdivisions": "Нарушения по подразделениям",
        "findings": "Перечень нарушений",
        "code": "Код",
        "check": "Проверка",
        "rule": "Норма",
        "severity": "Значимость",
        "case": "Дело",
        "evidence": "Доказательство",
        "status": "Статус",
        "still_open": "Сохраняется при повторной проверке",
        "none": "Нарушений не выявлено.",
        "manual": "Нарушения, выявленные проверяющим",
        "sample": "Выборка, прочитанная вручную",
        "sample_line": "Выборка: {size} дел, случайное число (seed) {seed}; прочитано — {read}",
        "question": "Вопрос",
        "yes": "да",
        "no": "нет",
        "na": "неприменимо",
        "remarks": "Замечания",
        "audit": "Целостность журнала аудита",
        "audit_ok": "Цепочка цела: проверено записей — {checked}, из них за период — {period}.",
        "audit_broken": "Цепочка нарушена: запись №{seq} — {reason}.",
        "proposals": "Предложения",
        "no_run": "Автоматическая проверка ещё не проводилась.",
        "yes_short": "да",
        "open": "открыто",
        "sent": "направлено на устранение",
        "remedied": "устранено, ожидает принятия",
        "accepted": "принято",
        "returned": "возвращено руководителю",
        "high": "высокая",
        "medium": "средняя",
        "low": "низкая",
        "answer_motivated": "Ответ мотивирован",
        "legislation_cited": "В ответе есть ссылки на законодательство",
        "complaint_explained": "Разъяснено право на обжалование",
        "language_ok": "Ответ на языке обращения или на государственном языке",
        "inspector_finding": "Выявлено проверяющим",
    },
}


def report_lang(lang: str | None) -> str:
    return lang if lang in LANGUAGES else "kk"


def check_title(code: str, lang: str) -> str:
    """The check's title in ``lang`` (the checks' own catalogue), or the code itself."""
    if code == MANUAL_CODE:
        return TEXT[lang]["inspector_finding"]
    try:
        from docflow.inspection.checks import CHECKS
    except ImportError:  # pragma: no cover - the checks ship with the package
        return code
    spec = CHECKS.get(code)
    if spec is None:
        return code
    with force_locale(lang):
        return str(spec.title)


@dataclass
class Report:
    """Everything a report shows; the DOCX, PDF and XLSX writers only lay it out."""

    lang: str
    inspection: Inspection
    run: InspectionRun | None
    inspector: str
    scope: list[str]
    findings: list[InspectionFinding]
    manual: list[InspectionFinding]
    counts: dict[str, Counter] = field(default_factory=dict)  # subdivision → code → n
    codes: list[str] = field(default_factory=list)
    sample: list[Any] = field(default_factory=list)
    sample_summary: dict[str, dict[str, int]] = field(default_factory=dict)

    def t(self, key: str, **kw: Any) -> str:
        text = TEXT[self.lang].get(key, key)
        return text.format(**kw) if kw else text

    @property
    def all_findings(self) -> list[InspectionFinding]:
        return [*self.findings, *self.manual]

    def code_totals(self) -> list[tuple[str, int]]:
        c = Counter(f.code for f in self.all_findings)
        return [(code, c[code]) for code in self.codes]

    def subdivision_totals(self) -> list[tuple[str, int]]:
        return [(sub, sum(codes.values())) for sub, codes in self.counts.items()]

    def period_text(self) -> str:
        i = self.inspection
        return f"{_d(i.date_from)} — {_d(i.date_to)}"

    def count_rows(self) -> tuple[list[str], list[list[str]]]:
        """The table of counts: a row per subdivision, a column per code, totals last."""
        headings = [self.t("subdivision"), *self.codes, self.t("total")]
        rows = []
        for sub, codes in self.counts.items():
            rows.append(
                [sub, *(str(codes.get(c, 0)) for c in self.codes), str(sum(codes.values()))]
            )
        totals = dict(self.code_totals())
        rows.append(
            [self.t("total"), *(str(totals[c]) for c in self.codes), str(len(self.all_findings))]
        )
        return headings, rows

    def legend_rows(self) -> tuple[list[str], list[list[str]]]:
        """What each code of the report means (its title in the report's language)."""
        rules = {f.code: f.rule for f in self.all_findings if f.run_id is not None}
        rows = [[c, check_title(c, self.lang), rules.get(c, "")] for c in self.codes]
        return [self.t("code"), self.t("check"), self.t("rule")], rows

    def finding_row(self, f: InspectionFinding) -> list[str]:
        still = self.t("yes_short") if f.still_open else ""
        return [
            f.code,
            f.rule,
            self.t(f.severity),
            f.reg_number or "",
            f.subdivision_code or "",
            f.evidence,
            self.t(f.status),
            still,
        ]

    def finding_headings(self) -> list[str]:
        return [
            self.t("code"),
            self.t("rule"),
            self.t("severity"),
            self.t("case"),
            self.t("subdivision"),
            self.t("evidence"),
            self.t("status"),
            self.t("still_open"),
        ]

    def audit_text(self) -> str:
        r = self.run
        if r is None:
            return self.t("no_run")
        if r.audit_ok:
            return self.t("audit_ok", checked=r.audit_checked, period=r.audit_period_entries)
        return self.t("audit_broken", seq=r.audit_broken_seq, reason=r.audit_reason or "")

    def run_text(self) -> str:
        r = self.run
        if r is None:
            return self.t("no_run")
        return self.t(
            "run_line",
            number=r.number,
            at=r.at.strftime("%d.%m.%Y %H:%M UTC"),
            checked=r.checked,
            count=r.finding_count,
        )

    def sample_line(self) -> str:
        i = self.inspection
        read = sum(1 for s in self.sample if s.checked)
        return self.t("sample_line", size=len(self.sample), seed=i.sample_seed, read=read)

    def sample_rows(self) -> tuple[list[str], list[list[str]]]:
        headings = [self.t("question"), self.t("yes"), self.t("no"), self.t("na")]
        rows = [
            [self.t(name), *(str(self.sample_summary[name][a]) for a in ("yes", "no", "na"))]
            for name in CHECKLIST
        ]
        return headings, rows

    def sample_case_rows(self) -> tuple[list[str], list[list[str]]]:
        headings = [self.t("case"), *(self.t(n) for n in CHECKLIST), self.t("remarks")]
        rows = []
        for s in self.sample:
            answers = [self.t(v) if v else "—" for v in s.answers().values()]
            rows.append([s.item.reg_number, *answers, s.remarks])
        return headings, rows


def _d(day: dt.date) -> str:
    return day.strftime("%d.%m.%Y")


def build_report(inspection: Inspection, lang: str, run: InspectionRun | None = None) -> Report:
    """The report of the inspection's ``run`` (default: its last) in ``lang``."""
    lang = report_lang(lang)
    run = run or inspection.last_run
    findings = findings_of(inspection, run) if run else []
    manual = findings_of(inspection, None, manual=True)
    inspector = db.session.get(User, inspection.created_by_id)
    names = {
        s.code: s.names.get(lang) or s.name
        for s in db.session.scalars(
            select(Subdivision).where(Subdivision.code.in_(inspection.scope_codes))
        )
    }
    scope = [f"{c} — {names.get(c, '')}" for c in inspection.scope_codes] or [
        TEXT[lang]["whole_office"]
    ]
    counts: dict[str, Counter] = {}
    for f in [*findings, *manual]:
        counts.setdefault(f.subdivision_code or "—", Counter())[f.code] += 1
    codes = sorted({f.code for f in [*findings, *manual]})
    rows = sample_of(inspection)
    return Report(
        lang=lang,
        inspection=inspection,
        run=run,
        inspector=inspector.display_name if inspector else "",
        scope=scope,
        findings=findings,
        manual=manual,
        counts=dict(sorted(counts.items())),
        codes=codes,
        sample=rows,
        sample_summary=sample_summary(rows),
    )


# --- charts ------------------------------------------------------------------------------------


def bar_chart_png(title: str, bars: list[tuple[str, int]], width: int = 1400) -> bytes:
    """A horizontal bar chart (label, value) as PNG, DejaVu Sans; an empty chart says 0."""
    from PIL import Image, ImageDraw, ImageFont

    try:
        font = ImageFont.truetype(str(find_font(False)), 22)
        bold = ImageFont.truetype(str(find_font(True)), 26)
    except (FontNotFoundError, OSError):  # the chart is still drawn, in the default face
        font = bold = ImageFont.load_default()
    bars = bars or [("—", 0)]
    row, top, label_w, right = 40, 70, 460, 90
    height = top + row * len(bars) + 30
    img = Image.new("RGB", (width, height), "white")
    draw = ImageDraw.Draw(img)
    draw.text((20, 18), title, fill="black", font=bold)
    longest = max(v for _, v in bars) or 1
    span = width - label_w - right - 20
    for n, (label, value) in enumerate(bars):
        y = top + n * row
        draw.text((20, y + 6), label[:34], fill="black", font=font)
        length = int(span * value / longest)
        if value:
            draw.rectangle(
                [label_w, y + 4, label_w + max(length, 2), y + row - 8], fill=(52, 101, 164)
            )
        draw.text((label_w + length + 10, y + 6), str(value), fill="black", font=font)
    out = io.BytesIO()
    img.save(out, format="PNG")
    return out.getvalue()


def charts(report: Report) -> list[bytes]:
    """The report's two charts: findings per code, findings per subdivision."""
    return [
        bar_chart_png(report.t("chart_codes"), report.code_totals()),
        bar_chart_png(report.t("chart_subdivisions"), report.subdivision_totals()),
    ]
