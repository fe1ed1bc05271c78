"""Text extraction from attachments: PDF text layer, OCR of scans and photos, DOCX, previews.

The public API (no Flask needed)::

    result = extract(path, filename="original name.pdf")   # -> ExtractionResult, never raises
    result.status        # "done" | "failed" | "skipped"
    result.text          # pages joined with "\\f"
    result.error_code    # stable code, a key of ERROR_MESSAGES (translate per code)

The work happens in a child process (:mod:`docflow.registry.extract_worker`) with limits on
address space, CPU time, file size and open files, a wall-clock timeout that kills the whole
process group (the worker and its ``tesseract`` runs), and ``OMP_THREAD_LIMIT=1`` (tesseract's
OpenMP threads make it 3-5× *slower* on a small machine). A hostile file therefore costs at most
one child's limits and comes back as ``status="failed"`` with a code and a sentence; the caller's
memory never holds more than the extracted text.

The worker is not started with ``python -m docflow.registry.extract_worker``: importing the
``docflow`` package imports Flask (≈0.2 s), more than the whole extraction of a short PDF. It is
imported as a top-level module by an isolated interpreter (see ``_worker_command``).

Even so a fresh interpreter costs ≈0.1 s per file, so files normally go through a *zygote*: one
long-lived interpreter per parent process (started on first use, restarted if it died, stopped at
exit) that has imported the worker, pypdfium2, Pillow and lxml and forks a child per file. The
child sets the same rlimits, gets a process group and session of its own, and writes the same
JSON to a pipe the parent reads; the zygote reports the child's pid (the parent kills the group at
the wall-clock deadline, as it kills a per-file process) and its exit status (so the codes of
signals and limits do not change). The zygote never opens a file itself, so a hostile file can
affect its child only. One file at a time goes through the zygote; a file arriving meanwhile
from another thread, or when the zygote cannot start or dies during a file, gets a process of its
own as before. ``USE_ZYGOTE = False`` or ``DOCFLOW_EXTRACTION_ZYGOTE=0`` turns the zygote off.
"""

from __future__ import annotations

import atexit
import contextlib
import errno
import functools
import importlib.util
import json
import logging
import os
import resource
import select
import selectors
import signal
import socket
import stat
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from docflow.registry import extract_worker
from docflow.registry.extract_worker import (
    HEAD_BYTES,
    KINDS,
    LABELS,
    Detection,
    Limits,
    detect,
    detect_type,
)

__all__ = [
    "DEFAULT_LIMITS",
    "ERROR_MESSAGES",
    "KINDS",
    "LABELS",
    "Detection",
    "ExtractionResult",
    "Limits",
    "detect",
    "detect_type",
    "extract",
    "extract_cli_text",
]

log = logging.getLogger(__name__)

DEFAULT_LIMITS = Limits()
WORKER = Path(extract_worker.__file__).resolve()
MAX_FILE_WRITE = 64 * 1024 * 1024  # RLIMIT_FSIZE of the worker (it only writes the preview)
MAX_OPEN_FILES = 64

#: Run files through the zygote (a pre-forked worker); False, or ``DOCFLOW_EXTRACTION_ZYGOTE=0``
#: in the environment, starts a fresh interpreter per file instead (slower; for debugging).
USE_ZYGOTE = True
ZYGOTE_START_SECONDS = 30  # the zygote's imports, on a loaded machine
ZYGOTE_RETRY_SECONDS = 30  # after a failed start, one process per file for this long
KILL_GRACE_SECONDS = 10  # after killing a child at the deadline, wait this long for its status
PIPE_GRACE_SECONDS = 2  # after the child exited, wait this long for its pipes to close

#: (returncode, stdout, stderr, timed out) of one worker run
Outcome = tuple[int, bytes, bytes, bool]

#: One plain English sentence per error code, for the UI to translate per code. ``error`` on a
#: result is often more specific (it names the limit or the claimed type), and stays English.
ERROR_MESSAGES: dict[str, str] = {
    "not_supported": "Text extraction is not supported for this file type, or the file is not "
    "what its name says; the file is kept as is.",
    "corrupt": "The file is damaged, truncated or empty and cannot be read.",
    "too_large": "The file is too large to process (size, pages, image size or content).",
    "timeout": "Processing the file took too long and was stopped.",
    "memory": "Processing the file needed more memory than allowed and was stopped.",
    "encrypted": "The file is password-protected.",
    "ocr_failed": "Text recognition (OCR) failed on this file.",
    "unsafe": "The file looks unsafe (a compression bomb or external references) and was not "
    "opened.",
    "internal": "Text extraction failed because of an internal error; the file is kept.",
}


