"""Remediation pages (R-AUDIT-1): the tasks a user may see (a head those of their subdivision,
the inspector and appeals control all), overdue ones marked; a task with its finding's evidence,
the head's report form and the inspector's accept / return."""

from __future__ import annotations

from flask import abort, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from docflow.core.security import Permission
from docflow.core.views import require, run_write
from docflow.inspection import remediation
from docflow.inspection.forms import DecisionForm, ReportForm
from docflow.inspection.models import FINDING_STATUSES, RemediationTask, task_by_public_id
from docflow.inspection.views import bp
from docflow.inspection.workflow import REMEDIATION

P = Permission


def _task_or_404(public_id: str) -> RemediationTask:
    task = task_by_public_id(public_id)
    if task is None:
        abort(404)
    require(P.VIEW, task)
    return task


def _back(task: RemediationTask) -> str:
    return url_for("inspection.task", public_id=task.public_id)


@bp.route("/tasks/")
@login_required
def tasks():
    overdue = request.args.get("overdue") == "1"
    today = remediation.today()
    rows = remediation.tasks_for(current_user, overdue_only=overdue)
    return render_template(
        "inspection/tasks.html",
        tasks=rows,
        overdue=overdue,
        today=today,
        overdue_count=sum(1 for t in remediation.tasks_for(current_user) if t.is_overdue(today)),
        states=REMEDIATION.states,
    )


@bp.route("/tasks/<public_id>")
@login_required
def task(public_id: str):
    t = _task_or_404(public_id)
    actions = remediation.actions_for(t, current_user)
    return render_template(
        "inspection/task.html",
        t=t,
        f=t.finding,
        today=remediation.today(),
        state=REMEDIATION.states[t.state],
        actions=actions,
        report_form=ReportForm(data={"report": t.report or ""}) if "report" in actions else None,
        decision_form=DecisionForm() if actions & {"accept", "return"} else None,
        statuses=FINDING_STATUSES,
    )


@bp.route("/tasks/<public_id>/report", methods=["POST"])
@login_required
def report_task(public_id: str):
    t = _task_or_404(public_id)
    require(P.ANSWER, t)
    form = ReportForm()
    return run_write(
        lambda: remediation.report_done(t, current_user, form.report.data or ""),
        success=_("Your report is sent to the inspector."),
        back=_back(t),
    )


@bp.route("/tasks/<public_id>/accept", methods=["POST"])
@login_required
def accept_task(public_id: str):
    t = _task_or_404(public_id)
    require(P.INSPECT, t)
    form = DecisionForm()
    return run_write(
        lambda: remediation.accept(t, current_user, form.comment.data or ""),
        success=_("The report is accepted; the finding is remedied."),
        back=_back(t),
    )


@bp.route("/tasks/<public_id>/return", methods=["POST"])
@login_required
def return_task(public_id: str):
    t = _task_or_404(public_id)
    require(P.INSPECT, t)
    form = DecisionForm()
    return run_write(
        lambda: remediation.return_report(t, current_user, form.comment.data or ""),
        success=_("The report is returned to the head."),
        back=_back(t),
    )
