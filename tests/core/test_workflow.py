"""The workflow engine: golden permission matrix, guards, parameters, history, atomicity."""

from __future__ import annotations

import pytest
from sqlalchemy import JSON, Integer, MetaData, String, func, select
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from docflow.core import audit
from docflow.core.security import Permission, Role
from docflow.core.workflow import (
    GuardRefused,
    InvalidParameters,
    Param,
    TransitionForbidden,
    TransitionNotAvailable,
    UnknownTransition,
    Workflow,
    WorkflowError,
    WorkflowHistory,
    WorkflowMixin,
    after_transition,
    history,
    register,
    state,
    transition,
)
from docflow.extensions import db
from docflow.org.models import user_by_username

R = Role


class SampleBase(DeclarativeBase):
    metadata = MetaData()


class SampleDoc(WorkflowMixin, SampleBase):
    """A document routed to subdivisions (local roles come from them)."""

    __tablename__ = "sample_doc"
    __workflow__ = "sample"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    title: Mapped[str] = mapped_column(String(100))
    subdivisions: Mapped[list] = mapped_column(JSON, default=list)
    answer: Mapped[str | None] = mapped_column(String(100), nullable=True)

    def local_role_subdivisions(self):
        return self.subdivisions or []


def _has_answer(ctx):
    return True if ctx.obj.answer else "An answer must be attached first."


SAMPLE = register(
    Workflow(
        "sample",
        "Sample",
        states=[
            state("registered", "Registered", view=[R.REGISTRAR, R.CONTROLLER, R.INSPECTOR]),
            state(
                "distributed",
                "Distributed",
                view=[R.CONTROLLER, R.HEAD, R.EXECUTOR, R.INSPECTOR],
                assign=[R.HEAD],
            ),
            state(
                "in_work",
                "In work",
                view=[R.CONTROLLER, R.HEAD, R.EXECUTOR, R.INSPECTOR],
                answer=[R.HEAD, R.EXECUTOR],
                approve=[R.HEAD],
            ),
            state("answered", "Answered", view=[R.CONTROLLER, R.HEAD, R.INSPECTOR]),
            state("closed", "Closed", final=True, view=[R.CONTROLLER, R.INSPECTOR]),
        ],
        transitions=[
            transition(
                "distribute",
                "Distribute",
                "registered",
                "distributed",
                permission=Permission.DISTRIBUTE,
                params=[Param("subdivision", "Subdivision")],
            ),
            transition("assign", "Assign", "distributed", "in_work", permission=Permission.ASSIGN),
            transition(
                "answer",
                "Record answer",
                "in_work",
                "answered",
                permission=Permission.APPROVE,
                condition=_has_answer,
            ),
            transition(
                "rework",
                "Send back for rework",
                "answered",
                "in_work",
                permission=Permission.CONTROL,
                comment_required=True,
            ),
            transition(
                "close",
                "Remove from control",
                "answered",
                "closed",
                permission=Permission.CONTROL,
                roles=[R.CONTROLLER],
            ),
        ],
        initial="registered",
    )
)

USERS = [
    "admin",
    "clerk",
    "controller",
    "head.energy",
    "exec.energy",
    "head.edu",
    "akim",
    "inspector",
]

# Golden matrix: for a document in ENERGY, which manual transitions each demo user may fire
# in each state. A change to permissions or roles shows up here as a diff.
GOLDEN = {
    "registered": {"controller": {"distribute"}},
    "distributed": {"head.energy": {"assign"}},
    "in_work": {"head.energy": {"answer"}},
    "answered": {"controller": {"rework", "close"}},
    "closed": {},
}


@pytest.fixture
def sample_table(app):
    SampleBase.metadata.create_all(db.engine)
    yield
    db.session.rollback()
    SampleBase.metadata.drop_all(db.engine)


def make_doc(state_id: str = "registered", **kw) -> SampleDoc:
    doc = SampleDoc(title="Heating complaint", subdivisions=["ENERGY"], answer="ok", **kw)
    db.session.add(doc)
    SAMPLE.initialize(doc, None)
    doc.state = state_id
    db.session.flush()
    return doc