@dataclass
class ExtractionResult:
    status: str  # "done" | "failed" | "skipped"
    kind: str  # "pdf", "png", "jpeg", "tiff", "docx" or "other" (from the content, not the name)
    pages: list[str]  # text per page (DOCX: one entry); may be partial when status is "failed"
    page_count: int | None  # pages/frames; DOCX: docProps/app.xml <Pages>, else None
    ocr_pages: int  # pages whose text came from (or was attempted by) OCR
    preview_png: bytes | None  # the first page, ≤ 800 px on the long side
    error_code: str | None  # a key of ERROR_MESSAGES ("not_supported" also when skipped)
    error: str | None  # one English sentence, specific to this file
    warnings: list[str] = field(default_factory=list)  # e.g. OCR failed on one page of many
    seconds: float = 0.0  # wall-clock time of the extraction

    @property
    def text(self) -> str:
        return "\f".join(self.pages)


def _result(
    status: str, kind: str, code: str | None = None, error: str | None = None, **kw: Any
) -> ExtractionResult:
    return ExtractionResult(
        status=status,
        kind=kind,
        pages=kw.pop("pages", []),
        page_count=kw.pop("page_count", None),
        ocr_pages=kw.pop("ocr_pages", 0),
        preview_png=kw.pop("preview_png", None),
        error_code=code,
        error=error or (ERROR_MESSAGES[code] if code else None),
        **kw,
    )


def extract(
    path: str | os.PathLike[str],
    *,
    limits: Limits | Mapping[str, Any] = DEFAULT_LIMITS,
    filename: str | None = None,
) -> ExtractionResult:
    """Extract the text of one file in a sandboxed child process.

    ``filename`` is the name the file came with (stored files often have none); it is used only
    to explain a refusal ("not a PDF although its name says so"), the type comes from the bytes.
    Bad files never raise: they return ``status="failed"``. A missing or unreadable ``path``
    raises ``OSError`` (that is the caller's bug, not the file's).
    """
    if isinstance(limits, Mapping):
        limits = Limits.from_dict(dict(limits))
    started = time.monotonic()
    path = Path(path)
    info = path.stat()
    if not stat.S_ISREG(info.st_mode):
        raise OSError(errno.EINVAL, "not a regular file", os.fspath(path))
    size = info.st_size
    with path.open("rb") as fh:
        head = fh.read(HEAD_BYTES)
    found = detect(head, filename if filename is not None else path.name)

    def finish(result: ExtractionResult) -> ExtractionResult:
        result.seconds = round(time.monotonic() - started, 3)
        return result

    if size == 0:
        return finish(_result("failed", found.kind, "corrupt", "The file is empty."))
    if size > limits.max_bytes:
        error = f"The file is {size / 2**20:.1f} MB; the limit is {limits.max_bytes / 2**20:g} MB."
        return finish(_result("failed", found.kind, "too_large", error))
    if found.kind == "other":
        if found.reason:
            return finish(_result("failed", "other", "not_supported", found.reason))
        return finish(_result("skipped", "other", "not_supported"))
    return finish(_run_worker(path, found, limits))


def _run_worker(path: Path, found: Detection, limits: Limits) -> ExtractionResult:
    with tempfile.TemporaryDirectory(prefix="docflow-extract-") as tmp:
        preview = Path(tmp, "preview.png")
        job = {
            "op": "run",
            "path": str(path.resolve()),
            "kind": found.kind,
            "preview": str(preview),
            "tmp": tmp,
            "limits": limits.to_json(),
            "rlimits": _rlimits(limits),
        }
        outcome = _run_in_zygote(job, limits.wall_seconds)
        if outcome is None:
            outcome = _run_in_process(job, limits.wall_seconds)
        returncode, out, err, timed_out = outcome
        png = _read_preview(preview)
    if timed_out:
        error = f"Processing took longer than {limits.wall_seconds} s and was stopped."
        return _result("failed", found.kind, "timeout", error)
    return _parse_worker(returncode, out, err, found, png)


def _worker_env(tmp: str) -> dict[str, str]:
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


