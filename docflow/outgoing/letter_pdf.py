"""The letter as PDF (fpdf2, DejaVu Sans: Kazakh and Russian), with its outgoing number and date
and a QR code to the public verification address: the letter's public id and a hash of its text
and registration — no personal data.
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


def _head(letter: Letter) -> User | None:
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
    """``(pdf bytes, content hash)``; without a number the PDF is marked a draft."""
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
    head = signer or _head(letter)
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
    return bytes(pdf.output()), digest
