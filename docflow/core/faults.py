"""Fault points for the fault tests (tests/faults): a no-op unless ``DOCFLOW_FAULT_POINT`` is set.

Code that writes calls ``point("<name>")`` at the moments a crash matters most: a file written
but its row not committed, a number taken but the transaction not committed. With

    DOCFLOW_FAULT_POINT=<name>          the point to fail at (anything else: no-op)
    DOCFLOW_FAULT_ACTION=kill|pause|enospc
    DOCFLOW_FAULT_ONCE=<path>           fire once: the first process to create <path> fires

the process at that point SIGKILLs itself (``kill``, the default: ``kill -9`` of a worker),
writes its pid to ``DOCFLOW_FAULT_ONCE`` and waits to be killed from outside (``pause``), or
raises ``OSError(ENOSPC)`` as a full disk would (``enospc``). With ``DOCFLOW_FAULT_ONCE`` the
fault fires in one process once (a restarted gunicorn worker then serves normally); without
it, at every pass. Production never sets these variables.
"""

from __future__ import annotations

import errno
import os
import signal
import time

ENV_POINT = "DOCFLOW_FAULT_POINT"
ENV_ACTION = "DOCFLOW_FAULT_ACTION"
ENV_ONCE = "DOCFLOW_FAULT_ONCE"
PAUSE_SECONDS = 60

# The named points (each called with one line in the code it names).
POINTS = (
    "storage.partial",  # FileSystemStorage.save: half the file in the temp file, not yet renamed
    "storage.saved",  # FileSystemStorage.save: the file in place, its row not yet committed
    "registration.numbered",  # registry register(): number, item, audit row flushed, no commit
    "signing.recorded",  # sign_on_server(): outgoing number, signed PDF recorded, no commit
)


def point(name: str) -> None:
    """Fail here if the fault tests asked for it (``DOCFLOW_FAULT_POINT == name``)."""
    if os.environ.get(ENV_POINT) != name:
        return
    once = os.environ.get(ENV_ONCE)
    if once:
        try:
            fd = os.open(once, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:
            return  # fired already (in this or another process)
        with os.fdopen(fd, "w") as fh:
            fh.write(str(os.getpid()))
    action = os.environ.get(ENV_ACTION, "kill")
    if action == "enospc":
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
    if action == "pause":
        time.sleep(PAUSE_SECONDS)  # the test kills this process meanwhile
        return
    os.kill(os.getpid(), signal.SIGKILL)
