from __future__ import annotations

import io

import pytest

from docflow.extensions import db
from docflow.routing import operations as ops
from tests.registry.conftest import almaty


@pytest.fixture
def routed(make_item, users):
    """Walk an item to a state: 'distributed', 'in_work', 'answer_review', 'answered', 'closed'."""

    def walk(until: str, item=None, executor: str = "exec.energy"):
        item = item or make_item()
        ops.distribute(item, users["controller"], ["ENERGY"])
        if until == "distributed":
            return item
        ops.assign_executors(item, users["head.energy"], [users[executor].id])
        if until == "in_work":
            return item
        ops.submit_answer(
            item,
            users[executor],
            summary="Жылу берілді, акт қоса беріледі.",
            filename="answer.pdf",
            stream=io.BytesIO(b"%PDF-1.4 answer"),
        )
        if until == "answer_review":
            return item
        ops.approve_answer(item, users["head.energy"])
        if until == "answered":
            return item
        ops.close(item, users["controller"])
        db.session.flush()
        return item

    return walk


__all__ = ["almaty"]
