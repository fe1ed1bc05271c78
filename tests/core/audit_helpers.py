"""What the audit-at-commit tests read of the trail (R-AUDIT-3)."""

from __future__ import annotations

from sqlalchemy import func, select

from docflow.core.audit import AuditEntry
from docflow.extensions import db
from docflow.org.models import Subdivision


def entries_of(object_type: str) -> list[AuditEntry]:
    return list(
        db.session.scalars(
            select(AuditEntry).where(AuditEntry.object_type == object_type).order_by(AuditEntry.seq)
        )
    )


def actions(object_type: str) -> list[str]:
    return [e.action for e in entries_of(object_type)]


def created_codes() -> list[str]:
    return [e.summary["after"]["code"] for e in entries_of("subdivision") if e.action == "create"]


def stored_count() -> int:
    # Core, through its own connection: what another session sees.
    with db.engine.connect() as conn:
        return conn.execute(select(func.count()).select_from(AuditEntry.__table__)).scalar_one()


def subdivision(code: str) -> Subdivision:
    return Subdivision(organisation_id=1, code=code, kind="other", names={"ru": code})