@pytest.mark.parametrize("state_id", list(GOLDEN))
def test_golden_permission_matrix(app, sample_table, state_id):
    doc = make_doc(state_id)
    for username in USERS:
        user = user_by_username(username)
        allowed = {t.id for t in SAMPLE.available(doc, user)}
        assert allowed == GOLDEN[state_id].get(username, set()), (state_id, username)


def test_inspector_reads_every_state_and_changes_nothing(app, sample_table):
    from docflow.core.security import has_permission

    inspector = user_by_username("inspector")
    for state_id in SAMPLE.states:
        doc = make_doc(state_id)
        assert has_permission(inspector, Permission.VIEW, doc)
        assert SAMPLE.available(doc, inspector) == []


def test_state_permissions_decide_object_access(app, sample_table):
    from docflow.core.security import has_permission

    doc = make_doc("registered")
    head = user_by_username("head.energy")
    assert not has_permission(head, Permission.VIEW, doc)  # not routed to them yet
    doc.state = "distributed"
    assert has_permission(head, Permission.VIEW, doc)
    other_head = user_by_username("head.edu")
    assert not has_permission(other_head, Permission.VIEW, doc)  # local role: EDU only


def test_fire_moves_state_and_writes_history(app, sample_table):
    controller = user_by_username("controller")
    doc = make_doc()
    entry = SAMPLE.fire(
        doc, "distribute", controller, comment="to energy", params={"subdivision": "ENERGY"}
    )
    db.session.commit()
    assert doc.state == "distributed"
    rows = history(doc)
    assert [r.transition for r in rows] == ["create", "distribute"]
    last = rows[-1]
    assert last.id == entry.id
    assert (last.from_state, last.to_state) == ("registered", "distributed")
    assert last.actor_id == controller.id and last.actor_name == controller.full_name
    assert last.comment == "to energy" and last.params == {"subdivision": "ENERGY"}
    assert last.at.tzinfo is not None  # stored and returned as aware UTC
    # The history row is in the audit trail too, in the same transaction.
    logged = db.session.scalars(
        select(audit.AuditEntry).where(audit.AuditEntry.object_type == "workflow_history")
    ).all()
    assert any(e.summary["after"]["transition"] == "distribute" for e in logged)


def test_unknown_transition(app, sample_table):
    with pytest.raises(UnknownTransition) as exc:
        SAMPLE.fire(make_doc(), "teleport", user_by_username("controller"))
    assert "teleport" in exc.value.message and exc.value.status == 400


def test_wrong_state_is_409(app, sample_table):
    with pytest.raises(TransitionNotAvailable) as exc:
        SAMPLE.fire(
            make_doc("closed"),
            "distribute",
            user_by_username("controller"),
            params={"subdivision": "X"},
        )
    assert exc.value.status == 409 and "Closed" in exc.value.message


def test_forbidden_actor_is_403(app, sample_table):
    for username in ("clerk", "inspector", "head.energy"):
        with pytest.raises(TransitionForbidden) as exc:
            SAMPLE.fire(
                make_doc(), "distribute", user_by_username(username), params={"subdivision": "X"}
            )
        assert exc.value.status == 403


def test_role_guard_on_top_of_permission(app, sample_table):
    # "close" needs CONTROL and, on top of it, the controller role.
    doc = make_doc("answered")
    with pytest.raises(TransitionForbidden):
        SAMPLE.fire(doc, "close", user_by_username("head.energy"))
    SAMPLE.fire(doc, "close", user_by_username("controller"))
    assert doc.state == "closed"


def test_condition_refusal_carries_its_message(app, sample_table):
    doc = make_doc("in_work")
    doc.answer = None
    with pytest.raises(GuardRefused) as exc:
        SAMPLE.fire(doc, "answer", user_by_username("head.energy"))
    assert exc.value.status == 422 and "answer must be attached" in exc.value.message
    assert doc.state == "in_work"


