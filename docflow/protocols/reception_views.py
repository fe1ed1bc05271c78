"""Reception pages: sign-ups and their hearing, the session list and queue, minutes in and out."""

from __future__ import annotations

import contextlib
import datetime as dt
import io
import tempfile
from pathlib import Path

from flask import abort, flash, redirect, render_template, request, send_file, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required
from sqlalchemy import select

from docflow.core import access_log
from docflow.core.calendar import get_calendar
from docflow.core.security import Permission, has_permission
from docflow.core.views import require, run_write
from docflow.extensions import db
from docflow.org.models import Official, Subdivision
from docflow.protocols import minutes_ops
from docflow.protocols import operations as ops
from docflow.protocols import reception_flow as flow
from docflow.protocols.blueprint import bp
from docflow.protocols.models import PRIORITY_CATEGORIES, Minutes, ReceptionSession, SignUp
from docflow.protocols.workflow import SESSION, SIGNUP
from docflow.registry.models import IncomingItem, item_by_public_id

PRIORITY_TITLES = {  # R-RECV-5
    "war_veteran": _l("Great Patriotic War veterans and persons equal to them"),
    "combat_veteran": _l("Combat veterans"),
    "labour_veteran": _l("Labour veterans"),
    "disability": _l("Persons with disabilities"),
    "pregnant": _l("Pregnant women"),
    "state_award": _l("Holders of «Altyn Qyran», «Halyq qaharmany», «Qazaqstannyn Enbek Eri»"),
}


@bp.route("/")
@login_required
def overview():
    if not any(
        has_permission(current_user, p)
        for p in (Permission.MANAGE_RECEPTION, Permission.HOLD_RECEPTION, Permission.VIEW_REGISTRY)
    ):
        abort(403)
    signed = select(SignUp.item_id)
    waiting = db.session.scalars(
        select(IncomingItem)
        .where(
            IncomingItem.kind == "reception_request",
            IncomingItem.state == "registered",
            IncomingItem.id.not_in(signed),
        )
        .order_by(IncomingItem.id)
    ).all()
    today = get_calendar().local_now().date()
    signups = db.session.scalars(
        select(SignUp)
        .where(SignUp.state.in_(("pending", "proposed", "hearing", "included")))
        .order_by(SignUp.id)
    ).all()
    sessions = db.session.scalars(
        select(ReceptionSession)
        .where(ReceptionSession.date >= today)
        .order_by(ReceptionSession.date, ReceptionSession.start)
        .limit(30)
    ).all()
    minutes = db.session.scalars(select(Minutes).order_by(Minutes.id.desc()).limit(20)).all()
    return render_template(
        "protocols/overview.html",
        waiting=waiting,
        signups=signups,
        sessions=sessions,
        minutes=minutes,
        officials=db.session.scalars(select(Official).order_by(Official.id)).all(),
        priorities=PRIORITY_TITLES,
        items={
            i.id: i
            for i in db.session.scalars(
                select(IncomingItem).where(IncomingItem.id.in_([s.item_id for s in signups]))
            )
        },
        late_scans=minutes_ops.late_scans(today),
        can_manage=has_permission(current_user, Permission.MANAGE_RECEPTION),
        state_titles={**{k: v.title for k, v in SIGNUP.states.items()}},
    )


@bp.route("/signups", methods=["POST"])
@login_required
def create_signup():
    require(Permission.MANAGE_RECEPTION)
    item = item_by_public_id(request.form.get("item", ""))
    official = db.session.scalar(
        select(Official).where(Official.code == request.form.get("official", ""))
    )
    if item is None or official is None:
        flash(_("Choose the request and the official."), "error")
        return redirect(url_for("protocols.overview")), 303
    return run_write(
        lambda: ops.create_signup(
            item,
            official,
            current_user,
            priority=request.form.get("priority") or None,
            video=bool(request.form.get("video")),
            language=request.form.get("language") or None,
        ),
        success=_("Signed up for reception."),
        back=lambda s: (
            url_for("protocols.signup", signup_id=s.id)
            if s is not None and s.id
            else url_for("protocols.overview")
        ),
    )


def _signup_or_404(signup_id: int) -> SignUp:
    signup = db.session.get(SignUp, signup_id)
    if signup is None:
        abort(404)
    if not (
        has_permission(current_user, Permission.MANAGE_RECEPTION)
        or has_permission(current_user, Permission.VIEW_REGISTRY)
        or has_permission(current_user, Permission.HOLD_RECEPTION)
    ):
        abort(403)
    return signup


