"""Outgoing-notice fixtures: the routing and reception fixtures, plus small helpers."""

from __future__ import annotations

from tests.protocols.conftest import akim_official, controller, make_request, make_session

# ``web`` and ``users`` come from tests/fixtures.py (the plugin every module shares).
__all__ = ["akim_official", "controller", "make_request", "make_session"]
