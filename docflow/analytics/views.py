"""The analytics pages: the dashboard, the cases behind a number, the districts' map upload and
the periodic reports' downloads.

Who sees them: whoever may read the whole journal (``VIEW_REGISTRY``: the appeals-control
department, the records office, inspectors, administrators). The lists show numbers, dates,
subdivisions, districts and topics — no applicant's personal data.
"""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

from flask import Blueprint, Response, abort, render_template, request, url_for
from flask_babel import get_locale
from flask_babel import lazy_gettext as _l
from flask_login import login_required

from docflow.analytics import charts, geo
from docflow.analytics import queries as q
from docflow.analytics.problems import find_problems
from docflow.analytics.topics import topic_map
from docflow.core.calendar import get_calendar
from docflow.core.security import Permission
from docflow.core.views import require
from docflow.extensions import db
from docflow.org.models import Subdivision
from docflow.registry.vocab import CHANNELS, KINDS

bp = Blueprint("analytics", __name__, url_prefix="/analytics")

DEFAULT_DAYS = 90
PAGE = 100


def _dates() -> tuple[dt.date, dt.date, list[str]]:
    today = get_calendar().local_now().date()
    errors: list[str] = []

    def parse(name: str, default: dt.date) -> dt.date:
        raw = (request.args.get(name) or "").strip()
        if not raw:
            return default
        try:
            return dt.date.fromisoformat(raw)
        except ValueError:
            errors.append(str(_l("“%(value)s” is not a date (YYYY-MM-DD).", value=raw[:40])))
            return default

    date_to = parse("to", today)
    date_from = parse("from", date_to - dt.timedelta(days=DEFAULT_DAYS - 1))
    if date_from > date_to:
        errors.append(str(_l("The period ends before it starts.")))
        date_from = date_to - dt.timedelta(days=DEFAULT_DAYS - 1)
    return date_from, date_to, errors


def _filters() -> tuple[q.Filters, list[str]]:
    date_from, date_to, errors = _dates()

    def values(name: str) -> list[str]:
        return [v for v in request.args.getlist(name) if v][:50]

    filters = q.Filters(
        date_from,
        date_to,
        subdivisions=values("subdivision"),
        districts=values("district"),
        kinds=[k for k in values("kind") if k in KINDS],
        topics=values("topic"),
    )
    return filters, errors


def _cases_url(filters: q.Filters, **cell: Any) -> str:
    args = filters.args()
    args.update({k: v for k, v in cell.items() if v is not None})
    return url_for("analytics.cases", **args)


class Labels:
    """Titles of codes in the reader's language."""

    def __init__(self) -> None:
        self.lang = str(get_locale() or "kk")
        self.subdivisions = {s.code: s for s in db.session.scalars(db.select(Subdivision))}
        self.topics = topic_map()

    def subdivision(self, code: str | None) -> str:
        sub = self.subdivisions.get(code or "")
        return sub.name if sub else (code or str(_l("none")))

    def district(self, code: str | None) -> str:
        return self.subdivision(code)

    def topic(self, code: str | None) -> str:
        return self.topics.title(code, self.lang) if code else str(_l("no topic"))

    def kind(self, code: str | None) -> str:
        return str(KINDS.get(code or "", code or ""))

    def channel(self, code: str | None) -> str:
        return str(CHANNELS.get(code or "", code or ""))

    def source(self, code: str | None) -> str:
        return str(_l("imported") if code == "imported" else _l("registered in docflow"))

    def of(self, dimension: str, code: str | None) -> str:
        return getattr(self, dimension)(code)


def _breakdown(filters: q.Filters, dimension: str, labels: Labels) -> dict[str, Any]:
    rows = q.breakdown(filters, dimension)
    for row in rows:
        row["label"] = labels.of(dimension, row["value"] or None)
        row["href"] = _cases_url(filters, **{dimension: row["value"]})
    chart = charts.bars(
        [charts.Bar(r["label"], r["n"], r["href"]) for r in rows[:20]],
        title=str(_l("Cases by %(what)s", what=DIMENSION_TITLES[dimension])),
    )
    return {"rows": rows, "chart": chart}