@bp.route("/signups/<int:signup_id>")
@login_required
def signup(signup_id: int):
    s = _signup_or_404(signup_id)
    item = db.session.get(IncomingItem, s.item_id)
    access_log.record("view", s, item=item)  # R-PD-1: who viewed what
    sessions = db.session.scalars(
        select(ReceptionSession)
        .where(
            ReceptionSession.official_id == s.official_id,
            ReceptionSession.state == "planned",
            ReceptionSession.date >= get_calendar().local_now().date(),
        )
        .order_by(ReceptionSession.date)
    ).all()
    from docflow.core.workflow import history

    return render_template(
        "protocols/signup.html",
        s=s,
        item=item,
        sessions=sessions,
        evidence=ops.refusal_evidence(s),
        grounds=ops.REFUSAL_GROUNDS,
        priorities=PRIORITY_TITLES,
        history=history(s),
        available={t.id for t in SIGNUP.available(s, current_user)},
        state=SIGNUP.states[s.state],
        note_due=ops.note_due,
    )


@bp.route("/signups/<int:signup_id>/<action>", methods=["POST"])
@login_required
def signup_action(signup_id: int, action: str):
    s = _signup_or_404(signup_id)
    require(Permission.MANAGE_RECEPTION)
    target = url_for("protocols.signup", signup_id=s.id)
    note = (request.form.get("note") or "").strip()
    if action == "propose_date":
        session = db.session.get(ReceptionSession, request.form.get("session", type=int) or 0)
        if session is None:
            flash(_("Choose the reception."), "error")
            return redirect(target), 303
        return run_write(
            lambda: ops.propose_date(s, session, current_user, note),
            success=_("The date is proposed."),
            back=target,
        )
    if action == "propose_refusal":
        evidence = (
            item_by_public_id(request.form.get("evidence", ""))
            if request.form.get("evidence")
            else None
        )
        return run_write(
            lambda: ops.propose_refusal(
                s, current_user, ground=request.form.get("ground", ""), note=note, evidence=evidence
            ),
            success=_("The draft refusal is recorded; send it to the applicant for the hearing."),
            back=target,
        )
    if action == "objection":
        return run_write(
            lambda: ops.record_objection(s, current_user, note),
            success=_("The objection is recorded."),
            back=target,
        )
    if action == "refuse":
        return run_write(
            lambda: ops.refuse(s, current_user),
            success=_("The reception is refused."),
            back=target,
        )
    if action == "reschedule":
        return run_write(
            lambda: ops.reschedule(s, current_user, note),
            success=_("Back to scheduling."),
            back=target,
        )
    abort(404)


def _session_or_404(session_id: int) -> ReceptionSession:
    session = db.session.get(ReceptionSession, session_id)
    if session is None:
        abort(404)
    if not (
        has_permission(current_user, Permission.MANAGE_RECEPTION)
        or has_permission(current_user, Permission.HOLD_RECEPTION)
        or has_permission(current_user, Permission.VIEW_REGISTRY)
    ):
        abort(403)
    return session


@bp.route("/sessions/<int:session_id>")
@login_required
def session(session_id: int):
    from docflow.protocols.flow_views import session_page_context

    s = _session_or_404(session_id)
    access_log.record("view", s)  # R-PD-1: the queue names the applicants
    items = {
        i.id: i
        for i in db.session.scalars(
            select(IncomingItem).where(IncomingItem.id.in_([x.item_id for x in s.signups]))
        )
    }
    subdivisions = db.session.scalars(
        select(Subdivision).order_by(Subdivision.kind, Subdivision.code)
    ).all()
    return render_template(
        "protocols/session.html",
        subdivisions=subdivisions,
        s=s,
        queue=ops.queue(s),
        proposed=[x for x in s.signups if x.state == "proposed"],
        items=items,
        priorities=PRIORITY_TITLES,
        state=SESSION.states[s.state],
        can_manage=has_permission(current_user, Permission.MANAGE_RECEPTION),
        note_due=ops.note_due(s),
        **session_page_context(s),
    )


