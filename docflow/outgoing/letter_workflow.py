"""The ``letter`` workflow: draft → submitted → approved → signed → sent; returned to draft;
a notice that needs no signature: draft → registered → sent (numbered at once).

Who may act is the state's permission map on the letter, whose local roles come from its
responsible subdivision (``Letter.local_role_subdivisions``): its executors write and submit,
its head approves and signs (R-ANS-2). Rules on top of that are conditions: R-ANS-1 on
submitting a final answer, R-ROUTE-4 on writing, and the signature itself on signing (the
operation sets the signed PDF only after the signature was verified).

Also adds ``letter_signed`` to the incoming workflow (a final answer letter signed: the item is
answered, on control check), and tells routing when a final letter counts for R-CTRL-1.
"""

from __future__ import annotations

from flask_babel import lazy_gettext as _l

from docflow.core.security import Permission, Role
from docflow.core.workflow import Workflow, register, state, transition
from docflow.registry.workflow import INCOMING, READERS
from docflow.routing import workflow as _routing_workflow  # noqa: F401  (in_work… defined first)

R, P = Role, Permission
WRITERS = [R.EXECUTOR, R.HEAD]
HEADS = [R.HEAD]
OFFICE = [R.REGISTRAR, R.CONTROLLER]


def r_ans_1_missing(letter) -> list[str]:
    """What a final answer still lacks (R-ANS-1): decision, legal basis, right to complain."""
    if letter.kind != "answer" or not letter.final:
        return []
    missing = []
    if not letter.decision:
        missing.append("decision")
    if not (letter.legal_basis or "").strip():
        missing.append("legal_basis")
    if not (letter.complaint or "").strip():
        missing.append("complaint")
    return missing


def _may_submit(ctx):
    from docflow.core.security import AccessDenied
    from docflow.core.workflow import TransitionForbidden
    from docflow.routing.handlers import executor_refusal
    from docflow.routing.operations import require_executor_or_head

    letter = ctx.obj
    try:  # who may act is a permission (403); R-ROUTE-4 after it is a rule (422)
        require_executor_or_head(letter.item, ctx.actor)
    except AccessDenied as exc:
        raise TransitionForbidden(exc.message) from None
    refusal = executor_refusal(letter.item, ctx.actor)
    if refusal is not None:
        return refusal
    if not letter.body.strip():
        return _l("Write the text of the letter first.")
    if r_ans_1_missing(letter):
        return _l(
            "A final answer needs the decision, the legal basis and the paragraph on the right to complain (R-ANS-1)."
        )
    return True


def _may_approve(ctx):
    # art. 97(2): not the answer to a complaint about an answer the head signed; and the
    # approvers of the sheet first (docflow.outgoing.approval).
    from docflow.outgoing.approval import sheet_refusal
    from docflow.routing.handlers import approval_refusal

    return approval_refusal(ctx.obj.item, ctx.actor) or sheet_refusal(ctx.obj) or True


def _may_endorse(ctx):
    from docflow.outgoing.approval import may_endorse

    return may_endorse(ctx)


def _may_return(ctx):
    from docflow.outgoing.approval import may_return

    return may_return(ctx)


def _signature_verified(ctx):
    # Only the signing operation fires "sign", after the signature was made and verified.
    from docflow.outgoing.approval import signer_refusal

    if ctx.obj.signed_pdf is None or ctx.obj.reg_number is None:
        return _l("Sign the letter with a digital signature.")
    return signer_refusal(ctx.obj, ctx.actor) or True  # R-ANS-2: the head or today's substitute


def _registered_without_signature(ctx):
    # Only outgoing's register_notice fires "register", after it numbered a notice that needs
    # no signature (operations.needs_signature); a letter to be signed is numbered at signing.
    if ctx.obj.reg_number is None or ctx.obj.signed_pdf is not None:
        return _l("This letter is registered when it is signed.")
    return True


LETTER = register(
    Workflow(
        "letter",
        _l("Outgoing letter"),
        states=[
            state("draft", _l("Draft"), view=READERS, answer=WRITERS, approve=HEADS),
            state("submitted", _l("Sent for approval"), view=READERS, approve=HEADS),
            state("approved", _l("Approved, to be signed"), view=READERS, approve=HEADS),
            state("signed", _l("Signed and registered"), view=READERS, modify=OFFICE),
            # A notice that needs no signature: numbered at the act that requires it.
            state("registered", _l("Registered, to be sent"), view=READERS, modify=OFFICE + HEADS),
            # the office still records further dispatches, deliveries and call ratings
            state("sent", _l("Sent"), final=True, view=READERS, modify=OFFICE),
        ],
        transitions=[
            transition(
                "submit",
                _l("Submit the letter for approval"),
                "draft",
                "submitted",
                permission=P.ANSWER,
                condition=_may_submit,
            ),
            transition(
                "approve",
                _l("Approve the letter"),
                "submitted",
                "approved",
                permission=P.APPROVE,
                condition=_may_approve,
            ),
            # an approver of the sheet endorses their step; the letter stays "submitted"
            transition(
                "endorse",
                _l("Approve your step of the approval sheet"),
                "submitted",
                None,
                condition=_may_endorse,
            ),
            transition(
                "return",
                _l("Return the letter for revision"),
                ["submitted", "approved"],
                "draft",
                condition=_may_return,  # the head, or the approver whose turn it is
                comment_required=True,
            ),
            # R-ANS-2: the head of the responsible subdivision signs.
            transition(
                "sign",
                _l("Sign the letter"),
                "approved",
                "signed",
                permission=P.APPROVE,
                condition=_signature_verified,
            ),
            # Only the outgoing operation fires "register", after it numbered the notice.
            transition(
                "register",
                _l("Register the letter"),
                ["draft", "approved"],
                "registered",
                condition=_registered_without_signature,
            ),
            transition(
                "send",
                _l("Mark the letter sent"),
                ["signed", "registered"],
                "sent",
                permission=P.MODIFY,
            ),
        ],
        initial="draft",
    )
)


def _final_letter_signed(ctx):
    from docflow.outgoing.letters import final_letter_status

    if final_letter_status(ctx.obj) != "signed":
        return _l("The final answer letter is not signed yet.")
    return True


# R-CTRL-1: a signed final answer letter puts the item on control check, like an approved answer.
INCOMING.extend(
    transitions=[
        transition(
            "letter_signed",
            _l("Final answer letter signed"),
            ["in_work", "answer_review"],
            "answered",
            condition=_final_letter_signed,
        )
    ]
)
