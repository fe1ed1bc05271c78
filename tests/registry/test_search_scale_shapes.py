"""The journal's fast search shape gives the plain query's rows (issue 13: search at scale).

A word search with a page window looks for the newest matches range by range from the top
(queries.newest_matches) instead of taking every match of a common word. On generated items
(random kinds, dates, reception marks, states, common and rare words) every filter combination
must give the rows a reference gives: the plain text index query's matches, filtered in Python,
newest first. The ranges are made tiny here so that most searches cross many of them. Each
backend checks its own index. The IIN/BIN search keeps to POST bodies (R-PD-1).
"""

from __future__ import annotations

import contextlib
import datetime as dt
import random
import re
from urllib.parse import unquote

import pytest
from sqlalchemy import event, text

from docflow.extensions import db
from docflow.org.models import Subdivision
from docflow.registry import queries, search
from docflow.registry.models import Applicant, IncomingItem
from docflow.registry.operations import ApplicantData
from tests.registry.test_api import bearer
from tests.registry.test_pages import numbers

pytestmark = pytest.mark.usefixtures("on_arrival_day")

COMMON = ["отопление", "вода", "мектеп", "құбыры", "жылу", "ремонт", "крыша", "аула"]
RARE = ["теплотрасса", "мансарда", "подтопление", "жертөлесінде"]
KINDS = ["statement", "statement", "complaint", "request", "proposal"]
START = dt.date(2025, 1, 1)
TODAY = dt.date(2026, 11, 20)
N = 300


@pytest.fixture
def generated(app):
    """N items straight into the tables (no registration: only what the journal reads),
    indexed by the app's own indexing; returns their attributes by id."""
    rng = random.Random(13)
    subs = list(db.session.query(Subdivision).order_by(Subdivision.id))
    made = []
    for i in range(N):
        day = START + dt.timedelta(days=i * 2)
        words = rng.choices(COMMON, k=rng.randint(1, 4))
        if rng.random() < 0.05:
            words.append(rng.choice(RARE))
        item = IncomingItem(
            kind=rng.choice(KINDS),
            channel="post",
            journal="shapes",
            reg_year=day.year,
            reg_seq=i + 1,
            reg_number=f"SH-{i + 1:05d}",
            arrived_at=dt.datetime(day.year, day.month, day.day, 4, tzinfo=dt.UTC),
            registration_date=day,
            due_date=day + dt.timedelta(days=21),
            summary=" ".join(words),
            from_reception=rng.random() < 0.2,
            state=rng.choice(["registered", "registered", "returned"]),
            subdivision_id=rng.choice(subs).id if rng.random() < 0.8 else None,
        )
        item.applicants.append(Applicant(position=0, type="individual", full_name=f"X {i}"))
        made.append(item)
    db.session.add_all(made)
    db.session.flush()
    search.reindex_many(made, without_files=True)
    db.session.commit()
    return {
        item.id: {
            "kind": item.kind,
            "date": item.registration_date,
            "due": item.due_date,
            "from_reception": item.from_reception,
            "state": item.state,
            "subdivision": item.subdivision.code if item.subdivision else None,
        }
        for item in made
    }


@pytest.fixture
def tiny_ranges(monkeypatch):
    # The first range as wide as the window, each next one twice as wide.
    monkeypatch.setattr(queries, "WINDOW_SPAN", 1)
    monkeypatch.setattr(queries, "SPAN_GROWTH", 2)


def reference(items: dict[int, dict], f: queries.JournalFilter, window: int) -> list[int]:
    """The newest ``window`` ids: the text index's every match, the filters applied in Python."""
    sql, params = search.matching_ids_sql(f.q)
    matches = set(db.session.scalars(text(sql), params)) & set(items)
    active = set(queries.active_states())

    def keep(a: dict) -> bool:
        return (
            (not f.kind or a["kind"] == f.kind)
            and (not f.state or a["state"] == f.state)
            and (not f.subdivision or a["subdivision"] == f.subdivision)
            and (not f.date_from or a["date"] >= f.date_from)
            and (not f.date_to or a["date"] <= f.date_to)
            and (not f.from_reception or a["from_reception"])
            and (not f.overdue or (a["state"] in active and a["due"] < f.today))
        )

    return sorted((i for i in matches if keep(items[i])), reverse=True)[:window]


def fast(f: queries.JournalFilter, window: int) -> list[int]:
    return [i.id for i in db.session.scalars(queries.journal_query(f, window=window).limit(window))]


