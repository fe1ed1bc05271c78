"""Background tasks: one interface, two backends.

A domain registers a function under a name and enqueues it with JSON arguments::

    @task("registry.extract")
    def extract(attachment_id: int) -> None: ...

    enqueue("registry.extract", att.id, idempotency_key=f"registry.extract:{att.id}")

Rules the interface keeps, whatever runs the task:

- **After the commit.** ``enqueue`` inside a transaction writes the task's run row
  (:class:`TaskRun`, state ``queued``) in that transaction and hands the task to the backend only
  once it commits; a rollback (of the transaction, or of the savepoint it was enqueued in) drops
  it — never a task for a row that does not exist. Outside a transaction the row is committed at
  once. A run row left ``queued`` (the broker was down at the commit) is sent again by
  :func:`recover`.
- **Idempotent.** Every run has a key (the ``idempotency_key``, or a fresh one). A second enqueue
  of a known key does nothing; a second delivery of a ``done`` run does nothing; a run is claimed
  (``queued``/``retrying`` → ``running``) atomically, so two workers never run it at once, and a
  ``running`` run whose lease (``TASK_LEASE_SECONDS``) has passed — its worker died — is claimed
  again. The task's own writes and the ``done`` mark are committed together.
- **Retries.** An exception listed in the task's ``retry_for`` (default: :class:`TransientError`)
  puts the run in ``retrying`` and it is tried again later, with exponential backoff, up to
  ``max_retries`` times; any other exception, or the last retry, leaves it ``failed`` with the
  error. Tasks run inside a Flask app context, as the actor ``worker``.

Backends: with ``BROKER_URL`` (env ``DOCFLOW_BROKER_URL``, a Redis URL) tasks go to Celery
(:mod:`docflow.core.tasks_celery`, workers started with ``celery -A docflow.worker worker``);
without it they run embedded: on a thread of the web process (``TASK_MODE = "thread"``, the
default) or, for tests and scripts, right after the commit on a thread that is waited for
(``"sync"``).
"""

from __future__ import annotations

import contextlib
import datetime as dt
import logging
import queue
import threading
import uuid
from collections.abc import Callable, Iterator
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Any

from flask import Flask, current_app, has_app_context
from sqlalchemy import Integer, String, Text, event, func, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Mapped, Session, mapped_column

from docflow.core import audit
from docflow.core.db import JSONType, UTCDateTime, utcnow, within
from docflow.extensions import db

log = logging.getLogger(__name__)
WORKER_ACTOR = audit.Actor(None, "worker")
STATES = ("queued", "running", "retrying", "done", "failed")
DEFAULT_LEASE = 900  # seconds a claimed run is its worker's; afterwards it is claimed again
_PENDING = "docflow_tasks_pending"


class TransientError(Exception):
    """A failure worth another try later (a server not answering): the task is retried."""


class UnknownTask(KeyError):
    pass


@dataclass(frozen=True)
class TaskSpec:
    name: str
    fn: Callable[..., Any]
    retry_for: tuple[type[BaseException], ...]
    max_retries: int
    daily: str | None  # "HH:MM" local time: Celery beat runs it every day then
    every: int | None  # seconds: Celery beat runs it this often


REGISTRY: dict[str, TaskSpec] = {}


