"""Shared helpers for benchmarks: a throwaway instance with the demo office, timing, stats."""

from __future__ import annotations

import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PYTHON = sys.executable
BIN = Path(PYTHON).parent


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def instance(prefix: str, url: str | None = None) -> tuple[Path, dict[str, str]]:
    """A fresh instance folder with the demo profile loaded; returns it and its environment.
    ``url``: an empty database to use (PostgreSQL) instead of the folder's SQLite file."""
    path = Path(tempfile.mkdtemp(prefix=f"docflow-bench-{prefix}-"))
    env = {**os.environ, "DOCFLOW_INSTANCE_PATH": str(path), "DOCFLOW_EXTRACTION_MODE": '"off"'}
    env.pop("DOCFLOW_DATABASE_URL", None)
    if url:
        env["DOCFLOW_DATABASE_URL"] = url
    for args in (["init"], ["demo", "--quiet"]):
        subprocess.run(
            [str(BIN / "flask"), "--app", "docflow", *args],
            env=env,
            check=True,
            cwd=ROOT,
            capture_output=True,
        )
    return path, env


def percentile(values: list[float], p: float) -> float:
    values = sorted(values)
    if not values:
        return float("nan")
    k = (len(values) - 1) * p / 100
    lo, hi = int(k), min(int(k) + 1, len(values) - 1)
    return values[lo] + (values[hi] - values[lo]) * (k - lo)


def summary(name: str, seconds: list[float]) -> str:
    ms = [s * 1000 for s in seconds]
    return (
        f"{name:<44} n={len(ms):<5} p50={percentile(ms, 50):8.1f} ms  p95={percentile(ms, 95):8.1f} ms  "
        f"mean={statistics.fmean(ms):8.1f} ms"
    )


class Timer:
    def __enter__(self):
        self.start = time.perf_counter()
        return self

    def __exit__(self, *exc):
        self.seconds = time.perf_counter() - self.start
