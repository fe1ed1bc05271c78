"""Login, throttling, redirects, logout, password change, ``flask users create``, audit of logins.

Requests here run WITHOUT a pushed app context (the ``web`` app below), so every request gets its
own ``g``: Flask-Login caches the loaded user in ``g``, and a request inside the test's own app
context would reuse the user of the previous request instead of reading the cookie.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import re
from urllib.parse import urlsplit

import pytest
from sqlalchemy import func, select, update
from werkzeug.security import check_password_hash

from docflow.core.audit import MASK, AuditEntry
from docflow.core.security import Permission, has_permission
from docflow.extensions import db
from docflow.org import operations
from docflow.org.models import LoginFailure, User, user_by_username

DEMO_PASSWORD = "docflow-demo"
WRONG_MESSAGE = "Wrong username or password."
THROTTLE_MESSAGE = "Too many failed attempts"


@pytest.fixture
def client(web):
    # Overrides the conftest client (which shares the test's app context and so its ``g``).
    return new_client(web)


def new_client(app):
    c = app.test_client()
    c.environ_base["HTTP_ACCEPT_LANGUAGE"] = "en"
    return c


@contextlib.contextmanager
def database(app):
    with app.app_context():
        yield db.session


def without_tokens(html: str) -> str:
    # CSRF tokens (itsdangerous "payload.timestamp.signature") differ per session.
    return re.sub(r'"[\w-]{20,}\.[\w-]{4,}\.[\w-]{20,}"', '"TOKEN"', html)


def post_login(c, username, password=DEMO_PASSWORD, next_=None):
    return c.post(
        "/login",
        query_string={"next": next_} if next_ is not None else None,
        data={"username": username, "password": password},
    )


def location_path(response) -> str:
    parts = urlsplit(response.headers["Location"])
    assert parts.netloc in ("", "localhost"), response.headers["Location"]
    return parts.path + (f"?{parts.query}" if parts.query else "")


def assert_logged_out(c):
    r = c.get("/")
    assert r.status_code == 302
    assert location_path(r).startswith("/login")


def session_cookie(c) -> str:
    cookie = c.get_cookie("session")
    assert cookie is not None
    return cookie.value


# --- login ---------------------------------------------------------------------------------


def test_login_success_redirects_home(client):
    r = post_login(client, "clerk")
    assert r.status_code == 302
    assert location_path(r) == "/"
    home = client.get("/")
    assert home.status_code == 200
    assert "Сапарова" in home.get_data(as_text=True)


def test_wrong_password_is_401_with_message(client):
    r = post_login(client, "clerk", "not-the-password")
    assert r.status_code == 401
    assert WRONG_MESSAGE in r.get_data(as_text=True)
    assert_logged_out(client)


def test_unknown_user_gets_the_same_response_as_a_wrong_password(web, monkeypatch):
    calls = []
    real = operations.check_password_hash
    monkeypatch.setattr(
        operations,
        "check_password_hash",
        lambda stored, pw: calls.append(stored) or real(stored, pw),
    )
    wrong = post_login(new_client(web), "clerk", "not-the-password")
    unknown = post_login(new_client(web), "no.such.user", "not-the-password")
    assert (wrong.status_code, unknown.status_code) == (401, 401)
    # Equal except for the echoed username and the per-session CSRF tokens.
    unknown_page = without_tokens(unknown.get_data(as_text=True)).replace("no.such.user", "?")
    wrong_page = without_tokens(wrong.get_data(as_text=True)).replace('value="clerk"', 'value="?"')
    assert unknown_page == wrong_page
    assert WRONG_MESSAGE in wrong.get_data(as_text=True)
    # Random per request or session, or sized by the echoed username.
    per_response = {"X-Request-ID", "Set-Cookie", "Content-Length"}
    assert {k: v for k, v in unknown.headers if k not in per_response} == {
        k: v for k, v in wrong.headers if k not in per_response
    }
    # Same work on both paths: a hash is checked for an unknown user too (no timing oracle).
    assert len(calls) == 2


def test_inactive_user_cannot_log_in_and_loses_live_sessions(web):
    live = new_client(web)
    assert post_login(live, "exec.edu").status_code == 302
    assert live.get("/").status_code == 200
    with database(web) as s:
        user_by_username("exec.edu").active = False
        s.commit()
    r = post_login(new_client(web), "exec.edu")
    assert r.status_code == 401
    assert WRONG_MESSAGE in r.get_data(as_text=True)
    assert_logged_out(live)  # the user loader only loads active users


# --- throttling ------------------------------------------------------------------------------


def test_throttle_after_configured_failures_even_with_right_password(web):
    attempts = web.config["LOGIN_THROTTLE_ATTEMPTS"]
    c = new_client(web)
    for i in range(attempts):
        # Case does not dodge the counter: usernames are compared lower-cased.
        name = "CLERK" if i % 2 else "clerk"
        assert post_login(c, name, f"wrong-{i}").status_code == 401
    r = post_login(c, "clerk")
    assert r.status_code == 429
    assert THROTTLE_MESSAGE in r.get_data(as_text=True)
    assert_logged_out(c)
    # Other users are not affected.
    assert post_login(new_client(web), "controller").status_code == 302


def test_one_failure_fewer_than_the_limit_still_logs_in_and_resets_the_counter(web):
    attempts = web.config["LOGIN_THROTTLE_ATTEMPTS"]
    c = new_client(web)
    for i in range(attempts - 1):
        assert post_login(c, "clerk", f"wrong-{i}").status_code == 401
    assert post_login(c, "clerk").status_code == 302
    with database(web) as s:
        left = s.scalar(
            select(func.count()).select_from(LoginFailure).where(LoginFailure.username == "clerk")
        )
    assert left == 0


def test_throttle_ends_when_the_window_has_passed(web):
    attempts = web.config["LOGIN_THROTTLE_ATTEMPTS"]
    window = web.config["LOGIN_THROTTLE_WINDOW_SECONDS"]
    c = new_client(web)
    for i in range(attempts):
        post_login(c, "clerk", f"wrong-{i}")
    assert post_login(c, "clerk").status_code == 429
    with database(web) as s:
        old = dt.datetime.now(dt.UTC) - dt.timedelta(seconds=window + 1)
        s.execute(update(LoginFailure).where(LoginFailure.username == "clerk").values(at=old))
        s.commit()
    r = post_login(c, "clerk")
    assert r.status_code == 302
    assert location_path(r) == "/"


# --- open redirect ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    "target",
    [
        "https://evil.example/",
        "//evil.example",
        "///evil.example",
        "https:/evil.example",
        "javascript:alert(1)",
        "evil.example",
    ],
)
def test_next_to_another_site_lands_on_home(web, target):
    r = post_login(new_client(web), "clerk", next_=target)
    assert r.status_code == 302
    assert r.headers["Location"] == "/"


def test_backslash_next_does_not_leave_the_site(web):
    # Browsers read "/\\evil.example" as "//evil.example"; it must stay a path here.
    r = post_login(new_client(web), "clerk", next_="/\\evil.example")
    assert r.status_code == 302
    location = r.headers["Location"]
    assert location.startswith("/") and not location.startswith("//")
    assert "\\" not in location


def test_next_to_a_local_page_is_honoured(web):
    c = new_client(web)
    r = post_login(c, "clerk", next_="/org")
    assert r.status_code == 302
    assert location_path(r) == "/org"
    assert c.get("/org").status_code == 200


# --- logout ----------------------------------------------------------------------------------


def test_logout_invalidates_the_session_server_side(web):
    c, other = new_client(web), new_client(web)
    assert post_login(c, "controller").status_code == 302
    assert post_login(other, "controller").status_code == 302
    with database(web):
        token_before = user_by_username("controller").session_token
    old_cookie = session_cookie(c)

    r = c.post("/logout")
    assert r.status_code == 302
    assert location_path(r) == "/login"
    assert_logged_out(c)

    c.set_cookie("session", old_cookie)  # a stolen / replayed cookie
    assert_logged_out(c)
    with database(web):
        assert user_by_username("controller").session_token != token_before
    # The token is per user: every session of the user ends with the logout.
    assert_logged_out(other)
    # Logging in again works and issues a working session.
    assert post_login(c, "controller").status_code == 302
    assert c.get("/").status_code == 200


def test_logout_needs_post(client):
    post_login(client, "clerk")
    assert client.get("/logout").status_code == 405
    assert client.get("/").status_code == 200


# --- password change -------------------------------------------------------------------------


def change(c, current, new, confirm=None):
    return c.post(
        "/account/password",
        data={"current": current, "new": new, "confirm": new if confirm is None else confirm},
    )


def test_password_change_with_wrong_current_password(client, web):
    post_login(client, "clerk")
    r = change(client, "not-the-password", "a-new-long-password")
    assert r.status_code == 400
    assert "The current password is wrong." in r.get_data(as_text=True)
    assert client.get("/").status_code == 200  # still logged in
    with database(web):
        assert check_password_hash(user_by_username("clerk").password_hash, DEMO_PASSWORD)


@pytest.mark.parametrize(
    ("new", "confirm", "message"),
    [
        ("short-pw", None, "between 10 and 200 characters"),
        ("a-new-long-password", "something-else-123", "The passwords do not match."),
    ],
)
def test_password_change_rejects_bad_new_password(client, web, new, confirm, message):
    post_login(client, "clerk")
    r = change(client, DEMO_PASSWORD, new, confirm)
    assert r.status_code == 400
    body = r.get_data(as_text=True)
    assert 'class="field-error"' in body
    assert message in body
    with database(web):
        assert check_password_hash(user_by_username("clerk").password_hash, DEMO_PASSWORD)


def test_operations_refuse_a_short_password_too():
    # The CLI and any future API call the operation, not the form.
    with pytest.raises(operations.AccountError):
        operations.validate_new_password("x" * (operations.MIN_PASSWORD_LENGTH - 1))
    operations.validate_new_password("x" * operations.MIN_PASSWORD_LENGTH)


def test_password_change_ends_every_session_and_the_new_password_works(web):
    c, other = new_client(web), new_client(web)
    post_login(c, "clerk")
    post_login(other, "clerk")
    assert other.get("/").status_code == 200
    old_cookie = session_cookie(c)

    r = change(c, DEMO_PASSWORD, "brand-new-password-1")
    assert r.status_code == 302
    assert location_path(r) == "/login"

    assert_logged_out(c)
    c.set_cookie("session", old_cookie)
    assert_logged_out(c)
    assert_logged_out(other)

    assert post_login(new_client(web), "clerk", DEMO_PASSWORD).status_code == 401
    fresh = new_client(web)
    assert post_login(fresh, "clerk", "brand-new-password-1").status_code == 302
    assert fresh.get("/").status_code == 200


# --- flask users create ----------------------------------------------------------------------


CLI_PASSWORD = "cli-password-123"


def create_user_cli(web, *args, password=CLI_PASSWORD):
    return web.test_cli_runner().invoke(
        args=["users", "create", *args], input=f"{password}\n{password}\n"
    )


class EnergyItem:
    def local_role_subdivisions(self):
        return ["ENERGY"]


def test_cli_creates_a_user_with_a_local_role(web):
    result = create_user_cli(web, "deputy.energy", "--name", "Deputy Head", "--role", "head@ENERGY")
    assert result.exit_code == 0, result.output
    assert "user deputy.energy created" in result.output
    with database(web):
        user = user_by_username("deputy.energy")
        assert user.full_name == "Deputy Head"
        assert list(user.role_grants()) == [("head", "ENERGY")]
        assert has_permission(user, Permission.ASSIGN, EnergyItem())
    c = new_client(web)
    assert post_login(c, "deputy.energy", "cli-password-123").status_code == 302


@pytest.mark.parametrize(
    ("role", "message"),
    [
        ("head", "role head is held for a subdivision: give ROLE@SUBDIVISION"),
        ("executor@NOWHERE", "unknown subdivision NOWHERE"),
        ("superuser", "unknown role superuser"),
    ],
)
def test_cli_rejects_bad_roles_with_a_clear_message(web, role, message):
    result = create_user_cli(web, "someone", "--name", "Someone", "--role", role)
    assert result.exit_code != 0
    assert f"Error: {message}" in result.output
    assert "Traceback" not in result.output
    with database(web):
        assert user_by_username("someone") is None


def test_cli_rejects_a_short_password(web):
    result = create_user_cli(web, "someone", "--name", "Someone", password="short")
    assert result.exit_code != 0
    assert "at least 10" in result.output
    with database(web):
        assert user_by_username("someone") is None


def test_cli_rejects_an_existing_username(web):
    result = create_user_cli(web, "clerk", "--name", "Second clerk")
    assert result.exit_code != 0
    assert "already exists" in result.output


# --- audit -----------------------------------------------------------------------------------


def test_audit_records_logins_and_never_a_password(web):
    wrong_pw, new_pw, cli_pw = "wrong-password-xyz", "brand-new-password-1", "cli-password-123"
    with database(web) as s:
        start = s.scalar(select(func.max(AuditEntry.seq)))

    c = new_client(web)
    assert post_login(c, "clerk", wrong_pw).status_code == 401
    assert post_login(c, "no.such.user", wrong_pw).status_code == 401
    assert post_login(c, "clerk").status_code == 302
    assert change(c, DEMO_PASSWORD, new_pw).status_code == 302
    assert create_user_cli(web, "audited", "--name", "Audited", password=cli_pw).exit_code == 0

    with database(web) as s:
        entries = list(
            s.scalars(select(AuditEntry).where(AuditEntry.seq > start).order_by(AuditEntry.seq))
        )
        clerk = user_by_username("clerk")
        audited = user_by_username("audited")
        logins = [
            (e.outcome, e.summary, e.actor_id, e.object_id) for e in entries if e.action == "login"
        ]
        assert logins == [
            ("failed", {"username": "clerk"}, None, str(clerk.id)),
            ("failed", {"username": "no.such.user"}, None, None),
            ("ok", None, clerk.id, str(clerk.id)),
        ]
        secrets_ = [
            wrong_pw,
            DEMO_PASSWORD,
            new_pw,
            cli_pw,
            clerk.password_hash,
            audited.password_hash,
            clerk.session_token,
            audited.session_token,
            "scrypt:",
            "pbkdf2:",
        ]
        everything = json.dumps(
            [[e.summary, e.actor_name, e.object_id] for e in s.scalars(select(AuditEntry))],
            ensure_ascii=False,
        )
        for secret in secrets_:
            assert secret not in everything
        # The password change and the CLI creation are recorded, with the hash masked.
        changed = [
            e
            for e in entries
            if e.action == "update"
            and e.object_type == "user_account"
            and e.object_id == str(clerk.id)
        ]
        assert changed and changed[0].summary["after"]["password_hash"] == MASK
        assert changed[0].actor_id == clerk.id
        created = [
            e
            for e in entries
            if e.action == "create"
            and e.object_type == "user_account"
            and e.object_id == str(audited.id)
        ]
        assert len(created) == 1
        assert created[0].summary["after"]["password_hash"] == MASK
        assert "session_token" not in created[0].summary["after"]
        assert created[0].actor_name == "cli"
        users = s.scalar(select(func.count()).select_from(User))
        assert users == 11


def test_failures_from_another_address_do_not_lock_the_user_out(make_app):
    """A stranger guessing elsewhere cannot lock a colleague out (throttle per user and address)."""
    app = make_app("demo")
    client = app.test_client()
    attempts = app.config["LOGIN_THROTTLE_ATTEMPTS"]
    for _ in range(attempts):
        r = client.post(
            "/login",
            data={"username": "clerk", "password": "wrong"},
            environ_base={"REMOTE_ADDR": "10.0.0.66"},
        )
        assert r.status_code == 401
    r = client.post(
        "/login",
        data={"username": "clerk", "password": "docflow-demo"},
        environ_base={"REMOTE_ADDR": "10.0.0.66"},
    )
    assert r.status_code == 429
    r = client.post(
        "/login",
        data={"username": "clerk", "password": "docflow-demo"},
        environ_base={"REMOTE_ADDR": "10.0.0.7"},
    )
    assert r.status_code == 302


def test_one_address_guessing_many_usernames_is_throttled(make_app):
    app = make_app("demo")
    client = app.test_client()
    attempts = app.config["LOGIN_THROTTLE_ATTEMPTS"] * 4
    for i in range(attempts):
        client.post(
            "/login",
            data={"username": f"user{i}", "password": "x"},
            environ_base={"REMOTE_ADDR": "10.0.0.9"},
        )
    r = client.post(
        "/login",
        data={"username": "clerk", "password": "docflow-demo"},
        environ_base={"REMOTE_ADDR": "10.0.0.9"},
    )
    assert r.status_code == 429