def task(
    name: str,
    *,
    retry_for: tuple[type[BaseException], ...] = (),
    max_retries: int = 5,
    daily: str | None = None,
    every: int | None = None,
) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Register the decorated function as the task ``name`` (the function itself is unchanged).

    ``daily="07:00"`` or ``every=600`` put it on Celery beat's schedule (called without
    arguments); ``retry_for`` adds exceptions worth retrying to :class:`TransientError`.
    """
    if daily is not None:
        hour, minute = (int(p) for p in daily.split(":"))
        if not (0 <= hour < 24 and 0 <= minute < 60):
            raise ValueError(f"daily={daily!r} is not a time HH:MM")

    def register(fn: Callable[..., Any]) -> Callable[..., Any]:
        spec = TaskSpec(name, fn, (TransientError, *retry_for), max_retries, daily, every)
        REGISTRY[name] = spec
        return fn

    return register


class TaskRun(db.Model):
    """One run of a task: its key, arguments and state (bookkeeping; not in the audit trail)."""

    __tablename__ = "task_run"
    __audit__ = False

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    key: Mapped[str] = mapped_column(String(200), nullable=False, unique=True)
    name: Mapped[str] = mapped_column(String(100), nullable=False)
    args: Mapped[list] = mapped_column(JSONType, nullable=False, default=list)
    state: Mapped[str] = mapped_column(String(16), nullable=False, default="queued", index=True)
    attempts: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    error: Mapped[str | None] = mapped_column(Text, nullable=True)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, nullable=False, default=utcnow)
    started_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime, nullable=True)
    finished_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime, nullable=True)


# --- enqueueing ---------------------------------------------------------------------------


def distributed(app: Flask | None = None) -> bool:
    """True when tasks go to Celery workers (``BROKER_URL`` is set)."""
    app = app or current_app
    return bool(app.config.get("BROKER_URL"))


def enqueue(name: str, *args: Any, idempotency_key: str | None = None) -> str:
    """Queue the task ``name`` with ``args`` (JSON values) to run after the current commit.

    Returns the run's key. A key already on record (queued, running or done) queues nothing.
    """
    if name not in REGISTRY:
        raise UnknownTask(name)
    key = idempotency_key or f"{name}:{uuid.uuid4().hex}"
    if len(key) > 200:
        raise ValueError("idempotency_key longer than 200 characters")
    session = db.session()
    outside = not session.in_transaction()
    try:
        with session.begin_nested():
            session.add(TaskRun(key=key, name=name, args=list(args), state="queued"))
    except IntegrityError:  # that key is on record: it is queued, running or done already
        if outside:
            session.rollback()
        return key
    pending = session.info.setdefault(_PENDING, [])
    tx = session.get_nested_transaction() or session.get_transaction()
    pending.append((key, name, list(args), tx))
    if outside:
        session.commit()
    return key


def run_or_enqueue(name: str, *args: Any, idempotency_key: str | None = None) -> TaskRun:
    """For command-line callers: with a broker, queue the task (committed) and return its run;
    without one, run it now — a CLI process has no thread to leave it to — and return the run
    as it ended."""
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    if distributed(app):
        key = enqueue(name, *args, idempotency_key=idempotency_key)
        db.session.commit()
    else:
        with sync_mode(app):
            key = enqueue(name, *args, idempotency_key=idempotency_key)
            db.session.commit()
    db.session.expire_all()
    return db.session.scalar(select(TaskRun).where(TaskRun.key == key))


@event.listens_for(Session, "after_soft_rollback")
def _drop_rolled_back(session: Session, previous_transaction: Any) -> None:
    pending = session.info.get(_PENDING)
    if pending:
        session.info[_PENDING] = [p for p in pending if not within(p[3], previous_transaction)]


@event.listens_for(Session, "after_transaction_end")
def _drop_ended(session: Session, transaction: Any) -> None:
    # The root ended undone, also by close() (no rollback event for that): its runs were never
    # committed and must not go with the session's next commit. (A commit has sent them.)
    if transaction.parent is None:
        pending = session.info.get(_PENDING)
        if pending:
            session.info[_PENDING] = [p for p in pending if not within(p[3], transaction)]


@event.listens_for(Session, "after_commit")
def _publish_committed(session: Session) -> None:
    if session.get_nested_transaction() is not None:
        return  # a savepoint released: the runs wait for the transaction's commit
    pending = session.info.pop(_PENDING, None)
    if not pending or not has_app_context():
        return
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    for key, name, args, _tx in pending:
        try:
            publish(app, key, name, args)
        except Exception:  # committed all the same: recover() sends the queued run again
            log.exception("could not hand task %s (%s) to the queue", name, key)


def publish(app: Flask, key: str, name: str, args: list[Any]) -> None:
    """Hand one committed run to the backend."""
    if distributed(app):
        from docflow.core.tasks_celery import send

        send(app, key, name, args)
    elif app.config.get("TASK_MODE", "thread") == "sync":
        _run_on_thread(app, key, name, args)
    else:
        _Embedded.for_app(app).put(key, name, args)


# --- running ------------------------------------------------------------------------------

_current: ContextVar[TaskRun | None] = ContextVar("docflow_task_run", default=None)


def current_attempt() -> int:
    """The attempt of the task running now (1 for the first; 0 outside a task)."""
    run = _current.get()
    return run.attempts if run is not None else 0


def _lease(app: Flask) -> dt.timedelta:
    return dt.timedelta(seconds=float(app.config.get("TASK_LEASE_SECONDS", DEFAULT_LEASE)))


def _claim(key: str, name: str, args: list[Any]) -> TaskRun | str:
    """The run, moved to ``running``; or why not: ``done``, ``failed``, ``busy``."""
    table = TaskRun.__table__
    now = utcnow()
    expired = now - _lease(current_app)
    if db.session.scalar(select(TaskRun.id).where(TaskRun.key == key)) is None:
        # sent without a run row (Celery beat, or by hand): the row is made now
        try:
            with db.session.begin_nested():
                db.session.add(TaskRun(key=key, name=name, args=args, state="queued"))
        except IntegrityError:
            pass
    claimed = db.session.execute(
        update(table)
        .where(
            table.c.key == key,
            or_(
                table.c.state.in_(("queued", "retrying")),
                (table.c.state == "running") & (table.c.started_at < expired),
            ),
        )
        .values(state="running", attempts=table.c.attempts + 1, started_at=now)
    ).rowcount
    db.session.commit()
    run = db.session.scalar(select(TaskRun).where(TaskRun.key == key))
    if not claimed:
        return "busy" if run.state in ("running", "queued", "retrying") else run.state
    return run


def _finish(key: str, state: str, error: str | None = None) -> None:
    table = TaskRun.__table__
    db.session.execute(
        update(table)
        .where(table.c.key == key)
        .values(state=state, error=error, finished_at=utcnow() if state != "retrying" else None)
    )
    db.session.commit()


def execute(key: str, name: str, args: list[Any]) -> str:
    """Run one delivery of a task (in an app context); returns what came of it:

    ``done`` (ran now), ``skipped`` (done or failed before), ``busy`` (running elsewhere within
    its lease: deliver again later), ``retry`` (a transient failure: run again after a backoff)
    or ``failed``.
    """
    spec = REGISTRY.get(name)
    if spec is None:
        raise UnknownTask(name)
    run = _claim(key, name, args)
    if run == "busy":
        return "busy"
    if isinstance(run, str):
        return "skipped"
    attempts = run.attempts
    if attempts > spec.max_retries + 1:  # delivered again and again: its worker dies each time
        _finish(key, "failed", f"gave up after {attempts - 1} attempts")
        return "failed"
    token = _current.set(run)
    try:
        with audit.acting_as(WORKER_ACTOR):
            spec.fn(*args)
            _finish(key, "done")  # in the same transaction as the task's last writes
        return "done"
    except spec.retry_for as exc:
        db.session.rollback()
        last = attempts > spec.max_retries
        log.warning("task %s (%s) attempt %d: %s", name, key, attempts, exc)
        _finish(key, "failed" if last else "retrying", _error(exc))
        return "failed" if last else "retry"
    except Exception as exc:
        db.session.rollback()
        log.exception("task %s (%s) failed", name, key)
        _finish(key, "failed", _error(exc))
        return "failed"
    finally:
        _current.reset(token)


def _error(exc: BaseException) -> str:
    return f"{type(exc).__name__}: {exc}"[:1000]


def backoff(app: Flask, retries: int) -> float:
    """Seconds before retry number ``retries + 1``: exponential, capped."""
    base = float(app.config.get("TASK_RETRY_BACKOFF", 5))
    cap = float(app.config.get("TASK_RETRY_BACKOFF_MAX", 600))
    return min(cap, base * 2**retries)


def recover(older_than: float = 300) -> int:
    """Send again the runs that should be running but are not: ``queued`` or ``retrying`` for
    longer than ``older_than`` seconds (lost at the commit, or a lost broker message) and
    ``running`` past their lease (their worker died). Duplicates are harmless (the claim)."""
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    now = utcnow()
    cutoff = now - dt.timedelta(seconds=older_than)
    rows = db.session.execute(
        select(TaskRun.key, TaskRun.name, TaskRun.args).where(
            or_(
                TaskRun.state.in_(("queued", "retrying"))
                & (func.coalesce(TaskRun.started_at, TaskRun.created_at) < cutoff),
                (TaskRun.state == "running") & (TaskRun.started_at < now - _lease(app)),
            )
        )
    ).all()
    db.session.rollback()
    for key, name, args in rows:
        if name in REGISTRY:
            publish(app, key, name, list(args or []))
    return len(rows)


task("tasks.recover", every=300)(recover)


# --- the embedded backend -----------------------------------------------------------------


def _run_in_app(app: Flask, key: str, name: str, args: list[Any]) -> str:
    with app.app_context():
        try:
            return execute(key, name, args)
        finally:
            db.session.remove()


def _run_on_thread(app: Flask, key: str, name: str, args: list[Any]) -> None:
    """``sync``: run now, on a thread of its own (its own session), and wait for it."""
    outcome: list[str] = []

    def target() -> None:
        outcome.append(_run_in_app(app, key, name, args))

    for retries in range(1000):
        outcome.clear()
        thread = threading.Thread(target=target, name=f"docflow-task-{name}")
        thread.start()
        thread.join()
        if outcome != ["retry"]:
            return
        threading.Event().wait(min(backoff(app, retries), 1.0))  # sync (tests): short waits


class _Embedded:
    """One worker thread per app, fed from a queue (the default without a broker)."""

    _lock = threading.Lock()

    def __init__(self, app: Flask) -> None:
        self.app = app
        self.queue: queue.Queue[tuple[str, str, list[Any], int]] = queue.Queue()
        self.thread = threading.Thread(target=self._loop, name="docflow-tasks", daemon=True)
        self.thread.start()

    @classmethod
    def for_app(cls, app: Flask) -> _Embedded:
        with cls._lock:
            worker = app.extensions.get("docflow_tasks_worker")
            if worker is None or not worker.thread.is_alive():
                worker = cls(app)
                app.extensions["docflow_tasks_worker"] = worker
            return worker

    def put(self, key: str, name: str, args: list[Any], retries: int = 0) -> None:
        self.queue.put((key, name, args, retries))

    def _loop(self) -> None:
        with contextlib.suppress(Exception), self.app.app_context():
            recover()  # runs a previous process left behind
            db.session.remove()
        while True:
            key, name, args, retries = self.queue.get()
            try:
                outcome = _run_in_app(self.app, key, name, args)
            except Exception:
                log.exception("embedded task %s (%s) crashed", name, key)
                continue
            if outcome in ("retry", "busy"):
                delay = backoff(self.app, retries)
                timer = threading.Timer(delay, self.put, (key, name, args, retries + 1))
                timer.daemon = True
                timer.start()


@contextlib.contextmanager
def sync_mode(app: Flask) -> Iterator[None]:
    """Run tasks of ``app`` synchronously (after each commit) inside the block."""
    old = app.config.get("TASK_MODE")
    app.config["TASK_MODE"] = "sync"
    try:
        yield
    finally:
        app.config["TASK_MODE"] = old
