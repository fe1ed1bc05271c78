"""Fixtures shared by every test module (registered in tests/conftest.py as a pytest plugin).

``web("clerk")`` is a test client logged in as a demo user (pages in English unless ``lang``
says otherwise), ``users["head.energy"]`` a demo user, ``page(response)`` a response's text with
the HTML entities decoded, ``routed("closed")`` an item walked through routing to a state. A module that needs something else defines its own under another
name rather than a copy of these.
"""

from __future__ import annotations

import html
import io
from typing import Any

import pytest

# The demo users the tests act as (``users`` loads any other demo user on first use, too).
DEMO_USERS = (
    "clerk",
    "controller",
    "head.energy",
    "exec.energy",
    "exec2.energy",
    "head.edu",
    "exec.edu",
    "inspector",
    "akim",
)


def page(response) -> str:
    """The response body as text, HTML entities decoded (what the user reads)."""
    return html.unescape(response.get_data(as_text=True))


class DemoUsers(dict):
    """``users[name]``: the demo user of that name, loaded once per test."""

    def __missing__(self, name: str) -> Any:
        from docflow.org.models import user_by_username

        user = user_by_username(name)
        if user is None:
            raise KeyError(name)
        self[name] = user
        return user


@pytest.fixture
def users(app) -> DemoUsers:
    found = DemoUsers()
    for name in DEMO_USERS:
        found[name]
    return found


@pytest.fixture
def web(app, login):
    """``web("clerk")`` → a new test client logged in as that demo user; ``web()`` anonymous."""

    def make(username: str | None = None, lang: str = "en"):
        c = app.test_client()
        c.environ_base["HTTP_ACCEPT_LANGUAGE"] = lang
        if username:
            assert login(username, c=c).status_code == 302
        return c

    return make


@pytest.fixture
def routed(make_item, users):
    """Walk an item to a state: 'distributed', 'in_work', 'answer_review', 'answered', 'closed'."""

    from docflow.extensions import db
    from docflow.routing import operations as ops

    def walk(until: str, item=None, executor: str = "exec.energy"):
        item = item or make_item()
        ops.distribute(item, users["controller"], ["ENERGY"])
        if until == "distributed":
            return item
        ops.assign_executors(item, users["head.energy"], [users[executor].id])
        if until == "in_work":
            return item
        ops.submit_answer(
            item,
            users[executor],
            summary="Жылу берілді, акт қоса беріледі.",
            filename="answer.pdf",
            stream=io.BytesIO(b"%PDF-1.4 answer"),
        )
        if until == "answer_review":
            return item
        ops.approve_answer(item, users["head.energy"])
        if until == "answered":
            return item
        ops.close(item, users["controller"])
        db.session.flush()
        return item

    return walk


# --- one Chromium per test process --------------------------------------------------------------
# Playwright's sync API runs an event loop in the thread while it is alive, so a second
# ``sync_playwright()`` in the same process fails: every browser test shares this one.

CHROMIUM = __import__("os").environ.get("DOCFLOW_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    # the fake NCALayer's self-signed wss://127.0.0.1 (tests/outgoing/test_ncalayer_page.py)
    "--ignore-certificate-errors",
]


@pytest.fixture(scope="session")
def browser():
    import os
    import shutil

    if not shutil.which(CHROMIUM) and not os.path.exists(CHROMIUM):
        if os.environ.get("CI"):
            pytest.fail(
                f"Chromium not found at {CHROMIUM}: scripts/install-test-deps.sh installs it"
            )
        pytest.skip(f"Chromium not found at {CHROMIUM}")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        chromium = pw.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()
