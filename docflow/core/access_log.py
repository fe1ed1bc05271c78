"""Who viewed what (R-PD-1): every read of an applicant's data, kept apart from the audit trail.

The audit trail and an item's history record changes; a page view is not a change, and a busy
case would drown in them. Reads go to the ``access_log`` table instead: when, who, what
(object type and public id, and the case it belongs to), how (view, download, preview, print)
and from which address — never a URL or a search, so no IIN ends up here.

A GET stays a read: its reads are queued on the request and written when it ends, after its
(deferred, read-only) transaction is over, through a connection and a short transaction of
their own; nothing of the request is committed. The request logs of the WSGI server are
filtered too, so an identifier that did reach a URL is masked there (``init_app``).
"""

from __future__ import annotations

import datetime as dt
import logging
from typing import Any
from zoneinfo import ZoneInfo

import click
from flask import Flask, current_app, g, has_request_context, request
from sqlalchemy import Integer, String, insert, or_, select
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Mapped, mapped_column

from docflow.core import audit
from docflow.core.db import UTCDateTime, sqlite_begin_mode, utcnow
from docflow.extensions import db

SAFE_METHODS = ("GET", "HEAD", "OPTIONS")
# Loggers that print request lines (URLs): the development server's and gunicorn's.
REQUEST_LOGGERS = ("werkzeug", "gunicorn.access", "gunicorn.error")


class AccessEntry(db.Model):
    __tablename__ = "access_log"
    __audit__ = False  # a read is not a change: not in the audit trail, not in any history

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    at: Mapped[dt.datetime] = mapped_column(UTCDateTime, nullable=False, index=True)
    user_id: Mapped[int | None] = mapped_column(Integer, nullable=True, index=True)
    username: Mapped[str | None] = mapped_column(String(64), nullable=True)
    user_name: Mapped[str] = mapped_column(String(200), nullable=False)
    action: Mapped[str] = mapped_column(String(16), nullable=False)
    object_type: Mapped[str] = mapped_column(String(64), nullable=False)
    object_id: Mapped[str] = mapped_column(String(64), nullable=False, index=True)
    # The public id of the case the object belongs to (an attachment's item), if any.
    item: Mapped[str | None] = mapped_column(String(64), nullable=True, index=True)
    ip: Mapped[str | None] = mapped_column(String(45), nullable=True)
    request_id: Mapped[str | None] = mapped_column(String(64), nullable=True)


# --- writing ------------------------------------------------------------------------------


def public_id_of(obj: Any) -> str:
    """What URLs call the object: its public id, else its primary key."""
    public = getattr(obj, "public_id", None)
    return str(public if public is not None else obj.id)


def _username() -> str | None:
    # The API authenticates per request (g.api_user); pages through the login session.
    user = g.get("api_user") if has_request_context() else None
    if user is None and has_request_context():
        from flask_login import current_user

        user = current_user if getattr(current_user, "is_authenticated", False) else None
    return getattr(user, "username", None)


def record(action: str, obj: Any, *, item: Any = None) -> None:
    """Log one read of ``obj`` by the current actor (``item``: the case it belongs to)."""
    actor = audit.current_actor()
    row = {
        "at": utcnow(),
        "user_id": actor.id,
        "username": _username(),
        "user_name": actor.name,
        "action": action,
        "object_type": obj.__tablename__,
        "object_id": audit.mask_identifiers(public_id_of(obj)),
        "item": audit.mask_identifiers(public_id_of(item)) if item is not None else None,
        "ip": request.remote_addr if has_request_context() else None,
        "request_id": g.get("request_id") if has_request_context() else None,
    }
    if has_request_context() and request.method in SAFE_METHODS:
        g.setdefault("_access_log_rows", []).append(row)
    else:
        # A write request or a command already writes: the row goes with its transaction.
        db.session.execute(insert(AccessEntry.__table__).values(**row))


