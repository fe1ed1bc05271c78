"""The sandbox of one extraction: the worker's command line, environment and rlimits, and the
per-file path (a fresh isolated interpreter per file, killed with its process group at the
deadline). The zygote (:mod:`docflow.registry.extraction_zygote`) reuses all of it.

The worker is not started with ``python -m docflow.registry.…``: importing the ``docflow``
package imports Flask (≈0.2 s), more than the whole extraction of a short PDF. The isolated
interpreter gets ``docflow/registry`` on its path and imports the worker package
:mod:`docflow.registry.extractor` as the top-level package ``extractor``.
"""

from __future__ import annotations

import contextlib
import functools
import importlib.util
import os
import resource
import signal
import subprocess
import sys
from pathlib import Path
from typing import Any

from docflow.registry import extractor
from docflow.registry.extractor.common import Limits
from docflow.registry.extractor.worker import apply_rlimits

#: The directory that holds the worker package (``docflow/registry``).
WORKER_DIR = Path(extractor.__file__).resolve().parent.parent
MAX_FILE_WRITE = 64 * 1024 * 1024  # RLIMIT_FSIZE of the worker (it writes only previews)
MAX_OPEN_FILES = 64

#: (returncode, stdout, stderr, timed out) of one worker run
Outcome = tuple[int, bytes, bytes, bool]


def worker_env(tmp: str) -> dict[str, str]:
    """The worker's whole environment: nothing of ours leaks into it; OpenMP on one thread."""
    env = {
        "PATH": os.environ.get("PATH", "/usr/local/bin:/usr/bin:/bin"),
        "LANG": "C.UTF-8",
        "HOME": tmp,
        "TMPDIR": tmp,
        "OMP_THREAD_LIMIT": "1",
    }
    if "TESSDATA_PREFIX" in os.environ:
        env["TESSDATA_PREFIX"] = os.environ["TESSDATA_PREFIX"]
    return env


def run_in_process(job: dict[str, Any], wall_seconds: float) -> Outcome:
    """The per-file path: a fresh interpreter runs the worker (≈0.1 s of start-up per file)."""
    tmp = job["tmp"]
    cmd = [*worker_command(), job["path"], "--kind", job["kind"], "--limits", job["limits"]]
    if job.get("preview"):
        cmd += ["--preview", job["preview"]]
    proc = subprocess.Popen(  # noqa: S603 - our own worker, no shell
        cmd,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        cwd=tmp,
        env=worker_env(tmp),
        start_new_session=True,
        preexec_fn=functools.partial(apply_rlimits, job["rlimits"]),  # between fork and exec
    )
    timed_out = False
    try:
        out, err = proc.communicate(timeout=wall_seconds)
    except subprocess.TimeoutExpired:
        timed_out = True
        kill_group(proc.pid)
        out, err = proc.communicate()
    finally:
        kill_group(proc.pid)  # a tesseract left behind by a worker that died
    return proc.returncode, out, err, timed_out


@functools.cache
def _library_dirs() -> tuple[str, ...] | None:
    """The worker's directory and those of the libraries it imports; None if one is missing."""
    dirs = [str(WORKER_DIR)]
    for name in ("pypdfium2", "pypdfium2_raw", "PIL", "lxml"):
        spec = importlib.util.find_spec(name)
        if spec is None or not spec.submodule_search_locations:
            return None
        dirs.append(str(Path(next(iter(spec.submodule_search_locations))).parent))
    return tuple(dict.fromkeys(dirs))


def _launcher(statement: str) -> tuple[str, ...]:
    """``python -I -S -c`` with only the directories of the libraries the worker needs (no
    ``site``: the editable-install hook alone costs 15 ms); with ``site`` and the worker's
    directory first if a library cannot be located."""
    dirs = _library_dirs()
    if dirs is None:
        setup = f"import sys; sys.path.insert(0, {str(WORKER_DIR)!r})"
        return (sys.executable, "-I", "-c", f"{setup}; {statement}")
    return (
        sys.executable,
        "-I",
        "-S",
        "-c",
        f"import sys; sys.path += {list(dirs)!r}; {statement}",
    )


def worker_command() -> tuple[str, ...]:
    """The per-file worker; its arguments follow."""
    return _launcher("import extractor.worker as w; sys.exit(w.main())")


def zygote_command(fd: int) -> tuple[str, ...]:
    """The zygote: the same isolated interpreter, serving jobs on the socket ``fd``."""
    return (*_launcher("import extractor.zygote as z; sys.exit(z.main(int(sys.argv[1])))"), str(fd))


def rlimits(limits: Limits) -> list[tuple[int, int]]:
    """(resource, value) pairs, computed in the parent so the child only calls setrlimit."""
    memory = limits.max_memory_mb * 1024 * 1024
    pairs = [
        (resource.RLIMIT_AS, memory),
        (resource.RLIMIT_CPU, limits.cpu_seconds),
        (resource.RLIMIT_FSIZE, MAX_FILE_WRITE),
        (resource.RLIMIT_NOFILE, MAX_OPEN_FILES),
        (resource.RLIMIT_CORE, 0),
    ]
    result = []
    for res, value in pairs:
        _soft, hard = resource.getrlimit(res)
        if hard != resource.RLIM_INFINITY:
            value = min(value, hard)
        result.append((res, value))
    return result


def kill_group(pid: int) -> None:
    """SIGKILL the process group ``pid`` leads (the worker and the tesseract runs it started)."""
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(pid, signal.SIGKILL)
