"""Full-text search over items: SQLite FTS5 or PostgreSQL tsvector, Kazakh and Russian.

The indexed document of an item is its number, summary, addressee, applicants and the text
extracted from its current attachments. Text is lower-cased in Python (so Kazakh letters fold
the same way on every database and collation) and split on word characters. IINs are not
indexed: search by identifier goes through the applicant fields, never through a query string
that would end up in URLs and logs (R-PD-1).

Word forms: beside the text, the index holds the Russian and the Kazakh stems of its words
(docflow.registry.stemming), computed in Python for both databases. A query word matches a word
it begins (as before: exact words, prefixes, registration numbers) or a word with the same
stem, so "управляющая" finds "управляющую" and "мектеп" finds "мектебінде". On SQLite the stems
are the FTS5 columns ``ru`` and ``kk``; on PostgreSQL they are lexemes tagged ``~ru:`` and
``~kk:`` in the same tsvector, which no query word (letters and digits only) can reach as a prefix.

Prefixes on SQLite: an FTS5 prefix query merges every posting of every word it begins, whatever
the id range asked for (tens of milliseconds a word at a million items), while a word's postings
are read for a range only. So the index's words are kept in a table of their own,
``item_fts_words`` (FTS5's own tokens: added through a temporary FTS5 table with the same
tokenizer), and a query word becomes the indexed words it begins, each matched exactly: the same
rows. A word beginning more than MAX_EXPANSION words, or with a letter FTS5 folds (Latin
diacritics), stays a prefix query. Words are never removed: a word no document holds any more
matches nothing.
"""

from __future__ import annotations

import logging
import re
import sqlite3
from typing import Any

from sqlalchemy import event, text

from docflow.extensions import db
from docflow.registry import stemming

log = logging.getLogger(__name__)
MAX_TOKENS = 12
# Letters and digits; "_" separates words, as it does for FTS5 and PostgreSQL's parser.
_WORD = re.compile(r"[^\W_]+", re.UNICODE)
RU_TAG, KK_TAG = "~ru:", "~kk:"
# PostgreSQL: an id range this wide or wider is searched through the text index (range_matches).
WIDE_RANGE = 1000
# SQLite: a query word beginning more indexed words than this stays a prefix query.
MAX_EXPANSION = 64
# Letters FTS5's tokenizer (unicode61) keeps as they are, lower-cased: a query word of these is
# looked up in the words table as it is.
_UNFOLDED = re.compile(r"[0-9a-zа-яёәғқңөұүһі]+")
_TOKENIZER = (
    "CREATE VIRTUAL TABLE IF NOT EXISTS temp.item_fts_tokens "
    "USING fts5(content, content = '', tokenize = 'unicode61')",
    "CREATE VIRTUAL TABLE IF NOT EXISTS temp.item_fts_tokens_terms "
    "USING fts5vocab(temp, item_fts_tokens, 'row')",
)


def _dialect() -> str:
    return db.session.get_bind().dialect.name


def document_text(item: Any, attachments: Any = None) -> str:
    """What the index holds of an item; ``attachments`` when the caller knows them (an imported
    case has none: no query for them)."""
    parts = [item.reg_number, item.summary, item.addressee, item.external_number]
    for a in item.applicants:
        parts += [a.full_name, a.organisation_name, a.representative, a.address]
    for att in item.current_attachments if attachments is None else attachments:
        parts += [att.filename, att.text]
    return normalise(" ".join(p for p in parts if p))


def normalise(value: str) -> str:
    # IIN/BIN-like 12-digit runs are dropped from the index (R-PD-1). Hyphens split words on
    # both backends: PostgreSQL's parser would read "жкх-7" as "жкх" and the number "-7".
    value = re.sub(r"[-\u2010-\u2015]", " ", value.lower())
    return re.sub(r"\b\d{12}\b", " ", value)


def words(value: str) -> list[str]:
    """The words of a normalised text, as the index and the queries split it."""
    return _WORD.findall(value)


def stem_columns(doc: str) -> tuple[str, str]:
    """The Russian and the Kazakh stems of a normalised document, each space-separated."""
    ru, kk = stemming.document_stems(words(doc))
    return " ".join(ru), " ".join(kk)


def stem_lexemes(found: list[str]) -> list[str]:
    """The tagged stem lexemes PostgreSQL indexes for the words ``found`` in a document."""
    ru, kk = stemming.document_stems(found)
    return [RU_TAG + s for s in ru] + [KK_TAG + s for s in kk]


def reindex(item: Any) -> None:
    reindex_many([item])


