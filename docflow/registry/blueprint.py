"""Records-office pages: journal, registration, item page, files, slips, export."""

from __future__ import annotations

import datetime as dt
import io

from flask import (
    Blueprint,
    abort,
    flash,
    jsonify,
    redirect,
    render_template,
    request,
    send_file,
    url_for,
)
from flask_babel import gettext as _
from flask_login import current_user, login_required
from sqlalchemy import select

from docflow.core import access_log, audit, saved_search
from docflow.core.calendar import get_calendar
from docflow.core.security import Permission, has_permission
from docflow.core.views import require
from docflow.core.workflow import history
from docflow.extensions import db
from docflow.org.models import Subdivision
from docflow.registry import arrival, jobs, operations, queries, staged_uploads
from docflow.registry.arrival import ArrivalReasonRequired
from docflow.registry.duplicates import LikelyDuplicate
from docflow.registry.forms import (
    AnnotateForm,
    JournalFilterForm,
    LinkForm,
    RegistrationForm,
    SupplyForm,
    TransitionForm,
    UploadForm,
    applicant_data,
    choices,
)
from docflow.registry.models import Attachment, IncomingItem, item_by_public_id
from docflow.registry.operations import ApplicantData, RegistrationData, RegistrationError
from docflow.registry.repeats import find_candidates
from docflow.registry.vocab import (
    APPLICANT_TYPES,
    CHANNELS,
    EXTRACTION_ERRORS,
    KINDS,
    REQUIRED_DETAILS,
)
from docflow.registry.workflow import INCOMING

bp = Blueprint("registry", __name__, url_prefix="/registry")
# Other domains add sections to the item page: callables (item, user) -> (template, context) | None.
ITEM_PANELS: list = []
PAGE_SIZE = 50
MANUAL_TRANSITIONS = operations.MANUAL_TRANSITIONS


@bp.context_processor
def _helpers() -> dict:
    def extraction_error(att: Attachment) -> str:
        return str(
            EXTRACTION_ERRORS.get(att.extraction_error_code or "", att.extraction_error or "")
        )

    def workflow_title(transition_id: str) -> str:
        t = INCOMING.transitions.get(transition_id)
        return (
            str(t.title) if t else (_("Registered") if transition_id == "create" else transition_id)
        )

    return {
        "extraction_error": extraction_error,
        "workflow_title": workflow_title,
        "link_kinds": operations.LINK_KINDS,
        "term_length": arrival.term_length,  # the real term, not the kind's standard one
    }


def _item_or_404(public_id: str) -> IncomingItem:
    item = item_by_public_id(public_id)
    if item is None:
        abort(404)
    require(Permission.VIEW, item)
    return item


def _filters_from(form: JournalFilterForm) -> queries.JournalFilter:
    return queries.JournalFilter(
        q=form.q.data or None,
        kind=form.kind.data or None,
        channel=form.channel.data or None,
        state=form.state.data or None,
        subdivision=form.subdivision.data or None,
        date_from=form.date_from.data,
        date_to=form.date_to.data,
        overdue=bool(form.overdue.data),
        from_reception=bool(form.from_reception.data),
        today=get_calendar().local_now().date(),
    )


def _journal_form() -> tuple[JournalFilterForm, saved_search.Search]:
    """The filters of the request and the arguments links carry (R-PD-1: no IIN in a URL)."""
    found = saved_search.from_request(request.args, current_user.id)
    if found.refused:
        flash(
            _("Search by IIN or BIN with the search form: the number is not put in the address."),
            "error",
        )
    elif found.expired:
        flash(_("This search has expired: search again."), "info")
    form = JournalFilterForm(found.params)
    form.state.choices = choices({s.id: s.title for s in INCOMING.states.values()}, _("Any"))
    subs = db.session.scalars(select(Subdivision).order_by(Subdivision.code))
    form.subdivision.choices = choices({s.code: f"{s.code} — {s.name}" for s in subs}, _("Any"))
    form.validate()
    return form, found


@bp.route("/search", methods=["POST"])
@login_required
def search():
    """The journal's search form posts here; an IIN/BIN is kept server-side, never in the URL."""
    require(Permission.VIEW_REGISTRY)
    args = saved_search.url_args(request.form, current_user.id)
    db.session.commit()
    return redirect(url_for("registry.journal", **args)), 303


@bp.route("/")
@login_required
def journal():
    require(Permission.VIEW_REGISTRY)
    form, found = _journal_form()
    if found.refused:  # an IIN typed into the URL: off the address bar, masked (R-PD-1)
        return redirect(url_for("registry.journal", **found.link_args)), 303
    args = found.link_args
    filters = _filters_from(form)
    page = max(1, request.args.get("page", 1, type=int))
    query = queries.journal_query(filters, window=page * PAGE_SIZE + 1)
    items = list(db.session.scalars(query.limit(PAGE_SIZE + 1).offset((page - 1) * PAGE_SIZE)))
    has_next = len(items) > PAGE_SIZE
    return render_template(
        "registry/journal.html",
        form=form,
        items=items[:PAGE_SIZE],
        page=page,
        has_next=has_next,
        args=args,
        today=filters.today,
        kinds=KINDS,
        channels=CHANNELS,
        states=INCOMING.states,
    )


