"""The letter as PDF, with its outgoing number and date and a QR code to the public verification
address: the letter's public id and a hash of its text and registration — no personal data.

:func:`render_letter` (what signing and the PDF views call) renders with the configured renderer
(:func:`docflow.outgoing.letter_render.renderer`): the office's DOCX template converted by
LibreOffice to PDF/A-2b (:mod:`docflow.outgoing.letter_render`), or — when LibreOffice is not
installed, or ``PDF_RENDERER=builtin`` — :func:`render_builtin`, drawn by fpdf2 (DejaVu Sans:
Kazakh and Russian) without a template.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json

import segno
from flask import current_app, has_request_context, request

from docflow.core.pdf import FONT, new_pdf
from docflow.extensions import db
from docflow.org.models import Organisation, RoleGrant, User
from docflow.outgoing.letter_models import DECISIONS, Letter
from docflow.outgoing.operations import recipient_of

# The letter's own language, whatever the reader's interface language (R-ANS-1).
WORDS = {
    "kk": {
        "outgoing": "Шығыс № {number}, {date}",
        "draft": "ЖОБА — қол қойылмаған",
        "incoming": "{date} № {number} өтінішіңізге",
        "decision": "Шешім: {decision}",
        "basis": "Құқықтық негіздеме: {basis}",
        "head": "Бөлім басшысы",
        "verify": "Түпнұсқалығын тексеру: QR-код",
        "decisions": {
            "explained": "түсіндірілді",
            "satisfied": "қанағаттандырылды",
            "partly": "ішінара қанағаттандырылды",
            "refused": "бас тартылды",
        },
    },
    "ru": {
        "outgoing": "Исх. № {number} от {date}",
        "draft": "ПРОЕКТ — не подписан",
        "incoming": "На Ваше обращение № {number} от {date}",
        "decision": "Решение: {decision}",
        "basis": "Правовое основание: {basis}",
        "head": "Руководитель подразделения",
        "verify": "Проверка подлинности: QR-код",
        "decisions": {
            "explained": "разъяснено",
            "satisfied": "удовлетворено",
            "partly": "удовлетворено частично",
            "refused": "отказано",
        },
    },
}
assert set(WORDS["kk"]["decisions"]) == set(DECISIONS)


def content_hash(letter: Letter, reg_number: str | None, reg_date: dt.date | None) -> str:
    """SHA-256 of what the letter says and its registration (the QR's hash)."""
    canonical = json.dumps(
        {
            "id": letter.public_id,
            "reg_number": reg_number,
            "reg_date": reg_date.isoformat() if reg_date else None,
            "language": letter.language,
            "decision": letter.decision,
            "body": letter.body,
            "legal_basis": letter.legal_basis,
            "complaint": letter.complaint,
        },
        ensure_ascii=False,
        sort_keys=True,
    )
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


def verification_url(letter: Letter, digest: str) -> str:
    """``{PUBLIC_URL}/v/{public id}/{first 16 hex of the hash}``."""
    base = current_app.config.get("PUBLIC_URL") or (
        request.url_root if has_request_context() else "http://localhost/"
    )
    return f"{base.rstrip('/')}/v/{letter.public_id}/{digest[:16]}"


def head_of(letter: Letter) -> User | None:
    """Who signs (signed): the signer, else an active head of the responsible subdivision."""
    if letter.signed_by is not None:
        return letter.signed_by
    return db.session.scalar(
        db.select(User)
        .join(RoleGrant, RoleGrant.user_id == User.id)
        .where(
            RoleGrant.role == "head",
            RoleGrant.subdivision_id == letter.subdivision_id,
            User.active.is_(True),
        )
        .limit(1)
    )


def _qr(pdf, url: str, x: float, y: float, size: float) -> None:
    """The QR code drawn as vector squares (no image library needed)."""
    qr = segno.make(url, error="m")
    rows = list(qr.matrix_iter(scale=1, border=2))
    cell = size / len(rows)
    pdf.set_fill_color(0, 0, 0)
    for r, row in enumerate(rows):
        for c, dark in enumerate(row):
            if dark:
                pdf.rect(x + c * cell, y + r * cell, cell, cell, style="F")


def render_letter(
    letter: Letter,
    *,
    reg_number: str | None = None,
    reg_date: dt.date | None = None,
    signer: User | None = None,
) -> tuple[bytes, str]:
    """``(pdf bytes, content hash)`` by the configured renderer; without a number the PDF is
    marked a draft."""
    from docflow.outgoing import letter_render

    render = (
        letter_render.render_letter if letter_render.renderer() == "libreoffice" else render_builtin
    )
    return render(letter, reg_number=reg_number, reg_date=reg_date, signer=signer)


def render_builtin(
    letter: Letter,
    *,
    reg_number: str | None = None,
    reg_date: dt.date | None = None,
    signer: User | None = None,
) -> tuple[bytes, str]:
    """``(pdf bytes, content hash)`` drawn by fpdf2 (no template, no LibreOffice needed)."""
    words = WORDS.get(letter.language, WORDS["kk"])
    lang = letter.language
    item = letter.item
    digest = content_hash(letter, reg_number, reg_date)
    pdf = new_pdf(margins=(25, 20, 15))
    pdf.set_title(f"{reg_number or letter.public_id}")
    pdf.set_creator("docflow")
    pdf.add_page()
    org = db.session.scalar(db.select(Organisation).limit(1))
    sub = letter.subdivision
    pdf.set_font(FONT, "B", 12)
    for line in (
        (org.names or {}).get(lang) if org else None,
        (sub.names or {}).get(lang) if sub else None,
    ):
        if line:
            pdf.multi_cell(0, 6, line, align="C", new_x="LMARGIN", new_y="NEXT")
    pdf.ln(4)
    pdf.set_font(FONT, "", 10)
    if reg_number:
        pdf.cell(
            0, 6, words["outgoing"].format(number=reg_number, date=reg_date.strftime("%d.%m.%Y"))
        )
    else:
        pdf.set_text_color(180, 0, 0)
        pdf.cell(0, 6, words["draft"])
        pdf.set_text_color(0, 0, 0)
    pdf.ln(6)
    pdf.cell(
        0,
        6,
        words["incoming"].format(
            number=item.reg_number, date=item.registration_date.strftime("%d.%m.%Y")
        ),
    )
    pdf.ln(10)
    pdf.set_font(FONT, "B", 11)
    pdf.multi_cell(80, 6, recipient_of(item), new_x="LMARGIN", new_y="NEXT", align="L")
    pdf.ln(6)
    pdf.set_font(FONT, "", 11)
    pdf.multi_cell(0, 6, letter.body, new_x="LMARGIN", new_y="NEXT")
    if letter.decision:
        pdf.ln(3)
        decision = words["decisions"][letter.decision]
        pdf.multi_cell(
            0, 6, words["decision"].format(decision=decision), new_x="LMARGIN", new_y="NEXT"
        )
    if letter.legal_basis:
        pdf.ln(2)
        pdf.multi_cell(
            0, 6, words["basis"].format(basis=letter.legal_basis), new_x="LMARGIN", new_y="NEXT"
        )
    if letter.complaint:
        pdf.ln(3)
        pdf.multi_cell(0, 6, letter.complaint, new_x="LMARGIN", new_y="NEXT")
    pdf.ln(12)
    head = signer or head_of(letter)
    pdf.set_font(FONT, "B", 11)
    pdf.cell(100, 6, words["head"])
    pdf.cell(0, 6, head.display_name if head else "", align="R")
    pdf.ln(10)
    if pdf.get_y() > 250:  # the QR code needs 30 mm at the foot of a page
        pdf.add_page()
    y = max(pdf.get_y(), 240)
    _qr(pdf, verification_url(letter, digest), 25, y, 28)
    pdf.set_xy(57, y + 10)
    pdf.set_font(FONT, "", 8)
    pdf.cell(0, 5, words["verify"])
    _approval_sheet(pdf, letter, reg_number)
    return bytes(pdf.output()), digest


def _approval_sheet(pdf, letter: Letter, reg_number: str | None) -> None:
    """The approval sheet on a page of its own (the same rows as the DOCX renderer's)."""
    from docflow.outgoing.letter_render import SHEET_WORDS, approval_sheet

    title, columns, rows = approval_sheet(letter, letter.language)
    if not rows:
        return
    words = SHEET_WORDS.get(letter.language, SHEET_WORDS["kk"])
    pdf.add_page()
    pdf.set_font(FONT, "B", 12)
    pdf.cell(0, 7, title, align="C", new_x="LMARGIN", new_y="NEXT")
    pdf.set_font(FONT, "", 10)
    of = words["of"].format(number=reg_number or letter.public_id)
    pdf.cell(0, 6, of, align="C", new_x="LMARGIN", new_y="NEXT")
    pdf.ln(4)
    width = len(columns)
    with pdf.table(text_align="LEFT") as table:
        for cells in [columns, *rows]:
            row = table.row()
            for text in list(cells[:width]) + [""] * (width - len(cells[:width])):
                row.cell(text)