def _run_in_process(job: dict[str, Any], wall_seconds: float) -> Outcome:
    """The per-file path: a fresh interpreter runs the worker (≈0.1 s of start-up per file)."""
    tmp = job["tmp"]
    cmd = [
        *_worker_command(),
        job["path"],
        "--kind",
        job["kind"],
        "--preview",
        job["preview"],
        "--limits",
        job["limits"],
    ]
    proc = subprocess.Popen(  # noqa: S603 - our own worker, no shell
        cmd,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        cwd=tmp,
        env=_worker_env(tmp),
        start_new_session=True,
        preexec_fn=functools.partial(_set_limits, job["rlimits"]),
    )
    timed_out = False
    try:
        out, err = proc.communicate(timeout=wall_seconds)
    except subprocess.TimeoutExpired:
        timed_out = True
        _kill_group(proc.pid)
        out, err = proc.communicate()
    finally:
        _kill_group(proc.pid)  # a tesseract left behind by a worker that died
    return proc.returncode, out, err, timed_out


@functools.cache
def _library_dirs() -> tuple[str, ...] | None:
    """The worker's directory and those of the libraries it imports; None if one is missing."""
    dirs = [str(WORKER.parent)]
    for name in ("pypdfium2", "pypdfium2_raw", "PIL", "lxml"):
        spec = importlib.util.find_spec(name)
        if spec is None or not spec.submodule_search_locations:
            return None
        dirs.append(str(Path(next(iter(spec.submodule_search_locations))).parent))
    return tuple(dict.fromkeys(dirs))


def _worker_command() -> tuple[str, ...]:
    """``python -I -S`` and a two-line launcher: no ``site`` (the editable-install hook alone costs
    15 ms), only the directories of the libraries the worker needs, the worker's cached bytecode.
    Falls back to running the worker file if a library cannot be located."""
    dirs = _library_dirs()
    if dirs is None:
        return (sys.executable, "-I", str(WORKER))
    launcher = f"import sys; sys.path += {list(dirs)!r}; import extract_worker; sys.exit(extract_worker.main())"
    return (sys.executable, "-I", "-S", "-c", launcher)


def _zygote_command(fd: int) -> tuple[str, ...]:
    """The zygote: the same isolated interpreter, serving jobs on the socket ``fd``."""
    serve = "import extract_worker; sys.exit(extract_worker.zygote_main(int(sys.argv[1])))"
    dirs = _library_dirs()
    if dirs is None:
        launcher = f"import sys; sys.path.insert(0, {str(WORKER.parent)!r}); {serve}"
        return (sys.executable, "-I", "-c", launcher, str(fd))
    return (
        sys.executable,
        "-I",
        "-S",
        "-c",
        f"import sys; sys.path += {list(dirs)!r}; {serve}",
        str(fd),
    )


def _rlimits(limits: Limits) -> list[tuple[int, int]]:
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


_set_limits = extract_worker.apply_rlimits  # runs in the child between fork and exec


# ---------------------------------------------------------------------------------------------
# The zygote


class _ZygoteError(Exception):
    """The zygote is unusable; ``started`` tells whether the job may have begun."""

    def __init__(self, message: str, *, started: bool = True) -> None:
        super().__init__(message)
        self.started = started