def reindex_many(items: list[Any], *, without_files: bool = False) -> None:
    """(Re)index ``items`` in one statement per backend step; ``without_files``: the caller
    knows they have no attachments (imported cases), so none are read."""
    if not items:
        return
    db.session.flush()
    docs = [(item.id, document_text(item, () if without_files else None)) for item in items]
    if _dialect() == "sqlite":
        rows = []
        for item_id, doc in docs:
            ru, kk = stem_columns(doc)
            rows.append({"id": item_id, "doc": doc, "ru": ru, "kk": kk})
        db.session.execute(text("DELETE FROM item_fts WHERE rowid = :id"), rows)
        db.session.execute(
            text("INSERT INTO item_fts (rowid, content, ru, kk) VALUES (:id, :doc, :ru, :kk)"),
            rows,
        )
        _add_words(rows)
    else:
        db.session.execute(
            text(
                "INSERT INTO item_search (item_id, document) VALUES (:id, "
                "to_tsvector('simple', :doc) || array_to_tsvector(CAST(:stems AS text[]))) "
                "ON CONFLICT (item_id) DO UPDATE SET document = EXCLUDED.document"
            ),
            [
                {"id": item_id, "doc": doc, "stems": stem_lexemes(words(doc))}
                for item_id, doc in docs
            ],
        )


def configure_engine(engine: Any) -> None:
    """SQLite: every connection makes its tokenizer tables (temp schema) when it opens, outside
    any transaction, so that no rolled-back write takes them away again and ``_add_words``
    need not ask for them at each item (issue 13: registration speed)."""
    if engine.dialect.name != "sqlite":
        return

    @event.listens_for(engine, "connect")
    def _make_tokenizer(dbapi_conn: Any, record: Any) -> None:
        cur = dbapi_conn.cursor()
        try:
            for sql in _TOKENIZER:
                cur.execute(sql)
            record.info[_TOKENIZER_READY] = True
        except sqlite3.Error as exc:  # no FTS5 here: _add_words fails at its first use
            log.warning("FTS5 tokenizer tables not made: %s", exc)
        finally:
            cur.close()


_TOKENIZER_READY = "docflow_fts_tokenizer"


def _add_words(rows: list[dict[str, Any]]) -> None:
    """Adds the words of the documents ``rows`` to item_fts_words, as FTS5 tokenizes them: the
    documents go through a contentless FTS5 table of this connection (temp schema) whose
    vocabulary is copied, then emptied."""
    if not db.session.connection().info.get(_TOKENIZER_READY):
        for sql in _TOKENIZER:  # a connection opened before configure_engine (tests, tools)
            db.session.execute(text(sql))
    db.session.execute(
        text("INSERT INTO temp.item_fts_tokens (rowid, content) VALUES (:id, :doc)"), rows
    )
    db.session.execute(
        text(
            "INSERT OR IGNORE INTO item_fts_words (word) "
            "SELECT term FROM temp.item_fts_tokens_terms"
        )
    )
    db.session.execute(
        text("INSERT INTO temp.item_fts_tokens (item_fts_tokens) VALUES ('delete-all')")
    )


def tokens(query: str) -> list[str]:
    return words(normalise(query or ""))[:MAX_TOKENS]


def match_terms(query: str) -> dict[str, Any] | None:
    """What the text index is asked for the words of ``query`` (bind parameters: each word as
    the indexed words it begins or a prefix, and its stems); None for no words. A search over
    several id ranges looks its words up once and passes these to matching_ids_sql."""
    words = tokens(query)
    if not words:
        return None
    if _dialect() == "sqlite":
        # Each word quoted (no FTS syntax from users): the words it begins, or its stem.
        return {"fts": " AND ".join(_fts5_word(w) for w in words)}
    terms: dict[str, Any] = {}
    for i, w in enumerate(words):
        terms[f"fts_w{i}"] = re.sub(r"[^\w]", "", w) + ":*"
        stems = _tagged_stems(w)
        if stems:
            # Stems as tsquery literals: quoted, so taken as they are, tag included.
            terms[f"fts_s{i}"] = " | ".join("'" + s + "'" for s in stems)
    return terms


