"""Registry endpoints of the REST API: register, read, list/search, attach files."""

from __future__ import annotations

import datetime as dt
from typing import Any

from flask import g, jsonify, request, url_for
from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from docflow.api import (
    ApiError,
    api_auth,
    bp,
    invalid_field,
    json_body,
    reads_first,
    text_field,
)
from docflow.api.safe_input import clean_text
from docflow.core import access_log
from docflow.core.audit import contains_identifier
from docflow.core.calendar import get_calendar
from docflow.core.db import begin_writes, commit_keeping_loaded, set_sqlite_begin_mode
from docflow.core.security import AccessDenied, Permission, has_permission
from docflow.core.settings import preload_settings
from docflow.extensions import db
from docflow.registry import jobs, operations, queries, read_ahead, repeats
from docflow.registry.models import Attachment, IncomingItem, item_by_public_id
from docflow.registry.operations import ApplicantData, RegistrationData, RegistrationError

MAX_PER_PAGE = 200
REGISTRY_TRANSITIONS = operations.MANUAL_TRANSITIONS
APPLICANT_FIELDS = set(ApplicantData.__dataclass_fields__)


_field_error = invalid_field


def _date(value: Any, field: str) -> dt.date | None:
    if value in (None, ""):
        return None
    try:
        return dt.date.fromisoformat(str(value))
    except ValueError:
        raise _field_error(field, _l("Use a date like 2026-11-20.")) from None


def _datetime(value: Any, field: str) -> dt.datetime | None:
    if value in (None, ""):
        return None
    try:
        moment = dt.datetime.fromisoformat(str(value))
    except ValueError:
        raise _field_error(
            field, _l("Use a date and time like 2026-11-20T10:30:00+05:00.")
        ) from None
    if (
        moment.tzinfo is None
    ):  # naive times are Almaty local time, as clerks and e-Otinish mean them
        moment = moment.replace(tzinfo=get_calendar().tz)
    return moment.astimezone(dt.UTC)


_text = text_field


def parse_registration(payload: Any) -> RegistrationData:
    if not isinstance(payload, dict):
        raise ApiError(400, "bad_request", _l("The body must be a JSON object."))
    applicants = payload.get("applicants") or []
    if not isinstance(applicants, list) or not all(isinstance(a, dict) for a in applicants):
        raise _field_error("applicants", _l("A list of applicant objects is expected."))
    parsed = []
    for i, a in enumerate(applicants):
        unknown = set(a) - APPLICANT_FIELDS
        if unknown:
            raise _field_error(
                f"applicants.{i}", _l("Unknown fields: %(names)s", names=", ".join(sorted(unknown)))
            )
        for k, v in a.items():
            if k != "needs_interpreter" and not (v is None or isinstance(v, str | int)):
                raise _field_error(f"applicants.{i}.{k}", _l("Text is expected."))
        values = {
            k: (str(v) if v is not None and k != "needs_interpreter" else v) for k, v in a.items()
        }
        values["needs_interpreter"] = bool(a.get("needs_interpreter"))
        parsed.append(ApplicantData(**values))
    page_count = payload.get("page_count")
    if page_count is not None and (not isinstance(page_count, int) or isinstance(page_count, bool)):
        raise _field_error("page_count", _l("A whole number is expected."))
    links = payload.get("link_to") or []
    if not isinstance(links, list):
        raise _field_error("link_to", _l("A list is expected."))
    return RegistrationData(
        kind=str(payload.get("kind") or ""),
        channel=str(payload.get("channel") or ""),
        applicants=parsed,
        addressee=_text(payload, "addressee"),
        summary=_text(payload, "summary") or "",
        language=_text(payload, "language"),
        arrived_at=_datetime(payload.get("arrived_at"), "arrived_at"),
        external_number=_text(payload, "external_number"),
        external_date=_date(payload.get("external_date"), "external_date"),
        page_count=page_count,
        from_reception=bool(payload.get("from_reception")),
        from_meeting=bool(payload.get("from_meeting")),
        anonymous=bool(payload.get("anonymous")),
        signed=bool(payload.get("signed", True)),
        idempotency_key=_idempotency_key(
            request.headers.get("Idempotency-Key") or _text(payload, "idempotency_key")
        ),
        link_to=[
            (str(x.get("item")), str(x.get("kind") or "repeat"))
            for x in links
            if isinstance(x, dict)
        ],
        # Issue 14: a past arrival needs a reason (400 without), a likely duplicate asks (409
        # naming the earlier item) unless "confirm_duplicate": true.
        arrival_reason=_text(payload, "arrival_reason"),
        ask_arrival_reason=True,
        ask_duplicate=True,
        confirm_duplicate=payload.get("confirm_duplicate") is True,
    )


