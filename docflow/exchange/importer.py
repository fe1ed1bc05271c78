"""``cases import``: a JSON Lines file of whole cases in, all or nothing (case-exchange.md).

Read line by line (bounded memory: a batch of cases is written at a time, only the links to
resolve are kept until the end), inside one savepoint: the first bad line raises
``ImportFailed`` with its number, field and reason, and nothing of the file is kept. Idempotent by ``reg_number``: the
same record again changes nothing; a different one is an error naming what differs unless
``replace``; a number of docflow's own cases is always an error. Imported cases keep their
numbers (the pseudo-journal "imported", never docflow's journals or counters), are read-only
(the final state "imported") and are marked with their source.
"""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from types import SimpleNamespace
from typing import Any

from flask_babel import lazy_gettext as _l
from sqlalchemy import delete, func, insert, select, text

from docflow.core import audit
from docflow.core.calendar import get_calendar
from docflow.core.errors import DomainError
from docflow.core.settings import get_setting
from docflow.exchange import records
from docflow.exchange.bulk import few_collections
from docflow.exchange.models import FormerEmployee, ImportedCase, ImportedEvent
from docflow.exchange.records import RecordError
from docflow.exchange.wiring import IMPORTED_STATE
from docflow.extensions import db
from docflow.org.models import Employee, Subdivision, User
from docflow.registry import search
from docflow.registry.models import Applicant, IncomingItem, ItemLink, item_by_number
from docflow.registry.operations import due_from, term_for
from docflow.registry.repeats import name_key

JOURNAL = "imported"
# Rows created with a case whose content its ImportedCase digest covers (see import_cases).
FOLDED_INTO_CASE = frozenset({"imported_event", "applicant"})
BATCH = 1000  # cases per flush
ANALYSE_AFTER = 10  # batches (PostgreSQL: the statistics refreshed then, and at the end)
CHANNEL_IN = {"hand": "by_hand"}  # the format's channel → docflow's
# e-Otinish staff-side statuses (R-KIND-4) → the docflow state they correspond to.
STATE_OF_STATUS = {
    "Исполнено": "closed",
    "Переадресовано": "forwarded",
    "Переадресация в другую организацию": "forwarded",
    "Переадресовано в части": "in_work",
    "Отозвано": "withdrawn",
    "Прекращено": "terminated",
    "Приведено в соответствие": "returned",
    "Оставлено без рассмотрения": "left_without_consideration",
    "В работе": "in_work",
}
HANDLER_ROLES = {"assigned": ("person", "executed"), "answered": ("signed_by", "signed")}


class ImportFailed(DomainError):
    """The first bad line of a file: nothing of the file was kept."""

    status = 422
    code = "import_failed"

    def __init__(self, line: int, field: str, reason: Any) -> None:
        super().__init__(
            _l("line %(line)s, field %(field)s: %(reason)s", line=line, field=field, reason=reason)
        )
        self.line, self.field, self.reason = line, field, str(reason)


@dataclass
class ImportReport:
    lines: int = 0
    created: int = 0
    unchanged: int = 0
    replaced: int = 0
    unresolved: list[str] = field(default_factory=list)  # references to cases not here
    seconds: float = 0.0


def _people() -> records.People:
    logins = dict(db.session.execute(select(User.username, User.id)).all())
    iins = {
        iin: (eid, uid)
        for iin, eid, uid in db.session.execute(
            select(Employee.iin, Employee.id, Employee.user_id).where(Employee.iin.is_not(None))
        )
    }
    subdivisions = dict(db.session.execute(select(Subdivision.code, Subdivision.kind)).all())
    kinds = set(records.BASE_KINDS) | set(get_setting("terms") or {})
    districts = {c for c, k in subdivisions.items() if k == "district"}
    return records.People(logins, iins, set(subdivisions), districts, kinds)