DIMENSION_TITLES = {
    "kind": _l("kind"),
    "channel": _l("channel"),
    "subdivision": _l("subdivision"),
    "district": _l("district"),
    "topic": _l("topic"),
    "source": _l("source"),
}


@bp.get("/")
@login_required
def dashboard():
    require(Permission.VIEW_REGISTRY)
    filters, errors = _filters()
    labels = Labels()
    totals = q.totals(filters)
    span = (filters.date_to - filters.date_from).days
    bucket = "day" if span <= 31 else ("week" if span <= 200 else "month")
    series = q.series(filters, bucket)
    timeline = charts.columns(
        [
            charts.Bar(
                _period_label(s["start"], bucket),
                s["n"],
                _cases_url(
                    q.Filters(
                        s["start"],
                        _period_end(s["start"], bucket),
                        filters.subdivisions,
                        filters.districts,
                        filters.kinds,
                        filters.topics,
                    )
                ),
            )
            for s in series
        ],
        title=str(_l("Cases over time")),
    )
    timeliness = [
        ("on_time", _l("Answered on time"), charts.PALETTE[2]),
        ("late", _l("Answered late"), charts.PALETTE[1]),
        ("open", _l("Open, in time"), charts.PALETTE[0]),
        ("overdue", _l("Open, overdue"), charts.PALETTE[3]),
    ]
    timeliness_rows = [
        {
            "label": str(title),
            "n": totals[key],
            "href": _cases_url(filters, measure=key),
        }
        for key, title, _c in timeliness
    ]
    timeliness_chart = charts.bars(
        [
            charts.Bar(r["label"], r["n"], r["href"], color)
            for r, (_k, _t, color) in zip(timeliness_rows, timeliness, strict=True)
        ],
        title=str(_l("Timeliness")),
    )
    by = {d: _breakdown(filters, d, labels) for d in ("kind", "channel", "subdivision", "district")}
    ratings = [r for r in by["subdivision"]["rows"] if r["rating_mean"] is not None]
    ratings_chart = charts.bars(
        [
            charts.Bar(
                r["label"],
                r["rating_mean"],
                _cases_url(filters, subdivision=r["value"], measure="rated"),
            )
            for r in ratings
        ],
        title=str(_l("Applicants' ratings by subdivision")),
    )
    heat = q.heatmap(filters)
    heat_chart = charts.heatmap(
        [(d, labels.district(d)) for d in heat["districts"]],
        [(t, labels.topic(t)) for t in heat["topics"][:25]],
        heat["cells"],
        title=str(_l("Problem map: district × topic")),
        href=lambda d, t: _cases_url(filters, district=d, topic=t),
    )
    district_counts = {r["value"]: r["n"] for r in by["district"]["rows"] if r["value"]}
    geo_chart = geo.district_map(
        district_counts,
        labels.district,
        title=str(_l("Cases by district")),
        href=lambda code: _cases_url(filters, district=code),
    )
    problems = find_problems(
        filters.date_from,
        filters.date_to,
        subdivisions=filters.subdivisions or None,
        districts=filters.districts or None,
    )
    return render_template(
        "analytics/dashboard.html",
        filters=filters,
        errors=errors,
        totals=totals,
        series=series,
        bucket=bucket,
        timeline=timeline,
        timeliness_rows=timeliness_rows,
        timeliness_chart=timeliness_chart,
        by=by,
        ratings=ratings,
        ratings_chart=ratings_chart,
        heat=heat,
        heat_chart=heat_chart,
        geo_chart=geo_chart,
        problems=problems,
        labels=labels,
        cases_url=_cases_url,
        dimension_titles=DIMENSION_TITLES,
        subdivisions=sorted(labels.subdivisions.values(), key=lambda s: s.code),
        kinds=KINDS,
        period_label=_period_label,
        report_kinds=REPORT_TITLES,
    )


def _period_label(day: dt.date, bucket: str) -> str:
    """A day or week by its (first) date in the locale's one format; a month as 12.2026 (kk,
    ru) or Dec 2026 (en)."""
    from babel.dates import format_date as babel_date

    from docflow.i18n import format_date

    if bucket == "month":
        lang = str(get_locale() or "kk")
        return babel_date(day, "MMM yyyy" if lang == "en" else "MM.yyyy", locale=lang)
    return format_date(day)


