"""The zygote: a long-lived process that has imported the libraries and forks one child per file.

Protocol (an AF_UNIX SOCK_SEQPACKET pair, one JSON object per message):
  parent -> zygote  {"op": "run", "path", "kind", "preview", "tmp", "limits", "rlimits"}
                    with two file descriptors attached (SCM_RIGHTS): the write ends of the
                    child's stdout and stderr pipes; the parent reads the other ends
  zygote -> parent  {"pid": N} once a child has the job (a spare forked ahead: the job and the
                    pipes go to it over a socket of its own), {"status": RC} once the child has
                    exited (RC as Popen.returncode: the exit code, or -signal)
  parent -> zygote  {"op": "done"}: the parent has finished with the child's pid (its timeout
                    kill can no longer hit another process), the zygote reaps the zombie; sent
                    before the status when the child closed its pipes after a whole result
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

#: A spare child runs the warm-up again while it waits for its file (see ``_fork_spare``).
SPARE_WARM_UP = True


def preload() -> None:
    """Import everything a child may need, so each child starts with it already loaded."""
    import zipfile  # noqa: F401

    import lxml.etree  # noqa: F401
    import pypdfium2
    import pypdfium2.raw  # noqa: F401
    from PIL import Image, ImageFilter, ImageOps  # noqa: F401

    Image.init()  # the format plugins (TIFF is not among the ones Image.open loads first)
    load_ziputil()  # the ZIP checks of DOCX files
    with contextlib.suppress(Exception):  # only an optimisation
        _warm_up()


def _warm_up() -> None:
    """Exercise PDFium once on a page built here (never on a file): text, a standard font,
    rendering and the PNG encoder, so each child does not pay their first-use costs again."""
    import ctypes

    import pypdfium2 as pdfium
    import pypdfium2.raw as pdfium_c

    doc = pdfium.PdfDocument.new()
    try:
        page = doc.new_page(595, 842)
        text = pdfium_c.FPDFPageObj_NewTextObj(doc.raw, b"Helvetica", 12.0)
        pdfium_c.FPDFPageObj_Transform(text, 1, 0, 0, 1, 72, 720)
        encoded = ctypes.create_string_buffer("Warm-up 0123\0".encode("utf-16-le"))
        pdfium_c.FPDFText_SetText(text, ctypes.cast(encoded, ctypes.POINTER(pdfium_c.FPDF_WCHAR)))
        pdfium_c.FPDFPage_InsertObject(page.raw, text)
        pdfium_c.FPDFPage_GenerateContent(page.raw)
        page_text(page)
        write_preview(page, os.devnull)
        page.render(scale=0.5, grayscale=True).to_pil()
        page.close()
    finally:
        doc.close()


def main(fd: int) -> int:
    """Serve jobs on the socket ``fd`` until the parent closes it."""
    import gc
    import socket

    sock = socket.socket(fileno=fd)
    try:
        preload()
    except Exception as exc:
        with contextlib.suppress(OSError):
            sock.send(json.dumps({"error": f"{type(exc).__name__}: {short_error(exc)}"}).encode())
        return 1
    gc.freeze()  # keep the preloaded objects out of the children's collections (copy-on-write)
    spare = _fork_spare()
    sock.send(json.dumps({"ready": os.getpid()}).encode())
    child = None
    while True:
        try:
            data, fds, _flags, _addr = socket.recv_fds(sock, 1 << 16, 2)
        except OSError:
            data, fds = b"", []
        if child is not None:
            _reap(child)
            child = None
        try:
            job = json.loads(data) if data else None
        except ValueError:
            job = {}
        if job is None or job.get("op") != "run" or len(fds) != 2:
            for extra in fds:
                os.close(extra)
            if job is None:  # the parent closed the socket (or exited)
                if spare is not None:
                    _kill_group(spare[0])
                    _reap(spare[0])
                return 0
            continue
        child, error = _hand_over(spare, data, fds)
        for extra in fds:
            os.close(extra)
        try:
            if child is None:
                sock.send(json.dumps({"error": error}).encode())
                spare = _fork_spare()
                continue
            sock.send(json.dumps({"pid": child}).encode())
            spare = _fork_spare()  # the next file's child, forked while this one works
            status = _wait_child(child, sock)
            sock.send(json.dumps({"status": status}).encode())
        except OSError:  # the parent is gone: the next recv ends the loop
            if child is not None:
                _kill_group(child)


#: (pid, the zygote's end of its socket) of a child forked ahead of the next file
Spare = tuple[int, Any]


def _fork_spare() -> Spare | None:
    """Fork the child of the next file now, so that a file does not wait for the fork (≈1.5 ms
    of page tables) nor for the child's first writes to the memory it shares with the zygote:
    the spare has made them while it waited. None if the fork failed (retried per file)."""
    import socket

    ours, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
    try:
        pid = os.fork()
    except OSError:
        ours.close()
        theirs.close()
        return None
    if pid == 0:
        _spare_child(theirs)  # never returns
    theirs.close()
    return pid, ours


def _keep_freed_memory() -> None:
    """Make glibc keep what a child frees on its heap, for reuse (no ``mmap`` per large buffer,
    no trimming): the warm-up's buffers (the preview is 1.4 MB) are then the file's, their
    pages already faulted in. A page fault costs 13-40 µs in a small VM (copy-on-write ones
    the most); a child that warmed up this way faults ≈300 pages on a 2-page letter, not ≈1,100."""
    import ctypes

    libc = ctypes.CDLL("libc.so.6")
    m_trim_threshold, m_mmap_threshold = -1, -3  # <malloc.h>
    libc.mallopt(m_mmap_threshold, 32 * 1024 * 1024)
    libc.mallopt(m_trim_threshold, 128 * 1024 * 1024)


def _hand_over(spare: Spare | None, job: bytes, fds: list[int]) -> tuple[int | None, str]:
    """Give the job and its pipes to the spare (forked now if there is none, or it died):
    (its pid, "") or (None, why not)."""
    import socket

    error = "fork failed"
    for _attempt in range(2):
        if spare is None:
            spare = _fork_spare()
            if spare is None:
                return None, error
        pid, channel = spare
        try:
            socket.send_fds(channel, [job], fds)
            return pid, ""
        except OSError as exc:  # the spare died meanwhile
            error = f"the spare child is gone: {short_error(exc)}"
            _kill_group(pid)
            _reap(pid)
            spare = None
        finally:
            channel.close()
    return None, error


def _spare_child(channel: Any) -> None:
    """In a child forked ahead: a process group of its own, none of the zygote's descriptors;
    warm up, then wait for one job on ``channel`` (EOF: the zygote is gone) and run it."""
    import socket

    code = 1
    try:
        os.setsid()  # a process group of its own, killed as a whole on timeout
        keep = channel.fileno()
        os.closerange(3, keep)  # the zygote's socket to the parent among them
        os.closerange(keep + 1, 256)  # (the zygote's descriptors are few and low)
        if SPARE_WARM_UP:
            with contextlib.suppress(Exception):
                _keep_freed_memory()
                _warm_up()
        data, fds, _flags, _addr = socket.recv_fds(channel, 1 << 16, 2)
        channel.close()  # the child cannot talk to the zygote
        if data and len(fds) == 2:
            _run_job(json.loads(data), fds)
            code = 0
    except BaseException:
        with contextlib.suppress(BaseException):
            traceback.print_exc(file=sys.stderr)
    finally:
        with contextlib.suppress(BaseException):
            sys.stdout.flush()
            sys.stderr.flush()
        os._exit(code)


def _run_job(job: dict, fds: list[int]) -> None:
    """stdout/stderr to the parent's pipes, the job's directory and limits, run, report."""
    out, err = fds
    os.dup2(out, 1)
    os.dup2(err, 2)
    os.close(out)
    os.close(err)
    tmp = job["tmp"]
    os.chdir(tmp)
    os.environ["HOME"] = os.environ["TMPDIR"] = tmp
    worker.apply_rlimits(job["rlimits"])
    limits = Limits.from_json(job["limits"])
    worker.emit(worker.run(job["path"], limits, kind=job["kind"], preview=job["preview"]))
    sys.stderr.flush()
    os.close(1)  # the parent has the whole result now; it need not wait for the exit
    os.close(2)


def _wait_child(pid: int, sock: Any) -> int:
    """Wait for the child to exit without reaping it (the zombie keeps its pid and process group
    ours until the parent says "done"), kill what is left of its group, return its returncode.
    If the parent goes away meanwhile, the child's group is killed."""
    import select
    import socket

    try:
        pidfd = os.pidfd_open(pid)
    except (AttributeError, OSError):
        pidfd = None  # no pidfd: just wait (a parent that dies meanwhile is noticed afterwards)
    if pidfd is not None:
        try:
            poller = select.poll()
            poller.register(pidfd, select.POLLIN)
            poller.register(sock, select.POLLIN)
            while not any(fd == pidfd for fd, _ in poller.poll()):
                try:
                    gone = not sock.recv(1, socket.MSG_PEEK | socket.MSG_DONTWAIT)
                except BlockingIOError:
                    continue
                except OSError:
                    gone = True
                if gone:
                    _kill_group(pid)
                poller.unregister(sock)  # gone, or talking out of turn: only the child matters
        finally:
            os.close(pidfd)
    info = os.waitid(os.P_PID, pid, os.WEXITED | os.WNOWAIT)
    _kill_group(pid)  # a tesseract left behind
    if info is None:  # cannot happen without WNOHANG
        return -1
    return info.si_status if info.si_code == os.CLD_EXITED else -info.si_status


def _reap(pid: int) -> None:
    with contextlib.suppress(ChildProcessError):
        os.waitpid(pid, 0)


def _kill_group(pid: int) -> None:
    import signal

    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(pid, signal.SIGKILL)
