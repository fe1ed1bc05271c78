"""Outgoing-notice fixtures: the routing and reception fixtures, plus small helpers."""

from __future__ import annotations

import pytest

from tests.protocols.conftest import akim_official, controller, make_request, make_session
from tests.routing.conftest import routed, users

__all__ = ["akim_official", "controller", "make_request", "make_session", "routed", "users"]


@pytest.fixture
def web(app, login):
    """``web("clerk")``: a test client logged in as a demo user."""

    def make(username: str | None = None, lang: str = "en"):
        c = app.test_client()
        c.environ_base["HTTP_ACCEPT_LANGUAGE"] = lang
        if username:
            assert login(username, c=c).status_code == 302
        return c

    return make
