"""The zygote: a long-lived process that has imported the libraries and forks one child per file.

Protocol (AF_UNIX SOCK_SEQPACKET sockets, one JSON object per message):
  zygote -> parent  {"ready": PID} once the libraries are loaded; {"spare": N} with one file
                    descriptor attached (SCM_RIGHTS): a socket to the child N forked ahead for
                    the next file, which waits for its job on it; {"status": RC, "pid": N} once
                    a child has exited (RC as Popen.returncode: the exit code, or -signal; an
                    earlier file's child may report during the next file); {"error": TEXT}
  parent -> zygote  {"op": "run", "pid": N} just before it gives the spare N a job, which makes
                    the zygote watch N and fork the next spare; {"op": "done", "pid": N} once
                    the parent has finished with N's pid (its timeout kill can no longer hit
                    another process): the zygote reaps N once it has exited (the next "run"
                    implies it for every earlier child); {"op": "spare"} when it has none
  parent -> spare   {"op": "run", "path", "kind", "preview", "tmp", "limits", "rlimits"} with two
                    descriptors attached: the write ends of the child's stdout and stderr pipes,
                    which the parent reads; the spare shuts its socket for writing and runs the
                    job, then, if its file ended cleanly, waits on the socket for the parent's
                    next job (same rlimits), else closes it before its pipes (the parent's next
                    send fails, and the file goes to a spare); EOF: the parent is done with it
The zygote itself never opens the file: only its children parse, under their limits.
"""

from __future__ import annotations

import contextlib
import json
import os
import sys
import traceback
from typing import Any

from . import worker
from .common import Limits, short_error
from .office import load_ziputil
from .pdf import page_text, write_preview

#: A spare child runs the warm-up again while it waits for its file (see ``_Children.fork_spare``).
SPARE_WARM_UP = True


#: A 2-page text PDF made by the zygote at start (never a user's file), and its path in a
#: private directory of the zygote (removed when it exits), read by each spare as a file.
_WARM_PDF: bytes | None = None
_WARM_PATH: str | None = None


def preload() -> None:
    """Import everything a child may need, so each child starts with it already loaded."""
    global _WARM_PDF, _WARM_PATH
    import zipfile  # noqa: F401

    import lxml.etree  # noqa: F401
    import pypdfium2
    import pypdfium2.raw  # noqa: F401
    from PIL import Image, ImageFilter, ImageOps  # noqa: F401

    Image.init()  # the format plugins (TIFF is not among the ones Image.open loads first)
    load_ziputil()  # the ZIP checks of DOCX files
    with contextlib.suppress(Exception):  # only an optimisation
        _WARM_PDF = _warm_up_pdf()
        _WARM_PATH = _write_warm_up_pdf(_WARM_PDF)
        _warm_up()


def _warm_up_pdf() -> bytes:
    """A 2-page PDF with a line of text in a standard font on each page, built here."""
    import ctypes
    import io

    import pypdfium2 as pdfium
    import pypdfium2.raw as pdfium_c

    doc = pdfium.PdfDocument.new()
    try:
        for number in (1, 2):
            page = doc.new_page(595, 842)
            text = pdfium_c.FPDFPageObj_NewTextObj(doc.raw, b"Helvetica", 12.0)
            pdfium_c.FPDFPageObj_Transform(text, 1, 0, 0, 1, 72, 720)
            line = f"Warm-up page {number}: 0123456789 " * 3 + "\0"
            encoded = ctypes.create_string_buffer(line.encode("utf-16-le"))
            pointer = ctypes.cast(encoded, ctypes.POINTER(pdfium_c.FPDF_WCHAR))
            pdfium_c.FPDFText_SetText(text, pointer)
            pdfium_c.FPDFPage_InsertObject(page.raw, text)
            pdfium_c.FPDFPage_GenerateContent(page.raw)
            page.close()
        out = io.BytesIO()
        doc.save(out)
        return out.getvalue()
    finally:
        doc.close()


WARM_UP_PREFIX = "docflow-warm-up-"  # + the zygote's pid + "-" + random


def _write_warm_up_pdf(data: bytes) -> str:
    """Write the warm-up PDF into a new private directory (``/dev/shm`` if usable), after
    removing those that zygotes killed before they could remove theirs left behind."""
    import tempfile

    shm = "/dev/shm"  # noqa: S108 - a private directory is made inside it
    where = shm if os.access(shm, os.W_OK | os.X_OK) else tempfile.gettempdir()
    _remove_stale_warm_ups(where)
    directory = tempfile.mkdtemp(prefix=f"{WARM_UP_PREFIX}{os.getpid()}-", dir=where)
    path = os.path.join(directory, "warm-up.pdf")
    with open(path, "wb") as fh:
        fh.write(data)
    return path