class _Importer:
    def __init__(self, source: str, replace: bool, actor: Any) -> None:
        self.source, self.replace, self.actor = source, replace, actor
        self.people = _people()
        self.subdivision_ids = dict(
            db.session.execute(select(Subdivision.code, Subdivision.id)).all()
        )
        self.former: dict[str, int] = {}
        self.seq: dict[int, int] = {}
        self.links: list[tuple[IncomingItem, str, str]] = []  # item, earlier number, link kind
        self.batch: dict[str, IncomingItem] = {}  # not flushed yet, by number
        # The batch's applicant and event rows, written once its items have ids.
        self.rows: list[tuple[IncomingItem, list[dict[str, Any]], list[dict[str, Any]]]] = []
        self.known: dict[str, IncomingItem | None] = {}  # the numbers of the lines read ahead
        self.cases: dict[int, ImportedCase] = {}  # the imported records of the items known
        self.replaced: set[int] = set()  # ids of the batch's items whose rows were replaced
        self.flushed = 0  # batches written
        self.report = ImportReport()
        self.cal = get_calendar()
        self.terms: dict[tuple[str, dt.date], tuple[dict[str, Any], dt.date]] = {}

    # --- people ---

    def person(self, value: Any) -> tuple[int | None, int | None]:
        """(user id, former employee id) of a person of an event."""
        if not isinstance(value, dict):
            return None, None
        if "login" in value:
            return self.people.logins[value["login"]], None
        iin = value["iin"]
        employee = self.people.employee_iins.get(iin)
        if employee is not None:
            return employee[1], None
        if iin not in self.former:
            row = db.session.scalar(select(FormerEmployee).where(FormerEmployee.iin == iin))
            if row is None:  # kept as a former employee, never matched by name
                row = FormerEmployee(iin=iin, full_name=value["full_name"].strip())
                db.session.add(row)
                db.session.flush()
            self.former[iin] = row.id
        return None, self.former[iin]

    # --- one record ---

    def look_ahead(self, numbers: list[str]) -> None:
        """Find which of the next lines' numbers exist, in one query (not one per line)."""
        self.flush()
        self.known, self.cases = dict.fromkeys(numbers), {}
        for start in range(0, len(numbers), 500):
            chunk = numbers[start : start + 500]
            for item in db.session.scalars(
                select(IncomingItem).where(IncomingItem.reg_number.in_(chunk))
            ):
                self.known[item.reg_number] = item
        # Their records, in a query of their own: joined to the lookup, PostgreSQL (its tables
        # not analysed while the import's transaction fills them) would read every record.
        found = [item.id for item in self.known.values() if item is not None]
        for start in range(0, len(found), 500):
            for case in db.session.scalars(
                select(ImportedCase).where(ImportedCase.item_id.in_(found[start : start + 500]))
            ):
                self.cases[case.item_id] = case

    def _existing(self, reg_number: str) -> IncomingItem | None:
        found = self.batch.get(reg_number) or self.known.get(reg_number)
        if found is None and reg_number not in self.known:
            with db.session.no_autoflush:
                found = item_by_number(reg_number)
        return found

    def take(self, number: int, record: dict[str, Any]) -> None:
        key = records.digest(record)
        existing = self._existing(record["reg_number"])
        if existing is not None and not existing.imported:
            raise ImportFailed(
                number, "reg_number", _l("This is the number of one of docflow's own cases.")
            )
        if existing is not None:
            self.flush()
            case = self.cases.get(existing.id) or db.session.scalar(
                select(ImportedCase).where(ImportedCase.item_id == existing.id)
            )
            if case.digest == key:
                self.report.unchanged += 1
                return
            if not self.replace:
                old = {**case.record, "events": self._events_of(existing.id)}
                raise ImportFailed(
                    number,
                    ", ".join(records.differences(old, record)) or "-",
                    _l(
                        "Already imported with different content (use --replace to take the newer record)."
                    ),
                )
            self._clear(existing)
            self._fill(existing, record, number)
            case.record, case.digest, case.source = self._fields(record), key, self.source
            case.status, case.status_state = record.get("status"), status_state(record)
            self.report.replaced += 1
            return
        item = IncomingItem(imported=True, state=IMPORTED_STATE, journal=JOURNAL)
        self._fill(item, record, number)
        db.session.add(
            ImportedCase(
                item=item,
                source=self.source,
                digest=key,
                record=self._fields(record),
                status=record.get("status"),
                status_state=status_state(record),
            )
        )
        self.report.created += 1

    @staticmethod
    def _fields(record: dict[str, Any]) -> dict[str, Any]:
        return {k: v for k, v in record.items() if k != "events"}

    @staticmethod
    def _events_of(item_id: int) -> list[Any]:
        return list(
            db.session.scalars(
                select(ImportedEvent.data)
                .where(ImportedEvent.item_id == item_id)
                .order_by(ImportedEvent.position)
            )
        )

    def _clear(self, item: IncomingItem) -> None:
        db.session.execute(delete(ImportedEvent).where(ImportedEvent.item_id == item.id))
        db.session.execute(delete(ItemLink).where(ItemLink.item_id == item.id))
        item.applicants.clear()
        db.session.flush()
        self.replaced.add(item.id)

    def _next_seq(self, year: int) -> int:
        if year not in self.seq:
            self.seq[year] = db.session.scalar(
                select(func.coalesce(func.max(IncomingItem.reg_seq), 0)).where(
                    IncomingItem.journal == JOURNAL, IncomingItem.reg_year == year
                )
            )
        self.seq[year] += 1
        return self.seq[year]

    def _term(self, kind: str, reg_date: dt.date) -> tuple[dict[str, Any], dt.date]:
        """docflow's own term and due date of a case (the source's are kept as given); a month
        counts from the case's own start. The same for every case of a kind and day."""
        key = (kind, reg_date)
        if key not in self.terms:
            term = term_for(kind, reg_date)
            self.terms[key] = term, due_from(reg_date, term)
        return self.terms[key]

    def _fill(self, item: IncomingItem, record: dict[str, Any], number: int) -> None:
        received = records.parse_time(record["received_at"], "received_at")
        registered = records.parse_time(record["registered_at"], "registered_at")
        if record.get("start_date"):
            reg_date = dt.date.fromisoformat(record["start_date"])
        else:
            reg_date = registered.astimezone(self.cal.tz).date()
        events = record.get("events") or []
        term, due = self._term(record["kind"], reg_date)
        extensions = [e for e in events if e["type"] == "extended"]
        if extensions:
            due = dt.date.fromisoformat(extensions[-1]["new_due"])
        if item.id is None or item.reg_year != reg_date.year:
            item.reg_year, item.reg_seq = reg_date.year, self._next_seq(reg_date.year)
        item.reg_number = record["reg_number"]
        item.kind = record["kind"]
        channel = record.get("channel") or ""
        item.channel = CHANNEL_IN.get(channel, channel)
        item.language = record.get("language")
        item.arrived_at, item.registered_at = received, registered
        item.registration_date, item.due_date = reg_date, due
        item.term_days, item.term_unit = term["days"], term["unit"]
        item.summary = record.get("summary") or ""
        item.from_reception = bool(record.get("from_reception")) or channel == "reception"
        item.collective = bool(record.get("collective"))
        item.subdivision_id = self._subdivision(events)
        if item.id is None:
            db.session.add(item)
        applicants = [
            _applicant_row(pos, a) for pos, a in enumerate(record.get("applicants") or [])
        ]
        self.rows.append((item, applicants, [self._event_row(p, e) for p, e in enumerate(events)]))
        for name in ("is_duplicate_of", "parent_id"):
            target = record.get(name)
            if target:
                self.links.append((item, target, _link_kind(name, record)))
        self.batch[item.reg_number] = item
        self.known[item.reg_number] = item
        if len(self.batch) >= BATCH:
            self.flush()

    def _event_row(self, pos: int, event: dict[str, Any]) -> dict[str, Any]:
        role = HANDLER_ROLES.get(event["type"])
        user_id, former_id = self.person(event.get(role[0])) if role else (None, None)
        for name in ("by", "person", "signed_by"):  # every person is known or kept
            if role is None or name != role[0]:
                self.person(event.get(name))
        return {
            "position": pos,
            "type": event["type"],
            "at": records.parse_time(event["at"], "at"),
            "data": event,
            "source": self.source,
            "role": role[1] if role and (user_id or former_id) else None,
            "user_id": user_id,
            "former_employee_id": former_id,
        }

    def flush(self) -> None:
        """Write the batch: its cases and their records in one flush (audited, an entry each),
        then its applicants and events in one multi-row INSERT per table (folded into the
        case's audited digest, FOLDED_INTO_CASE), and index it for search in one statement
        (imported cases have no files)."""
        if not self.rows:
            return
        _reserve_ids([item for item, _a, _e in self.rows if item.id is None])
        _reserve_ids([c for c in db.session.new if isinstance(c, ImportedCase) and c.id is None])
        db.session.flush()
        applicants, events, docs = [], [], []
        for item, item_applicants, item_events in self.rows:
            for row in item_applicants:
                row["item_id"] = item.id
            for row in item_events:
                row["item_id"] = item.id
            applicants += item_applicants
            events += item_events
            docs.append(_indexed(item, item_applicants))
            if item.id in self.replaced:  # its applicants were read before they were replaced
                db.session.expire(item, ["applicants"])
        if applicants:
            db.session.execute(insert(Applicant.__table__), applicants)
        if events:
            db.session.execute(insert(ImportedEvent.__table__), events)
        search.reindex_many(docs, without_files=True)
        self.batch.clear()
        self.rows.clear()
        self.replaced.clear()
        self.flushed += 1
        if self.flushed == ANALYSE_AFTER:
            _analyse()

    def _subdivision(self, events: list[dict[str, Any]]) -> int | None:
        sent = [e for e in events if e["type"] == "distributed"]
        responsible = [e for e in sent if e.get("responsible")] or sent
        return self.subdivision_ids.get(responsible[0]["subdivision"]) if responsible else None

    # --- the end ---

    def link(self) -> None:
        self.flush()
        for item, target_number, kind in self.links:
            target = db.session.scalar(
                select(IncomingItem.id).where(IncomingItem.reg_number == target_number)
            )
            if target is None:  # an earlier case outside this file and office: kept in the record
                self.report.unresolved.append(target_number)
                continue
            db.session.add(ItemLink(item_id=item.id, target_id=target, kind=kind))
        db.session.flush()
        _analyse()


