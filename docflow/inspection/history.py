"""One view of a case's history for the inspection checks, native and imported cases alike.

A :class:`CaseHistory` says when the case arrived and was registered, what kind it is and in
which language, which subdivision answers for it, what it refers to (``is_duplicate_of``,
``parent_id``) and what happened to it, as :class:`Event` rows named like the events of the case
exchange format (``../shared/formats/case-exchange.md``): ``assigned``, ``unassigned``,
``forwarded``, ``notice_sent``, ``extended``, ``answered``, ``removed_from_control``,
``terminated``, ``returned``, ``withdrawn``, ``correction_requested``, ``corrected``,
``hearing_draft_sent``, ``scan_attached``.

Imported cases keep their history in their own records (``ImportedEvent``): it is read as
recorded. docflow's own cases are read from their rows (:mod:`docflow.inspection.history_native`).
Events after the as-of date are left out. People are :class:`Person`: an account and/or an IIN,
compared by either, never by name.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import (
    ARRAY,
    Integer,
    String,
    any_,
    bindparam,
    column,
    func,
    null,
    select,
    true,
    type_coerce,
)
from sqlalchemy import case as sql_case

from docflow.core.db import JSONType
from docflow.exchange.models import FormerEmployee, ImportedCase, ImportedEvent
from docflow.extensions import db
from docflow.org.models import Employee, Subdivision, User
from docflow.registry.models import IncomingItem, ItemLink

CHUNK = 2000  # cases read per query (fewer round trips: PostgreSQL pays ~1 ms for each)
NONE: list = []  # an empty answer (never changed)
# Events of an imported case no check looks at (not read), and those whose recorded fields are
# read (the others need only their type, time and the person the importer resolved).
UNUSED_EVENTS = ("distributed", "rated", "sent_back")
WITH_DATA = (
    "unassigned",
    "forwarded",
    "notice_sent",
    "extended",
    "answered",
    "correction_requested",
    "removed_from_control",
)


@dataclass(frozen=True)
class Person:
    """Someone named in a case: an account of this office and/or an IIN (R-ROUTE-4, R-ANS-2)."""

    user_id: int | None = None
    iin: str | None = None
    name: str = ""

    def same(self, other: Person | None) -> bool:
        """The same person: the same account or the same IIN — never the same name."""
        if other is None:
            return False
        if self.user_id is not None and self.user_id == other.user_id:
            return True
        return bool(self.iin) and self.iin == other.iin

    @property
    def known(self) -> bool:
        return self.user_id is not None or bool(self.iin)

    def label(self) -> str:
        return self.name or (f"#{self.user_id}" if self.user_id else "?")

    def facts(self) -> dict[str, Any]:
        return {"user_id": self.user_id, "name": self.name}


@dataclass
class Event:
    type: str
    at: dt.datetime
    day: dt.date  # the local day it happened (for notices and answers: the day it went out)
    person: Person | None = None  # the executor (assigned/unassigned), signer (answered), or by
    data: dict[str, Any] = field(default_factory=dict)

    def not_after(self, other: Event) -> bool:
        """Happened before ``other`` (or with it); an event known by its day only: that day."""
        if self.data.get("day_only") or other.data.get("day_only"):
            return self.day <= other.day
        return self.at <= other.at


@dataclass
class CaseHistory:
    item_id: int
    public_id: str
    reg_number: str
    kind: str
    language: str | None
    imported: bool
    source: str | None
    subdivision_id: int | None
    subdivision_code: str | None
    district: str | None
    from_reception: bool
    received_at: dt.datetime
    registered_at: dt.datetime
    events: list[Event] = field(default_factory=list)
    duplicate_of: list[int] = field(default_factory=list)  # item ids (is_duplicate_of)
    parents: list[int] = field(default_factory=list)  # item ids (parent_id)
    unresolved: list[str] = field(default_factory=list)  # numbers of cases not in docflow
    refs: dict[str, str] = field(default_factory=dict)  # an imported record's own references

    _index: dict[str, list[Event]] | None = field(default=None, repr=False)

    def _by_type(self) -> dict[str, list[Event]]:
        index = self._index
        if index is None:  # built once the events are final (sorted, as of the date)
            index = {}
            for e in self.events:
                index.setdefault(e.type, []).append(e)
                if e.type == "notice_sent":
                    index.setdefault("notice:" + str(e.data.get("notice")), []).append(e)
                if e.type == "answered" and e.data.get("final"):
                    index.setdefault("final", []).append(e)
            self._index = index
        return index

    # The lists these give are the history's own: read them, do not change them.

    def of(self, *types: str) -> list[Event]:
        """The events of these types, in time order."""
        if len(types) == 1:
            return self._by_type().get(types[0], NONE)
        return [e for e in self.events if e.type in types]

    def notices(self, kind: str) -> list[Event]:
        """The ``notice_sent`` events of that notice."""
        return self._by_type().get("notice:" + kind, NONE)

    def final_answers(self) -> list[Event]:
        """The final answers that went out, first first."""
        return self._by_type().get("final", NONE)


class People:
    """Accounts and former employees by id, with their IINs (loaded once per run)."""

    def __init__(self) -> None:
        iins = dict(
            db.session.execute(
                select(Employee.user_id, Employee.iin).where(Employee.user_id.is_not(None))
            ).all()
        )
        self.users = {
            uid: Person(uid, iins.get(uid), name or login)
            for uid, login, name in db.session.execute(
                select(User.id, User.username, User.full_name)
            )
        }
        self.logins = {
            login: uid for uid, login in db.session.execute(select(User.id, User.username))
        }
        self.employee_users = {
            iin: uid
            for uid, iin in iins.items()
            if iin  # an IIN that matches an employee is that employee
        }
        self.former = {
            fid: Person(None, iin, name)
            for fid, iin, name in db.session.execute(
                select(FormerEmployee.id, FormerEmployee.iin, FormerEmployee.full_name)
            )
        }
        self.codes = dict(db.session.execute(select(Subdivision.id, Subdivision.code)).all())

    def user(self, user_id: int | None) -> Person | None:
        if user_id is None:
            return None
        return self.users.get(user_id) or Person(user_id)

    def of_record(self, value: Any) -> Person | None:
        """A person as an imported event names them: ``{"login"}`` or ``{"iin", "full_name"}``."""
        if not isinstance(value, dict):
            return None
        if value.get("login") in self.logins:
            return self.users[self.logins[value["login"]]]
        iin = value.get("iin")
        if iin and iin in self.employee_users:
            return self.users[self.employee_users[iin]]
        if iin:
            return Person(None, iin, value.get("full_name") or "")
        return None


def local_day(moment: dt.datetime, tz: ZoneInfo) -> dt.date:
    """The office's day of a moment (cached by the UTC hour: the zone's offsets are whole
    hours, as Kazakhstan's are; another zone is converted every time)."""
    moment = aware(moment)
    if moment.utcoffset() or not _WHOLE_HOURS.get(tz, True):
        return moment.astimezone(tz).date()
    key = (tz, moment.year, moment.month, moment.day, moment.hour)
    day = _DAYS.get(key)
    if day is None:
        local = moment.astimezone(tz)
        day = local.date()
        if local.utcoffset().total_seconds() % 3600:
            _WHOLE_HOURS[tz] = False
            return day
        if len(_DAYS) > 100_000:
            _DAYS.clear()
        _DAYS[key] = day
    return day


