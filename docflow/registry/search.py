"""Full-text search over items: SQLite FTS5 or PostgreSQL tsvector, Kazakh and Russian.

The indexed document of an item is its number, summary, addressee, applicants and the text
extracted from its current attachments. Text is lower-cased in Python (so Kazakh letters fold
the same way on every database and collation) and split on word characters. IINs are not
indexed: search by identifier goes through the applicant fields, never through a query string
that would end up in URLs and logs (R-PD-1).
"""

from __future__ import annotations

import re
from typing import Any

from sqlalchemy import text

from docflow.extensions import db

MAX_TOKENS = 12
_WORD = re.compile(r"\w+", re.UNICODE)


def _dialect() -> str:
    return db.session.get_bind().dialect.name


def document_text(item: Any) -> str:
    parts = [item.reg_number, item.summary, item.addressee, item.external_number]
    for a in item.applicants:
        parts += [a.full_name, a.organisation_name, a.representative, a.address]
    for att in item.current_attachments:
        parts += [att.filename, att.text]
    return normalise(" ".join(p for p in parts if p))


def normalise(value: str) -> str:
    # IIN/BIN-like 12-digit runs are dropped from the index (R-PD-1).
    return re.sub(r"\b\d{12}\b", " ", value.lower())


def reindex(item: Any) -> None:
    db.session.flush()
    doc = document_text(item)
    if _dialect() == "sqlite":
        db.session.execute(text("DELETE FROM item_fts WHERE rowid = :id"), {"id": item.id})
        db.session.execute(
            text("INSERT INTO item_fts (rowid, content) VALUES (:id, :doc)"),
            {"id": item.id, "doc": doc},
        )
    else:
        db.session.execute(
            text(
                "INSERT INTO item_search (item_id, document) VALUES (:id, to_tsvector('simple', :doc)) "
                "ON CONFLICT (item_id) DO UPDATE SET document = EXCLUDED.document"
            ),
            {"id": item.id, "doc": doc},
        )


def tokens(query: str) -> list[str]:
    return list(_WORD.findall(normalise(query or "")))[:MAX_TOKENS]


def matching_ids_sql(query: str, newest: int | None = None) -> tuple[str, dict[str, Any]] | None:
    """SQL selecting the ids of items matching every word (as a prefix); None for no words.

    With ``newest``, only the ``newest`` highest ids: both indexes walk their postings in id
    order and stop early, so a common word on a million items costs no more than a rare one.
    """
    words = tokens(query)
    if not words:
        return None
    params: dict[str, Any] = {}
    if _dialect() == "sqlite":
        # Each word quoted (no FTS syntax from users), as a prefix; implicit AND.
        params["fts"] = " ".join('"' + w.replace('"', "") + '"*' for w in words)
        sql = "SELECT rowid FROM item_fts WHERE item_fts MATCH :fts"
        if newest:
            sql += " ORDER BY rowid DESC LIMIT :newest"
    else:
        params["fts"] = " & ".join(re.sub(r"[^\w]", "", w) + ":*" for w in words)
        sql = "SELECT item_id FROM item_search WHERE document @@ to_tsquery('simple', :fts)"
        if newest:
            sql += " ORDER BY item_id DESC LIMIT :newest"
    if newest:
        params["newest"] = int(newest)
    return sql, params
