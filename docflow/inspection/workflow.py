"""Workflows of inspections (R-AUDIT-1): the inspection, and the remediation task of a finding.

``inspection``: draft → ready (the automatic checks have been run; running again keeps it ready,
each run stored) → closed. A run is one transaction, so "running" is never a state anyone sees.
Only inspectors act (the ``inspect`` permission, which writes the inspection's own records and
never a case).

``remediation``: sent → reported (the head's report of what was done) → accepted, or returned →
reported … The head acts on a task of their subdivision (the task's local roles come from its
subdivision, as an item's do); the inspector accepts or returns.
"""

from __future__ import annotations

from flask_babel import lazy_gettext as _l

from docflow.core.security import Permission, Role
from docflow.core.workflow import Workflow, register, state, transition

R, P = Role, Permission
INSPECTORS = [R.INSPECTOR]
# A remediation task is read by the inspector, the subdivision's head and appeals control.
TASK_READERS = [R.INSPECTOR, R.HEAD, R.CONTROLLER]


INSPECTION = register(
    Workflow(
        "inspection",
        _l("Inspection"),
        states=[
            state("draft", _l("Draft"), view=INSPECTORS, inspect=INSPECTORS),
            state("ready", _l("Checked"), view=INSPECTORS, inspect=INSPECTORS),
            state("closed", _l("Closed"), final=True, view=INSPECTORS, inspect=[]),
        ],
        transitions=[
            transition(
                "run",
                _l("Run the automatic checks"),
                ["draft", "ready"],
                "ready",
                permission=P.INSPECT,
            ),
            transition(
                "close", _l("Close the inspection"), "ready", "closed", permission=P.INSPECT
            ),
        ],
        initial="draft",
    )
)

REMEDIATION = register(
    Workflow(
        "remediation",
        _l("Remediation task"),
        states=[
            state("sent", _l("Sent to the head"), view=TASK_READERS, answer=[R.HEAD]),
            state("reported", _l("Reported"), view=TASK_READERS, inspect=INSPECTORS),
            state("accepted", _l("Accepted"), final=True, view=TASK_READERS),
            state("returned", _l("Returned"), view=TASK_READERS, answer=[R.HEAD]),
        ],
        transitions=[
            transition(
                "report",
                _l("Report what was done"),
                ["sent", "returned"],
                "reported",
                permission=P.ANSWER,
                comment_required=True,  # the report: what was done
            ),
            transition(
                "accept", _l("Accept the report"), "reported", "accepted", permission=P.INSPECT
            ),
            transition(
                "return",
                _l("Return the report"),
                "reported",
                "returned",
                permission=P.INSPECT,
                comment_required=True,
            ),
        ],
        initial="sent",
    )
)