def _analyse() -> None:
    """On PostgreSQL, refresh the planner's statistics of the tables an import fills, in its
    transaction (ANALYZE counts the transaction's own rows; rolled back with it): a large
    import into tables the planner took for small would otherwise be read by whole-table
    scans (by the inspection run that follows it, by its own lookups) until autovacuum's turn."""
    if db.session.get_bind().dialect.name == "postgresql":
        db.session.execute(
            text("ANALYZE incoming_item, imported_case, imported_event, applicant, item_search")
        )


def _reserve_ids(rows: list[Any]) -> None:
    """On PostgreSQL, give new rows their ids from the table's sequence in one query, so that
    the flush is one multi-row INSERT without RETURNING (a RETURNING insert of many rows is
    sent as one statement with a parameter per column and row, which the driver parses row by
    row). SQLite assigns row ids as it inserts; nothing to do there."""
    if not rows or db.session.get_bind().dialect.name != "postgresql":
        return
    sql = "SELECT nextval(pg_get_serial_sequence(:table, 'id')) FROM generate_series(1, :n)"
    with db.session.no_autoflush:  # the rows are still to be inserted, with these ids
        ids = db.session.scalars(
            text(sql), {"table": type(rows[0]).__tablename__, "n": len(rows)}
        ).all()
    for row, row_id in zip(rows, sorted(ids), strict=True):
        row.id = row_id


