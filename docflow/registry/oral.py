"""Oral and phone appeals: written into a protocol, then registered like a written one (R-REG-2).

An appeal made orally at the front office or by phone / call centre is written down in a
separate protocol (АППК art. 63(1); seed 001 p.21): the applicant's words as said, who took
them (name and position), and when. The appeal is then registered through the registry's one
``register`` — the same journal and numbering (R-REG-4), the same repeat detection (R-ROUTE-4)
and completeness check (R-REG-5), the same queue for distribution — and the protocol, a DOCX
in Kazakh and Russian, is attached to it as its first file. The words are kept as recorded;
the protocol is never edited (R-AUDIT-3).
"""

from __future__ import annotations

import datetime as dt
import io
from dataclasses import dataclass
from typing import Any

from flask_babel import lazy_gettext as _l
from sqlalchemy import ForeignKey, Integer, String, Text, select
from sqlalchemy.orm import Mapped, mapped_column

from docflow.core import audit
from docflow.core.calendar import get_calendar
from docflow.core.db import UTCDateTime, atomic, utcnow
from docflow.extensions import db
from docflow.registry import operations as registry_ops
from docflow.registry.errors import RegistrationError
from docflow.registry.models import IncomingItem
from docflow.registry.vocab import CHANNEL_TITLES_KK_RU, KIND_TITLES_KK_RU, ORAL_CHANNELS

DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
MAX_WORDS = 20000
SUMMARY_CHARS = 1000


class OralProtocol(db.Model):
    """The protocol of an oral or phone appeal (R-REG-2): one per registered item."""

    __tablename__ = "oral_protocol"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    item_id: Mapped[int] = mapped_column(
        ForeignKey("incoming_item.id"), nullable=False, unique=True
    )
    channel: Mapped[str] = mapped_column(String(16), nullable=False)  # oral | phone
    words: Mapped[str] = mapped_column(Text, nullable=False)  # the applicant's words as said
    taken_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, nullable=False)
    taken_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"), nullable=True)
    taken_by_name: Mapped[str] = mapped_column(String(200), nullable=False)
    taken_by_position: Mapped[str | None] = mapped_column(String(300), nullable=True)
    caller_phone: Mapped[str | None] = mapped_column(String(50), nullable=True)
    attachment_id: Mapped[int | None] = mapped_column(ForeignKey("attachment.id"), nullable=True)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, nullable=False, default=utcnow)


@dataclass
class OralAppeal:
    """What the front-office employee writes down: the registration data and the words."""

    data: registry_ops.RegistrationData
    words: str
    caller_phone: str | None = None


def _taker(actor: Any) -> tuple[str, str | None]:
    """Name and position (kk / ru) of the employee who took the appeal (R-REG-4 slip style)."""
    from docflow.org.models import Employee

    name = getattr(actor, "display_name", None) or getattr(actor, "username", None) or "—"
    employee = None
    if getattr(actor, "id", None) is not None:
        employee = db.session.scalar(select(Employee).where(Employee.user_id == actor.id))
    positions = (employee.positions or {}) if employee is not None else {}
    position = " / ".join(p for p in (positions.get("kk"), positions.get("ru")) if p) or None
    return (employee.full_name if employee is not None else name)[:200], (
        position[:300] if position else None
    )


def validate_oral(appeal: OralAppeal) -> None:
    errors: dict[str, Any] = {}
    if appeal.data.channel not in ORAL_CHANNELS:
        errors["channel"] = _l("An oral appeal arrives orally at the front office or by phone.")
    words = (appeal.words or "").strip()
    if not words:
        errors["words"] = _l("Write down the applicant's words.")
    elif len(words) > MAX_WORDS:
        errors["words"] = _l("Too long: at most %(n)d characters.", n=MAX_WORDS)
    if appeal.caller_phone and len(appeal.caller_phone) > 50:
        errors["caller_phone"] = _l("Too long: at most %(n)d characters.", n=50)
    if errors:
        raise RegistrationError(errors)


@atomic
def register_oral(appeal: OralAppeal, actor: Any) -> IncomingItem:
    """R-REG-2: write the oral appeal into its protocol and register it like a written one."""
    validate_oral(appeal)
    data = appeal.data
    words = appeal.words.strip()
    data.signed = False  # nobody signs an oral appeal; the protocol is its written form
    if not (data.summary or "").strip():
        data.summary = words[:SUMMARY_CHARS]
    item = registry_ops.register(data, actor)  # numbering, repeats, completeness: as written
    existing = protocol_of(item)
    if existing is not None:
        return item  # a repeated submission (same idempotency key): the first registration
    name, position = _taker(actor)
    protocol = OralProtocol(
        item_id=item.id,
        channel=data.channel,
        words=words,
        taken_at=item.arrived_at,
        taken_by_id=getattr(actor, "id", None),
        taken_by_name=name,
        taken_by_position=position,
        caller_phone=(appeal.caller_phone or "").strip() or None,
    )
    db.session.add(protocol)
    db.session.flush()
    content = render_protocol(item, protocol)
    attachment = registry_ops.attach(
        item,
        f"protocol-{item.reg_number}.docx",
        io.BytesIO(content),
        actor,
        source="oral_protocol",
        content_type=DOCX,
    )
    protocol.attachment_id = attachment.id
    audit.record(
        "oral_protocol", item, summary={"channel": data.channel, "taken_by": protocol.taken_by_name}
    )
    return item


