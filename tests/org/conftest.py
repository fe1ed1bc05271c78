"""Fixtures of the organisation tests: ``web`` here is a demo app of its own (no app context
pushed), since these tests log in and out across requests and read ``g`` afresh each time."""

from __future__ import annotations

import pytest


@pytest.fixture
def web(make_app):
    return make_app("demo")
