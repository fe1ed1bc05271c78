"""Receipt slips and registration labels for registered items (R-REG-4)."""

from __future__ import annotations

from docflow.core.settings import get_setting
from docflow.extensions import db
from docflow.org.models import Organisation
from docflow.registry.models import IncomingItem
from docflow.registry.public_status import qr_url, status_url
from docflow.registry.slips import SlipData, render_receipt_slip, render_stamp_label
from docflow.registry.vocab import CHANNEL_TITLES_KK_RU, KIND_TITLES_KK_RU


def slip_data(item: IncomingItem) -> SlipData:
    org = db.session.query(Organisation).first()
    clerk = item.registered_by
    position = None
    if clerk is not None and clerk.employee is not None and clerk.employee.positions:
        positions = clerk.employee.positions
        position = positions.get("ru") or positions.get("kk")
    profile = get_setting("profile") or {}
    return SlipData(
        reg_number=item.reg_number,
        registered_at=item.registered_at,
        kind=KIND_TITLES_KK_RU.get(item.kind, {"kk": item.kind, "ru": item.kind}),
        channel=CHANNEL_TITLES_KK_RU.get(item.channel, {"kk": item.channel, "ru": item.channel}),
        applicant=item.applicant_names or "—",
        accepted_by=clerk.display_name if clerk else "—",
        accepted_by_position=position,
        organisation=(org.names if org else profile.get("title")) or {"kk": "", "ru": ""},
        due_date=item.due_date,
        pages=item.page_count,
        # the public status page (no login), not the item page the office logs in to
        item_url=status_url(),  # printed for typing; the QR has the number (and the code)
        status_code=item.status_code,
        qr_url=qr_url(item.reg_number, item.status_code),
    )


def slip_pdf(item: IncomingItem) -> bytes:
    return render_receipt_slip(slip_data(item))


def label_pdf(item: IncomingItem) -> bytes:
    return render_stamp_label(slip_data(item))