def matching_ids_sql(
    query: str,
    newest: int | None = None,
    between: tuple[int, int] | None = None,
    terms: dict[str, Any] | None = None,
) -> tuple[str, dict[str, Any]] | None:
    """SQL selecting the ids of items matching every word (as a prefix or by its stem); None
    for no words. ``terms``: match_terms(query), when the caller has them already.

    With ``newest``, only the ``newest`` highest ids. With ``between`` (lowest, highest), only
    ids in that range: SQLite reads the postings of that range only of each indexed word a
    query word begins (a prefix query reads the whole lists, whatever the range or LIMIT), and
    PostgreSQL, for a narrow range, checks the documents of the range one by one instead of
    merging every posting of a common word.
    """
    if terms is None:
        terms = match_terms(query)
    if not terms:
        return None
    params = dict(terms)
    if _dialect() == "sqlite":
        sql = "SELECT rowid FROM item_fts WHERE item_fts MATCH :fts"
        if between:
            sql += " AND rowid BETWEEN :fts_lo AND :fts_hi"
        if newest:
            sql += " ORDER BY rowid DESC LIMIT :newest"
    else:
        parts = []
        for i in range(len([k for k in terms if k.startswith("fts_w")])):
            part = f"to_tsquery('simple', :fts_w{i})"
            if f"fts_s{i}" in terms:
                part = f"({part} || CAST(:fts_s{i} AS tsquery))"
            parts.append(part)
        # Only bind-parameter names are formatted in; every value is a parameter.
        tsquery = " && ".join(parts)
        sql = f"SELECT item_id FROM item_search WHERE document @@ ({tsquery})"  # noqa: S608
        if between:
            # A narrow range is read document by document, a wide one by range_matches.
            sql += " AND item_id BETWEEN :fts_lo AND :fts_hi"
        if newest:
            sql += " ORDER BY item_id DESC LIMIT :newest"
    if between:
        params["fts_lo"], params["fts_hi"] = int(between[0]), int(between[1])
    if newest:
        params["newest"] = int(newest)
    return sql, params


def range_matches(
    query: str, between: tuple[int, int], terms: dict[str, Any] | None = None
) -> list[int] | None:
    """PostgreSQL, an id range WIDE_RANGE wide or wider: the ids in it matching every word,
    read first, on their own; None elsewhere (the caller joins matching_ids_sql's query).

    They are read as the text index's matches intersected with the range's ids before any row
    is read (a bitmap AND of the two indexes), with index scans off for this statement only:
    left to itself PostgreSQL tests the range's documents one by one along the primary key,
    as it cannot tell what reading a document costs (10 s for a common word over 3,000 ids,
    40 ms so), or reads every match of the words and then filters them by id (0.5 s for a rare
    word over 26,000 ids, 6 ms so). The setting is put back after the statement (an error
    rolls it back with the transaction); the caller's filters then run with index scans on.
    """
    if _dialect() == "sqlite" or between[1] - between[0] < WIDE_RANGE:
        return None
    found = matching_ids_sql(query, between=between, terms=terms)
    if found is None:
        return []
    previous = db.session.scalar(text("SELECT current_setting('enable_indexscan')"))
    db.session.execute(text("SELECT set_config('enable_indexscan', 'off', true)"))
    ids = list(db.session.scalars(text(found[0]), found[1]))
    db.session.execute(text("SELECT set_config('enable_indexscan', :on, true)"), {"on": previous})
    return ids


def _fts5_word(word: str) -> str:
    word = word.replace('"', "")
    ru, kk = _stems_to_match(word)
    begun = indexed_words(word)
    if begun is None:
        alternatives = [f'content : "{word}"*']
    else:
        # No word begins with it: the word itself, which matches nothing (FTS5 has no "false").
        alternatives = [f'content : "{w}"' for w in begun or [word]]
    alternatives += [f'ru : "{s}"' for s in ru] + [f'kk : "{s}"' for s in kk]
    return "(" + " OR ".join(alternatives) + ")"


def indexed_words(word: str) -> list[str] | None:
    """The words of the SQLite text index that begin with ``word`` (itself included), from
    item_fts_words; None where the prefix query is kept: more than MAX_EXPANSION of them, or
    a letter FTS5 folds (its prefix would match words this look-up does not find)."""
    if not _UNFOLDED.fullmatch(word):
        return None
    # Every string that begins with the word, and only those, sorts in [word, after).
    after = word[:-1] + chr(ord(word[-1]) + 1)
    found = db.session.scalars(
        text(
            "SELECT word FROM item_fts_words WHERE word >= :word AND word < :after "
            "ORDER BY word LIMIT :most"
        ),
        {"word": word, "after": after, "most": MAX_EXPANSION + 1},
    ).all()
    return None if len(found) > MAX_EXPANSION else list(found)


def _tagged_stems(word: str) -> list[str]:
    ru, kk = _stems_to_match(word)
    return [RU_TAG + s for s in ru] + [KK_TAG + s for s in kk]


def _stems_to_match(word: str) -> tuple[list[str], list[str]]:
    """The stems a query word is matched by, less those its prefix match already covers.

    A stem equal to the word itself finds only words that begin with it (both stemmers strip
    endings), unless the stemmers change a letter: Snowball reads ё as е, and Kazakh stems
    put back a voiceless п/к/қ or a dropped ы/і. Each stem left out is one posting list less
    to merge, on every search.
    """
    ru, kk = stemming.word_stems(word)
    ru_list = [ru] if ru and not (ru == word and "е" not in word) else []
    kk_list = [s for s in kk if s != word or stemming.may_be_altered(s)]
    return ru_list, kk_list