@bp.route("/sessions/<int:session_id>/participants", methods=["POST"])
@login_required
def participants(session_id: int):
    s = _session_or_404(session_id)
    require(Permission.MANAGE_RECEPTION)
    lines = (request.form.get("participants") or "").splitlines()
    return run_write(
        lambda: ops.set_participants(s, current_user, lines),
        success=_("The participants are recorded."),
        back=url_for("protocols.session", session_id=s.id),
    )


@bp.route("/sessions/<int:session_id>/list", methods=["POST"])
@login_required
def distribute_list(session_id: int):
    s = _session_or_404(session_id)
    require(Permission.MANAGE_RECEPTION)  # also when nothing is proposed yet
    return run_write(
        lambda: ops.distribute_list(s, current_user),
        success=_("The list is made, in order, with the times."),
        back=url_for("protocols.session", session_id=s.id),
    )


@bp.route("/sessions/<int:session_id>/visit/<int:signup_id>", methods=["POST"])
@login_required
def visit(session_id: int, signup_id: int):
    s = _session_or_404(session_id)
    require(Permission.MANAGE_RECEPTION)
    signup = db.session.get(SignUp, signup_id)
    if signup is None or signup.session_id != s.id:
        abort(404)
    due = None
    if request.form.get("due"):
        try:
            due = dt.date.fromisoformat(request.form["due"])
        except ValueError:
            flash(_("The term is not a date."), "error")
            return redirect(url_for("protocols.session", session_id=s.id)), 303
    return run_write(
        lambda: ops.record_visit(
            signup,
            current_user,
            came=request.form.get("came") == "1",
            oral_questions=request.form.get("oral") or None,
            outcome=request.form.get("outcome") or None,
            language=request.form.get("language") or None,
            executors=[c for c in request.form.getlist("executors") if c],
            due=due,
            explained=bool(request.form.get("explained")),
            identity_document=request.form.get("identity_document"),
            executor_users=[u for u in request.form.getlist("employees") if u],
        ),
        success=_("Recorded."),
        back=url_for("protocols.session", session_id=s.id),
    )


