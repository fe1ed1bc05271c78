"""``flask users deactivate`` / ``users reactivate``: a deactivated account stops working at once.

Requests run WITHOUT a pushed app context (see tests/org/test_auth.py): Flask-Login caches the
loaded user in ``g``, so each request must get its own.
"""

from __future__ import annotations

import contextlib

import pytest
from sqlalchemy import select

from docflow.api import issue_token
from docflow.core.audit import AuditEntry
from docflow.extensions import db
from docflow.org.models import user_by_username
from tests.org.test_auth import assert_logged_out, create_user_cli, new_client, post_login


@contextlib.contextmanager
def database(app):
    with app.app_context():
        yield db.session


def cli(app, *args):
    return app.test_cli_runner().invoke(args=["users", *args])


def token_for(app, username: str) -> str:
    with database(app) as s:
        token = issue_token(user_by_username(username))
        s.commit()
    return token


def api_get(app, token: str):
    return new_client(app).get(
        "/api/v1/items", query_string={"q": "x"}, headers={"Authorization": f"Bearer {token}"}
    )


def entries(app, action: str) -> list[AuditEntry]:
    with database(app) as s:
        return list(s.scalars(select(AuditEntry).where(AuditEntry.action == action)))


def live_session(app, username: str):
    c = new_client(app)
    assert post_login(c, username).status_code == 302
    assert c.get("/").status_code == 200
    return c


def test_deactivate_ends_the_live_session_and_the_api_token_at_once(web):
    live = live_session(web, "clerk")
    token = token_for(web, "clerk")
    assert api_get(web, token).status_code == 200

    result = cli(web, "deactivate", "clerk")

    assert result.exit_code == 0, result.output
    assert "user clerk deactivated" in result.output
    assert_logged_out(live)
    r = api_get(web, token)
    assert r.status_code == 401
    assert r.get_json()["error"] == "unauthorized"
    assert post_login(new_client(web), "clerk").status_code == 401
    with database(web):
        user = user_by_username("clerk")
        assert user.active is False
        assert user.api_token_hash is None


def test_deactivation_is_audited_with_the_cli_as_actor(web):
    assert cli(web, "deactivate", "exec.edu").exit_code == 0
    [entry] = entries(web, "deactivate_user")
    with database(web):
        assert entry.object_id == str(user_by_username("exec.edu").id)
    assert entry.summary == {"username": "exec.edu"}
    assert entry.actor_name == "cli"


def test_deactivating_twice_changes_nothing_the_second_time(web):
    assert cli(web, "deactivate", "exec.edu").exit_code == 0
    result = cli(web, "deactivate", "exec.edu")
    assert result.exit_code == 0, result.output
    assert "already inactive" in result.output
    assert len(entries(web, "deactivate_user")) == 1


def test_reactivate_restores_login_but_not_the_old_token_nor_old_sessions(web):
    live = live_session(web, "clerk")
    token = token_for(web, "clerk")
    assert cli(web, "deactivate", "clerk").exit_code == 0

    result = cli(web, "reactivate", "clerk")

    assert result.exit_code == 0, result.output
    assert "user clerk reactivated" in result.output
    assert_logged_out(live)  # the cookie issued before deactivation stays dead
    assert api_get(web, token).status_code == 401  # tokens stay revoked (see the command's help)
    fresh = new_client(web)
    assert post_login(fresh, "clerk").status_code == 302
    assert fresh.get("/").status_code == 200
    new_token = cli(web, "token", "clerk").output.strip()
    assert api_get(web, new_token).status_code == 200
    [entry] = entries(web, "reactivate_user")
    assert entry.summary == {"username": "clerk"}


def test_reactivate_help_says_tokens_stay_revoked(web):
    result = cli(web, "reactivate", "--help")
    assert result.exit_code == 0
    assert "stays revoked" in result.output


def test_reactivating_an_active_user_changes_nothing(web):
    result = cli(web, "reactivate", "clerk")
    assert result.exit_code == 0, result.output
    assert "already active" in result.output
    assert entries(web, "reactivate_user") == []


def test_the_last_active_admin_cannot_be_deactivated(web):
    live = live_session(web, "admin")

    result = cli(web, "deactivate", "admin")

    assert result.exit_code != 0
    assert "Error: admin is the last active administrator" in result.output
    assert "Traceback" not in result.output
    assert live.get("/").status_code == 200
    with database(web):
        assert user_by_username("admin").active is True
    assert entries(web, "deactivate_user") == []


def test_an_admin_can_be_deactivated_while_another_active_admin_remains(web):
    created = create_user_cli(web, "admin2", "--name", "Second Admin", "--role", "admin")
    assert created.exit_code == 0, created.output
    assert cli(web, "deactivate", "admin").exit_code == 0
    # admin2 is now the last active one; the inactive "admin" no longer counts.
    result = cli(web, "deactivate", "admin2")
    assert result.exit_code != 0
    assert "admin2 is the last active administrator" in result.output


def test_no_token_is_issued_to_a_deactivated_user(web):
    assert cli(web, "deactivate", "clerk").exit_code == 0
    result = cli(web, "token", "clerk")
    assert result.exit_code != 0
    assert "deactivated" in result.output
    with database(web):
        assert user_by_username("clerk").api_token_hash is None


@pytest.mark.parametrize("command", ["deactivate", "reactivate"])
def test_unknown_user_is_a_clear_error(web, command):
    result = cli(web, command, "no.such.user")
    assert result.exit_code != 0
    assert "Error: no user no.such.user" in result.output