@bp.route("/export.xlsx")
@login_required
def export():
    require(Permission.VIEW_REGISTRY)
    from docflow.registry.export import journal_xlsx

    form, _found = _journal_form()
    filters = _filters_from(form)
    if not (filters.date_from and filters.date_to):
        flash(_("Choose the period (from and to) to export."), "error")
        return redirect(url_for("registry.journal", **request.args))
    if (filters.date_to - filters.date_from).days > 366:
        flash(_("Export at most one year at a time."), "error")
        return redirect(url_for("registry.journal", **request.args))
    items = db.session.scalars(queries.journal_query(filters)).all()
    data = journal_xlsx(items, filters)
    audit.record(
        "export",
        object_type="journal",
        summary={"rows": len(items), "from": filters.date_from, "to": filters.date_to},
    )
    db.session.commit()
    name = f"journal-{filters.date_from.isoformat()}-{filters.date_to.isoformat()}.xlsx"
    return send_file(
        io.BytesIO(data),
        mimetype="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        as_attachment=True,
        download_name=name,
    )


def _registration_data(form: RegistrationForm) -> RegistrationData:
    tz = get_calendar().tz
    arrived = form.arrived_at.data
    applicants = []
    if not form.anonymous.data:
        for sub in form.applicants:
            a = sub.form
            values = [
                a.full_name.data,
                a.iin.data,
                a.organisation_name.data,
                a.bin.data,
                a.address.data,
            ]
            if not any((v or "").strip() for v in values):
                continue
            applicants.append(applicant_data(a))
    links = []
    if form.link_to.data:
        target = item_by_public_id(form.link_to.data)
        if target is not None:
            links.append((target.public_id, form.link_kind.data))
    return RegistrationData(
        kind=form.kind.data,
        channel=form.channel.data,
        applicants=applicants,
        addressee=form.addressee.data,
        summary=form.summary.data or "",
        language=form.language.data,
        arrived_at=arrived.replace(tzinfo=tz).astimezone(dt.UTC) if arrived else None,
        external_number=form.external_number.data,
        external_date=form.external_date.data,
        page_count=form.page_count.data,
        from_reception=bool(form.from_reception.data),
        from_meeting=bool(form.from_meeting.data),
        anonymous=bool(form.anonymous.data),
        signed=bool(form.signed.data),
        idempotency_key=f"form:{current_user.id}:{form.token.data}" if form.token.data else None,
        link_to=links,
        arrival_reason=form.arrival_reason.data or None,
        ask_arrival_reason=True,
        ask_duplicate=True,
        confirm_duplicate=bool(form.confirm_duplicate.data),
    )


@bp.route("/new", methods=["GET", "POST"])
@login_required
def register():
    require(Permission.REGISTER)
    form = RegistrationForm()
    errors: dict[str, str] = {}
    duplicate = None
    if request.method == "GET" and request.args.get("same_applicant_as"):
        _prefill_from(form, request.args["same_applicant_as"], request.args.get("channel"))
    uploads = [f for f in form.files.data or [] if f and f.filename]
    if request.method == "POST" and form.validate():
        data = _registration_data(form)
        try:
            item = operations.register(data, current_user)
        except LikelyDuplicate as exc:  # asks first: the earlier one named, "register anyway"
            db.session.rollback()
            duplicate, errors = exc.earlier, {"confirm_duplicate": exc.readable()}
        except (RegistrationError, ArrivalReasonRequired) as exc:
            db.session.rollback()
            errors = exc.fields
        else:
            kept = staged_uploads.files(form.staged.data, current_user.id)
            # R-REG-1: a bad file never costs the registration; it is reported and can be re-attached.
            refused = _attach_each(item, uploads) + _attach_staged(item, kept)
            db.session.commit()
            staged_uploads.release(form.staged.data, current_user.id)
            if len(refused) < len(uploads) + len(kept):
                jobs.schedule()
            flash(_("Registered under number %(number)s.", number=item.reg_number), "info")
            for message in [*arrival.registered_messages(item), *refused]:
                flash(message, "error" if message in refused else "info")
            return redirect(url_for("registry.item", public_id=item.public_id, registered=1))
    elif request.method == "POST":
        errors = {name: "; ".join(map(str, errs)) for name, errs in form.errors.items()}
    kept_files, not_kept = [], []
    if request.method == "POST":  # an error: the chosen files stay, nothing is chosen twice
        form.staged.data, kept_files = staged_uploads.stage(
            uploads, current_user.id, form.staged.data
        )
        kept_names = [f.filename for f in kept_files]
        not_kept = [f.filename for f in uploads if f.filename not in kept_names]
    status = 422 if errors else 200
    return render_template(
        "registry/register.html",
        form=form,
        errors=errors,
        applicant_types=APPLICANT_TYPES,
        duplicate=duplicate,
        kept_files=kept_files,
        not_kept=not_kept,
        today=get_calendar().local_now().date().isoformat(),
    ), status


