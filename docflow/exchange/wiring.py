"""How imported cases take part in the rest of docflow.

- The final state "imported" of the incoming workflow: no transition leaves it and it grants no
  write permission, so an imported case is read-only wherever docflow asks the workflow.
- R-ROUTE-4: the executors and signers of imported cases who are docflow users count as prior
  handlers of a new case linked to them or finding them as repeat candidates.
"""

from __future__ import annotations

from collections.abc import Iterable

from flask_babel import lazy_gettext as _l
from sqlalchemy import select

import docflow.routing.workflow  # noqa: F401  (its states first: the incoming flow is whole)
from docflow.core.workflow import state
from docflow.exchange.models import ImportedEvent
from docflow.extensions import db
from docflow.registry.workflow import INCOMING, READERS
from docflow.routing import handlers

IMPORTED_STATE = "imported"
NO_WRITE = ("modify", "distribute", "assign", "answer", "approve", "control")

if IMPORTED_STATE not in INCOMING.states:
    INCOMING.extend(
        states=[
            state(
                IMPORTED_STATE,
                _l("Imported historical case"),
                final=True,
                view=READERS,
                **{p: [] for p in NO_WRITE},
            )
        ]
    )


def imported_handlers(item_ids: Iterable[int]) -> list[tuple[int, int, str]]:
    """(user id, item id, role) of docflow users who executed or signed in imported cases."""
    ids = list(item_ids)
    if not ids:
        return []
    rows = db.session.execute(
        select(ImportedEvent.user_id, ImportedEvent.item_id, ImportedEvent.role).where(
            ImportedEvent.item_id.in_(ids),
            ImportedEvent.role.is_not(None),
            ImportedEvent.user_id.is_not(None),
        )
    ).all()
    return [(uid, item_id, role) for uid, item_id, role in rows]


if imported_handlers not in handlers.PRIOR_HANDLER_PROVIDERS:
    handlers.PRIOR_HANDLER_PROVIDERS.append(imported_handlers)