class _Zygote:
    """The parent's handle on one zygote process (see ``extract_worker.zygote_main``)."""

    def __init__(self) -> None:
        ours, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
        try:
            self.proc = subprocess.Popen(  # noqa: S603 - our own worker, no shell
                _zygote_command(theirs.fileno()),
                stdin=subprocess.DEVNULL,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
                cwd="/",
                env=_worker_env(tempfile.gettempdir()),
                start_new_session=True,
                pass_fds=(theirs.fileno(),),
            )
        except BaseException:
            ours.close()
            raise
        finally:
            theirs.close()
        self.sock = ours
        self.pid = self.proc.pid
        self.jobs = 0
        self.broken = False  # set when it stopped answering: discard it after this job
        try:
            message = self._receive(ZYGOTE_START_SECONDS)
        except BaseException:
            self.close()
            raise
        if not message or "ready" not in message:
            self.close()
            detail = (message or {}).get("error", "no answer")
            raise _ZygoteError(f"the extraction zygote did not start: {detail}", started=False)

    def _receive(self, timeout: float) -> dict[str, Any] | None:
        poller = select.poll()
        poller.register(self.sock, select.POLLIN)
        if not poller.poll(timeout * 1000):
            return None
        try:
            return json.loads(self.sock.recv(4096) or b"null")
        except (OSError, ValueError):
            return None

    def alive(self) -> bool:
        return self.proc.poll() is None

    def close(self) -> None:
        """Closing the socket makes the zygote kill a running child and exit."""
        with contextlib.suppress(OSError):
            self.sock.close()
        try:
            self.proc.wait(timeout=2)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()

    def run(self, job: dict[str, Any], wall_seconds: float) -> Outcome:
        out_r, out_w = os.pipe()
        err_r, err_w = os.pipe()
        try:
            try:
                socket.send_fds(self.sock, [json.dumps(job).encode()], [out_w, err_w])
            except OSError as exc:
                raise _ZygoteError(f"cannot reach the zygote: {exc}", started=False) from None
            finally:
                os.close(out_w)
                os.close(err_w)
            self.jobs += 1
            return self._collect(out_r, err_r, wall_seconds)
        finally:
            os.close(out_r)
            os.close(err_r)

    def _collect(self, out_r: int, err_r: int, wall_seconds: float) -> Outcome:
        """Read the child's output until it has exited; kill its group at the deadline."""
        chunks: dict[int, list[bytes]] = {out_r: [], err_r: []}
        pid: int | None = None
        status: int | None = None
        timed_out = False
        deadline = time.monotonic() + wall_seconds
        with selectors.DefaultSelector() as sel:
            for fd in (out_r, err_r, self.sock.fileno()):
                sel.register(fd, selectors.EVENT_READ)
            while status is None or len(sel.get_map()) > 0:
                now = time.monotonic()
                if now >= deadline:
                    if status is not None:  # exited; a stray process holds the pipes open
                        break
                    if pid is None:
                        raise _ZygoteError("the zygote does not answer")
                    if timed_out:  # killed, yet not reported: the file timed out all the same
                        log.warning("extraction zygote %s does not report its child", self.pid)
                        self.broken = True
                        status = -signal.SIGKILL
                        break
                    timed_out = True
                    _kill_group(pid)  # the zombie keeps the pid ours until we say "done"
                    deadline = now + KILL_GRACE_SECONDS
                    continue
                for key, _events in sel.select(deadline - now):
                    if key.fd in chunks:
                        data = os.read(key.fd, 1 << 16)
                        if data:
                            chunks[key.fd].append(data)
                        else:
                            sel.unregister(key.fd)
                        continue
                    try:
                        message = json.loads(self.sock.recv(4096) or b"{}")
                    except (OSError, ValueError):
                        message = {}
                    if "pid" in message:
                        pid = int(message["pid"])
                    elif "status" in message:
                        status = int(message["status"])
                        sel.unregister(key.fd)
                        deadline = min(deadline, now + PIPE_GRACE_SECONDS)
                    else:  # closed (the zygote died), or it could not fork
                        if pid is not None:
                            _kill_group(pid)
                        detail = message.get("error", "the zygote died")
                        raise _ZygoteError(detail, started=pid is not None)
        if not self.broken:
            with contextlib.suppress(OSError):
                self.sock.send(b'{"op": "done"}')
        return status, b"".join(chunks[out_r]), b"".join(chunks[err_r]), timed_out


_zygote: _Zygote | None = None
_zygote_lock = threading.Lock()
_zygote_retry_at = 0.0  # after a failed start, the per-file path until then
_atexit_registered = False


def _zygote_enabled() -> bool:
    setting = os.environ.get("DOCFLOW_EXTRACTION_ZYGOTE", "1").strip().lower()
    return USE_ZYGOTE and setting not in ("0", "false", "no", "off")


def _run_in_zygote(job: dict[str, Any], wall_seconds: float) -> Outcome | None:
    """The job's outcome through the zygote, or None: use the per-file path (zygote disabled,
    busy with another thread's file, cannot start, or died during this job)."""
    if not _zygote_enabled() or not _zygote_lock.acquire(blocking=False):
        return None
    try:
        for _attempt in range(2):
            zygote = _get_zygote()
            if zygote is None:
                return None
            try:
                outcome = zygote.run(job, wall_seconds)
                if zygote.broken:
                    _discard_zygote()
                return outcome
            except _ZygoteError as exc:
                log.warning("extraction zygote %s failed: %s", zygote.pid, exc)
                _discard_zygote()
                if exc.started:  # do not run a file twice through zygotes: the per-file path
                    return None
            except Exception:  # our bug, or out of descriptors: the zygote's state is unknown
                log.exception("extraction through the zygote %s failed", zygote.pid)
                _discard_zygote()
                return None
        return None
    finally:
        _zygote_lock.release()


def _get_zygote() -> _Zygote | None:
    """The running zygote, started (or restarted) if needed. Called with the lock held."""
    global _zygote, _zygote_retry_at, _atexit_registered
    if _zygote is not None and not _zygote.alive():
        log.warning("extraction zygote %s died; starting a new one", _zygote.pid)
        _discard_zygote()
    if _zygote is None:
        if time.monotonic() < _zygote_retry_at:
            return None
        try:
            _zygote = _Zygote()
        except Exception as exc:
            log.warning("extraction zygote unavailable, one process per file: %s", exc)
            _zygote_retry_at = time.monotonic() + ZYGOTE_RETRY_SECONDS
            return None
        if not _atexit_registered:
            atexit.register(_shutdown_zygote)
            _atexit_registered = True
    return _zygote