def _remove_stale_warm_ups(where: str) -> None:
    for name in os.listdir(where):
        pid = name[len(WARM_UP_PREFIX) :].split("-", 1)[0]
        if not name.startswith(WARM_UP_PREFIX) or not pid.isdigit():
            continue
        directory = os.path.join(where, name)
        try:
            os.kill(int(pid), 0)
            continue  # its zygote is alive
        except ProcessLookupError:
            pass
        except PermissionError:
            continue
        with contextlib.suppress(OSError):
            if os.stat(directory, follow_symlinks=False).st_uid == os.getuid():
                with contextlib.suppress(FileNotFoundError):
                    os.unlink(os.path.join(directory, "warm-up.pdf"))
                os.rmdir(directory)


def _remove_warm_up_pdf() -> None:
    if _WARM_PATH is not None:
        with contextlib.suppress(OSError):
            os.unlink(_WARM_PATH)
            os.rmdir(os.path.dirname(_WARM_PATH))


def _warm_up(render: bool = True) -> None:
    """Read the warm-up PDF (never a file) as a text job does — open, text and its checks per
    page, the JSON of the result — and with ``render`` draw a page and encode its PNG, so each
    child does not pay their first-use costs (and page faults) again. A spare child warms up the
    text only: most files are text jobs, and rendering (4-5 ms) would keep it busy longer while
    the next file may be waiting for it. (Warming up with a whole text job took the page faults
    of a 2-page letter's run in the child from ≈340 to ≈90.)"""
    import pypdfium2 as pdfium

    if _WARM_PATH is not None:  # the whole text job, the file's stream check included
        result = worker.run(_WARM_PATH, Limits(), kind="pdf")
        json.dumps(result, ensure_ascii=False).encode("utf-8")
    if not render or _WARM_PDF is None:
        return
    doc = pdfium.PdfDocument(_WARM_PDF)
    try:
        page = doc[0]
        page_text(page)
        write_preview(page, os.devnull)
        page.render(scale=0.5, grayscale=True).to_pil()
        page.close()
    finally:
        doc.close()


def main(fd: int) -> int:
    """Serve the parent on the socket ``fd`` until it closes it. The zygote waits for the socket
    and for its children's exits at once, and is on no file's path: the parent hands the job
    to the spare itself, while the zygote forks the next spare and reaps the last child."""
    import gc
    import select
    import socket

    sock = socket.socket(fileno=fd)
    try:
        preload()
    except Exception as exc:
        with contextlib.suppress(OSError):
            sock.send(json.dumps({"error": f"{type(exc).__name__}: {short_error(exc)}"}).encode())
        return 1
    gc.freeze()  # keep the preloaded objects out of the children's collections (copy-on-write)
    sock.send(json.dumps({"ready": os.getpid()}).encode())
    poller = select.poll()
    poller.register(sock, select.POLLIN)
    children = _Children(poller, sock)
    children.fork_spare()
    while True:
        events = sorted(poller.poll(), key=lambda event: event[0] != sock.fileno())
        for ready, _events in events:  # the parent's messages first (see _Children.exited)
            if ready != sock.fileno():
                children.exited(ready)
                continue
            try:
                data, fds, _flags, _addr = socket.recv_fds(sock, 1 << 16, 1)
            except OSError:
                data, fds = b"", []
            for extra in fds:  # the parent sends none
                os.close(extra)
            try:
                message = json.loads(data) if data else None
            except ValueError:
                message = {}
            if message is None:  # the parent closed the socket (or exited)
                children.kill_all()
                _remove_warm_up_pdf()
                return 0
            op = message.get("op")
            if op == "run":  # the parent gives the spare a job: fork the next one
                children.started(message.get("pid"))
            elif op == "done":
                children.release(message.get("pid"))
            elif op == "spare" and children.spare is None:  # a fork failed before: try again
                children.fork_spare()


