"""How a signed letter went out: one :class:`LetterDispatch` per attempt, on one channel.

Channels: ``email`` (SMTP, the signed PDF attached), ``post`` (the dispatch register and the
envelope list, with tracking numbers), ``eotinish`` (an export package: the case, the PDF and
the signature's CMS) and ``hand`` (a receipt). A dispatch moves through the ``dispatch``
workflow: queued → sent → delivered, or queued → failed (a failed e-mail stays recorded with
its error; a retry is a new dispatch). The first dispatch that goes out moves the letter
``signed → sent`` (:mod:`docflow.outgoing.dispatch`).

The recipient's address, e-mail and name are personal data: masked in the audit trail (R-PD-1).
"""

from __future__ import annotations

import datetime as dt

from flask_babel import lazy_gettext as _l
from sqlalchemy import ForeignKey, Integer, LargeBinary, String, Text, select
from sqlalchemy.orm import Mapped, mapped_column, relationship

from docflow.core.db import UTCDateTime, utcnow
from docflow.core.security import Permission, Role
from docflow.core.workflow import Workflow, WorkflowMixin, register, state, transition
from docflow.extensions import db
from docflow.org.models import User
from docflow.outgoing.letter_models import Letter
from docflow.registry.models import new_public_id
from docflow.registry.workflow import READERS

CHANNELS = {
    "email": _l("E-mail"),
    "post": _l("Post"),
    "eotinish": _l("e-Otinish"),
    "hand": _l("By hand"),
}
OFFICE = [Role.REGISTRAR, Role.CONTROLLER]


class LetterDispatch(WorkflowMixin, db.Model):
    __tablename__ = "letter_dispatch"
    __workflow__ = "dispatch"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    public_id: Mapped[str] = mapped_column(
        String(32), unique=True, nullable=False, default=new_public_id
    )
    letter_id: Mapped[int] = mapped_column(ForeignKey("letter.id"), nullable=False, index=True)
    channel: Mapped[str] = mapped_column(String(16), nullable=False)
    # who it goes to: a name, and the postal address or the e-mail address
    recipient: Mapped[str | None] = mapped_column(
        String(300), nullable=True, info={"audit": "mask"}
    )
    address: Mapped[str | None] = mapped_column(Text, nullable=True, info={"audit": "mask"})
    tracking: Mapped[str | None] = mapped_column(String(64), nullable=True, index=True)
    error: Mapped[str | None] = mapped_column(Text, nullable=True)
    at: Mapped[dt.datetime] = mapped_column(UTCDateTime, nullable=False, default=utcnow)
    by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"), nullable=True)
    sent_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime, nullable=True)
    delivered_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime, nullable=True)
    delivered_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("user_account.id"), nullable=True
    )
    # the receipt: who received it (by hand, or who signed the post's delivery notice), and how
    received_by: Mapped[str | None] = mapped_column(
        String(300), nullable=True, info={"audit": "mask"}
    )
    delivery_note: Mapped[str | None] = mapped_column(Text, nullable=True)
    # e-Otinish: the export package as made (zip), kept as it went out
    package: Mapped[bytes | None] = mapped_column(
        LargeBinary, nullable=True, info={"audit": "skip"}
    )
    package_sha256: Mapped[str | None] = mapped_column(String(64), nullable=True)

    letter: Mapped[Letter] = relationship()
    by: Mapped[User | None] = relationship(foreign_keys=[by_id])
    delivered_by: Mapped[User | None] = relationship(foreign_keys=[delivered_by_id])

    def local_role_subdivisions(self) -> list[str]:
        return self.letter.local_role_subdivisions() if self.letter else []


P = Permission
DISPATCH = register(
    Workflow(
        "dispatch",
        _l("Dispatch of a letter"),
        states=[
            state("queued", _l("To be sent"), view=READERS, modify=OFFICE),
            state("sent", _l("Sent"), view=READERS, modify=OFFICE),
            state("failed", _l("Failed"), final=True, view=READERS),
            state("delivered", _l("Delivered"), final=True, view=READERS),
        ],
        transitions=[
            transition("send", _l("Send"), "queued", "sent", permission=P.MODIFY),
            transition("fail", _l("Sending failed"), "queued", "failed", permission=P.MODIFY),
            transition(
                "deliver", _l("Record the delivery"), "sent", "delivered", permission=P.MODIFY
            ),
        ],
        initial="queued",
    )
)


def dispatch_by_public_id(letter: Letter, public_id: str) -> LetterDispatch | None:
    if not public_id or len(public_id) > 32:
        return None
    return db.session.scalar(
        select(LetterDispatch).where(
            LetterDispatch.public_id == public_id, LetterDispatch.letter_id == letter.id
        )
    )


def dispatches_of(letter: Letter) -> list[LetterDispatch]:
    query = select(LetterDispatch).where(LetterDispatch.letter_id == letter.id)
    return list(db.session.scalars(query.order_by(LetterDispatch.id)))