_DAYS: dict[tuple, dt.date] = {}
_WHOLE_HOURS: dict[ZoneInfo, bool] = {}


def aware(moment: dt.datetime) -> dt.datetime:
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=dt.UTC)


def at_noon(day: dt.date, tz: ZoneInfo) -> dt.datetime:
    """A moment for something recorded only by its day (a notice's sending day)."""
    return dt.datetime.combine(day, dt.time(12, 0), tzinfo=tz)


def id_in(column: Any, ids: list[int]) -> Any:
    """``column IN ids``. On PostgreSQL one array parameter (``= ANY``): a list of thousands of
    parameters costs more to send and parse than the query takes."""
    if db.session.get_bind().dialect.name == "postgresql":
        return column == any_(bindparam(None, list(ids), type_=ARRAY(Integer)))
    return column.in_(ids)


RECORD_FIELDS = ("district", "language", "is_duplicate_of", "parent_id")


def _record_fields() -> Any:
    """The query of an imported case's source and the fields of its record the checks read.
    PostgreSQL keeps the record as JSON text and parses it for every field taken with ``->>``:
    there the record is parsed once (``json_to_record``), to the same text values."""
    if db.session.get_bind().dialect.name == "postgresql":
        fields = (
            func.json_to_record(ImportedCase.record)
            .table_valued(*(column(name, String) for name in RECORD_FIELDS))
            .render_derived(name="fields", with_types=True)
        )
        return (
            select(ImportedCase.item_id, ImportedCase.source, *(fields.c[n] for n in RECORD_FIELDS))
            .select_from(ImportedCase)
            .join(fields, true())
        )
    record = ImportedCase.record
    return select(
        ImportedCase.item_id,
        ImportedCase.source,
        *(record[name].as_string() for name in RECORD_FIELDS),
    )