def _attach_staged(item: IncomingItem, kept: list) -> list[str]:
    """Attach the files kept from an earlier submission of the form, each on its own."""
    refused = []
    for f in kept:
        try:
            with db.session.begin_nested(), f.open() as stream:
                operations.attach(
                    item, f.filename, stream, current_user, content_type=f.content_type
                )
        except RegistrationError as exc:
            refused.append("; ".join(exc.errors.values()))
    return refused


def _prefill_from(form: RegistrationForm, public_id: str, channel: str | None) -> None:
    """A new appeal of the same applicant (e.g. handed in at a personal reception): the
    applicant is copied server-side, so no identifier travels in the URL (R-PD-1), and the new
    item is linked to that case (R-ROUTE-4 sees the link)."""
    source = item_by_public_id(public_id)
    if source is None or not has_permission(current_user, Permission.VIEW, source):
        return
    for i, a in enumerate(source.applicants[:1]):
        sub = form.applicants[i].form
        sub.type.data, sub.full_name.data, sub.iin.data = a.type, a.full_name, a.iin
        sub.organisation_name.data, sub.bin.data, sub.address.data = (
            a.organisation_name,
            a.bin,
            a.address,
        )
        sub.phone.data, sub.email.data = a.phone, a.email
    form.language.data = source.language or form.language.data
    if channel == "reception":
        form.channel.data, form.from_reception.data = "reception", True
        form.link_kind.data = "reception_same_question"
    form.addressee.data = source.addressee
    form.link_to.data = source.public_id


def _attach_each(item: IncomingItem, files: list) -> list[str]:
    """Store each file on its own (savepoint): a refused one does not take the others down."""
    refused = []
    for f in files:
        try:
            with db.session.begin_nested():
                operations.attach(item, f.filename, f.stream, current_user, content_type=f.mimetype)
        except RegistrationError as exc:
            refused.append("; ".join(exc.errors.values()))
    return refused


@bp.route("/repeats", methods=["POST"])
@login_required
def repeats():
    """Earlier items of the same applicant (POST: identifiers stay out of URLs, R-PD-1)."""
    require(Permission.REGISTER)
    payload = request.get_json(silent=True) or {}
    applicant = ApplicantData(
        type=str(payload.get("type") or "individual"),
        full_name=str(payload.get("full_name") or "")[:300] or None,
        iin=str(payload.get("iin") or "").strip()[:12] or None,
        organisation_name=str(payload.get("organisation_name") or "")[:300] or None,
        bin=str(payload.get("bin") or "").strip()[:12] or None,
        address=str(payload.get("address") or "")[:500] or None,
    )
    found = find_candidates([applicant], str(payload.get("summary") or "")[:20000])
    return jsonify(
        candidates=[
            {
                "public_id": c.item.public_id,
                "reg_number": c.item.reg_number,
                "date": c.item.registration_date.isoformat(),
                "summary": c.item.summary[:200],
                "state": str(INCOMING.states[c.item.state].title),
                "similar": c.similar,
                "score": round(c.score, 2),
                "url": url_for("registry.item", public_id=c.item.public_id),
            }
            for c in found
        ]
    )


@bp.route("/<public_id>")
@login_required
def item(public_id: str):
    item = _item_or_404(public_id)
    access_log.record("view", item)  # R-PD-1: who viewed what
    transitions = [t for t in INCOMING.available(item, current_user) if t.id in MANUAL_TRANSITIONS]
    can_modify = has_permission(current_user, Permission.MODIFY, item)
    candidates = (
        find_candidates(item.applicants, item.summary, exclude_id=item.id) if can_modify else []
    )
    panels = [p for p in (panel(item, current_user) for panel in ITEM_PANELS) if p is not None]
    return render_template(
        "registry/item.html",
        panels=panels,
        item=item,
        history=history(item),
        annotations=sorted(_annotations(item), key=lambda a: a.id),
        links=operations.linked_cases(item),
        candidates=candidates,
        transitions=transitions,
        can_modify=can_modify,
        upload_form=UploadForm(),
        transition_form=TransitionForm(),
        link_form=LinkForm(),
        annotate_form=AnnotateForm(),
        supply_form=SupplyForm(),
        kinds=KINDS,
        channels=CHANNELS,
        applicant_types=APPLICANT_TYPES,
        required_details=REQUIRED_DETAILS,
        state=INCOMING.states[item.state],
        just_registered=request.args.get("registered") == "1",
    )


def _annotations(item: IncomingItem):
    from docflow.registry.models import Annotation

    return db.session.scalars(select(Annotation).where(Annotation.item_id == item.id)).all()
