"""Correcting an applicant's name, IIN/BIN and address as a new version (R-AUDIT-3).

The registered values are never lost: the first correction keeps them as version 1 (who
registered, when), and every correction adds a version with who, when and why. The
``Applicant`` row holds the current version, so everything that reads applicants — repeat
detection (R-ROUTE-4), search, the slip — sees the corrected details; repeat detection is run
again at once, so a corrected IIN finds the applicant's earlier cases.

Who and when: the office, through the ``MODIFY`` permission of the item's state (registrar and
controller, until the item is closed, forwarded, terminated, returned, left without
consideration or withdrawn). An IIN is checked by R-REG-9 (docflow.core.identifiers).
"""

from __future__ import annotations

from typing import Any

from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select

from docflow.core.db import atomic
from docflow.core.identifiers import InvalidIdentifier, validate_bin, validate_iin
from docflow.core.security import AccessDenied, Permission, has_permission
from docflow.extensions import db
from docflow.registry import repeats, search
from docflow.registry.errors import RegistrationError
from docflow.registry.file_versions import REASON_MAX, ApplicantVersion
from docflow.registry.models import Applicant, IncomingItem
from docflow.registry.operations import missing_details
from docflow.registry.repeats import name_key
from docflow.registry.workflow import INCOMING

CORRECTABLE = ("full_name", "iin", "organisation_name", "bin", "address")
_LIMITS = {"full_name": 300, "organisation_name": 300, "address": 500}


def versions_of(applicant: Applicant) -> list[ApplicantVersion]:
    """The applicant's versions, first (as registered) to last; empty if never corrected."""
    if applicant.id is None:
        return []
    return list(
        db.session.scalars(
            select(ApplicantVersion)
            .where(ApplicantVersion.applicant_id == applicant.id)
            .order_by(ApplicantVersion.version)
        )
    )


def _clean(name: str, value: str | None) -> str | None:
    value = " ".join((value or "").split()) or None
    if value is None:
        return None
    try:
        if name == "iin":
            return validate_iin(value)
        if name == "bin":
            return validate_bin(value)
    except InvalidIdentifier as exc:
        raise RegistrationError({name: exc.message}) from None
    if len(value) > _LIMITS[name]:
        raise RegistrationError({name: _l("Too long: at most %(n)d characters.", n=_LIMITS[name])})
    return value


def _snapshot(
    applicant: Applicant, item: IncomingItem, version: int, **kw: Any
) -> ApplicantVersion:
    return ApplicantVersion(
        applicant_id=applicant.id,
        item_id=item.id,
        version=version,
        **{name: getattr(applicant, name) for name in CORRECTABLE},
        **kw,
    )


@atomic
def correct_applicant(
    item: IncomingItem, applicant: Applicant, actor: Any, *, reason: str, **details: str | None
) -> ApplicantVersion:
    """A new version of the applicant's details (only those given change), with the reason."""
    if not has_permission(actor, Permission.MODIFY, item):
        raise AccessDenied()
    if applicant.item_id != item.id:
        raise RegistrationError({"applicant": _l("This applicant is not of this item.")})
    unknown = set(details) - set(CORRECTABLE)
    if unknown:
        raise RegistrationError({"field": _l("This detail cannot be corrected.")})
    why = (reason or "").strip()
    if not why:
        raise RegistrationError({"reason": _l("Say why the applicant's details are corrected.")})
    new = {name: _clean(name, value) for name, value in details.items()}
    if all(getattr(applicant, name) == value for name, value in new.items()):
        raise RegistrationError({"field": _l("Nothing is different from the current details.")})
    last = db.session.scalar(
        select(func.max(ApplicantVersion.version)).where(
            ApplicantVersion.applicant_id == applicant.id
        )
    )
    if last is None:  # the registered values become version 1
        db.session.add(
            _snapshot(applicant, item, 1, author_id=item.registered_by_id, at=item.registered_at)
        )
        last = 1
    for name, value in new.items():
        setattr(applicant, name, value)
    applicant.name_key = name_key(
        applicant.full_name or applicant.organisation_name, applicant.address
    )
    version = _snapshot(
        applicant, item, last + 1, reason=why[:REASON_MAX], author_id=getattr(actor, "id", None)
    )
    db.session.add(version)
    db.session.flush()
    if item.missing_details:  # R-REG-5: a corrected detail may be the one that was missing
        item.missing_details = missing_details(item) or None
        if item.state == "awaiting_correction" and not item.missing_details:
            INCOMING.fire(item, "correction_received", actor, comment=why[:500])
    repeats.detect(item, actor)  # R-ROUTE-4: the corrected identity finds the earlier cases
    search.reindex(item)
    return version