def _applicant_row(pos: int, a: dict[str, Any]) -> dict[str, Any]:
    name = a.get("full_name") or a.get("organisation_name")
    return {
        "position": pos,
        "type": a["type"],
        "full_name": a.get("full_name"),
        "iin": a.get("iin"),
        "organisation_name": a.get("organisation_name"),
        "bin": a.get("bin"),
        "address": a.get("address"),
        "name_key": name_key(name, a.get("address")),
    }


def _indexed(item: IncomingItem, applicants: list[dict[str, Any]]) -> SimpleNamespace:
    """What search indexes of a case (search.document_text), without loading its applicants."""
    return SimpleNamespace(
        id=item.id,
        reg_number=item.reg_number,
        summary=item.summary,
        addressee=item.addressee,
        external_number=item.external_number,
        applicants=[SimpleNamespace(representative=None, **a) for a in applicants],
    )


def status_state(record: dict[str, Any]) -> str | None:
    """The docflow state an e-Otinish staff-side status corresponds to (R-KIND-4)."""
    return STATE_OF_STATUS.get((record.get("status") or "").strip())


def _link_kind(name: str, record: dict[str, Any]) -> str:
    """``is_duplicate_of`` is a repeat (R-ROUTE-5); ``parent_id`` a complaint about the earlier
    answer or a reception appeal on it (R-ROUTE-4), by what this case is."""
    if name == "is_duplicate_of":
        return "repeat"
    if record["kind"] == "complaint":
        return "complaint_about_answer"
    if record.get("from_reception") or record.get("channel") == "reception":
        return "reception_same_question"
    return "related"


