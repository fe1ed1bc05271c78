"""Analytics facts and aggregates (R-AUDIT-2): kept up to date with every write, equal to a
rebuild from scratch, native and imported cases alike; the ``analytics summary`` contract."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest
from sqlalchemy import select

from docflow.analytics import facts
from docflow.analytics.models import CaseFact, DailyAggregate, DirtyCase
from docflow.analytics.queries import Filters, breakdown, cases, totals
from docflow.extensions import db

HISTORY = Path(__file__).parents[1] / "exchange" / "data" / "history.jsonl"
YEAR = Filters(dt.date(2026, 1, 1), dt.date(2026, 12, 31))


def _aggregates() -> dict:
    rows = db.session.scalars(select(DailyAggregate)).all()
    return {
        (r.day, r.dim, r.value): (
            r.n,
            r.on_time,
            r.late,
            r.open,
            r.extended,
            r.repeat,
            r.rated,
            round(r.rating_sum, 6),
        )
        for r in rows
    }


def _import_history(app):
    from docflow.exchange.importer import import_cases

    with HISTORY.open(encoding="utf-8") as lines:
        import_cases(lines, "e-otinish")
    db.session.commit()


def test_r_audit_2_every_write_marks_its_case_and_the_drain_brings_facts_up_to_date(
    app, make_item, routed
):
    item = make_item(summary="В квартире холодно, батареи не греют, отопления нет")
    db.session.commit()
    assert db.session.scalar(select(DirtyCase.id).where(DirtyCase.item_id == item.id))
    facts.drain()
    fact = db.session.get(CaseFact, item.id)
    assert fact.topic == "heating"
    assert fact.status == "open" and fact.timeliness == "open"
    assert db.session.scalar(select(DirtyCase.id)) is None

    routed("closed", item=item)  # distributed, assigned, answered, approved, closed
    db.session.commit()
    facts.drain()
    db.session.refresh(fact)
    assert fact.status == "closed"
    assert fact.subdivision == "ENERGY"
    assert fact.timeliness == "on_time" and fact.answered_on is not None


def test_r_audit_2_a_failed_savepoint_keeps_the_transactions_other_cases_marked(app, make_item):
    item = make_item(summary="Во дворе не вывозят мусор третью неделю")
    db.session.flush()
    try:
        with db.session.begin_nested():  # an operation that fails (a refused file, say)
            make_item(summary="Другое обращение, отменённое вместе с точкой сохранения")
            raise ValueError("refused")
    except ValueError:
        pass
    db.session.commit()
    marked = set(db.session.scalars(select(DirtyCase.item_id)))
    assert item.id in marked


def test_r_audit_2_incremental_aggregates_equal_a_rebuild(app, make_item, routed):
    texts = [
        "Отопление не работает, в квартире холодно",
        "Пәтерде жылу жоқ, батареялар суық",
        "Во дворе не вывозят мусор, контейнеры переполнены",
        "Аулада қоқыс шығарылмайды",
        "Прошу отремонтировать детскую площадку, качели сломаны",
    ]
    made = [make_item(summary=t) for t in texts]
    db.session.commit()
    facts.drain()
    routed("answered", item=made[0])
    routed("closed", item=made[1])
    routed("in_work", item=made[2])
    db.session.commit()
    _import_history(app)
    facts.drain()
    incremental = _aggregates()
    assert sum(v[0] for k, v in incremental.items() if k[1] == "all") == db.session.scalar(
        select(db.func.count()).select_from(CaseFact)
    )
    facts.rebuild()
    assert _aggregates() == incremental
    facts.rebuild_aggregates()  # the bulk path (after a bulk load of facts) gives the same rows
    assert _aggregates() == incremental


def test_r_audit_2_imported_cases_count_like_native_ones(app, make_item):
    _import_history(app)
    make_item(summary="Жарық жоқ, үйде электр қуаты өшіп қалды")
    db.session.commit()
    figures = totals(YEAR)
    sources = {r["value"]: r["n"] for r in breakdown(YEAR, "source")}
    imported = sum(1 for line in HISTORY.open(encoding="utf-8") if line.strip())
    assert sources == {"imported": imported, "native": 1}
    assert figures["total"] == imported + 1
    # the record's own district and topic are kept; its rating counts
    rated = sum(
        1
        for line in HISTORY.open(encoding="utf-8")
        if line.strip() and json.loads(line).get("rating") is not None
    )
    assert figures["rated"] == rated
    total, rows = cases(YEAR, source="imported", limit=5)
    assert total == imported and len(rows) == 5


def test_r_audit_2_timeliness_split(app, make_item, routed):
    from docflow.routing.models import Answer

    late = make_item(summary="Кәріз ағып жатыр")
    routed("answered", item=late)
    answer = db.session.scalar(select(Answer).where(Answer.item_id == late.id))
    answer.approved_at = dt.datetime.combine(
        late.due_date + dt.timedelta(days=3), dt.time(10), tzinfo=dt.UTC
    )
    open_ = make_item(summary="Су жоқ")
    db.session.commit()
    facts.rebuild()
    assert db.session.get(CaseFact, late.id).timeliness == "late"
    assert db.session.get(CaseFact, open_.id).timeliness == "open"
    figures = totals(Filters(dt.date(2026, 1, 1), dt.date(2026, 12, 31)))
    assert figures["late"] == 1
    assert figures["open"] + figures["overdue"] == 1


@pytest.mark.parametrize("as_json", [True, False])
def test_r_audit_2_summary_cli(app, runner, make_item, as_json):
    _import_history(app)
    args = ["analytics", "summary", "--from", "2026-01-01", "--to", "2026-12-31"]
    result = runner.invoke(args=args + (["--json"] if as_json else []))
    assert result.exit_code == 0, result.output
    if not as_json:
        assert "total:" in result.output
        return
    data = json.loads(result.output)
    assert set(data) == {
        "total",
        "by_kind",
        "by_subdivision",
        "by_district",
        "by_channel",
        "rating_mean",
        "problems",
    }
    assert data["total"] == sum(data["by_kind"].values()) == sum(data["by_channel"].values())
    assert "" not in data["by_subdivision"] and "" not in data["by_district"]
    for code, mean in data["rating_mean"].items():
        assert code in data["by_subdivision"] and 1 <= mean <= 5
        assert round(mean, 2) == mean
    bad = runner.invoke(args=["analytics", "summary", "--from", "yesterday", "--to", "2026-01-01"])
    assert bad.exit_code == 2 and "not a date" in bad.output


def test_r_audit_2_questions_from_reporting_meetings_are_counted_apart(app, make_item, web):
    from docflow.analytics.reports import build

    meeting = make_item(summary="На отчетной встрече: нет освещения во дворе", from_meeting=True)
    make_item(summary="Жарық жоқ", from_reception=True)
    make_item(summary="Су жоқ")
    db.session.commit()
    figures = totals(YEAR)
    assert (figures["from_meeting"], figures["from_reception"]) == (1, 1)
    report = build("receptions_meetings", YEAR.date_from, YEAR.date_to, "ru")
    receptions, meetings = report.sections
    assert receptions.parts[0] == "Обращения: 1" and meetings.parts[0] == "Обращения: 1"
    assert meetings.parts[1].rows[0][0] == meeting.reg_number
    # the mark is on the registration form and the item page
    assert "From a reporting meeting" in web("clerk").get("/registry/new").get_data(as_text=True)
    item_page = web("controller").get(f"/registry/{meeting.public_id}").get_data(as_text=True)
    assert "From a reporting meeting" in item_page
