"""The Celery backend of :mod:`docflow.core.tasks` (used when ``BROKER_URL`` is set).

Every registered task becomes a Celery task of the same name that runs
:func:`docflow.core.tasks.execute` in the Flask app's context, so the idempotency, claim and
retry rules are the run table's, whichever machine runs it. Celery is set up so that a task is
never lost: ``acks_late`` (the message is acknowledged only after the task ends) and
``task_reject_on_worker_lost`` (a worker process killed mid-task puts its message back), one
message prefetched per worker process, and a broker visibility timeout after which Redis gives an
unacknowledged message — of a whole worker machine that died — to another worker.

Settings (``DOCFLOW_`` environment variables or the instance config):

- ``BROKER_URL`` — ``redis://host:6379/0``; ``BROKER_VISIBILITY_TIMEOUT`` (seconds, default
  3600: longer than any task and its retry wait); ``BROKER_TRANSPORT_OPTIONS`` (a dict) for more.
- ``TASK_LEASE_SECONDS`` (900), ``TASK_RETRY_BACKOFF`` (5) and ``TASK_RETRY_BACKOFF_MAX`` (600).
- ``TASK_SCHEDULE`` — changes to beat's schedule: ``{"routing.remind": "08:30"}`` (a daily time),
  a number of seconds, or ``null`` to leave a job out.
- ``TASK_MODULES`` — further modules that register tasks, imported by the workers.
"""

from __future__ import annotations

import importlib
from typing import Any

from celery import Celery
from celery.schedules import crontab
from celery.signals import worker_process_init
from flask import Flask

from docflow.core import tasks
from docflow.extensions import db

PUBLISH_RETRY = {"max_retries": 2, "interval_start": 0, "interval_step": 0.5, "interval_max": 1}
BUSY_WAIT = 15  # seconds before a duplicate delivery of a running task looks again


def client(app: Flask) -> Celery:
    """The app's Celery instance (made once per Flask app)."""
    celery = app.extensions.get("docflow_celery")
    if celery is None:
        celery = make_celery(app)
        app.extensions["docflow_celery"] = celery
    return celery


def send(app: Flask, key: str, name: str, args: list[Any]) -> None:
    client(app).send_task(
        name, args=args, kwargs={"_key": key}, retry=True, retry_policy=PUBLISH_RETRY
    )


def make_celery(app: Flask) -> Celery:
    if not app.config.get("BROKER_URL"):
        raise RuntimeError("Celery needs a broker: set DOCFLOW_BROKER_URL (redis://host:6379/0).")
    for module in app.config.get("TASK_MODULES") or ():
        importlib.import_module(module)
    celery = Celery("docflow", broker=app.config["BROKER_URL"], set_as_current=False)
    lease = float(app.config.get("TASK_LEASE_SECONDS", tasks.DEFAULT_LEASE))
    celery.conf.update(
        task_acks_late=True,
        task_reject_on_worker_lost=True,
        worker_prefetch_multiplier=1,
        task_serializer="json",
        accept_content=["json"],
        task_ignore_result=True,
        task_default_queue=app.config.get("TASK_QUEUE", "docflow"),
        # a run must end (or be killed) within its lease, or another worker claims it
        task_time_limit=max(1, int(lease * 0.95)),
        timezone=app.config.get("TIMEZONE", "Asia/Almaty"),
        enable_utc=True,
        broker_connection_retry_on_startup=True,
        broker_transport_options={
            "visibility_timeout": int(app.config.get("BROKER_VISIBILITY_TIMEOUT", 3600)),
            **(app.config.get("BROKER_TRANSPORT_OPTIONS") or {}),
        },
        worker_hijack_root_logger=False,
        beat_schedule=beat_schedule(app),
    )
    for spec in tasks.REGISTRY.values():
        _register(celery, app, spec)

    @worker_process_init.connect(weak=False)
    def _fresh_connections(**_kw: Any) -> None:  # a forked pool process: no inherited sockets
        with app.app_context():
            db.engine.dispose(close=False)

    return celery


def _register(celery: Celery, app: Flask, spec: tasks.TaskSpec) -> None:
    @celery.task(
        name=spec.name,
        shared=False,  # this Celery app's own (each Flask app makes one)
        bind=True,
        acks_late=True,
        reject_on_worker_lost=True,
        max_retries=None,  # the run table counts the attempts (spec.max_retries)
    )
    def run(self: Any, *args: Any, _key: str | None = None) -> str:
        key = _key or f"{spec.name}:{self.request.id}"
        outcome = tasks._run_in_app(app, key, spec.name, list(args))
        if outcome == "retry":
            raise self.retry(countdown=tasks.backoff(app, self.request.retries))
        if outcome == "busy":
            raise self.retry(countdown=BUSY_WAIT)
        return outcome


def beat_schedule(app: Flask) -> dict[str, dict[str, Any]]:
    """Celery beat's entries: the tasks registered ``daily=`` or ``every=``, with the
    ``TASK_SCHEDULE`` changes."""
    changes = app.config.get("TASK_SCHEDULE") or {}
    out: dict[str, dict[str, Any]] = {}
    for spec in tasks.REGISTRY.values():
        when: Any = changes.get(spec.name, spec.daily or spec.every)
        if when is None:
            continue
        if isinstance(when, str):
            hour, minute = (int(p) for p in when.split(":"))
            schedule: Any = crontab(hour=hour, minute=minute)
        else:
            schedule = float(when)
        out[spec.name] = {"task": spec.name, "schedule": schedule}
    return out