def _period_end(day: dt.date, bucket: str) -> dt.date:
    if bucket == "day":
        return day
    if bucket == "week":
        return day + dt.timedelta(days=6)
    nxt = (day.replace(day=28) + dt.timedelta(days=4)).replace(day=1)
    return nxt - dt.timedelta(days=1)


REPORT_TITLES = {
    "quarterly_petitions": _l("Quarterly analysis of petitions"),
    "half_year_note": _l("Half-year analytical note"),
    "weekly_ratings": _l("Weekly analysis of applicants' ratings"),
    "receptions_meetings": _l("Questions from personal receptions and reporting meetings"),
}
MIMETYPES = {
    "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "pdf": "application/pdf",
}


@bp.get("/reports/<kind>.<fmt>")
@login_required
def report(kind: str, fmt: str):
    """A periodic report for the filters' period, in the language asked (kk or ru)."""
    require(Permission.VIEW_REGISTRY)
    from docflow.analytics import reports

    lang = request.args.get("lang") or "kk"
    if kind not in reports.KINDS or fmt not in reports.FORMATS or lang not in reports.LANGUAGES:
        abort(404)
    filters, errors = _filters()
    if errors:
        return Response("; ".join(errors), status=400, mimetype="text/plain")
    data = reports.render(kind, filters.date_from, filters.date_to, lang, fmt)
    name = f"{kind}-{filters.date_from.isoformat()}-{filters.date_to.isoformat()}-{lang}.{fmt}"
    return Response(
        data,
        mimetype=MIMETYPES[fmt],
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )


@bp.get("/cases")
@login_required
def cases():
    """The cases behind a number on the dashboard."""
    require(Permission.VIEW_REGISTRY)
    filters, errors = _filters()
    cell: dict[str, Any] = {}
    # a single value in the query string is a cell of the breakdown (the filters take lists)
    for name in ("channel", "source"):
        if name in request.args:
            cell[name] = request.args.get(name)
    measure = request.args.get("measure")
    if measure in q.TIMELINESS_FILTERS:
        cell["measure"] = measure
    ids = request.args.get("ids")
    if ids:
        cell["public_ids"] = [x for x in ids.split(",")[:500] if x and len(x) <= 32]
    try:
        page = max(1, int(request.args.get("page", 1)))
    except ValueError:
        page = 1
    total, rows = q.cases(filters, limit=PAGE, offset=(page - 1) * PAGE, **cell)
    return render_template(
        "analytics/cases.html",
        filters=filters,
        errors=errors,
        total=total,
        rows=rows,
        page=page,
        pages=max(1, (total + PAGE - 1) // PAGE),
        labels=Labels(),
        measure=measure,
        cell=cell,
        args=request.args,
    )


@bp.get("/summary.json")
@login_required
def summary_json():
    """The CLI's JSON for the filters (for integrations that poll)."""
    require(Permission.VIEW_REGISTRY)
    from docflow.analytics.summary import summary

    filters, errors = _filters()
    if errors:
        return Response(
            json.dumps({"error": "invalid_parameters", "message": errors}, ensure_ascii=False),
            status=400,
            mimetype="application/json",
        )
    data = summary(
        filters.date_from,
        filters.date_to,
        subdivisions=filters.subdivisions or None,
        districts=filters.districts or None,
    )
    return Response(json.dumps(data, ensure_ascii=False), mimetype="application/json")


@bp.route("/map", methods=["GET", "POST"])
@login_required
def district_map():
    """The administrator uploads the districts' GeoJSON for the dashboard's map."""
    require(Permission.MANAGE_ORG)
    from docflow.core.views import run_write

    districts = {s.code for s in db.session.scalars(db.select(Subdivision)) if s.kind == "district"}
    if request.method == "POST":
        upload = request.files.get("geojson")
        data = upload.read(geo.MAX_BYTES + 1) if upload else b""
        return run_write(
            lambda: geo.store(data, districts),
            success=lambda n: _l("The map of %(n)s districts is saved.", n=n),
            back=url_for("analytics.district_map"),
            failure=lambda exc: (
                render_template(
                    "analytics/map.html", error=exc.readable(), districts=sorted(districts)
                ),
                422,
            ),
        )
    return render_template("analytics/map.html", error=None, districts=sorted(districts))
