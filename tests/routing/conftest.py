from __future__ import annotations

from tests.registry.conftest import almaty

__all__ = ["almaty"]  # ``routed`` is in tests/fixtures.py, shared by every module
