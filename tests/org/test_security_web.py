"""Web hardening: CSRF, security headers, cookie flags, error pages, local assets, health check.

Requests run without a pushed app context (see tests/org/test_auth.py for why).
"""

from __future__ import annotations

import logging
import re
from urllib.parse import urlsplit

import pytest

DEMO_PASSWORD = "docflow-demo"
CSRF_MESSAGE = "The form has expired or was sent from elsewhere."
GENERIC_500 = "Something went wrong on our side. Your data is safe; please try again."
NOT_FOUND = "This page does not exist or has been moved."
LEAK = "secret-detail-7f3a"  # text of the exception raised by the test route
TRACE_MARKERS = ("Traceback", 'File "', "werkzeug", "RuntimeError", LEAK)


def new_client(app):
    c = app.test_client()
    c.environ_base["HTTP_ACCEPT_LANGUAGE"] = "en"
    return c


@pytest.fixture
def csrf_app(make_app):
    return make_app("demo", WTF_CSRF_ENABLED=True)


def csrf_token_from(html: str) -> str:
    match = re.search(r'<input[^>]*name="csrf_token"[^>]*value="([^"]+)"', html)
    assert match, "no csrf_token field in the page"
    return match.group(1)


def login(c, username="clerk", password=DEMO_PASSWORD, **kwargs):
    return c.post("/login", data={"username": username, "password": password}, **kwargs)


def assert_no_trace(text: str) -> None:
    for marker in TRACE_MARKERS:
        assert marker not in text, marker


def set_cookie_attrs(response, name="session") -> dict[str, str | bool]:
    for header in response.headers.getlist("Set-Cookie"):
        if header.startswith(f"{name}="):
            attrs: dict[str, str | bool] = {}
            for part in header.split(";")[1:]:
                key, _, value = part.strip().partition("=")
                attrs[key.lower()] = value or True
            return attrs
    raise AssertionError(f"no {name} cookie set: {response.headers.getlist('Set-Cookie')}")


# --- CSRF ------------------------------------------------------------------------------------


def test_login_without_csrf_token_is_refused_readably(csrf_app):
    c = new_client(csrf_app)
    r = login(c)
    assert r.status_code == 400
    body = r.get_data(as_text=True)
    assert r.mimetype == "text/html"
    assert CSRF_MESSAGE in body
    assert "CSRF token is missing" not in body  # the library's message is not shown
    assert_no_trace(body)
    assert c.get("/").status_code == 302  # not logged in


def test_csrf_error_as_json(csrf_app):
    r = login(new_client(csrf_app), headers={"Accept": "application/json"})
    assert r.status_code == 400
    assert r.get_json()["error"] == "csrf"
    assert CSRF_MESSAGE in r.get_json()["message"]


def test_login_with_the_token_from_the_form_works(csrf_app):
    c = new_client(csrf_app)
    token = csrf_token_from(c.get("/login").get_data(as_text=True))
    r = c.post("/login", data={"username": "clerk", "password": DEMO_PASSWORD, "csrf_token": token})
    assert r.status_code == 302
    assert urlsplit(r.headers["Location"]).path == "/"
    assert c.get("/").status_code == 200


def test_a_token_of_another_session_is_refused(csrf_app):
    token = csrf_token_from(new_client(csrf_app).get("/login").get_data(as_text=True))
    c = new_client(csrf_app)
    c.get("/login")
    r = c.post("/login", data={"username": "clerk", "password": DEMO_PASSWORD, "csrf_token": token})
    assert r.status_code == 400
    assert CSRF_MESSAGE in r.get_data(as_text=True)


def test_logout_without_token_is_refused(csrf_app):
    c = new_client(csrf_app)
    token = csrf_token_from(c.get("/login").get_data(as_text=True))
    c.post("/login", data={"username": "clerk", "password": DEMO_PASSWORD, "csrf_token": token})
    home = c.get("/")
    assert home.status_code == 200

    r = c.post("/logout")
    assert r.status_code == 400
    assert CSRF_MESSAGE in r.get_data(as_text=True)
    assert c.get("/").status_code == 200  # still logged in

    r = c.post("/logout", data={"csrf_token": csrf_token_from(home.get_data(as_text=True))})
    assert r.status_code == 302
    assert c.get("/").status_code == 302


# --- headers ---------------------------------------------------------------------------------


def assert_security_headers(r) -> None:
    csp = r.headers.get("Content-Security-Policy", "")
    directives = {
        d.split()[0]: d.split()[1:] for d in (p.strip() for p in csp.split(";")) if d.strip()
    }
    assert directives.get("default-src") == ["'self'"]
    assert directives.get("script-src") == ["'self'"]
    assert directives.get("object-src") == ["'none'"]
    assert directives.get("frame-ancestors") == ["'none'"]
    for sources in directives.values():
        for source in sources:
            # Only keywords and local schemes: no external host, no wildcard, no inline code.
            assert source in ("'self'", "'none'", "data:", "blob:"), csp
    assert r.headers.get("X-Frame-Options") == "DENY"
    assert r.headers.get("X-Content-Type-Options") == "nosniff"
    assert r.headers.get("Referrer-Policy") in (
        "same-origin",
        "no-referrer",
        "strict-origin",
        "strict-origin-when-cross-origin",
    )


