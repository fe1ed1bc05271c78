"""The zygote's parent side: one long-lived interpreter per parent process that has imported the
worker, pypdfium2, Pillow and lxml and forks a child per file (:mod:`docflow.registry.extractor.zygote`).

A fresh interpreter costs ≈0.1 s per file, so files normally go through the zygote: started on
first use, restarted if it died, stopped at exit. The child sets the same rlimits as a per-file
process, gets a process group and session of its own, and writes the same JSON to a pipe the
parent reads; the zygote reports the child's pid (the parent kills the group at the wall-clock
deadline, as it kills a per-file process) and its exit status (so the codes of signals and limits
do not change). The zygote never opens a file itself, so a hostile file can affect its child
only. One file at a time goes through the zygote; a file arriving meanwhile from another thread,
or when the zygote cannot start or dies during a file, gets a process of its own
(:func:`docflow.registry.extraction_sandbox.run_in_process`). ``USE_ZYGOTE = False`` or
``DOCFLOW_EXTRACTION_ZYGOTE=0`` turns the zygote off.
"""

from __future__ import annotations

import atexit
import contextlib
import json
import logging
import os
import select
import selectors
import signal
import socket
import subprocess
import tempfile
import threading
import time
from typing import Any

from docflow.registry import extraction_sandbox as sandbox
from docflow.registry.extraction_sandbox import Outcome

log = logging.getLogger(__name__)

#: Run files through the zygote (a pre-forked worker); False, or ``DOCFLOW_EXTRACTION_ZYGOTE=0``
#: in the environment, starts a fresh interpreter per file instead (slower; for debugging).
USE_ZYGOTE = True
ZYGOTE_START_SECONDS = 30  # the zygote's imports, on a loaded machine
ZYGOTE_RETRY_SECONDS = 30  # after a failed start, one process per file for this long
KILL_GRACE_SECONDS = 10  # after killing a child at the deadline, wait this long for its status
PIPE_GRACE_SECONDS = 2  # after the child exited, wait this long for its pipes to close


class ZygoteError(Exception):
    """The zygote is unusable; ``started`` tells whether the job may have begun."""

    def __init__(self, message: str, *, started: bool = True) -> None:
        super().__init__(message)
        self.started = started


