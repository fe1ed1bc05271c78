"""The queue pages (issue 14): ``/queues/<slug>`` on the main blueprint (imported before it is
registered, like org's admin pages). Read only: load the queue the home counter counted (the
same :func:`docflow.main.queues.queue`), 403 for a queue not of the user's roles, 404 for an
unknown one."""

from __future__ import annotations

from flask import abort, render_template, request
from flask_login import current_user, login_required

from docflow.main import queues
from docflow.main.blueprint import bp


@bp.route("/queues/")
@login_required
def queues_index():
    """Every queue of the user's roles with its count (the home page's counters, on one page)."""
    return render_template("main/queues.html", queues=queues.summaries(current_user))


@bp.route("/queues/<slug>")
@login_required
def queue(slug: str):
    name = queues.BY_SLUG.get(slug)
    if name is None:
        abort(404)
    if not queues.may_see(current_user, name):
        abort(403)
    filters = queues.Filters.from_args(request.args)
    today = queues.local_today()
    result = queues.queue(name, current_user, filters, today=today)
    choices = {}
    if name == "control":
        from docflow.registry.vocab import KINDS

        choices = {
            "subdivisions": queues.subdivision_choices(),
            "executors": queues.executor_choices(current_user),
            "kinds": KINDS,
        }
    return render_template(
        "main/queue.html",
        queue=result,
        filters=filters,
        args=filters.args(),
        choices=choices,
        today=today,
    )