def test_security_headers_on_every_kind_of_response(web):
    c = new_client(web)
    responses = {"login": c.get("/login"), "404": c.get("/no-such-page")}
    responses["css"] = c.get("/static/css/docflow.css")
    responses["health"] = c.get("/healthz")
    login(c)
    responses["home"] = c.get("/")
    responses["org"] = c.get("/org")
    for name, r in responses.items():
        assert r.status_code in (200, 404), name
        assert_security_headers(r)
    # Pages with personal data or credentials are not cached.
    assert "no-store" in responses["login"].headers.get("Cache-Control", "")
    assert "no-store" in responses["home"].headers.get("Cache-Control", "")


# --- cookies ---------------------------------------------------------------------------------


def test_session_cookie_flags_over_http(web):
    r = login(new_client(web))
    assert r.status_code == 302
    attrs = set_cookie_attrs(r)
    assert attrs.get("httponly") is True
    assert attrs.get("samesite") == "Lax"
    assert "secure" not in attrs  # a Secure cookie would never come back over plain http


def test_session_cookie_is_secure_over_https(web):
    c = new_client(web)
    assert c.get("/login", base_url="https://localhost").status_code == 200
    r = login(c, base_url="https://localhost")
    assert r.status_code == 302
    attrs = set_cookie_attrs(r)
    assert attrs.get("secure") is True
    assert attrs.get("httponly") is True
    assert attrs.get("samesite") == "Lax"
    assert c.get("/", base_url="https://localhost").status_code == 200


def test_configured_secure_cookie_wins(make_app):
    app = make_app("demo", SESSION_COOKIE_SECURE=True)
    assert set_cookie_attrs(login(new_client(app))).get("secure") is True


# --- error pages -----------------------------------------------------------------------------


def test_404_is_a_page_without_traceback(web):
    r = new_client(web).get("/no-such-page")
    assert r.status_code == 404
    assert r.mimetype == "text/html"
    body = r.get_data(as_text=True)
    assert NOT_FOUND in body
    assert_no_trace(body)


@pytest.mark.parametrize(
    ("path", "headers"),
    [("/api/no-such-thing", {}), ("/no-such-page", {"Accept": "application/json"})],
)
def test_404_as_json(web, path, headers):
    r = new_client(web).get(path, headers=headers)
    assert r.status_code == 404
    assert r.mimetype == "application/json"
    assert r.get_json() == {"error": "not_found", "message": NOT_FOUND}


def test_405_keeps_the_allow_header(web):
    r = new_client(web).post("/healthz")
    assert r.status_code == 405
    assert set(r.headers.get("Allow", "").replace(" ", "").split(",")) >= {"GET", "HEAD"}
    assert_no_trace(r.get_data(as_text=True))


@pytest.fixture
def boom_app(make_app):
    app = make_app("demo")

    def boom():
        raise RuntimeError(LEAK)

    # Before the app's first request: Flask refuses new routes afterwards.
    app.add_url_rule("/test-boom", "test_boom", boom)
    app.add_url_rule("/api/test-boom", "test_api_boom", boom)
    return app


def test_unexpected_error_is_a_generic_500_page(boom_app, caplog):
    with caplog.at_level(logging.ERROR):
        r = new_client(boom_app).get("/test-boom")
    assert r.status_code == 500
    assert r.mimetype == "text/html"
    body = r.get_data(as_text=True)
    assert GENERIC_500 in body
    assert_no_trace(body)
    assert_security_headers(r)
    # ...but the operator gets the details in the log.
    assert any(rec.exc_info and LEAK in str(rec.exc_info[1]) for rec in caplog.records)


@pytest.mark.parametrize(
    ("path", "headers"),
    [("/api/test-boom", {}), ("/test-boom", {"Accept": "application/json"})],
)
def test_unexpected_error_as_json(boom_app, path, headers):
    r = new_client(boom_app).get(path, headers=headers)
    assert r.status_code == 500
    assert r.mimetype == "application/json"
    assert r.get_json() == {"error": "internal_error", "message": GENERIC_500}
    assert_no_trace(r.get_data(as_text=True))


# --- local assets, health --------------------------------------------------------------------


def test_assets_are_local(web):
    c = new_client(web)
    page = c.get("/login").get_data(as_text=True)
    urls = re.findall(r'\b(?:src|href)\s*=\s*"([^"]*)"', page)
    assert urls, "no links found: the pattern is wrong"
    for url in urls:
        assert not url.lower().startswith(("http:", "https:", "//")), url
    stylesheets = re.findall(r'<link[^>]*rel="stylesheet"[^>]*href="([^"]+)"', page)
    assert stylesheets
    for href in stylesheets:
        r = c.get(href)
        assert r.status_code == 200, href
        assert r.mimetype == "text/css"
        assert len(r.data) > 0
        assert b"http://" not in r.data and b"https://" not in r.data  # no remote @import/fonts


def test_healthz(web):
    r = new_client(web).get("/healthz")
    assert r.status_code == 200
    assert r.get_json() == {"status": "ok"}