def filters(rng: random.Random, subdivision: str) -> queries.JournalFilter:
    words = rng.choice(
        [rng.choice(COMMON), " ".join(rng.sample(COMMON, 2)), rng.choice(RARE), "мек", "sh 00042"]
    )
    start = START + dt.timedelta(days=rng.randrange(0, 600))
    return queries.JournalFilter(
        q=words,
        kind=rng.choice([None, None, "complaint", "request"]),
        state=rng.choice([None, None, "registered"]),
        subdivision=rng.choice([None, None, None, subdivision]),
        date_from=rng.choice([None, start]),
        date_to=rng.choice([None, start + dt.timedelta(days=rng.choice([30, 120]))]),
        from_reception=rng.random() < 0.25,
        overdue=rng.random() < 0.15,
        today=TODAY,
    )


@pytest.mark.parametrize("wide_range", [search.WIDE_RANGE, 4])
def test_fast_word_search_gives_the_plain_querys_rows(
    generated, tiny_ranges, monkeypatch, wide_range
):
    # PostgreSQL reads a range WIDE_RANGE wide or wider by itself first (search.range_matches):
    # with 4, most ranges here are read so.
    monkeypatch.setattr(search, "WIDE_RANGE", wide_range)
    rng = random.Random(5)
    code = db.session.scalar(
        text(
            "SELECT code FROM subdivision WHERE id = (SELECT min(subdivision_id) FROM incoming_item)"
        )
    )
    checked = nonempty = 0
    for _ in range(120):
        f = filters(rng, code)
        window = rng.choice([1, 5, 11, 51])
        expected = reference(generated, f, window)
        assert fast(f, window) == expected, f
        # The plain query (no window) agrees too: the reference reads the index as it does.
        assert [
            i.id for i in db.session.scalars(queries.journal_query(f).limit(window))
        ] == expected
        checked += 1
        nonempty += bool(expected)
    assert checked == 120 and nonempty > 40  # most combinations find something


@contextlib.contextmanager
def index_reads():
    """The statements that read the text index inside the block (not its words table)."""
    statements: list[str] = []

    def seen(conn, cursor, statement, *args):
        if "item_fts WHERE" in statement or "item_search" in statement:
            statements.append(statement)

    event.listen(db.engine, "before_cursor_execute", seen)
    try:
        yield statements
    finally:
        event.remove(db.engine, "before_cursor_execute", seen)


def test_a_common_word_is_answered_by_the_first_range(generated):
    """The point of the shape: a common word reads one narrow range of the index, not every
    match; a filter that matches little (one kind in one month) reads at most a few ranges
    between the highest and the lowest item it allows."""
    with index_reads() as statements:
        assert len(fast(queries.JournalFilter(q="вода"), 11)) == 11
    assert len(statements) == 1 and "BETWEEN" in statements[0]
    f = queries.JournalFilter(
        q="вода", kind="complaint", date_from=dt.date(2025, 3, 1), date_to=dt.date(2025, 3, 31)
    )
    with index_reads() as statements:
        assert fast(f, 51) == reference(generated, f, 51)
    assert 1 <= len(statements) <= 2


def test_a_search_with_no_item_in_the_filters_reads_no_index(generated):
    f = queries.JournalFilter(q="вода", date_from=dt.date(2030, 1, 1))
    with index_reads() as statements:
        assert fast(f, 51) == []
    assert statements == []


# --- R-PD-1: an organisation's BIN is searched through POST bodies too ----------------------------

BIN = "940140000385"


@pytest.fixture
def organisation(make_item):
    item = make_item(
        applicants=[
            ApplicantData(type="legal", organisation_name="ТОО Жылу", bin=BIN, address="Абай 1")
        ],
        summary="Жылу беру маусымы",
    )
    make_item(summary="Жылу жоқ")  # the same word, another applicant
    db.session.commit()
    return item


def test_r_pd_1_bin_search_through_the_journal_form_and_the_api_body(app, web, organisation):
    clerk = web("clerk")
    r = clerk.post("/registry/search", data={"q": f"{BIN} жылу"})
    assert r.status_code == 303
    location = unquote(r.headers["Location"])
    assert BIN not in location and re.fullmatch(r"/registry/\?s=[0-9a-f]{32}", location)
    assert numbers(clerk.get(r.headers["Location"])) == {organisation.reg_number}
    c = app.test_client()
    assert c.get(f"/api/v1/items?q={BIN}", headers=bearer("clerk")).status_code == 400
    body = c.post("/api/v1/items/search", json={"q": BIN}, headers=bearer("clerk")).get_json()
    assert [i["reg_number"] for i in body["items"]] == [organisation.reg_number]