def _write(rows: list[dict[str, Any]]) -> None:
    # A connection and transaction of their own (IMMEDIATE on SQLite: it waits its turn on the
    # busy timeout instead of failing on a lock upgrade).
    with sqlite_begin_mode("IMMEDIATE"), db.engine.begin() as conn:
        conn.execute(insert(AccessEntry.__table__), rows)


def _write_queued(_exc: BaseException | None) -> None:
    rows = g.pop("_access_log_rows", None)
    if not rows:
        return
    # The response is made: end the request's read transaction (on SQLite it may hold a lock
    # the insert would wait for), then write the reads on their own.
    db.session.rollback()
    try:
        _write(rows)
    except SQLAlchemyError:
        current_app.logger.exception("access log: %d read(s) could not be recorded", len(rows))


# --- reading ------------------------------------------------------------------------------


def entries(
    *,
    username: str | None = None,
    item: str | None = None,
    since: dt.datetime | None = None,
    limit: int = 100,
) -> list[AccessEntry]:
    """The newest ``limit`` reads matching the filters, oldest first."""
    table = AccessEntry
    query = select(table).order_by(table.id.desc()).limit(limit)
    if username:
        query = query.where(table.username == username)
    if item:
        query = query.where(or_(table.object_id == item, table.item == item))
    if since:
        query = query.where(table.at >= since)
    return list(db.session.scalars(query))[::-1]


class _DateType(click.ParamType):
    name = "DATE"

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None):
        if isinstance(value, dt.date):
            return value
        try:
            return dt.date.fromisoformat(str(value).strip())
        except ValueError:
            self.fail(f"{value!r} is not a date (expected YYYY-MM-DD)", param, ctx)


def _tz() -> ZoneInfo:
    return ZoneInfo(current_app.config.get("TIMEZONE") or "Asia/Almaty")


def format_table(rows: list[AccessEntry]) -> str:
    tz = _tz()
    header = ("when", "user", "action", "object", "id", "item", "ip")
    lines = [
        (
            e.at.astimezone(tz).strftime("%Y-%m-%d %H:%M:%S"),
            f"{e.username or '-'} ({e.user_name})" if e.username else e.user_name,
            e.action,
            e.object_type,
            e.object_id,
            e.item or "-",
            e.ip or "-",
        )
        for e in rows
    ]
    widths = [max(len(str(r[i])) for r in [header, *lines]) for i in range(len(header))]
    return "\n".join(
        "  ".join(str(v).ljust(w) for v, w in zip(r, widths, strict=True)).rstrip()
        for r in [header, *lines]
    )


@click.command("access-log")
@click.option("--user", "username", help="Only reads by this username.")
@click.option("--item", help="Only reads of this object or of the case with this public id.")
@click.option("--since", type=_DateType(), help="Only reads on or after this (local) date.")
@click.option("--limit", type=click.IntRange(1, 100000), default=100, show_default=True)
def access_log_command(
    username: str | None, item: str | None, since: dt.date | None, limit: int
) -> None:
    """Who viewed what (R-PD-1): reads of applicant data, newest LIMIT, oldest first."""
    start = None
    if since is not None:
        start = dt.datetime.combine(since, dt.time(0), tzinfo=_tz()).astimezone(dt.UTC)
    rows = entries(username=username, item=item, since=start, limit=limit)
    db.session.rollback()
    if not rows:
        click.echo("no reads recorded")
        return
    click.echo(format_table(rows))


# --- request logs -------------------------------------------------------------------------


class MaskIdentifiers(logging.Filter):
    """Masks IIN/BIN-looking numbers in a log record (a URL's query string, a traceback)."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        masked = audit.mask_identifiers(message)
        if masked != message:
            record.msg, record.args = masked, ()
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = audit.mask_identifiers(record.exc_text)
        return True


def init_app(app: Flask) -> None:
    """Write the queued reads at the end of each request; mask identifiers in the logs."""
    app.teardown_request(_write_queued)
    for logger in (*map(logging.getLogger, REQUEST_LOGGERS), app.logger):
        if not any(isinstance(f, MaskIdentifiers) for f in logger.filters):
            logger.addFilter(MaskIdentifiers())
