"""The random sample of cases an inspector reads by hand, and its checklist (R-AUDIT-1).

The sample is drawn with a seed from the cases the inspection covers (those its automatic checks
judge, ordered by id): the same seed over the same cases draws the same sample, so a
report can say how it was drawn and anyone can draw it again. Each case's checklist asks what
the automatic checks cannot read: is the answer motivated, does it cite the legislation, does it
explain the right to complain (R-ANS-1), is it in the appeal's language or the state language
(R-RECV-10) — yes, no, or not applicable — with the inspector's remarks.
"""

from __future__ import annotations

import datetime as dt
import random
import secrets
from collections.abc import Mapping

from flask_babel import lazy_gettext as _l
from sqlalchemy import delete, select

from docflow.core.db import atomic
from docflow.core.security import Principal
from docflow.extensions import db
from docflow.inspection.models import (
    CHECKLIST,
    CHECKLIST_ANSWERS,
    Inspection,
    InspectionSample,
)
from docflow.inspection.operations import InspectionError, require_open, scope_item_ids

MAX_SAMPLE = 500


def choose(item_ids: list[int], size: int, seed: int) -> list[int]:
    """The sample: ``size`` of ``item_ids`` (sorted first), chosen by ``seed``; reproducible."""
    population = sorted(item_ids)
    # A seeded generator on purpose: the sample must be drawn again from its seed.
    return random.Random(seed).sample(population, min(size, len(population)))  # noqa: S311


def sample_of(inspection: Inspection) -> list[InspectionSample]:
    return list(
        db.session.scalars(
            select(InspectionSample)
            .where(InspectionSample.inspection_id == inspection.id)
            .order_by(InspectionSample.position)
        )
    )


@atomic
def draw_sample(
    inspection: Inspection, actor: Principal, *, size: int, seed: int | None = None
) -> list[InspectionSample]:
    """Draw (or draw again, while no case of it has been read) the sample of ``size`` cases."""
    require_open(inspection, actor)
    if not 1 <= size <= MAX_SAMPLE:
        raise InspectionError(fields={"size": _l("Between 1 and %(max)d cases.", max=MAX_SAMPLE)})
    current = sample_of(inspection)
    if any(s.checked for s in current):
        raise InspectionError(
            _l("Cases of the sample have been read already; it cannot be drawn again."),
            status=409,
            code="sample_read",
        )
    if seed is None:
        seed = secrets.randbelow(2**31)
    ids = scope_item_ids(inspection)
    chosen = choose(ids, size, seed)
    db.session.execute(
        delete(InspectionSample).where(InspectionSample.inspection_id == inspection.id)
    )
    inspection.sample_seed, inspection.sample_size = seed, size
    rows = [
        InspectionSample(inspection_id=inspection.id, position=n, item_id=item_id)
        for n, item_id in enumerate(chosen, start=1)
    ]
    db.session.add_all(rows)
    db.session.flush()
    return rows


@atomic
def record_checklist(
    sample: InspectionSample,
    actor: Principal,
    answers: Mapping[str, str | None],
    remarks: str = "",
) -> InspectionSample:
    """The inspector's reading of one case: every checklist question answered."""
    inspection = db.session.get(Inspection, sample.inspection_id)
    require_open(inspection, actor)
    missing = {
        name: _l("Answer this question.")
        for name in CHECKLIST
        if (answers.get(name) or "") not in CHECKLIST_ANSWERS
    }
    if missing:
        raise InspectionError(fields=missing)
    for name in CHECKLIST:
        setattr(sample, name, answers[name])
    sample.remarks = (remarks or "").strip()
    sample.checked_by_id = actor.id
    sample.checked_at = dt.datetime.now(dt.UTC)
    db.session.flush()
    return sample


def sample_summary(rows: list[InspectionSample]) -> dict[str, dict[str, int]]:
    """Per checklist question: how many cases answered yes, no, not applicable (read ones)."""
    out = {name: dict.fromkeys(CHECKLIST_ANSWERS, 0) for name in CHECKLIST}
    for s in rows:
        if not s.checked:
            continue
        for name, value in s.answers().items():
            if value in out[name]:
                out[name][value] += 1
    return out
