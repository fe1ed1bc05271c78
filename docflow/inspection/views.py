"""Inspection pages (R-AUDIT-1): the list, a new inspection, an inspection with its runs, a run's
findings grouped by code and subdivision with filters, a finding's evidence, the sample's
checklist, the report downloads. Remediation pages: :mod:`docflow.inspection.views_remediation`.

Only inspectors (the ``inspect`` permission) see these pages; what they write is the
inspection's own records — never a case.
"""

from __future__ import annotations

import io

from flask import Blueprint, abort, flash, redirect, render_template, request, send_file, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from sqlalchemy import select
from wtforms.fields.choices import SelectChoice

from docflow.core import audit
from docflow.core.security import Permission
from docflow.core.views import require, run_write
from docflow.extensions import db
from docflow.inspection import operations as ops
from docflow.inspection import sample as sampling
from docflow.inspection.forms import (
    ActionForm,
    ChecklistForm,
    FindingFilterForm,
    InspectionForm,
    OwnFindingForm,
    RemediationForm,
    SampleForm,
    TextsForm,
)
from docflow.inspection.models import (
    CHECKLIST,
    CHECKLIST_ANSWERS,
    FINDING_STATUSES,
    MANUAL_CODE,
    SEVERITIES,
    Inspection,
    InspectionSample,
    finding_by_public_id,
    inspection_by_public_id,
    task_for_finding,
)
from docflow.inspection.report import LANGUAGES, build_report, check_title
from docflow.inspection.workflow import INSPECTION
from docflow.org.models import Subdivision

bp = Blueprint("inspection", __name__, url_prefix="/inspections")
P = Permission