class _Children:
    """The spare (forked ahead, its socket given to the parent) and the children given a job and
    not reaped yet. A child is reaped once it has exited (its status sent to the parent) and the
    parent has said it is done with its pid (so that the parent's timeout kill can never hit a
    reused pid)."""

    def __init__(self, poller: Any, sock: Any) -> None:
        self.poller = poller
        self.sock = sock
        self.spare: tuple[int, int | None] | None = None  # (pid, pidfd)
        self.running: dict[int, int] = {}  # pidfd -> pid
        self.exited_pids: set[int] = set()  # status sent, not released yet
        self.released: set[int] = set()  # released while still running

    def fork_spare(self) -> None:
        """Fork the child of the next file now and give the parent its socket, so that a file
        waits neither for the fork (≈1.5 ms of page tables) nor for the zygote, nor for the
        child's first writes to the memory it shares with the zygote: the spare has made them
        while it waited. On failure there is no spare (the parent asks again)."""
        import select
        import socket

        ours, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
        try:
            pid = os.fork()
        except OSError:
            ours.close()
            theirs.close()
            with contextlib.suppress(OSError):
                self.sock.send(json.dumps({"error": "fork failed"}).encode())
            return
        if pid == 0:
            ours.close()
            _spare_child(theirs)  # never returns
        theirs.close()
        try:
            socket.send_fds(self.sock, [json.dumps({"spare": pid}).encode()], [ours.fileno()])
        except OSError:  # the parent is gone: the next poll ends the loop
            pass
        finally:
            ours.close()  # the spare's socket is the parent's now
        pidfd = self._pidfd(pid)
        if pidfd is not None:
            self.poller.register(pidfd, select.POLLIN)
        self.spare = (pid, pidfd)

    @staticmethod
    def _pidfd(pid: int) -> int | None:
        try:
            return os.pidfd_open(pid)
        except (AttributeError, OSError):
            return None

    def started(self, pid: Any) -> None:
        """The parent gave the spare ``pid`` a job (it says so before sending it): watch the
        child, release the earlier ones (one file at a time), fork the next spare."""
        if self.spare is None or self.spare[0] != pid:
            return
        pid, pidfd = self.spare
        self.spare = None
        for earlier in [*self.exited_pids, *self.running.values()]:
            self.release(earlier)
        if pidfd is None:  # no pidfd: wait for this child (the old way)
            self.fork_spare()
            self._report(pid)
            return
        self.running[pidfd] = pid
        self.fork_spare()

    def exited(self, pidfd: int) -> None:
        """A child exited: report it; a spare that died before it got a job is replaced. (The
        parent says "run" before it sends the job, and the socket is read first: a spare that
        ran a job is never taken for an unused one.)"""
        self.poller.unregister(pidfd)
        os.close(pidfd)
        pid = self.running.pop(pidfd, None)
        if pid is not None:
            self._report(pid)
        elif self.spare is not None and self.spare[1] == pidfd:
            _reap(self.spare[0])
            self.spare = None
            self.fork_spare()

    def _report(self, pid: int) -> None:
        """The child's status to the parent (RC as Popen.returncode); the zombie stays ours."""
        info = os.waitid(os.P_PID, pid, os.WEXITED | os.WNOWAIT)
        _kill_group(pid)  # a tesseract left behind
        if info is None:  # cannot happen without WNOHANG
            status = -1
        else:
            status = info.si_status if info.si_code == os.CLD_EXITED else -info.si_status
        with contextlib.suppress(OSError):
            self.sock.send(json.dumps({"status": status, "pid": pid}).encode())
        if pid in self.released:
            self.released.discard(pid)
            _reap(pid)
        else:
            self.exited_pids.add(pid)

    def release(self, pid: Any) -> None:
        if not isinstance(pid, int):
            return
        if pid in self.exited_pids:
            self.exited_pids.discard(pid)
            _reap(pid)
        elif pid in self.running.values():
            self.released.add(pid)

    def kill_all(self) -> None:
        """The parent is gone: every child's group is killed and reaped, the spare too."""
        pids = [*self.running.values(), *self.exited_pids]
        fds = [*self.running]
        if self.spare is not None:
            pids.append(self.spare[0])
            fds += [self.spare[1]] if self.spare[1] is not None else []
        for pid in pids:
            _kill_group(pid)
            _reap(pid)
        for pidfd in fds:
            os.close(pidfd)
        self.running.clear()
        self.exited_pids.clear()
        self.spare = None


def _keep_freed_memory() -> None:
    """Make glibc keep what a child frees on its heap, for reuse (no ``mmap`` per large buffer,
    no trimming): the warm-up's buffers are then the file's, their pages already faulted in.
    A page fault costs 4-40 µs in a small VM (copy-on-write ones the most); a spare that read
    the warm-up PDF faults ≈160 pages while it reads a 2-page letter, not ≈340."""
    import ctypes

    libc = ctypes.CDLL("libc.so.6")
    m_trim_threshold, m_mmap_threshold = -1, -3  # <malloc.h>
    libc.mallopt(m_mmap_threshold, 32 * 1024 * 1024)
    libc.mallopt(m_trim_threshold, 128 * 1024 * 1024)


