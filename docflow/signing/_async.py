"""Run pyHanko from synchronous code, also where an event loop is running in this thread.

``asyncio.run`` (which pyHanko's synchronous wrappers call too) refuses to start inside a running
loop — a worker built on asyncio, or a test process where Playwright's sync API keeps one open.
There the work runs on a short-lived thread of its own.
"""

from __future__ import annotations

import asyncio
import functools
import threading
from collections.abc import Callable, Coroutine
from typing import Any, TypeVar

T = TypeVar("T")


def _loop_running() -> bool:
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return False
    return True


def _in_thread(fn: Callable[[], T]) -> T:
    result: dict[str, Any] = {}

    def target() -> None:
        try:
            result["value"] = fn()
        except BaseException as exc:  # re-raised in the caller's thread
            result["error"] = exc

    thread = threading.Thread(target=target, name="signing")
    thread.start()
    thread.join()
    if "error" in result:
        raise result["error"]
    return result["value"]


def run_sync(coro: Coroutine[Any, Any, T]) -> T:
    """``asyncio.run(coro)``, on a thread of its own when a loop is running here."""
    if _loop_running():
        return _in_thread(lambda: asyncio.run(coro))
    return asyncio.run(coro)


def off_loop(fn: Callable[..., T]) -> Callable[..., T]:
    """A synchronous entry point that moves to a thread of its own when a loop is running."""

    @functools.wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> T:
        if _loop_running():
            return _in_thread(lambda: fn(*args, **kwargs))
        return fn(*args, **kwargs)

    return wrapper