def _public_id_of(attachment_id: int | None) -> str | None:
    if attachment_id is None:
        return None
    return db.session.scalar(select(Attachment.public_id).where(Attachment.id == attachment_id))


def attachment_json(item: IncomingItem, a: Attachment) -> dict[str, Any]:
    return {
        "id": a.public_id,
        "filename": a.filename,
        "content_type": a.content_type,
        "size": a.size,
        "sha256": a.sha256,
        "replaces": _public_id_of(a.replaces_id),
        "uploaded_at": a.uploaded_at.isoformat(),
        "extraction": {
            "status": a.extraction_status,
            "error_code": a.extraction_error_code,
            "error": a.extraction_error,
            "pages": a.page_count,
            "ocr_pages": a.ocr_pages,
        },
    }


def item_json(item: IncomingItem, full: bool = True, now: Any = None) -> dict[str, Any]:
    """The item as the API shows it; ``now``: what its registration in this request made
    (``operations.take_registered_now``), so that the answer is not read back."""
    data: dict[str, Any] = {
        "id": item.public_id,
        "reg_number": item.reg_number,
        "journal": item.journal,
        "kind": item.kind,
        "channel": item.channel,
        "state": item.state,
        "arrived_at": item.arrived_at.isoformat(),
        "registered_at": item.registered_at.isoformat(),
        "registration_date": item.registration_date.isoformat(),
        "due_date": item.due_date.isoformat() if item.due_date else None,
        "summary": item.summary,
        "from_reception": item.from_reception,
        "from_meeting": item.from_meeting,
        "anonymous": item.anonymous,
        "url": url_for("registry.item", public_id=item.public_id, _external=True),
    }
    if full:
        # Registered in this request: its links, candidates and files are those just written
        # (the files attached since are in the loaded list: ``attach_stored``).
        files = list(item.attachments) if now else item.current_attachments
        data.update(
            addressee=item.addressee,
            language=item.language,
            external_number=item.external_number,
            external_date=item.external_date.isoformat() if item.external_date else None,
            page_count=item.page_count,
            signed=item.signed,
            collective=item.collective,
            missing_details=item.missing_details or [],
            correction_due=item.correction_due.isoformat() if item.correction_due else None,
            notice_text=item.notice_text,
            applicants=[
                {k: getattr(a, k) for k in sorted(APPLICANT_FIELDS)} for a in item.applicants
            ],
            attachments=[attachment_json(item, a) for a in files],
            links=[
                {
                    "item": link.target.public_id,
                    "reg_number": link.target.reg_number,
                    "kind": link.kind,
                }
                for link in (now.links if now else operations.linked_cases(item))
            ],
            # R-ROUTE-4: earlier cases of the same applicant on a similar question.
            repeat_candidates=[
                repeats.serialise(c)
                for c in (now.candidates if now else repeats.candidates_of(item))
            ],
        )
    return data


def _files() -> list:
    return [f for f in request.files.getlist("files") if f and f.filename]