FORMATS = {
    "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "pdf": "application/pdf",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}


def _inspection_or_404(public_id: str) -> Inspection:
    require(P.INSPECT)
    inspection = inspection_by_public_id(public_id)
    if inspection is None:
        abort(404)
    return inspection


def _subdivisions() -> list[Subdivision]:
    return list(
        db.session.scalars(
            select(Subdivision).where(Subdivision.active.is_(True)).order_by(Subdivision.code)
        )
    )


def _back(inspection: Inspection) -> str:
    return url_for("inspection.show", public_id=inspection.public_id)


def _form_error(form) -> None:
    errors = [f"{form[name].label.text}: {'; '.join(msgs)}" for name, msgs in form.errors.items()]
    flash("; ".join(errors) or _("Check the form."), "error")


@bp.app_context_processor
def _helpers() -> dict:
    return {"check_title": ui_check_title}


def ui_check_title(code: str) -> str:
    """A check's title in the UI language."""
    from flask_babel import get_locale

    if code == MANUAL_CODE:
        return _("The inspector's own finding")
    return check_title(code, str(get_locale() or "kk"))


# --- the list and a new inspection ----------------------------------------------------------------


@bp.route("/")
@login_required
def index():
    require(P.INSPECT)
    return render_template(
        "inspection/index.html", inspections=ops.list_inspections(), states=INSPECTION.states
    )


@bp.route("/new", methods=["GET", "POST"])
@login_required
def new():
    require(P.INSPECT)
    form = InspectionForm()
    subdivisions = _subdivisions()
    form.subdivisions.choices = [
        SelectChoice(s.code, f"{s.code} — {s.name}") for s in subdivisions if s.kind != "district"
    ]
    form.districts.choices = [
        SelectChoice(s.code, f"{s.code} — {s.name}") for s in subdivisions if s.kind == "district"
    ]

    def again(_exc=None):
        return render_template("inspection/new.html", form=form), 422

    if request.method == "GET":
        return render_template("inspection/new.html", form=form)
    if not form.validate_on_submit():
        _form_error(form)
        return again()
    return run_write(
        lambda: ops.create_inspection(
            current_user,
            title=form.title.data,
            date_from=form.date_from.data,
            date_to=form.date_to.data,
            as_of=form.as_of.data,
            subdivisions=form.subdivisions.data or [],
            districts=form.districts.data or [],
        ),
        success=_("The inspection is created. Run the automatic checks."),
        back=lambda i: url_for("inspection.show", public_id=i.public_id),
        failure=again,
    )


# --- one inspection ---------------------------------------------------------------------------------


@bp.route("/<public_id>")
@login_required
def show(public_id: str):
    inspection = _inspection_or_404(public_id)
    own = OwnFindingForm()
    own.subdivision_code.choices = [SelectChoice("", "—")] + [
        SelectChoice(s.code, f"{s.code} — {s.name}") for s in _subdivisions()
    ]
    texts = TextsForm(data={"remarks": inspection.remarks, "proposals": inspection.proposals})
    rows = sampling.sample_of(inspection)
    return render_template(
        "inspection/show.html",
        inspection=inspection,
        state=INSPECTION.states[inspection.state],
        open=inspection.state != "closed",
        action_form=ActionForm(),
        own_form=own,
        texts_form=texts,
        manual=ops.findings_of(inspection, None, manual=True),
        sample_count=len(rows),
        sample_read=sum(1 for s in rows if s.checked),
        languages=LANGUAGES,
        statuses=FINDING_STATUSES,
        severities=SEVERITIES,
    )


@bp.route("/<public_id>/run", methods=["POST"])
@login_required
def run(public_id: str):
    inspection = _inspection_or_404(public_id)
    if not ActionForm().validate_on_submit():
        abort(400)
    return run_write(
        lambda: ops.run_inspection(inspection, current_user),
        success=lambda r: _(
            "Run %(n)d: %(checked)d cases checked, %(count)d findings.",
            n=r.number,
            checked=r.checked,
            count=r.finding_count,
        ),
        back=lambda r: (
            url_for("inspection.run_findings", public_id=public_id, number=r.number)
            if r
            else _back(inspection)
        ),
    )


@bp.route("/<public_id>/close", methods=["POST"])
@login_required
def close(public_id: str):
    inspection = _inspection_or_404(public_id)
    if not ActionForm().validate_on_submit():
        abort(400)
    return run_write(
        lambda: ops.close_inspection(inspection, current_user),
        success=_("The inspection is closed."),
        back=_back(inspection),
    )


@bp.route("/<public_id>/texts", methods=["POST"])
@login_required
def texts(public_id: str):
    inspection = _inspection_or_404(public_id)
    form = TextsForm()
    if not form.validate_on_submit():
        _form_error(form)
        return redirect(_back(inspection)), 303
    return run_write(
        lambda: ops.save_texts(
            inspection, current_user, remarks=form.remarks.data, proposals=form.proposals.data
        ),
        success=_("Remarks and proposals are saved."),
        back=_back(inspection),
    )


@bp.route("/<public_id>/findings", methods=["POST"])
@login_required
def add_finding(public_id: str):
    inspection = _inspection_or_404(public_id)
    form = OwnFindingForm()
    if not form.validate_on_submit():
        _form_error(form)
        return redirect(_back(inspection)), 303
    return run_write(
        lambda: ops.add_finding(
            inspection,
            current_user,
            evidence=form.evidence.data,
            rule=form.rule.data,
            severity=form.severity.data,
            reg_number=form.reg_number.data or None,
            subdivision_code=form.subdivision_code.data or None,
        ),
        success=_("Your finding is recorded."),
        back=_back(inspection),
    )


# --- a run's findings ------------------------------------------------------------------------------


@bp.route("/<public_id>/runs/<int:number>")
@login_required
def run_findings(public_id: str, number: int):
    inspection = _inspection_or_404(public_id)
    found_run = ops.run_by_number(inspection, number)
    if found_run is None:
        abort(404)
    everything = ops.findings_of(inspection, found_run)
    form = FindingFilterForm(request.args)
    form.code.choices = [SelectChoice("", _("Any"))] + [
        SelectChoice(c, c) for c in sorted({f.code for f in everything})
    ]
    form.subdivision.choices = [SelectChoice("", _("Any"))] + [
        SelectChoice(s, s) for s in sorted({f.subdivision_code or "" for f in everything} - {""})
    ]
    shown = ops.findings_of(
        inspection,
        found_run,
        code=form.code.data or None,
        subdivision=form.subdivision.data or None,
        severity=form.severity.data or None,
        status=form.status.data or None,
    )
    groups: dict[str, dict[str, list]] = {}
    for f in shown:
        groups.setdefault(f.code, {}).setdefault(f.subdivision_code or "—", []).append(f)
    return render_template(
        "inspection/run.html",
        inspection=inspection,
        run=found_run,
        form=form,
        groups=groups,
        shown=len(shown),
        total=len(everything),
        rechecked=ops.rechecked_by(found_run),
        statuses=FINDING_STATUSES,
        severities=SEVERITIES,
    )


@bp.route("/findings/<public_id>")
@login_required
def finding(public_id: str):
    require(P.INSPECT)
    f = finding_by_public_id(public_id)
    if f is None:
        abort(404)
    task = task_for_finding(f.id)
    return render_template(
        "inspection/finding.html",
        f=f,
        inspection=f.inspection,
        task=task,
        form=RemediationForm() if task is None and f.subdivision_code else None,
        statuses=FINDING_STATUSES,
        severities=SEVERITIES,
    )


# --- the sample --------------------------------------------------------------------------------------


@bp.route("/<public_id>/sample", methods=["GET", "POST"])
@login_required
def sample(public_id: str):
    inspection = _inspection_or_404(public_id)
    form = SampleForm(data={"size": inspection.sample_size or 10})
    if request.method == "POST":
        form = SampleForm()
        if not form.validate_on_submit():
            _form_error(form)
            return redirect(url_for("inspection.sample", public_id=public_id)), 303
        return run_write(
            lambda: sampling.draw_sample(
                inspection, current_user, size=form.size.data, seed=form.seed.data
            ),
            success=lambda rows: _("%(n)d cases drawn.", n=len(rows)),
            back=url_for("inspection.sample", public_id=public_id),
        )
    rows = sampling.sample_of(inspection)
    return render_template(
        "inspection/sample.html",
        inspection=inspection,
        open=inspection.state != "closed",
        form=form,
        rows=rows,
        forms={s.id: ChecklistForm(data=s.answers() | {"remarks": s.remarks}) for s in rows},
        checklist=CHECKLIST,
        answers=CHECKLIST_ANSWERS,
        summary=sampling.sample_summary(rows),
    )


@bp.route("/<public_id>/sample/<int:sample_id>", methods=["POST"])
@login_required
def checklist(public_id: str, sample_id: int):
    inspection = _inspection_or_404(public_id)
    row = db.session.get(InspectionSample, sample_id)
    if row is None or row.inspection_id != inspection.id:
        abort(404)
    back = url_for("inspection.sample", public_id=public_id) + f"#case-{row.id}"
    form = ChecklistForm()
    if not form.validate_on_submit():
        _form_error(form)
        return redirect(back), 303
    answers = {name: form[name].data for name in CHECKLIST}
    return run_write(
        lambda: sampling.record_checklist(row, current_user, answers, form.remarks.data or ""),
        success=_("The checklist of %(number)s is saved.", number=row.item.reg_number),
        back=back,
    )


# --- the report ----------------------------------------------------------------------------------------


@bp.route("/<public_id>/report.<fmt>")
@login_required
def report(public_id: str, fmt: str):
    inspection = _inspection_or_404(public_id)
    if fmt not in FORMATS:
        abort(404)
    lang = request.args.get("lang", "kk")
    if lang not in LANGUAGES:
        abort(400)
    selected = None
    if request.args.get("run"):
        selected = ops.run_by_number(inspection, request.args.get("run", type=int) or 0)
        if selected is None:
            abort(404)
    data = build_report(inspection, lang, selected)
    if fmt == "docx":
        from docflow.inspection.report_docx import report_docx as write
    elif fmt == "pdf":
        from docflow.inspection.report_pdf import report_pdf as write
    else:
        from docflow.inspection.report_xlsx import findings_xlsx as write
    content = write(data)
    audit.record(
        "export",
        inspection,
        summary={"format": fmt, "lang": lang, "run": data.run.number if data.run else None},
    )
    db.session.commit()
    name = f"inspection-{inspection.public_id[:8]}-{lang}.{fmt}"
    return send_file(
        io.BytesIO(content), mimetype=FORMATS[fmt], as_attachment=True, download_name=name
    )


@bp.route("/findings/<public_id>/remediation", methods=["POST"])
@login_required
def send_remediation(public_id: str):
    from docflow.inspection import remediation

    require(P.INSPECT)
    f = finding_by_public_id(public_id)
    if f is None:
        abort(404)
    back = url_for("inspection.finding", public_id=public_id)
    form = RemediationForm()
    if not form.validate_on_submit():
        _form_error(form)
        return redirect(back), 303
    return run_write(
        lambda: remediation.send_for_remediation(
            f, current_user, term=form.term.data, instruction=form.instruction.data or ""
        ),
        success=_("The finding is sent to the head of %(code)s.", code=f.subdivision_code),
        back=back,
    )
