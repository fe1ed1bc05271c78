"""The Celery app of docflow's workers (needs ``DOCFLOW_BROKER_URL``, a Redis URL)::

    celery -A docflow.worker worker --loglevel=INFO      # as many as you like, on any machine
    celery -A docflow.worker beat --loglevel=INFO        # exactly one: the daily jobs

Workers and beat read the same configuration as the web processes (``DOCFLOW_*`` variables or the
instance config): the same database and the same file storage (``DOCFLOW_STORAGE_PATH`` on a
shared filesystem). The tasks are those registered with :func:`docflow.core.tasks.task`
(:mod:`docflow.worker_tasks`); each runs in the Flask app's context.
"""

from __future__ import annotations

from docflow import create_app
from docflow.core.tasks_celery import client

flask_app = create_app()
app = celery = client(flask_app)