@bp.route("/items", methods=["POST"])
@api_auth
@reads_first
def register_item():
    data = parse_registration(json_body(required=True))
    _prepare(data)
    ahead = read_ahead.read(data, g.api_user)  # other items, looked at before the lock
    uploads, refused = _store_each()  # storage needs no lock: the files go first
    begin_writes()  # SQLite: the write lock from here to the commit only
    existed = bool(data.idempotency_key) and _existing(data.idempotency_key)
    item = operations.register(data, g.api_user, ahead)  # a refusal: the DomainError handler
    # R-REG-1: a refused file (empty, too large…) never costs the registration.
    refused = [] if existed else refused + _attach_each(item, uploads)
    commit_keeping_loaded()  # the answer is what was just written, not read back
    # The answer only reads: without the write lock (SQLite), so the next registration goes on.
    set_sqlite_begin_mode("DEFERRED")
    jobs.schedule()
    now = operations.take_registered_now(item)
    return jsonify({**item_json(item, now=now), "files_refused": refused}), 200 if existed else 201


def _prepare(data: RegistrationData) -> None:
    """What a registration reads that does not change under it, read before it takes the write
    lock and cached for the request: the actor's roles, the calendar and the office settings it
    looks up (journals, terms, the duplicate window). Everything that depends on other
    registrations (the number, duplicates, repeat candidates) is read in the writing part."""
    from docflow.registry import duplicates
    from docflow.routing import kind_terms

    preload_settings("terms", "journals", duplicates.SETTING, "calendar", "work_hours")
    has_permission(g.api_user, Permission.REGISTER)
    operations.validate(data)  # bad input refused before its files are stored (no orphans)
    get_calendar()
    kind_terms.is_registrable(data.kind)
    kind_terms.term_for(data.kind)  # the profile's terms, read here (cached)
    operations.pick_journal(data.kind, data.applicants)
    duplicates.window_minutes()


def _store_each() -> tuple[list[operations.Upload], list[dict[str, str]]]:
    """Store each file of the request; the refused ones as {"name", "error", "message"}."""
    uploads, refused = [], []
    for f in _files():
        name = clean_text(f.filename)
        try:
            uploads.append(operations.store_upload(f.filename, f.stream, f.mimetype))
        except RegistrationError as exc:
            message = "; ".join(exc.errors.values())
            code = exc.code if exc.status == 507 else _refusal(f.stream)  # storage full
            refused.append({"name": name, "error": code, "message": message})
    for part in request.files:
        if part != "files":
            for f in request.files.getlist(part):
                name = clean_text(f.filename or part)
                refused.append(
                    {"name": name, "error": "unexpected_part", "message": str(FILES_PART)}
                )
    return uploads, refused


def _attach_each(item: IncomingItem, uploads: list[operations.Upload]) -> list[dict[str, str]]:
    """Name each stored file as the item's (savepoint each); the refused ones as above."""
    refused = []
    for upload in uploads:
        try:
            with db.session.begin_nested():
                operations.attach_stored(item, upload, g.api_user)
        except AccessDenied as exc:
            refused.append(
                {"name": upload.filename, "error": "forbidden", "message": str(exc.message)}
            )
    return refused


FILES_PART = _l("Send one or more files in multipart parts named “files”.")


def _refusal(stream: Any) -> str:
    """Why ``operations.attach`` refused a file: ``empty``, ``too_large`` or ``refused``."""
    from flask import current_app

    try:
        stream.seek(0, 2)
        size = stream.tell()
    except (OSError, ValueError):
        return "refused"
    config = current_app.config
    limit = config.get("MAX_ATTACHMENT_BYTES") or config.get("MAX_CONTENT_LENGTH")
    if size == 0:
        return "empty"
    return "too_large" if limit and size > limit else "refused"


MAX_IDEMPOTENCY_KEY = 100


def _idempotency_key(key: str | None) -> str | None:
    # Scoped to the token's user: two integrations reusing a key never see each other's items.
    key = clean_text(key or "").strip()  # a header may carry control characters
    if not key:
        return None
    if len(key) > MAX_IDEMPOTENCY_KEY:
        raise _field_error(
            "idempotency_key", _l("Too long: at most %(n)d characters.", n=MAX_IDEMPOTENCY_KEY)
        )
    return f"api:{g.api_user.id}:{key}"


def _existing(key: str) -> bool:
    from sqlalchemy import select

    return (
        db.session.scalar(select(IncomingItem.id).where(IncomingItem.idempotency_key == key))
        is not None
    )