@bp.route("/sessions/<int:session_id>/minutes.docx")
@login_required
def minutes_out(session_id: int):
    """Minutes of the reception generated from the visits (R-PROT-1), in kk or ru."""
    s = _session_or_404(session_id)
    access_log.record("download", s)  # R-PD-1
    lang = request.args.get("lang", "ru") if request.args.get("lang") in ("kk", "ru") else "ru"
    from docflow.protocols.minutes_out import render_minutes

    data = render_minutes(ops.minutes_data_for_session(s, lang), lang)
    return send_file(
        io.BytesIO(data),
        as_attachment=True,
        download_name=f"minutes-{s.date.isoformat()}-{lang}.docx",
        mimetype="application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    )


@bp.route("/minutes/upload", methods=["GET", "POST"])
@login_required
def minutes_upload():
    require(Permission.MANAGE_RECEPTION)
    # The minutes of a reception belong to it: uploaded from its page, they carry its id.
    for_session = db.session.get(ReceptionSession, request.values.get("session", type=int) or 0)
    if request.method == "GET":
        return render_template("protocols/minutes_upload.html", for_session=for_session)
    f = request.files.get("file")
    if f is None or not f.filename:
        flash(_("Choose the DOCX file of the minutes."), "error")
        return render_template("protocols/minutes_upload.html", for_session=for_session), 400
    from docflow.protocols.minutes import MinutesError

    data = f.read()
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "minutes.docx"
        path.write_bytes(data)
        try:
            parsed = minutes_ops.parse_upload(path)
        except MinutesError as exc:
            flash(_minutes_error(exc), "error")
            return render_template("protocols/minutes_upload.html", for_session=for_session), 422
    return run_write(
        lambda: minutes_ops.store_minutes(
            current_user,
            filename=f.filename,
            stream=io.BytesIO(data),
            parsed=parsed,
            session=for_session,
        ),
        success=None,
        back=lambda minutes: (
            url_for("protocols.minutes", minutes_id=minutes.id)
            if minutes is not None
            else url_for("protocols.minutes_upload")
        ),
    )


def _minutes_error(exc) -> str:
    messages = {
        "not_docx": _("The file is not a DOCX document."),
        "corrupt": _("The DOCX file is damaged and cannot be read."),
        "unsafe": _(
            "The file looks unsafe (a compression bomb or external references) and was not opened."
        ),
        "empty": _("The document is empty."),
        "not_minutes": _("No minutes found in this document: no number, date or numbered items."),
    }
    return messages.get(getattr(exc, "code", ""), str(exc))


# The parser's problems by code, in the user's language (its own messages are English details).
MINUTES_PROBLEMS = {
    "no_decision": _l("No decision or assignment is written for this item."),
    "no_executor": _l("No executor is named: choose the executor."),
    "executor_uncertain": _l("An executor was matched with low certainty: check it."),
    "executor_unmatched": _l("An executor named in the minutes was not recognised: choose it."),
    "no_term": _l("No term is written: give the term."),
    "term_unreadable": _l("The term could not be read: give the term."),
    "invalid_identifier": _l("The IIN or BIN in the minutes is not valid: check it."),
}


def _minutes_or_404(minutes_id: int) -> Minutes:
    minutes = db.session.get(Minutes, minutes_id)
    if minutes is None:
        abort(404)
    if not (
        has_permission(current_user, Permission.MANAGE_RECEPTION)
        or has_permission(current_user, Permission.VIEW_REGISTRY)
    ):
        abort(403)
    return minutes


@bp.route("/minutes/<int:minutes_id>", methods=["GET", "POST"])
@login_required
def minutes(minutes_id: int):
    m = _minutes_or_404(minutes_id)
    subdivisions = db.session.scalars(
        select(Subdivision).order_by(Subdivision.kind, Subdivision.code)
    ).all()
    if request.method == "POST":
        require(Permission.MANAGE_RECEPTION)
        inputs = minutes_ops.assignments_input_from(m.parsed)
        chosen = []
        for a in inputs:
            if request.form.get(f"skip-{a.number}"):
                continue
            a.executors = [c for c in request.form.getlist(f"executors-{a.number}") if c]
            a.executor_users = [u for u in request.form.getlist(f"employees-{a.number}") if u]
            due = request.form.get(f"due-{a.number}")
            try:
                a.due = dt.date.fromisoformat(due) if due else None
            except ValueError:
                a.due = None
            chosen.append(a)
        if request.form.get("date"):
            with contextlib.suppress(ValueError):
                m.date = dt.date.fromisoformat(request.form["date"])
        return run_write(
            lambda: minutes_ops.confirm_minutes(
                m,
                current_user,
                chosen,
                overdue_confirmed=bool(request.form.get("overdue_confirmed")),
            ),
            success=_(
                "The minutes are confirmed: %(n)d assignment(s) sent to the executors and put on control.",
                n=len(chosen),
            ),
            back=url_for("protocols.minutes", minutes_id=m.id),
        )
    access_log.record("view", m)  # R-PD-1: the minutes name the applicants, with IINs
    rows = minutes_ops.assignments_for(minutes=m) if m.status == "confirmed" else []
    from docflow.routing.operations import subdivision_staff

    staff = {
        sub.code: subdivision_staff(sub)
        for sub in subdivisions
        if sub.kind in ("department", "district")
    }
    items = {
        i.id: i
        for i in db.session.scalars(
            select(IncomingItem).where(IncomingItem.id.in_([r.item_id for r in rows]))
        )
    }
    return render_template(
        "protocols/minutes.html",
        problem_titles=MINUTES_PROBLEMS,
        staff=staff,
        m=m,
        subdivisions=subdivisions,
        rows=rows,
        items=items,
        today=get_calendar().local_now().date(),
        late={p.id for p in minutes_ops.late_scans()},
        can_manage=has_permission(current_user, Permission.MANAGE_RECEPTION),
        priorities=PRIORITY_CATEGORIES,
        overdue=flow.overdue_terms(m),
    )


@bp.route("/assignments")
@login_required
def assignments():
    """Protocol assignments per executor, with terms and overdue marks (R-PROT-2)."""
    require(Permission.VIEW_REGISTRY)
    code = request.args.get("executor") or None
    rows = minutes_ops.assignments_for(executor_code=code)
    items = {
        i.id: i
        for i in db.session.scalars(
            select(IncomingItem).where(IncomingItem.id.in_([r.item_id for r in rows]))
        )
    }
    subdivisions = db.session.scalars(select(Subdivision).order_by(Subdivision.code)).all()
    return render_template(
        "protocols/assignments.html",
        rows=rows,
        items=items,
        code=code,
        subdivisions=subdivisions,
        today=get_calendar().local_now().date(),
        late={p.id for p in minutes_ops.late_scans()},
    )
