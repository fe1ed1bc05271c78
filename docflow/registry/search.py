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
"""

from __future__ import annotations

import re
from typing import Any

from sqlalchemy import text

from docflow.extensions import db
from docflow.registry import stemming

MAX_TOKENS = 12
# Letters and digits; "_" separates words, as it does for FTS5 and PostgreSQL's parser.
_WORD = re.compile(r"[^\W_]+", re.UNICODE)
RU_TAG, KK_TAG = "~ru:", "~kk:"
# PostgreSQL: an id range this wide or wider is searched through the text index.
WIDE_RANGE = 1000


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


def tokens(query: str) -> list[str]:
    return words(normalise(query or ""))[:MAX_TOKENS]


def matching_ids_sql(
    query: str, newest: int | None = None, between: tuple[int, int] | None = None
) -> tuple[str, dict[str, Any]] | None:
    """SQL selecting the ids of items matching every word (as a prefix or by its stem); None
    for no words.

    With ``newest``, only the ``newest`` highest ids. With ``between`` (lowest, highest), only
    ids in that range: SQLite reads a prefix word's postings of that range only (the whole
    lists otherwise, whatever the LIMIT), and PostgreSQL, for a narrow range, checks the
    documents of the range one by one instead of merging every posting of a common word.
    """
    words = tokens(query)
    if not words:
        return None
    params: dict[str, Any] = {}
    if _dialect() == "sqlite":
        # Each word quoted (no FTS syntax from users): as a prefix of a word, or its stem.
        params["fts"] = " AND ".join(_fts5_word(w) for w in words)
        sql = "SELECT rowid FROM item_fts WHERE item_fts MATCH :fts"
        if between:
            sql += " AND rowid BETWEEN :fts_lo AND :fts_hi"
        if newest:
            sql += " ORDER BY rowid DESC LIMIT :newest"
    else:
        parts = []
        for i, w in enumerate(words):
            params[f"fts_w{i}"] = re.sub(r"[^\w]", "", w) + ":*"
            part = f"to_tsquery('simple', :fts_w{i})"
            stems = _tagged_stems(w)
            if stems:
                # Stems as tsquery literals: quoted, so taken as they are, tag included.
                params[f"fts_s{i}"] = " | ".join("'" + s + "'" for s in stems)
                part = f"({part} || CAST(:fts_s{i} AS tsquery))"
            parts.append(part)
        # Only bind-parameter names are formatted in; every value is a parameter.
        tsquery = " && ".join(parts)
        sql = f"SELECT item_id FROM item_search WHERE document @@ ({tsquery})"  # noqa: S608
        if between:
            # Past the first, narrow range the matches come from the index ("+ 0": not by
            # testing every document of a wide range one by one).
            column = "item_id" if between[1] - between[0] < WIDE_RANGE else "item_id + 0"
            sql += f" AND {column} BETWEEN :fts_lo AND :fts_hi"
        if newest:
            sql += " ORDER BY item_id DESC LIMIT :newest"
    if between:
        params["fts_lo"], params["fts_hi"] = int(between[0]), int(between[1])
    if newest:
        params["newest"] = int(newest)
    return sql, params


def _fts5_word(word: str) -> str:
    word = word.replace('"', "")
    ru, kk = _stems_to_match(word)
    alternatives = [f'content : "{word}"*']
    alternatives += [f'ru : "{s}"' for s in ru] + [f'kk : "{s}"' for s in kk]
    return "(" + " OR ".join(alternatives) + ")"


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