def _item(public_id: str) -> IncomingItem:
    item = item_by_public_id(public_id)
    if item is None:
        raise ApiError(404, "not_found", _l("No such item."))
    if not has_permission(g.api_user, Permission.VIEW, item):
        raise ApiError(403, "forbidden", _l("You do not have permission to do this."))
    return item


@bp.route("/items/<public_id>")
@api_auth
def get_item(public_id: str):
    item = _item(public_id)
    access_log.record("view", item)  # R-PD-1: who viewed what
    return jsonify(item_json(item))


@bp.route("/items")
@api_auth
def list_items():
    if any(contains_identifier(v) for v in request.args.values()):
        # R-PD-1: URLs end up in proxy and server logs; an IIN/BIN travels in a POST body.
        raise ApiError(
            400,
            "identifier_in_url",
            _l("Do not put an IIN or BIN in the address: search with POST /api/v1/items/search."),
        )
    return _search(request.args)


@bp.route("/items/search", methods=["POST"])
@api_auth
def search_items():
    """The journal search with the filters in a JSON body, e.g. by IIN/BIN (R-PD-1)."""
    args = json_body()
    db.session.rollback()  # a read: give back the write lock a POST begins with (SQLite)
    set_sqlite_begin_mode("DEFERRED")
    for name in ("q", "kind", "channel", "state", "subdivision"):
        if not isinstance(args.get(name), str | None):
            raise _field_error(name, _l("Text is expected."))
    return _search(args)


def _search(args: Any):
    if not has_permission(g.api_user, Permission.VIEW_REGISTRY):
        raise ApiError(403, "forbidden", _l("You do not have permission to do this."))
    try:
        page = max(1, int(args.get("page", 1)))
        per_page = min(MAX_PER_PAGE, max(1, int(args.get("per_page", 50))))
    except (TypeError, ValueError):
        raise _field_error("page", _l("A whole number is expected.")) from None
    filters = queries.JournalFilter(
        q=args.get("q") or None,
        kind=args.get("kind") or None,
        channel=args.get("channel") or None,
        state=args.get("state") or None,
        subdivision=args.get("subdivision") or None,
        date_from=_date(args.get("date_from"), "date_from"),
        date_to=_date(args.get("date_to"), "date_to"),
        overdue=args.get("overdue") in ("1", "true", True),
        from_reception=args.get("from_reception") in ("1", "true", True),
        today=get_calendar().local_now().date(),
    )
    query = queries.journal_query(filters, window=page * per_page + 1)
    rows = list(db.session.scalars(query.limit(per_page + 1).offset((page - 1) * per_page)))
    return jsonify(
        items=[item_json(i, full=False) for i in rows[:per_page]],
        page=page,
        per_page=per_page,
        has_next=len(rows) > per_page,
    )


@bp.route("/items/<public_id>/attachments", methods=["POST"])
@api_auth
def add_attachments(public_id: str):
    item = _item(public_id)
    files = _files()
    if not files:
        raise _field_error("files", FILES_PART)
    out = []
    for f in files:
        out.append(
            operations.attach(item, f.filename, f.stream, g.api_user, content_type=f.mimetype)
        )
    db.session.commit()
    jobs.schedule()
    return jsonify(attachments=[attachment_json(item, a) for a in out]), 201


@bp.route("/items/<public_id>/transitions/<transition_id>", methods=["POST"])
@api_auth
def fire_transition(public_id: str, transition_id: str):
    """Workflow actions (withdraw, return, …) as transitions: 403 / 409 / 422 on refusal."""
    item = _item(public_id)
    if transition_id not in REGISTRY_TRANSITIONS:
        # Routing actions have their own endpoints (they do more than change the state).
        raise ApiError(
            400, "unknown_transition", _l("Unknown action “%(name)s”.", name=transition_id)
        )
    payload = json_body()
    if not isinstance(payload.get("comment"), str | None):
        raise ApiError(422, "invalid_parameters", _l("The comment must be text."))
    operations.end_by_hand(
        item,
        transition_id,
        g.api_user,
        comment=payload.get("comment"),
        params=payload.get("params") or {},
    )
    db.session.commit()
    return jsonify(item_json(item))