class Zygote:
    """The parent's handle on one zygote process (see ``extractor.zygote.main``)."""

    def __init__(self) -> None:
        ours, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
        try:
            self.proc = subprocess.Popen(  # noqa: S603 - our own worker, no shell
                sandbox.zygote_command(theirs.fileno()),
                stdin=subprocess.DEVNULL,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
                cwd="/",
                env=sandbox.worker_env(tempfile.gettempdir()),
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
            raise ZygoteError(f"the extraction zygote did not start: {detail}", started=False)

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
                raise ZygoteError(f"cannot reach the zygote: {exc}", started=False) from None
            finally:
                os.close(out_w)
                os.close(err_w)
            self.jobs += 1
            return self._collect(out_r, err_r, wall_seconds)
        finally:
            os.close(out_r)
            os.close(err_r)

    def _collect(self, out_r: int, err_r: int, wall_seconds: float) -> Outcome:
        """Read the child's output until it has exited, or until it has closed both pipes after
        a whole result (its exit, and the zygote's report of it, then overlap the caller's work:
        the report is skipped at the next file); kill its group at the deadline."""
        chunks: dict[int, list[bytes]] = {out_r: [], err_r: []}
        pid: int | None = None
        status: int | None = None
        timed_out = finished = False
        deadline = time.monotonic() + wall_seconds
        with selectors.DefaultSelector() as sel:
            for fd in (out_r, err_r, self.sock.fileno()):
                sel.register(fd, selectors.EVENT_READ)
            while not finished and (status is None or len(sel.get_map()) > 0):
                now = time.monotonic()
                if now >= deadline:
                    if status is not None:  # exited; a stray process holds the pipes open
                        break
                    if pid is None:
                        raise ZygoteError("the zygote does not answer")
                    if timed_out:  # killed, yet not reported: the file timed out all the same
                        log.warning("extraction zygote %s does not report its child", self.pid)
                        self.broken = True
                        status = -signal.SIGKILL
                        break
                    timed_out = True
                    sandbox.kill_group(pid)  # the zombie keeps the pid ours until we say "done"
                    deadline = now + KILL_GRACE_SECONDS
                    continue
                for key, _events in sel.select(deadline - now):
                    if key.fd in chunks:
                        data = os.read(key.fd, 1 << 16)
                        if data:
                            chunks[key.fd].append(data)
                            continue
                        sel.unregister(key.fd)
                        pipes_open = any(fd in chunks for fd in sel.get_map())
                        output = chunks[out_r]
                        if pid is not None and status is None and not timed_out:
                            finished = not pipes_open and bool(output) and output[-1][-1:] == b"\n"
                            if finished:
                                break
                        continue
                    try:
                        message = json.loads(self.sock.recv(4096) or b"{}")
                    except (OSError, ValueError):
                        message = {}
                    if "pid" in message:
                        pid = int(message["pid"])
                    elif "status" in message and pid is None:
                        continue  # the exit of the previous file's child, which finished early
                    elif "status" in message:
                        status = int(message["status"])
                        sel.unregister(key.fd)
                        deadline = min(deadline, now + PIPE_GRACE_SECONDS)
                    else:  # closed (the zygote died), or it could not fork
                        if pid is not None:
                            sandbox.kill_group(pid)
                        detail = message.get("error", "the zygote died")
                        raise ZygoteError(detail, started=pid is not None)
        if not self.broken:  # the pid is no longer ours to kill: the zygote may reap it
            with contextlib.suppress(OSError):
                self.sock.send(b'{"op": "done"}')
        returncode = 0 if finished else status
        return returncode, b"".join(chunks[out_r]), b"".join(chunks[err_r]), timed_out


_zygote: Zygote | None = None
_lock = threading.Lock()
_retry_at = 0.0  # after a failed start, the per-file path until then
_atexit_registered = False


def enabled() -> bool:
    """Whether files go through the zygote (``USE_ZYGOTE`` and the environment agree)."""
    setting = os.environ.get("DOCFLOW_EXTRACTION_ZYGOTE", "1").strip().lower()
    return USE_ZYGOTE and setting not in ("0", "false", "no", "off")


def run_in_zygote(job: dict[str, Any], wall_seconds: float) -> Outcome | None:
    """The job's outcome through the zygote, or None: use the per-file path (zygote disabled,
    busy with another thread's file, cannot start, or died during this job)."""
    if not enabled() or not _lock.acquire(blocking=False):
        return None
    try:
        for _attempt in range(2):
            zygote = _get()
            if zygote is None:
                return None
            try:
                outcome = zygote.run(job, wall_seconds)
                if zygote.broken:
                    _discard()
                return outcome
            except ZygoteError as exc:
                log.warning("extraction zygote %s failed: %s", zygote.pid, exc)
                _discard()
                if exc.started:  # do not run a file twice through zygotes: the per-file path
                    return None
            except Exception:  # our bug, or out of descriptors: the zygote's state is unknown
                log.exception("extraction through the zygote %s failed", zygote.pid)
                _discard()
                return None
        return None
    finally:
        _lock.release()


def _get() -> Zygote | None:
    """The running zygote, started (or restarted) if needed. Called with the lock held."""
    global _zygote, _retry_at, _atexit_registered
    if _zygote is not None and not _zygote.alive():
        log.warning("extraction zygote %s died; starting a new one", _zygote.pid)
        _discard()
    if _zygote is None:
        if time.monotonic() < _retry_at:
            return None
        try:
            _zygote = Zygote()
        except Exception as exc:
            log.warning("extraction zygote unavailable, one process per file: %s", exc)
            _retry_at = time.monotonic() + ZYGOTE_RETRY_SECONDS
            return None
        if not _atexit_registered:
            atexit.register(shutdown)
            _atexit_registered = True
    return _zygote


def _discard() -> None:
    global _zygote
    zygote, _zygote = _zygote, None
    if zygote is not None:
        zygote.close()


def shutdown() -> None:
    """Stop the zygote (at exit; tests use it to start afresh)."""
    locked = _lock.acquire(timeout=2)  # a daemon thread may be mid-file
    try:
        _discard()
    finally:
        if locked:
            _lock.release()


def running_pid() -> int | None:
    """The pid of the running zygote, if any (for tests and benchmarks)."""
    zygote = _zygote
    return zygote.pid if zygote is not None and zygote.alive() else None


def _forget_after_fork() -> None:
    """A forked copy of this process starts its own zygote: the socket is the parent's."""
    global _zygote, _lock
    if _zygote is not None:
        with contextlib.suppress(OSError):
            _zygote.sock.close()
    _zygote = None
    _lock = threading.Lock()


os.register_at_fork(after_in_child=_forget_after_fork)
