"""One error base for the domain's refusals, one write-view helper, one owner of per-state
permissions (issue 9)."""

from __future__ import annotations

import subprocess
import sys

import pytest
from flask import get_flashed_messages

from docflow.core.errors import DomainError
from docflow.core.security import AccessDenied
from docflow.core.views import run_write
from docflow.core.workflow import GuardRefused, TransitionForbidden, WorkflowError
from docflow.extensions import db
from docflow.protocols.operations import ReceptionError
from docflow.registry.errors import RegistrationError
from docflow.registry.repeats import RepeatDecisionError
from docflow.routing.handlers import RuleViolation


@pytest.mark.parametrize(
    ("error", "status", "code"),
    [
        (WorkflowError("x"), 409, "workflow_error"),
        (GuardRefused("x"), 422, "rule_violation"),
        (TransitionForbidden("x"), 403, "forbidden"),
        (RuleViolation("x"), 422, "rule_violation"),
        (AccessDenied(), 403, "forbidden"),
        (RegistrationError({"iin": "bad"}), 422, "invalid"),
        (RepeatDecisionError("x", status=409), 409, "conflict"),
        (ReceptionError("x"), 422, "rule_violation"),
    ],
)
def test_domain_errors_share_one_base_with_status_and_code(error, status, code):
    assert isinstance(error, DomainError)
    assert (error.status, error.code, error.payload()["error"]) == (status, code, code)
    assert error.readable()


def test_registration_error_keeps_its_field_errors():
    exc = RegistrationError({"iin": "The IIN is not valid.", "file": "Empty."})
    assert exc.errors == exc.fields == {"iin": "The IIN is not valid.", "file": "Empty."}
    assert exc.readable() == "The IIN is not valid.; Empty."
    assert isinstance(exc, ValueError)  # callers catching ValueError still do


def _refuse(exc):
    def action():
        raise exc

    return action


def test_run_write_flashes_a_refusal_and_rolls_back(app):
    with app.test_request_context("/"):
        response, status = run_write(
            _refuse(ReceptionError("The sign-up is closed.")), success="done", back="/back"
        )
        assert (status, response.location) == (303, "/back")
        assert get_flashed_messages(with_categories=True) == [("error", "The sign-up is closed.")]


def test_run_write_commits_and_flashes_success(app, monkeypatch):
    committed = []
    monkeypatch.setattr(db.session, "commit", lambda: committed.append(True))
    with app.test_request_context("/"):
        _response, status = run_write(
            lambda: 7, success=lambda n: f"Saved {n}.", back=lambda n: f"/item/{n}"
        )
        assert status == 303 and committed == [True]
        assert get_flashed_messages() == ["Saved 7."]


@pytest.mark.parametrize("exc", [AccessDenied(), TransitionForbidden("no")])
def test_run_write_lets_refused_access_through_as_403(app, exc):
    with app.test_request_context("/"), pytest.raises(type(exc)):
        run_write(_refuse(exc), success="done", back="/back")


def test_domain_error_is_one_json_shape_on_the_api(app):
    """An operation's refusal the API view does not catch: {"error", "message", "fields"}."""
    from docflow.api import issue_token
    from docflow.org.models import user_by_username

    token = issue_token(user_by_username("clerk"))
    db.session.commit()
    r = app.test_client().post(
        "/api/v1/items",
        json={"kind": "appeal", "channel": "post", "applicants": [{"iin": "123"}]},
        headers={"Authorization": f"Bearer {token}", "Accept-Language": "en"},
    )
    body = r.get_json()
    assert r.status_code == 422, body
    assert body["error"] == "invalid" and body["message"] and body["fields"]


def test_security_does_not_import_the_workflow_engine():
    """Security owns the per-state permission map and answers alone, even for an object under
    a workflow; the engine declares its states into it (no import cycle inside core)."""
    code = """if True:
        import sys
        from docflow.core.security import has_permission

        class User:
            id, is_active = 1, True

            def role_grants(self):
                return [("controller", None)]

        class Doc:
            __workflow__, state = "incoming", "registered"

        assert has_permission(User(), "view", Doc())
        sys.exit("docflow.core.workflow" in sys.modules)
    """
    assert subprocess.run([sys.executable, "-c", code], check=False).returncode == 0