def _take_all(importer: _Importer, ahead: list[tuple[int, dict[str, Any]]]) -> None:
    importer.look_ahead([record["reg_number"] for _n, record in ahead])
    for number, record in ahead:
        importer.take(number, record)
    ahead.clear()


def import_cases(
    lines: Iterable[str],
    source: str,
    *,
    replace: bool = False,
    actor: Any = None,
    progress: Callable[[int], None] | None = None,
) -> ImportReport:
    """Import a file's lines; the caller commits. Raises ``ImportFailed`` (nothing kept)."""
    started = time.monotonic()
    source = (source or "").strip()[:100] or "import"
    session = db.session()
    # The rows of an imported case's events and applicants are not audited one by one: the
    # case's own audit entry (its ImportedCase row) holds the digest of the whole record,
    # events and applicants included (records.digest), and the file's entry says who imported.
    session.info["audit_skip_created"] = FOLDED_INTO_CASE
    try:
        with few_collections(), db.session.begin_nested():
            importer = _Importer(source, replace, actor)
            number = 0
            ahead: list[tuple[int, dict[str, Any]]] = []
            for number, line in enumerate(lines, start=1):
                if progress is not None:
                    progress(len(line.encode("utf-8")) if isinstance(line, str) else len(line))
                if not line.strip():
                    continue
                try:
                    ahead.append((number, records.parse_line(line, importer.people)))
                except RecordError as exc:
                    raise ImportFailed(number, exc.field, exc.reason) from None
                if len(ahead) >= BATCH:
                    _take_all(importer, ahead)
            _take_all(importer, ahead)
            importer.report.lines = number
            importer.link()
            report = importer.report
            audit.record(
                "cases_import",
                None,
                summary={
                    "source": source,
                    "created": report.created,
                    "unchanged": report.unchanged,
                    "replaced": report.replaced,
                    "replace": replace,
                },
            )
    finally:
        session.info.pop("audit_skip_created", None)
    report.seconds = time.monotonic() - started
    return report
