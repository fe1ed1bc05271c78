"""Audit entries kept out of the business history (issue 14): reads and language switches.

The audit trail is append-only and hash-chained (R-AUDIT-3): an entry is never edited nor
deleted, so entries that are not business history — page views written before reads got the
access log (R-PD-1, migration 0007), language switches before they stopped being audited — are
*marked* here instead, by their sequence number. The audit page hides marked entries unless
asked to show them; ``audit.verify()`` still walks every entry.
"""

from __future__ import annotations

from sqlalchemy import BigInteger, String
from sqlalchemy.orm import Mapped, mapped_column

from docflow.extensions import db

# Why an entry is out of the business history.
READ = "read"  # a page view, download, preview or print (now in the access log)
LANGUAGE = "language"  # a user switched the interface language
READ_ACTIONS = ("view", "download", "preview", "print")


class AuditHidden(db.Model):
    __tablename__ = "audit_hidden"
    __audit__ = False  # a mark on the trail, not a change of any record

    seq: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    reason: Mapped[str] = mapped_column(String(16), nullable=False)
