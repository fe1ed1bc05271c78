"""Searches by IIN/BIN without the identifier in a URL (R-PD-1).

A search form posts its filters; without an identifier they come back as an ordinary GET URL
(bookmarkable), with one they are kept here under an opaque token and the URL carries only
``?s=<token>`` — so the IIN stays out of the address bar, the browser history, Referer
headers and every proxy's access log, while paging and export keep working.
Tokens belong to the user who searched and expire after ``TTL``.
"""

from __future__ import annotations

import datetime as dt
import secrets
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Integer, String, delete
from sqlalchemy.orm import Mapped, mapped_column
from werkzeug.datastructures import MultiDict

from docflow.core.audit import IDENTIFIER_RE, MASK, contains_identifier
from docflow.core.db import JSONType, UTCDateTime, utcnow
from docflow.extensions import db

TTL = dt.timedelta(hours=12)
SEARCH_ARG = "s"  # the URL argument naming a kept search
_NOT_FILTERS = ("csrf_token", "page", SEARCH_ARG)


class SearchToken(db.Model):
    __tablename__ = "search_token"
    __audit__ = False  # holds what was searched for; not a change of any record

    token: Mapped[str] = mapped_column(String(32), primary_key=True)
    user_id: Mapped[int] = mapped_column(Integer, nullable=False)
    params: Mapped[Any] = mapped_column(JSONType, nullable=False)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, nullable=False, index=True)


@dataclass
class Search:
    params: MultiDict  # the filters to apply
    link_args: dict[str, Any] = field(default_factory=dict)  # what pager/export links carry
    refused: bool = False  # an identifier arrived in the URL: masked, not searched
    expired: bool = False  # the token is unknown, expired or another user's


def _filters(data: MultiDict) -> dict[str, list[str]]:
    return {
        k: [v for v in data.getlist(k) if v.strip()]
        for k in data
        if k not in _NOT_FILTERS and any(v.strip() for v in data.getlist(k))
    }


def url_args(form: MultiDict, user_id: int) -> dict[str, Any]:
    """The URL arguments for a posted search form: the filters, or a token if any holds an IIN.

    Writes the token in the caller's transaction; the caller commits.
    """
    filters = _filters(form)
    if not any(contains_identifier(v) for values in filters.values() for v in values):
        return filters
    now = utcnow()
    db.session.execute(delete(SearchToken).where(SearchToken.created_at < now - TTL))
    token = secrets.token_hex(16)
    db.session.add(SearchToken(token=token, user_id=user_id, params=filters, created_at=now))
    return {SEARCH_ARG: token}


def from_request(args: MultiDict, user_id: int) -> Search:
    """The filters of a GET: from the token if there is one, else from the URL (identifiers masked)."""
    token = args.get(SEARCH_ARG)
    if token:
        row = db.session.get(SearchToken, token[:32])
        if row is None or row.user_id != user_id or row.created_at < utcnow() - TTL:
            # The identifier it held stands masked: nothing is found, not the whole journal.
            return Search(MultiDict({"q": MASK}), expired=True)
        return Search(MultiDict(row.params), link_args={SEARCH_ARG: token})
    filters = _filters(args)
    refused = any(contains_identifier(v) for values in filters.values() for v in values)
    if refused:
        filters = {k: [IDENTIFIER_RE.sub(MASK, v) for v in vs] for k, vs in filters.items()}
    return Search(MultiDict(filters), link_args=filters, refused=refused)