def _spare_child(channel: Any) -> None:
    """In a child forked ahead: a process group of its own, none of the zygote's descriptors;
    warm up (unless the job is there already), then wait for a job on ``channel``, which the
    parent holds (EOF: the parent is gone, or done with this child), and run it; then, while
    :func:`_may_serve_again` allows, the next file's job on the same channel."""
    import select
    import socket

    served, code = 0, 1  # 0 once a job has run to its end and no other has begun
    try:
        os.setsid()  # a process group of its own, killed as a whole on timeout
        keep = channel.fileno()
        os.closerange(3, keep)  # the zygote's socket to the parent among them
        os.closerange(keep + 1, 256)  # (the zygote's descriptors are few and low)
        if SPARE_WARM_UP and not select.select([channel], [], [], 0)[0]:
            with contextlib.suppress(Exception):
                _keep_freed_memory()
                _warm_up(render=False)
        while True:
            data, fds, _flags, _addr = socket.recv_fds(channel, 1 << 16, 2)
            if not data or len(fds) != 2:
                break
            if not served:  # the child cannot talk to the parent nor to the zygote
                channel.shutdown(socket.SHUT_WR)
            served, code = served + 1, 1
            again = _run_job(json.loads(data), fds, channel, served)
            code = 0
            if not again:
                break
    except BaseException:
        with contextlib.suppress(BaseException):
            traceback.print_exc(file=sys.stderr)
    finally:
        with contextlib.suppress(BaseException):
            sys.stdout.flush()
            sys.stderr.flush()
        os._exit(code)


def _run_job(job: dict, fds: list[int], channel: Any, served: int) -> bool:
    """stdout/stderr to the parent's pipes, the job's directory and limits, run, report; whether
    this child takes the next file too. If not, the channel is closed before the pipes, so that
    the parent, which learns of the result by the pipes' end, finds it closed (and sends the
    next file to a spare)."""
    out, err = fds
    os.dup2(out, 1)
    os.dup2(err, 2)
    os.close(out)
    os.close(err)
    tmp = job["tmp"]
    os.chdir(tmp)
    os.environ["HOME"] = os.environ["TMPDIR"] = tmp
    worker.apply_rlimits(job["rlimits"])  # the same for each job of a child (the parent's key)
    limits = Limits.from_json(job["limits"])
    result = worker.run(job["path"], limits, kind=job["kind"], preview=job["preview"])
    worker.emit(result)
    sys.stderr.flush()
    again = _may_serve_again(result, served)
    if not again:
        channel.close()
    # The parent has the whole result now (it need not wait for the exit); /dev/null keeps the
    # descriptors 1 and 2 taken, so that the next job's pipes do not arrive as them.
    null = os.open(os.devnull, os.O_WRONLY)
    os.dup2(null, 1)
    os.dup2(null, 2)
    os.close(null)
    return again


#: A child takes the next file only after jobs that ended cleanly, at most this many files, while
#: it has no process of its own left, has used under a quarter of its CPU-time limit and its peak
#: memory stayed under MAX_REUSE_RSS_MB (and a quarter of its address-space limit).
MAX_JOBS_PER_CHILD = 32
MAX_REUSE_RSS_MB = 192


def _may_serve_again(result: dict, served: int) -> bool:
    """Whether this child may read another file: a failed file (refused, corrupt, out of memory,
    a parser's error) ends it, as do the bounds above; so the state a file leaves behind is that
    of a file that was read cleanly, and never for long."""
    import resource

    if result.get("status") not in ("done", "skipped") or served >= MAX_JOBS_PER_CHILD:
        return False
    try:
        os.waitpid(-1, os.WNOHANG)
        return False  # a process of its own still runs (or was left to reap): the zygote's job
    except ChildProcessError:
        pass
    usage = resource.getrusage(resource.RUSAGE_SELF)
    cpu_soft = resource.getrlimit(resource.RLIMIT_CPU)[0]
    if cpu_soft != resource.RLIM_INFINITY and usage.ru_utime + usage.ru_stime > cpu_soft / 4:
        return False
    peak = usage.ru_maxrss * 1024  # KiB on Linux
    as_soft = resource.getrlimit(resource.RLIMIT_AS)[0]
    if as_soft != resource.RLIM_INFINITY and peak > as_soft / 4:
        return False
    return peak <= MAX_REUSE_RSS_MB * 1024 * 1024


def _reap(pid: int) -> None:
    with contextlib.suppress(ChildProcessError):
        os.waitpid(pid, 0)


def _kill_group(pid: int) -> None:
    import signal

    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(pid, signal.SIGKILL)