def protocol_of(item: IncomingItem) -> OralProtocol | None:
    return db.session.scalar(select(OralProtocol).where(OralProtocol.item_id == item.id))


# --- the document -------------------------------------------------------------------------

TITLE = {"kk": "Ауызша өтініш хаттамасы", "ru": "Протокол устного обращения"}
LABELS = (
    ("number", {"kk": "Тіркеу нөмірі", "ru": "Регистрационный номер"}),
    ("when", {"kk": "Өтініш берілген күні мен уақыты", "ru": "Дата и время обращения"}),
    ("channel", {"kk": "Қалай берілді", "ru": "Способ обращения"}),
    ("kind", {"kk": "Түрі", "ru": "Вид"}),
    ("applicant", {"kk": "Өтініш беруші", "ru": "Заявитель"}),
    ("iin", {"kk": "ЖСН / БСН", "ru": "ИИН / БИН"}),
    ("address", {"kk": "Мекенжайы", "ru": "Адрес"}),
    ("phone", {"kk": "Телефоны", "ru": "Телефон"}),
    ("addressee", {"kk": "Кімге", "ru": "Адресат"}),
)
WORDS = {"kk": "Өтініш берушінің сөзі", "ru": "Изложение обращения со слов заявителя"}
TAKEN = {"kk": "Өтінішті қабылдаған", "ru": "Обращение принял(а)"}
SIGN_APPLICANT = {"kk": "Өтініш берушінің қолы", "ru": "Подпись заявителя"}
BY_PHONE = {
    "kk": "Өтініш телефон арқылы берілді, өтініш берушінің қолы жоқ.",
    "ru": "Обращение принято по телефону, подпись заявителя отсутствует.",
}


def _bi(label: dict[str, str]) -> str:
    return f"{label['kk']} / {label['ru']}"


def protocol_fields(item: IncomingItem, protocol: OralProtocol) -> dict[str, str]:
    """The protocol's details as text (the DOCX and the page show the same)."""
    local = get_calendar().to_local(protocol.taken_at)
    applicant = item.applicants[0] if item.applicants else None
    names = ", ".join(a.full_name or a.organisation_name or "—" for a in item.applicants) or "—"
    kind = KIND_TITLES_KK_RU.get(item.kind, {"kk": item.kind, "ru": item.kind})
    channel = CHANNEL_TITLES_KK_RU.get(protocol.channel, {"kk": "", "ru": ""})
    return {
        "number": item.reg_number,
        "when": local.strftime("%d.%m.%Y %H:%M"),
        "channel": _bi(channel),
        "kind": _bi(kind),
        "applicant": names,
        "iin": (applicant.iin or applicant.bin or "—") if applicant else "—",
        "address": (applicant.address or "—") if applicant else "—",
        "phone": protocol.caller_phone or (applicant.phone if applicant else None) or "—",
        "addressee": item.addressee or "—",
    }


def render_protocol(item: IncomingItem, protocol: OralProtocol) -> bytes:
    """The protocol as a DOCX in Kazakh and Russian: details, the words, who took it, when."""
    from docx import Document
    from docx.shared import Pt

    doc = Document()
    doc.styles["Normal"].font.name = "Times New Roman"
    doc.styles["Normal"].font.size = Pt(12)
    doc.add_heading(_bi(TITLE), level=1)
    fields = protocol_fields(item, protocol)
    table = doc.add_table(rows=0, cols=2)
    table.style = "Table Grid"
    for key, label in LABELS:
        row = table.add_row().cells
        row[0].text, row[1].text = _bi(label), fields[key]
    doc.add_heading(_bi(WORDS), level=2)
    for paragraph in protocol.words.splitlines() or [protocol.words]:
        doc.add_paragraph(paragraph)
    doc.add_paragraph("")
    taker = ", ".join(p for p in (protocol.taken_by_position, protocol.taken_by_name) if p)
    doc.add_paragraph(f"{_bi(TAKEN)}: {taker}  ________________  {fields['when']}")
    if protocol.channel == "phone":
        doc.add_paragraph(_bi(BY_PHONE))
    else:
        doc.add_paragraph(f"{_bi(SIGN_APPLICANT)}: ________________")
    out = io.BytesIO()
    doc.save(out)
    return out.getvalue()


def register_texts() -> None:
    """The readable history's sentences of oral appeals (``docflow.core.history_text``)."""
    from docflow.core import history_text as ht

    ht.register_object("oral_protocol", _l("protocol of an oral appeal"), group="registration")
    ht.register_action(
        "oral_protocol",
        _l("%(actor)s wrote the oral appeal %(object)s into its protocol"),
        group="registration",
    )
