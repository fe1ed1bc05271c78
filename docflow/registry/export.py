"""The journal of registered items as an XLSX workbook (for a date range)."""

from __future__ import annotations

import io
from collections.abc import Iterable

from flask_babel import gettext as _
from openpyxl import Workbook
from openpyxl.styles import Alignment, Font
from openpyxl.utils import get_column_letter

from docflow.registry.models import IncomingItem
from docflow.registry.vocab import CHANNELS, KINDS
from docflow.registry.workflow import INCOMING


def _safe(value: str | None) -> str | None:
    # A cell starting with = + - @ would be a formula in Excel (CSV/XLSX injection).
    if value and value[0] in "=+-@\t\r":
        return "'" + value
    return value


def journal_xlsx(items: Iterable[IncomingItem], filters) -> bytes:
    wb = Workbook(write_only=False)
    ws = wb.active
    ws.title = _("Journal")[:31]
    headers = [
        _("Registration number"),
        _("Registration date"),
        _("Arrived"),
        _("Kind"),
        _("Channel"),
        _("Applicant"),
        _("Addressee"),
        _("Summary"),
        _("Due date"),
        _("State"),
        _("From personal reception"),
        _("Pages"),
        _("Sender's number"),
    ]
    ws.append(headers)
    for cell in ws[1]:
        cell.font = Font(bold=True)
    for item in items:
        ws.append(
            [
                item.reg_number,
                item.registration_date,
                item.arrived_at.replace(tzinfo=None),
                str(KINDS.get(item.kind, item.kind)),
                str(CHANNELS.get(item.channel, item.channel)),
                _safe(item.applicant_names),
                _safe(item.addressee),
                _safe(item.summary[:2000]),
                item.due_date,
                str(INCOMING.states[item.state].title)
                if item.state in INCOMING.states
                else item.state,
                _("yes") if item.from_reception else "",
                item.page_count,
                _safe(item.external_number),
            ]
        )
    widths = [20, 12, 18, 18, 18, 30, 25, 60, 12, 18, 10, 8, 15]
    for i, width in enumerate(widths, start=1):
        ws.column_dimensions[get_column_letter(i)].width = width
    for row in ws.iter_rows(min_row=2):
        row[7].alignment = Alignment(wrap_text=True, vertical="top")
    ws.freeze_panes = "A2"
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()