def _date(value: Any) -> dt.date | None:
    try:
        return dt.date.fromisoformat(value) if isinstance(value, str) else None
    except ValueError:
        return None


# --- loading ------------------------------------------------------------------------------------


class HistoryLoader:
    """Reads the histories of cases by id, in chunks; events after ``as_of`` are left out."""

    def __init__(self, as_of: dt.date, tz: ZoneInfo) -> None:
        from docflow.inspection.history_native import NativeReader

        self.as_of, self.tz = as_of, tz
        self.people = People()
        self.native = NativeReader(self)

    def load(self, ids: Iterable[int]) -> dict[int, CaseHistory]:
        out: dict[int, CaseHistory] = {}
        ids = list(ids)
        for start in range(0, len(ids), CHUNK):
            out.update(self._chunk(ids[start : start + CHUNK]))
        return out

    def _chunk(self, ids: list[int]) -> dict[int, CaseHistory]:
        rows = db.session.execute(
            select(
                IncomingItem.id,
                IncomingItem.public_id,
                IncomingItem.reg_number,
                IncomingItem.kind,
                IncomingItem.language,
                IncomingItem.imported,
                IncomingItem.subdivision_id,
                IncomingItem.from_reception,
                IncomingItem.arrived_at,
                IncomingItem.registered_at,
                IncomingItem.channel,
                IncomingItem.correction_due,
            ).where(id_in(IncomingItem.id, ids))
        ).all()
        cases: dict[int, CaseHistory] = {}
        extra: dict[int, Any] = {}
        for r in rows:
            cases[r.id] = CaseHistory(
                item_id=r.id,
                public_id=r.public_id,
                reg_number=r.reg_number,
                kind=r.kind,
                language=r.language,
                imported=r.imported,
                source=None,
                subdivision_id=r.subdivision_id,
                subdivision_code=self.people.codes.get(r.subdivision_id),
                district=None,
                from_reception=bool(r.from_reception) or r.channel == "reception",
                received_at=aware(r.arrived_at),
                registered_at=aware(r.registered_at),
            )
            extra[r.id] = r
        imported = [i for i, c in cases.items() if c.imported]
        native = [i for i, c in cases.items() if not c.imported]
        if imported:
            self._imported(cases, imported)
        if native:
            self.native.read(cases, native, extra)
        self._links(cases, ids)
        for case in cases.values():  # a reference the import could not resolve: not followed
            if case.refs.get("is_duplicate_of") and not case.duplicate_of:
                case.unresolved.append(case.refs["is_duplicate_of"])
            if case.refs.get("parent_id") and not case.parents:
                case.unresolved.append(case.refs["parent_id"])
        for case in cases.values():
            case.events = sorted(
                (e for e in case.events if e.day <= self.as_of), key=lambda e: e.at
            )
        return cases

    def _links(self, cases: dict[int, CaseHistory], ids: list[int]) -> None:
        for item_id, target, kind in db.session.execute(
            select(ItemLink.item_id, ItemLink.target_id, ItemLink.kind)
            .where(id_in(ItemLink.item_id, ids))
            .order_by(ItemLink.id)
        ):
            if item_id in cases:
                bucket = cases[item_id].duplicate_of if kind == "repeat" else cases[item_id].parents
                if target not in bucket:
                    bucket.append(target)

    # --- imported: the events as recorded ---

    def _imported(self, cases: dict[int, CaseHistory], ids: list[int]) -> None:
        conn = db.session.connection()  # plain rows: a run reads hundreds of thousands
        for item_id, source, district, language, duplicate, parent in conn.execute(
            _record_fields().where(id_in(ImportedCase.item_id, ids))
        ):
            case = cases[item_id]
            case.source, case.district = source, district
            case.language = language or case.language
            case.refs = {
                name: value
                for name, value in (("is_duplicate_of", duplicate), ("parent_id", parent))
                if value
            }
        data_if_read = type_coerce(
            sql_case((ImportedEvent.type.in_(WITH_DATA), ImportedEvent.data), else_=null()),
            JSONType,
        )
        # SQLite keeps times as text: read as such, parsed by fromisoformat (much faster)
        at_column = (
            type_coerce(ImportedEvent.at, String)
            if conn.dialect.name == "sqlite"
            else ImportedEvent.at
        )
        for item_id, etype, at, data, user_id, former_id in conn.execute(
            select(
                ImportedEvent.item_id,
                ImportedEvent.type,
                at_column,
                data_if_read,
                ImportedEvent.user_id,
                ImportedEvent.former_employee_id,
            )
            .where(id_in(ImportedEvent.item_id, ids), ImportedEvent.type.not_in(UNUSED_EVENTS))
            .order_by(ImportedEvent.item_id, ImportedEvent.position)
        ).all():
            if isinstance(at, str):
                at = dt.datetime.fromisoformat(at)
            event = self._imported_event(etype, aware(at), data or {}, user_id, former_id)
            cases[item_id].events.append(event)

    def _imported_event(
        self, etype: str, at: dt.datetime, data: dict[str, Any], user_id: int | None, former: Any
    ) -> Event:
        person: Person | None = None
        if etype in ("assigned", "unassigned"):
            person = self.people.of_record(data.get("person"))
        elif etype == "answered":
            person = self.people.of_record(data.get("signed_by"))
        else:
            person = self.people.of_record(data.get("by"))
        if person is None and user_id is not None:
            person = self.people.user(user_id)
        if person is None and former is not None:
            person = self.people.former.get(former)
        details: dict[str, Any] = {}
        if etype == "notice_sent":
            details["notice"] = data.get("notice")
        elif etype == "forwarded":
            details.update(partial=bool(data.get("partial")), body=data.get("body"))
        elif etype == "extended":
            details.update(
                basis=data.get("basis"),
                old_due=_date(data.get("old_due")),
                new_due=_date(data.get("new_due")),
            )
        elif etype == "answered":
            details.update(
                final=bool(data.get("final")),
                language=data.get("language"),
                character=data.get("character"),
                signed=person is not None,
                number=data.get("outgoing_number"),
            )
        elif etype == "correction_requested":
            details["term"] = _date(data.get("term"))
        elif etype == "terminated":
            details["reason"] = data.get("reason")
        return Event(etype, at, local_day(at, self.tz), person, details)


def case_history(item_id: int, as_of: dt.date | None = None) -> CaseHistory | None:
    """One case's history, native or imported (events up to ``as_of``, default: today) — what a
    finding's evidence page shows."""
    from flask import current_app

    tz = ZoneInfo(current_app.config.get("TIMEZONE") or "Asia/Almaty")
    as_of = as_of or dt.datetime.now(tz).date()
    return HistoryLoader(as_of, tz).load([item_id]).get(item_id)
