"""The analytics pages (R-AUDIT-2): the dashboard with its charts and accessible tables, every
number a link to its cases, the districts' map upload, the periodic reports (DOCX/PDF, kk/ru)
on demand and on a schedule."""

from __future__ import annotations

import datetime as dt
import io
import json
import re

import pdfplumber
import pytest
from docx import Document

from docflow.extensions import db
from tests.fixtures import page

PERIOD = {"from": "2026-11-01", "to": "2026-11-30"}
HEATING = [
    "Медеуский район: в квартире холодно, батареи не греют",
    "Медеу ауданы, пәтерде жылу жоқ, радиаторлар суық",
    "Нет отопления в доме в Медеуском районе, холодно",
]


@pytest.fixture
def world(app, make_item):
    made = [make_item(summary=t) for t in HEATING]
    made.append(make_item(summary="Аулада қоқыс шығарылмайды", kind="petition"))
    db.session.commit()
    return made


def test_r_audit_2_dashboard_numbers_link_to_their_cases(world, web):
    client = web("controller")
    r = client.get("/analytics/", query_string=PERIOD)
    assert r.status_code == 200
    text = page(r)
    assert "<svg" in text and "<table" in text
    # the topic row of the problem map links to exactly its cases
    links = re.findall(r'href="(/analytics/cases\?[^"]*topic=heating[^"]*)"', text)
    assert links and "district=MEDEU" in links[0]
    listed = client.get(links[0])
    assert listed.status_code == 200
    listing = page(listed)
    assert "3 cases" in listing
    for item in world[:3]:
        assert item.reg_number in listing
    assert world[3].reg_number not in listing
    # the kind breakdown: petitions
    petitions = client.get("/analytics/cases", query_string={**PERIOD, "kind": "petition"})
    assert "1 cases" in page(petitions) and world[3].reg_number in page(petitions)


def test_r_audit_2_dashboard_is_for_the_control_department_not_executors(world, web):
    assert web("exec.energy").get("/analytics/").status_code == 403
    assert web("inspector").get("/analytics/").status_code == 200


def test_r_audit_2_bad_filters_are_explained_not_a_500(world, web):
    r = web("controller").get("/analytics/", query_string={"from": "31.02.2026", "to": "x"})
    assert r.status_code == 200
    assert "is not a date" in page(r)
    r = web("controller").get("/analytics/summary.json", query_string={"from": "bad"})
    assert r.status_code == 400 and r.get_json()["error"] == "invalid_parameters"


def test_r_audit_2_summary_json_matches_the_cli_shape(world, web):
    data = web("controller").get("/analytics/summary.json", query_string=PERIOD).get_json()
    assert data["total"] == 4
    assert data["by_kind"] == {"statement": 3, "petition": 1}


@pytest.mark.parametrize("lang", ["kk", "ru"])
def test_r_audit_2_reports_docx_and_pdf(world, web, lang):
    client = web("controller")
    docx = client.get(
        "/analytics/reports/half_year_note.docx", query_string={**PERIOD, "lang": lang}
    )
    assert docx.status_code == 200
    document = Document(io.BytesIO(docx.data))
    text = "\n".join(p.text for p in document.paragraphs)
    cells = [c.text for t in document.tables for row in t.rows for c in row.cells]
    heading = {"kk": "жарты жылдық", "ru": "Полугодовая"}[lang]
    assert heading in text
    assert "4" in cells  # the total
    assert document.inline_shapes, "the charts are pictures in the DOCX"
    pdf = client.get(
        "/analytics/reports/quarterly_petitions.pdf", query_string={**PERIOD, "lang": lang}
    )
    assert pdf.status_code == 200 and pdf.data.startswith(b"%PDF")
    with pdfplumber.open(io.BytesIO(pdf.data)) as doc:
        pdf_text = "".join(p.extract_text() or "" for p in doc.pages)
    assert world[3].reg_number in pdf_text
    assert world[0].reg_number not in pdf_text  # petitions only
    assert client.get("/analytics/reports/nonsense.pdf").status_code == 404


def test_r_ans_3_weekly_ratings_report_counts_the_weeks_ratings(app, world):
    from docflow.analytics.reports import build

    report = build("weekly_ratings", dt.date(2026, 11, 23), dt.date(2026, 11, 29), "ru")
    assert report.sections[0].parts == ["Оценок за период не было."]


def test_r_audit_2_scheduled_reports_once_per_period(app, world, runner, tmp_path):
    args = ["analytics", "scheduled", "--today", "2026-12-02", "--out", str(tmp_path)]
    first = runner.invoke(args=args)
    assert first.exit_code == 0, first.output
    names = sorted(p.name for p in tmp_path.iterdir())
    assert "weekly_ratings-2026-11-23-2026-11-29-kk.pdf" in names
    assert "quarterly_petitions-2026-07-01-2026-09-30-ru.docx" in names
    assert "half_year_note-2026-01-01-2026-06-30-kk.docx" in names
    assert not [n for n in names if n.endswith(".part")]
    second = runner.invoke(args=args)
    assert second.exit_code == 0 and second.output.strip() == ""


def _geojson(code: str = "MEDEU", *, broken: bool = False) -> bytes:
    ring = [[76.9, 43.2], [77.0, 43.2], [77.0, 43.3], [76.9, 43.2]]
    geometry = (
        {"type": "Point", "coordinates": [1, 2]}
        if broken
        else {
            "type": "Polygon",
            "coordinates": [ring],
        }
    )
    doc = {
        "type": "FeatureCollection",
        "features": [{"type": "Feature", "properties": {"code": code}, "geometry": geometry}],
    }
    return json.dumps(doc).encode()


def test_r_audit_2_districts_map_upload(world, web):
    from docflow.analytics.geo import SETTING
    from docflow.core.settings import get_setting

    admin = web("admin")
    for bad, why in (
        (b"not json", "not GeoJSON"),
        (_geojson("NOWHERE"), "not a district code"),
        (_geojson(broken=True), "not a polygon"),
    ):
        r = admin.post("/analytics/map", data={"geojson": (io.BytesIO(bad), "d.geojson")})
        assert r.status_code == 422 and why in page(r)
        db.session.expire_all()
        assert get_setting(SETTING) is None
    r = admin.post("/analytics/map", data={"geojson": (io.BytesIO(_geojson()), "d.geojson")})
    assert r.status_code == 303
    db.session.expire_all()
    assert get_setting(SETTING)["features"][0]["properties"]["code"] == "MEDEU"
    dashboard = page(web("controller").get("/analytics/", query_string=PERIOD))
    assert 'class="chart geo"' in dashboard
    assert web("controller").post("/analytics/map").status_code == 403


def test_r_ans_3_ratings_by_subdivision_on_the_dashboard(app, web):
    from pathlib import Path

    from docflow.exchange.importer import import_cases

    history = Path(__file__).parents[1] / "exchange" / "data" / "history.jsonl"
    with history.open(encoding="utf-8") as lines:
        import_cases(lines, "e-otinish")
    db.session.commit()
    text = page(
        web("controller").get(
            "/analytics/", query_string={"from": "2026-01-01", "to": "2026-12-31"}
        )
    )
    section = text[text.index('id="ratings"') : text.index('id="problem-map"')]
    assert "<svg" in section
    means = [float(m) for m in re.findall(r"measure=rated[^>]*>([0-9.]+)</a>", section)]
    assert means and all(1 <= m <= 5 for m in means)
