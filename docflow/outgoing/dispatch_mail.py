"""The e-mail that carries a signed letter: text in the letter's language, the signed PDF
attached exactly as signed, sent through the office's SMTP server.

Settings (``docflow/config.py``; ``DOCFLOW_SMTP_*`` in the environment): ``SMTP_HOST``,
``SMTP_PORT``, ``SMTP_USER``, ``SMTP_PASSWORD``, ``SMTP_FROM``, ``SMTP_STARTTLS``,
``SMTP_TIMEOUT``. Without ``SMTP_HOST`` the reminders' ``MAIL_SERVER`` settings are used.
"""

from __future__ import annotations

import re
import smtplib
from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import formatdate, make_msgid

from flask import current_app

from docflow.extensions import db
from docflow.org.models import Organisation
from docflow.outgoing.letter_models import Letter
from docflow.outgoing.letter_pdf import verification_url

# The letter's own language, like the letter itself (R-ANS-1), whatever the sender's interface.
TEXTS = {
    "kk": {
        "subject": "Өтінішіңізге жауап: шығыс № {number}, {date}",
        "body": (
            "Құрметті өтініш беруші!\n\n"
            "{item_date} № {item_number} өтінішіңізге {org} жауабы қоса беріледі: "
            "шығыс № {number}, {date}. Хат электрондық цифрлық қолтаңбамен қол қойылған PDF "
            "құжаты.\n\n"
            "Құжаттың түпнұсқалығын тексеру және жауапты бағалау: {url}\n"
        ),
    },
    "ru": {
        "subject": "Ответ на Ваше обращение: исх. № {number} от {date}",
        "body": (
            "Уважаемый заявитель!\n\n"
            "Направляем ответ ({org}) на Ваше обращение № {item_number} от {item_date}: "
            "исх. № {number} от {date}. Письмо приложено в виде PDF-документа, подписанного "
            "электронной цифровой подписью.\n\n"
            "Проверить подлинность документа и оценить ответ: {url}\n"
        ),
    },
}
_EMAIL = re.compile(r"^[^@\s<>,;\"]+@[^@\s<>,;\"]+\.[^@\s<>,;\"]+$")


@dataclass(frozen=True)
class SmtpSettings:
    host: str | None
    port: int
    user: str | None
    password: str
    sender: str
    starttls: bool
    timeout: float


def smtp_settings() -> SmtpSettings:
    cfg = current_app.config
    own = bool(cfg.get("SMTP_HOST"))
    return SmtpSettings(
        host=cfg.get("SMTP_HOST") or cfg.get("MAIL_SERVER") or None,
        port=int((cfg.get("SMTP_PORT") if own else cfg.get("MAIL_PORT")) or 25),
        user=(cfg.get("SMTP_USER") if own else cfg.get("MAIL_USERNAME")) or None,
        password=str((cfg.get("SMTP_PASSWORD") if own else cfg.get("MAIL_PASSWORD")) or ""),
        sender=cfg.get("SMTP_FROM") or cfg.get("MAIL_SENDER") or "docflow@localhost",
        starttls=bool(cfg.get("SMTP_STARTTLS") if own else cfg.get("MAIL_USE_TLS")),
        timeout=float(cfg.get("SMTP_TIMEOUT") or 15),
    )


def is_email(value: str) -> bool:
    return bool(_EMAIL.match(value or "")) and len(value) <= 254


def applicant_email(letter: Letter) -> str | None:
    for applicant in letter.item.applicants:
        if applicant.email:
            return applicant.email.strip()
    return None


def pdf_name(letter: Letter) -> str:
    return (letter.reg_number or letter.public_id).replace("/", "-") + ".pdf"


def letter_message(letter: Letter, to: str, sender: str) -> EmailMessage:
    """The e-mail: subject and body in the letter's language, the signed PDF attached."""
    texts = TEXTS.get(letter.language, TEXTS["kk"])
    org = db.session.scalar(db.select(Organisation).order_by(Organisation.id).limit(1))
    names = (org.names or {}) if org else {}
    item = letter.item
    values = {
        "number": letter.reg_number,
        "date": letter.registered_on.strftime("%d.%m.%Y"),
        "item_number": item.reg_number,
        "item_date": item.registration_date.strftime("%d.%m.%Y"),
        "org": names.get(letter.language) or names.get("kk") or names.get("ru") or "",
        "url": verification_url(letter, letter.content_hash or ""),
    }
    msg = EmailMessage()
    msg["From"] = sender
    msg["To"] = to
    msg["Subject"] = texts["subject"].format(**values)
    msg["Date"] = formatdate(localtime=False)
    msg["Message-ID"] = make_msgid(domain=sender.rpartition("@")[2] or None)
    msg["Content-Language"] = letter.language
    msg.set_content(texts["body"].format(**values))
    from docflow.outgoing.dispatch import document_pdf

    msg.add_attachment(
        document_pdf(letter), maintype="application", subtype="pdf", filename=pdf_name(letter)
    )
    return msg


def send(settings: SmtpSettings, msg: EmailMessage) -> None:
    """Hand the message to the SMTP server; ``OSError``/``SMTPException`` when it fails."""
    with smtplib.SMTP(settings.host, settings.port, timeout=settings.timeout) as smtp:
        if settings.starttls:
            smtp.starttls()
        if settings.user:
            smtp.login(settings.user, settings.password)
        refused = smtp.send_message(msg)
    if refused:
        raise smtplib.SMTPRecipientsRefused(refused)
