"""The inspection's findings as a spreadsheet (openpyxl): the findings, the counts per
subdivision and code, and the sample's checklist, one sheet each."""

from __future__ import annotations

import io

from openpyxl import Workbook
from openpyxl.styles import Font

from docflow.inspection.report import Report


def _sheet(ws, headings: list[str], rows: list[list[str]], numeric: bool = False) -> None:
    ws.append(headings)
    for cell in ws[1]:
        cell.font = Font(bold=True)
    for values in rows:
        ws.append([_number(v) if numeric else v for v in values])
    ws.freeze_panes = "A2"
    for column in ws.columns:
        letter = column[0].column_letter
        ws.column_dimensions[letter].width = min(
            60, max(10, *(len(str(c.value or "")) for c in column))
        )


def _number(value: str):
    return int(value) if isinstance(value, str) and value.isdigit() else value


def findings_xlsx(report: Report) -> bytes:
    wb = Workbook()
    ws = wb.active
    ws.title = report.t("findings")[:31]
    rows = [report.finding_row(f) for f in report.all_findings]
    _sheet(ws, report.finding_headings(), rows)
    _sheet(wb.create_sheet(report.t("total")[:31]), *report.count_rows(), numeric=True)
    if report.sample:
        _sheet(wb.create_sheet(report.t("sample")[:31]), *report.sample_case_rows())
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()