def _discard_zygote() -> None:
    global _zygote
    zygote, _zygote = _zygote, None
    if zygote is not None:
        zygote.close()


def _shutdown_zygote() -> None:
    """Stop the zygote (at exit; tests use it to start afresh)."""
    locked = _zygote_lock.acquire(timeout=2)  # a daemon thread may be mid-file
    try:
        _discard_zygote()
    finally:
        if locked:
            _zygote_lock.release()


def _zygote_pid() -> int | None:
    """The pid of the running zygote, if any (for tests and benchmarks)."""
    zygote = _zygote
    return zygote.pid if zygote is not None and zygote.alive() else None


def _forget_zygote_after_fork() -> None:
    """A forked copy of this process starts its own zygote: the socket is the parent's."""
    global _zygote, _zygote_lock
    if _zygote is not None:
        with contextlib.suppress(OSError):
            _zygote.sock.close()
    _zygote = None
    _zygote_lock = threading.Lock()


os.register_at_fork(after_in_child=_forget_zygote_after_fork)


def _kill_group(pid: int) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(pid, signal.SIGKILL)


def _read_preview(preview: Path) -> bytes | None:
    try:
        if preview.stat().st_size > extract_worker.MAX_PREVIEW_BYTES:
            return None
        data = preview.read_bytes()
    except OSError:
        return None
    return data if data.startswith(b"\x89PNG\r\n\x1a\n") else None


_SIGNAL_ERRORS = {
    signal.SIGXCPU: ("timeout", "Processing used more CPU time than allowed and was stopped."),
    signal.SIGXFSZ: ("too_large", "Processing wrote more data than allowed and was stopped."),
}


def _parse_worker(
    returncode: int, out: bytes, err: bytes, found: Detection, png: bytes | None
) -> ExtractionResult:
    kind = found.kind
    data = None
    if returncode == 0:
        try:
            data = json.loads(out)
        except ValueError:
            data = None
    if data is None:
        tail = err.decode("utf-8", "replace").strip().splitlines()[-5:]
        if returncode < 0:
            sig = -returncode
            if sig in _SIGNAL_ERRORS:
                return _result("failed", kind, *_SIGNAL_ERRORS[sig])
            # PDFium aborts when an allocation fails under RLIMIT_AS; the kernel's OOM killer
            # sends SIGKILL. A crash on a damaged file looks the same from here.
            log.info("extraction worker killed by signal %s", sig)
            error = "Processing the file needed more memory than allowed, or the file crashed "
            error += "the reader; it is too large or damaged."
            return _result("failed", kind, "memory", error)
        if any("MemoryError" in line for line in tail):
            return _result("failed", kind, "memory")
        log.warning("extraction worker failed (exit %s): %s", returncode, " | ".join(tail))
        return _result("failed", kind, "internal")
    if data.get("error_code") == "internal":
        log.warning("extraction worker error: %s", err.decode("utf-8", "replace")[-2000:])
    return _result(
        data["status"],
        data.get("kind") or kind,
        data.get("error_code"),
        data.get("error_detail"),
        pages=list(data.get("pages") or []),
        page_count=data.get("page_count"),
        ocr_pages=int(data.get("ocr_pages") or 0),
        preview_png=png if data.get("preview") else None,
        warnings=list(data.get("warnings") or []),
    )


def extract_cli_text(
    path: str | os.PathLike[str], *, limits: Limits | Mapping[str, Any] = DEFAULT_LIMITS
) -> tuple[int, str]:
    """For ``flask --app docflow registry extract FILE``: (exit code, text or one-line error).

    Exit 0 with the text (pages separated by form feeds); 1 with ``error: …`` for a file that is
    refused or not supported; 2 when the path cannot be read at all.
    """
    try:
        result = extract(path, limits=limits)
    except FileNotFoundError:
        return 2, f"error: no such file: {os.fspath(path)}"
    except OSError as exc:
        return 2, f"error: cannot read {os.fspath(path)}: {exc.strerror or exc}"
    if result.status == "done":
        return 0, result.text
    message = " ".join((result.error or ERROR_MESSAGES.get(result.error_code or "", "")).split())
    return 1, f"error: {message or 'the file was not extracted.'}"