def test_parameters_validated(app, sample_table):
    controller = user_by_username("controller")
    with pytest.raises(InvalidParameters, match="Subdivision"):
        SAMPLE.fire(make_doc(), "distribute", controller)
    with pytest.raises(InvalidParameters, match="bogus"):
        SAMPLE.fire(make_doc(), "distribute", controller, params={"subdivision": "E", "bogus": 1})
    doc = make_doc("answered")
    with pytest.raises(InvalidParameters, match="comment"):
        SAMPLE.fire(doc, "rework", controller, comment="  ")
    SAMPLE.fire(doc, "rework", controller, comment="cite the law")
    assert doc.state == "in_work"


def test_transition_is_all_or_nothing(app, sample_table):
    """A subscriber failing after the move undoes the state, the history and the audit entries."""
    controller = user_by_username("controller")
    doc = make_doc()
    db.session.commit()
    doc_id = doc.id
    hist_before = db.session.scalar(select(func.count()).select_from(WorkflowHistory))
    audit_before = db.session.scalar(select(func.count()).select_from(audit.AuditEntry))

    def explode(sender, **kw):
        raise RuntimeError("notification service down")

    after_transition.connect(explode)
    try:
        with pytest.raises(RuntimeError):
            SAMPLE.fire(doc, "distribute", controller, params={"subdivision": "ENERGY"})
    finally:
        after_transition.disconnect(explode)
    db.session.commit()
    assert db.session.get(SampleDoc, doc_id).state == "registered"
    assert db.session.scalar(select(func.count()).select_from(WorkflowHistory)) == hist_before
    assert db.session.scalar(select(func.count()).select_from(audit.AuditEntry)) == audit_before
    assert audit.verify().ok


def test_after_transition_event_is_sent(app, sample_table):
    seen = []

    def listener(sender, obj, transition, actor, params, history):
        seen.append((sender.id, obj.id, transition.id, actor.username, params, history.to_state))

    after_transition.connect(listener)
    try:
        doc = make_doc()
        SAMPLE.fire(
            doc, "distribute", user_by_username("controller"), params={"subdivision": "ENERGY"}
        )
    finally:
        after_transition.disconnect(listener)
    assert seen == [
        ("sample", doc.id, "distribute", "controller", {"subdivision": "ENERGY"}, "distributed")
    ]


def test_automatic_transition_follows(app, sample_table):
    auto = register(
        Workflow(
            "sample_auto",
            "Sample with an automatic step",
            states=[
                state("new", "New"),
                state("checked", "Checked"),
                state("done", "Done", final=True),
            ],
            transitions=[
                transition("check", "Check", "new", "checked", permission=Permission.DISTRIBUTE),
                transition(
                    "finish",
                    "Finish",
                    "checked",
                    "done",
                    auto=True,
                    condition=lambda ctx: ctx.obj.answer == "ok",
                ),
            ],
            initial="new",
        )
    )
    try:
        doc = make_doc()
        doc.state = "new"
        auto.fire(doc, "check", user_by_username("controller"))
        assert doc.state == "done"
        rows = [r for r in history(doc) if r.workflow == "sample_auto"]
        assert [(r.transition, r.actor_name) for r in rows] == [
            ("check", "Әлия Серікқызы Нұрланова"),
            ("finish", "system"),
        ]
        doc2 = make_doc()
        doc2.answer = "not yet"
        doc2.state = "new"
        auto.fire(doc2, "check", user_by_username("controller"))
        assert doc2.state == "checked"  # condition false: the automatic step waits
    finally:
        from docflow.core import workflow as wf_module

        wf_module._registry.pop("sample_auto", None)


def test_definition_errors_are_caught_early():
    with pytest.raises(ValueError, match="initial"):
        Workflow("bad", "Bad", [state("a", "A")], [], initial="b")
    with pytest.raises(ValueError, match="unknown"):
        Workflow("bad", "Bad", [state("a", "A")], [transition("t", "T", "a", "zzz")], initial="a")


def test_workflow_errors_share_a_base(app):
    for cls in (
        UnknownTransition,
        TransitionNotAvailable,
        TransitionForbidden,
        GuardRefused,
        InvalidParameters,
    ):
        assert issubclass(cls, WorkflowError)
