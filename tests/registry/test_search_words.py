"""SQLite: query words are matched as the indexed words they begin (issue 13: search at 1M).

An FTS5 prefix query merges every posting of every word it begins, whatever id range is asked
for; so the index's words are kept in item_fts_words and a query word becomes those words, each
matched exactly. The rows must be those of the prefix query: every prefix of every indexed
word, Latin letters FTS5 folds (café), ё and й, digits and Kazakh letters included, and after
an item's text changes. PostgreSQL keeps its prefix queries (its GIN index reads a prefix's
postings as it reads a word's): these tests are SQLite's.
"""

from __future__ import annotations

import pytest
from sqlalchemy import text

from docflow.extensions import db
from docflow.registry import search
from docflow.registry.models import IncomingItem
from tests.migration_steps import run_revision

SUMMARIES = [
    "Отопление не работает, ёлка во дворе, йод в аптеке",
    "Жертөлесінде су тұр, мектебінде жылу жоқ",
    "Кафе «Café Ünal» на улице Абая 12ab, ЖКХ-7",
    "ремонт крыши и водоотведения, тел. 2024",
    "Su basty, cafeteria, naïve",
]


@pytest.fixture(autouse=True)
def sqlite_only(backend):
    if backend != "sqlite":
        pytest.skip("the words table is SQLite's (PostgreSQL keeps its prefix queries)")


@pytest.fixture
def items(make_item):
    made = [make_item(summary=s, addressee="Akim") for s in SUMMARIES]
    db.session.commit()
    return made


def index_words() -> set[str]:
    """The words of the content column as FTS5 itself holds them."""
    db.session.execute(
        text(
            "CREATE VIRTUAL TABLE IF NOT EXISTS temp.test_fts_terms "
            "USING fts5vocab(main, item_fts, 'col')"
        )
    )
    return set(
        db.session.scalars(text("SELECT term FROM temp.test_fts_terms WHERE col = 'content'"))
    )


def table_words() -> set[str]:
    return set(db.session.scalars(text("SELECT word FROM item_fts_words")))


def ids_of(sql_params) -> set[int]:
    sql, params = sql_params
    return set(db.session.scalars(text(sql), params))


def prefix_query_ids(word: str, monkeypatch) -> set[int]:
    """The rows of the query as it was before the words table: the word as an FTS5 prefix."""
    with monkeypatch.context() as m:
        m.setattr(search, "indexed_words", lambda word: None)
        return ids_of(search.matching_ids_sql(word))


def test_the_words_table_holds_every_word_of_the_index(items):
    words = table_words()
    assert index_words() <= words
    assert {"ёлка", "йод", "жертөлесінде", "12ab", "cafe", "unal", "naive"} <= words


def test_every_prefix_finds_the_rows_of_the_prefix_query(items, monkeypatch):
    checked = 0
    typed = {w for s in SUMMARIES for w in search.words(search.normalise(s))}  # café, ünal
    for word in sorted(index_words() | typed):
        for end in range(1, len(word) + 1):
            prefix = word[:end]
            assert ids_of(search.matching_ids_sql(prefix)) == prefix_query_ids(
                prefix, monkeypatch
            ), prefix
            checked += 1
    assert checked > 250
    assert ids_of(search.matching_ids_sql("caf")) == {items[2].id, items[4].id}
    assert ids_of(search.matching_ids_sql("ёл")) == {items[0].id}


def test_a_word_is_looked_up_not_matched_as_a_prefix(items):
    assert search.indexed_words("отопл") == ["отопление"]
    assert search.indexed_words("caf") == ["cafe", "cafeteria"]
    assert search.indexed_words("отоплениеее") == []
    assert ids_of(search.matching_ids_sql("отоплениеее")) == set()
    assert "*" not in search.match_terms("отопл мектеп")["fts"]
    # FTS5 reads "café" as "cafe": the prefix query is kept for a letter it folds.
    assert search.indexed_words("café") is None
    assert ids_of(search.matching_ids_sql("café")) == {items[2].id, items[4].id}


def test_a_word_beginning_too_many_words_stays_a_prefix(items, monkeypatch):
    monkeypatch.setattr(search, "MAX_EXPANSION", 1)
    assert search.indexed_words("caf") is None
    assert '"caf"*' in search.match_terms("caf")["fts"]
    assert ids_of(search.matching_ids_sql("caf")) == {items[2].id, items[4].id}


def test_a_changed_text_adds_its_new_words(items):
    item = db.session.get(IncomingItem, items[3].id)
    item.summary = "Подтопление подвала"
    search.reindex(item)
    db.session.commit()
    assert {"подтопление", "подвала"} <= table_words()
    assert ids_of(search.matching_ids_sql("подтоп")) == {item.id}
    # The old words stay in the table and match nothing more.
    assert "водоотведения" in table_words()
    assert ids_of(search.matching_ids_sql("водоотвед")) == set()
    # The tokenizer table of the connection is left empty.
    assert db.session.scalar(text("SELECT count(*) FROM temp.item_fts_tokens_terms")) == 0


def test_migration_0029_fills_the_words_of_items_indexed_before_it(items):
    run_revision("0029_search_words.py", "downgrade")
    assert not db.session.scalar(
        text("SELECT count(*) FROM sqlite_master WHERE name = 'item_fts_words'")
    )
    db.session.commit()
    run_revision("0029_search_words.py", "upgrade")
    assert table_words() == index_words()
    assert ids_of(search.matching_ids_sql("жертө")) == {items[1].id}


def test_a_search_over_many_ranges_looks_its_words_up_once(items, monkeypatch):
    from sqlalchemy import event

    from docflow.registry import queries

    monkeypatch.setattr(queries, "WINDOW_SPAN", 1)
    monkeypatch.setattr(queries, "SPAN_GROWTH", 1)  # ranges of two items (the window)
    statements: list[str] = []

    def seen(conn, cursor, statement, *args):
        statements.append(statement)

    event.listen(db.engine, "before_cursor_execute", seen)
    try:
        f = queries.JournalFilter(q="улиц каф")
        rows = db.session.scalars(queries.journal_query(f, window=2).limit(2)).all()
    finally:
        event.remove(db.engine, "before_cursor_execute", seen)
    assert [i.id for i in rows] == [items[2].id]
    assert len([s for s in statements if "item_fts WHERE" in s]) == 3  # ids 5-4, 3-2, 1
    assert len([s for s in statements if "FROM item_fts_words" in s]) == 2
