"""Tasks the tests of tests/tasks run (in the test process and in the Celery workers it starts).

Each writes what it did to the file ``TEST_TASK_LOG`` (a line per effect), so a test sees from
another process how often a task's effect happened.
"""

from __future__ import annotations

import time
from pathlib import Path

from flask import current_app

from docflow.core import tasks


def _log(line: str) -> None:
    with Path(current_app.config["TEST_TASK_LOG"]).open("a", encoding="utf-8") as out:
        out.write(line + "\n")


def log_lines() -> list[str]:
    path = Path(current_app.config["TEST_TASK_LOG"])
    return path.read_text(encoding="utf-8").splitlines() if path.exists() else []


@tasks.task("test.append")
def append(word: str) -> None:
    _log(word)


@tasks.task("test.flaky", max_retries=4)
def flaky(word: str, failures: int) -> None:
    """Fails with a transient error on its first ``failures`` attempts."""
    attempt = tasks.current_attempt()
    _log(f"attempt {attempt}")
    if attempt <= failures:
        raise tasks.TransientError(f"not yet ({attempt})")
    _log(word)


@tasks.task("test.slow")
def slow(word: str, seconds: float) -> None:
    """Logs its start, takes ``seconds`` on its first attempt (long enough to be killed)."""
    _log(f"start {word} attempt {tasks.current_attempt()}")
    if tasks.current_attempt() == 1:
        time.sleep(seconds)
    _log(f"end {word}")


@tasks.task("test.tick")
def tick() -> None:
    """A job for beat (no arguments, as beat calls them)."""
    _log("tick")
