"""The zygote's parent side: one long-lived interpreter per parent process that has imported the
worker, pypdfium2, Pillow and lxml and forks a child per file (:mod:`docflow.registry.extractor.zygote`).

A fresh interpreter costs ≈0.1 s per file, so files normally go through the zygote: started on
first use, restarted if it died, stopped at exit. The zygote forks the next file's child ahead
and hands this process a socket to it; the job goes to that child directly (no other process
on the file's path: on a busy machine each process woken on the way waited for a CPU). The
child sets the same rlimits as a per-file process, gets a process group and session of its own,
and writes the same JSON to a pipe the parent reads; the parent kills the child's group at the
wall-clock deadline, as it kills a per-file process, and the zygote reports its exit status (so
the codes of signals and limits do not change) and reaps it only once the parent is done with
its pid. The zygote never opens a file itself, so a hostile file can affect its child only.

A child whose file ended cleanly reads the next file too (same limits; at most 32 files, while
its CPU time and peak memory stay low and it has no process of its own left): a fork and a
warm-up per file cost more CPU than a short letter's text (≈7 ms against ≈1.5 ms), and a
freshly forked child reads it about twice as slowly as a warm one (copy-on-write faults). What
the per-file child protects against is kept: a file that fails, hangs, crashes or exhausts a
limit ends its child, and the next file gets a fresh one. (The sandbox is rlimits and a process
of its own, not a confinement of what a compromised parser could read: one child per file
would not protect the other files against that either.)
One file at a time goes through the zygote; a file arriving meanwhile from another thread,
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
        self.spare: tuple[int, socket.socket] | None = None  # (pid, its socket) for the next file
        self.warm: tuple[int, socket.socket, str] | None = None  # (pid, socket, rlimits): see run
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
        """The zygote's next message (None: none within ``timeout``, or the zygote is gone); a
        spare's socket that comes with it is kept as the next file's."""
        poller = select.poll()
        poller.register(self.sock, select.POLLIN)
        if not poller.poll(timeout * 1000):
            return None
        try:
            data, fds, _flags, _addr = socket.recv_fds(self.sock, 4096, 1)
            message = json.loads(data or b"null")
        except (OSError, ValueError):
            return None
        for fd in fds:
            if isinstance(message, dict) and "spare" in message and fd == fds[0]:
                self._set_spare(int(message["spare"]), socket.socket(fileno=fd))
            else:
                os.close(fd)
        return message if isinstance(message, dict) else None

    def _set_spare(self, pid: int, channel: socket.socket) -> None:
        if self.spare is not None:
            self.spare[1].close()
        self.spare = (pid, channel)

    def _take_spare(self) -> tuple[int, socket.socket]:
        """The spare for this file: the newest the zygote announced (read what it has sent
        meanwhile first), else wait for one."""
        while self._receive(0) is not None:
            pass
        deadline = time.monotonic() + ZYGOTE_START_SECONDS
        if self.spare is None:
            with contextlib.suppress(OSError):
                self.sock.send(b'{"op": "spare"}')
        while self.spare is None:
            left = deadline - time.monotonic()
            message = self._receive(left) if left > 0 else None
            if message is None:
                raise ZygoteError("the zygote has no child for the file", started=False)
            if "error" in message and self.spare is None:
                raise ZygoteError(str(message["error"]), started=False)
        spare, self.spare = self.spare, None
        return spare

    def alive(self) -> bool:
        return self.proc.poll() is None

    def close(self) -> None:
        """Closing the socket makes the zygote kill a running child (and the spare) and exit."""
        if self.spare is not None:
            self.spare[1].close()
            self.spare = None
        if self.warm is not None:
            self.warm[1].close()
            self.warm = None
        with contextlib.suppress(OSError):
            self.sock.close()
        try:
            self.proc.wait(timeout=2)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()

    def run(self, job: dict[str, Any], wall_seconds: float) -> Outcome:
        """The job, given to the child that read the last file if it takes another (a clean
        result, the same limits; see ``extractor.zygote._may_serve_again``), else to the spare
        directly: the zygote is told first (it then forks the next spare while this one works),
        so that the file waits for no other process."""
        message = json.dumps(job).encode()
        key = json.dumps(job["rlimits"])
        out_r, out_w = os.pipe()
        err_r, err_w = os.pipe()
        try:
            try:
                pid, channel = self._give(key, message, out_w, err_w)
            finally:
                os.close(out_w)
                os.close(err_w)
            self.jobs += 1
            try:
                outcome = self._collect(pid, out_r, err_r, wall_seconds)
            except BaseException:
                channel.close()
                raise
            if outcome[0] == 0 and not outcome[3] and not self.broken:
                self.warm = (pid, channel, key)  # it may take the next file (it decides)
            else:
                self._release(pid, channel)
            return outcome
        finally:
            os.close(out_r)
            os.close(err_r)

    def _give(self, key: str, message: bytes, out_w: int, err_w: int) -> tuple[int, socket.socket]:
        """Send the job with the pipes' write ends: to the warm child, else to a spare."""
        if self.warm is not None:
            pid, channel, warm_key = self.warm
            self.warm = None
            if warm_key == key:
                try:
                    socket.send_fds(channel, [message], [out_w, err_w], socket.MSG_NOSIGNAL)
                    return pid, channel
                except OSError:  # it ended itself after its last file (or died): a spare
                    pass
            self._release(pid, channel)
        for attempt in range(2):
            pid, channel = self._take_spare()
            try:
                self.sock.send(json.dumps({"op": "run", "pid": pid}).encode())
                socket.send_fds(channel, [message], [out_w, err_w], socket.MSG_NOSIGNAL)
                return pid, channel
            except OSError as exc:  # the spare died unused: the zygote forks anew
                channel.close()
                if attempt:
                    raise ZygoteError(f"cannot reach a child: {exc}", started=False) from None
        raise AssertionError("unreachable")

    def _release(self, pid: int, channel: socket.socket) -> None:
        """Done with the child ``pid``: closing its socket ends it (if it still waits for a file),
        and the zygote may reap it once it has exited (its pid is no longer ours to kill)."""
        channel.close()
        if not self.broken:
            with contextlib.suppress(OSError):
                self.sock.send(json.dumps({"op": "done", "pid": pid}).encode())

    def _collect(self, pid: int, out_r: int, err_r: int, wall_seconds: float) -> Outcome:
        """Read the child's output until it has exited, or until it has closed both pipes after
        a whole result (its exit, and the zygote's report of it, then overlap the caller's work:
        the report is skipped at the next file); kill its group at the deadline."""
        chunks: dict[int, list[bytes]] = {out_r: [], err_r: []}
        status: int | None = None
        timed_out = finished = zygote_gone = False
        deadline = time.monotonic() + wall_seconds
        with selectors.DefaultSelector() as sel:
            for fd in (out_r, err_r, self.sock.fileno()):
                sel.register(fd, selectors.EVENT_READ)
            while not finished and (status is None or len(sel.get_map()) > 0):
                now = time.monotonic()
                if now >= deadline:
                    if status is not None:  # exited; a stray process holds the pipes open
                        break
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
                        if status is None and not timed_out:
                            finished = not pipes_open and bool(output) and output[-1][-1:] == b"\n"
                            if finished:
                                break
                            if zygote_gone and not pipes_open:  # and the child without a result
                                sandbox.kill_group(pid)
                                raise ZygoteError("the zygote died")
                        continue
                    message = self._receive(0)
                    if message is None:  # closed: the zygote died; the child may finish yet
                        sel.unregister(key.fd)
                        self.broken = zygote_gone = True
                        if not any(fd in chunks for fd in sel.get_map()):
                            sandbox.kill_group(pid)
                            raise ZygoteError("the zygote died")
                        continue
                    if "status" in message and message.get("pid") == pid:
                        status = int(message["status"])
                        sel.unregister(key.fd)
                        deadline = min(deadline, now + PIPE_GRACE_SECONDS)
                    # else: an earlier file's child exited, the next spare, a failed fork
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
                    if not zygote.alive():  # killed: its successor starts now, not with a file
                        _get()
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
            if _zygote.spare is not None:
                _zygote.spare[1].close()
            if _zygote.warm is not None:
                _zygote.warm[1].close()
    _zygote = None
    _lock = threading.Lock()


os.register_at_fork(after_in_child=_forget_after_fork)
