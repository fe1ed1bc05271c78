"""Office-editable DOCX templates of letters: one per kind and language, the default shipped in
``letter_templates/`` (made by ``scripts/make_letter_templates.py``), an office's own uploaded by
an administrator (:class:`LetterTemplate`) and reset to the default by deleting it.

A template is an ordinary Word file with placeholders ``{{ name }}`` (:data:`PLACEHOLDERS`).
Word often splits what one types into several runs (spelling marks, an edit in the middle):
:func:`fill` reads a paragraph's text across its runs, so a placeholder split into pieces is
still one placeholder; the value takes the formatting of the run where the placeholder starts.
A placeholder alone in its paragraph with a value of several lines becomes several paragraphs
of that paragraph's formatting (the body); inside other text the lines are line breaks; a
placeholder alone in its paragraph with no value removes the paragraph. ``{{ qr }}`` is where
the QR code picture goes.

An uploaded template is checked before anything is kept (:func:`validate_template`): a real DOCX,
no unknown placeholder, and the ones its kind must print (:data:`REQUIRED`: the outgoing number
and date, the addressee, the body, the signer, the QR code; a final answer also the decision, its
legal basis and the right to complain, R-ANS-1).

:func:`prefill` gives what is known when a letter is drafted (the addressee, the applicant, the
incoming number and date, the question) and the pre-filled text the draft's body starts from.
"""

from __future__ import annotations

import copy
import datetime as dt
import hashlib
import io
import re
import zipfile
from pathlib import Path
from typing import Any

from flask_babel import lazy_gettext as _l
from sqlalchemy import ForeignKey, Integer, LargeBinary, String, UniqueConstraint, select
from sqlalchemy.orm import Mapped, mapped_column, relationship

from docflow.core import ziputil
from docflow.core.db import UTCDateTime, atomic, utcnow
from docflow.core.errors import DomainError
from docflow.core.rules_text import lazy_rule_words
from docflow.extensions import db
from docflow.org.models import User

TEMPLATE_DIR = Path(__file__).resolve().parent / "letter_templates"
LANGUAGES = ("kk", "ru")
# Kinds of template: the answers, and one generic notice every notice kind falls back to (an
# office may upload one for a single notice kind: its key is the letter's kind).
TEMPLATE_KINDS = {
    "answer_final": _l("Final answer"),
    "answer_interim": _l("Interim answer"),
    "notice": _l("Notice (any kind)"),
}
PLACEHOLDERS = {
    "org_name_kk": _l("The organisation's name in Kazakh"),
    "org_name_ru": _l("The organisation's name in Russian"),
    "subdivision_name_kk": _l("The subdivision's name in Kazakh"),
    "subdivision_name_ru": _l("The subdivision's name in Russian"),
    "reg_number": _l("Outgoing number"),
    "reg_date": _l("Outgoing date"),
    "applicant": _l("Applicant (addressee)"),
    "address": _l("Applicant's address"),
    "incoming_number": _l("Incoming number"),
    "incoming_date": _l("Incoming date"),
    "question": _l("The question of the appeal"),
    "body": _l("Text of the letter"),
    "decision": _l("Decision"),
    "legal_basis": _l("Legal basis"),
    "complaint": lazy_rule_words(_l("The right to complain (R-ANS-1)")),
    "signer_position": _l("Signer's position"),
    "signer_name": _l("Signer's name"),
    "executor": _l("Executor"),
    "verification_url": _l("Address of the verification page"),
    "qr": _l("QR code to the verification page"),
}
_BASE_REQUIRED = ("reg_number", "reg_date", "applicant", "body", "signer_name", "qr")
REQUIRED = {
    "answer_final": (*_BASE_REQUIRED, "decision", "legal_basis", "complaint"),
    "answer_interim": _BASE_REQUIRED,
    "notice": _BASE_REQUIRED,
}
MAX_TEMPLATE_BYTES = 5 * ziputil.MB
_ZIP_LIMITS = ziputil.ZipLimits(max_entries=500, max_total=40 * ziputil.MB, max_ratio=100)
PLACEHOLDER = re.compile(r"\{\{\s*([A-Za-z_][A-Za-z0-9_]*)\s*\}\}")
W = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"
XML_SPACE = "{http://www.w3.org/XML/1998/namespace}space"
PICTURE_MARK = "docflow-picture"  # on a w:t while filling only, never saved


def _w(tag: str) -> str:
    return f"{{{W}}}{tag}"


class LetterTemplate(db.Model):
    """An office's own template for a kind and language (none: the shipped default)."""

    __tablename__ = "letter_template"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    kind: Mapped[str] = mapped_column(String(32), nullable=False)
    language: Mapped[str] = mapped_column(String(8), nullable=False)
    filename: Mapped[str] = mapped_column(String(200), nullable=False)
    data: Mapped[bytes] = mapped_column(LargeBinary, nullable=False, info={"audit": "skip"})
    sha256: Mapped[str] = mapped_column(String(64), nullable=False)
    uploaded_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"), nullable=True)
    uploaded_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, nullable=False, default=utcnow)

    uploaded_by: Mapped[User | None] = relationship()

    __table_args__ = (UniqueConstraint("kind", "language"),)


class TemplateRejected(DomainError):
    """An uploaded template is not usable; nothing was kept (422)."""

    status = 422
    code = "template_rejected"


# --- which template -------------------------------------------------------------------------------


def template_kinds() -> dict[str, Any]:
    """Every kind an office may have a template for: the answers, the generic notice, and each
    notice kind (falling back to the generic notice)."""
    from docflow.outgoing import letter_models

    notices = getattr(letter_models, "NOTICE_KINDS", {})
    return {**TEMPLATE_KINDS, **notices}


def template_kind(letter_kind: str, final: bool = False) -> str:
    """The template key of a letter: ``answer_final``, ``answer_interim`` or its notice kind."""
    if letter_kind in ("answer", "answer_final", "answer_interim"):
        if letter_kind != "answer":
            return letter_kind
        return "answer_final" if final else "answer_interim"
    return letter_kind if letter_kind in template_kinds() else "notice"


def required_for(kind: str) -> tuple[str, ...]:
    return REQUIRED.get(kind, REQUIRED["notice"])


def _default_key(kind: str) -> str:
    return kind if kind in TEMPLATE_KINDS else "notice"


def default_template(kind: str, language: str) -> bytes:
    """The shipped template (a notice kind without its own: the generic notice)."""
    lang = language if language in LANGUAGES else "kk"
    return (TEMPLATE_DIR / f"letter-{_default_key(kind)}-{lang}.docx").read_bytes()


def office_template(kind: str, language: str) -> LetterTemplate | None:
    return db.session.scalar(
        select(LetterTemplate).where(
            LetterTemplate.kind == kind, LetterTemplate.language == language
        )
    )


def current_template(kind: str, language: str) -> bytes:
    """The office's template for the kind (else for the generic notice), else the default."""
    for key in dict.fromkeys((kind, _default_key(kind))):
        row = office_template(key, language)
        if row is not None:
            return row.data
    return default_template(kind, language)


# --- checking an upload ---------------------------------------------------------------------------


def _refuse(message: Any, **fields: Any) -> TemplateRejected:
    return TemplateRejected(message, fields=fields or None)


def _open_docx(data: bytes):
    """python-docx's Document of ``data`` after the ZIP safety checks; TemplateRejected else."""
    from docx import Document

    if not data:
        raise _refuse(_l("The file is empty."))
    if len(data) > MAX_TEMPLATE_BYTES:
        raise _refuse(_l("The template is larger than %(mb)s MB.", mb=MAX_TEMPLATE_BYTES // ziputil.MB))  # fmt: skip
    not_docx = _l("The file is not a Word document (.docx): save it as .docx and upload again.")
    if not data.startswith(b"PK"):
        raise _refuse(not_docx)
    try:
        ziputil.declared_entries(data[-ziputil.TAIL_BYTES :])
        with zipfile.ZipFile(io.BytesIO(data)) as zf:
            ziputil.check_entries(zf.infolist(), _ZIP_LIMITS)
            names = set(zf.namelist())
            if "[Content_Types].xml" not in names or "word/document.xml" not in names:
                raise _refuse(not_docx)
            if any(n.lower().endswith("vbaproject.bin") for n in names):
                raise _refuse(_l("The file is refused: it contains macros."))
            for name in names:
                head = zf.read(name) if name.endswith((".xml", ".rels")) else b""
                if b"<!DOCTYPE" in head[:4096].upper():
                    raise _refuse(_l("The file is refused: it declares XML entities."))
                if name.endswith(".rels") and _external_link(head):
                    raise _refuse(_l("The file is refused: it links to external files."))
    except ziputil.ZipRefused:
        raise _refuse(_l("The file is refused: it looks like a compression bomb.")) from None
    except (zipfile.BadZipFile, zipfile.LargeZipFile, ValueError, OSError, EOFError):
        raise _refuse(_l("The file is damaged: it cannot be read as a Word document.")) from None
    try:
        return Document(io.BytesIO(data))
    except Exception:  # python-docx raises many kinds on a broken package
        raise _refuse(not_docx) from None


_RELATIONSHIP = re.compile(rb"<Relationship\b[^>]*>", re.S)


def _external_link(rels: bytes) -> bool:
    """A relationship to an outside file (a linked picture, OLE object, template) — the
    converter would fetch it; hyperlinks are only followed by a reader, so they may stay."""
    for m in _RELATIONSHIP.finditer(rels):
        tag = m.group(0)
        if b'TargetMode="External"' in tag and not re.search(rb'Type="[^"]*/hyperlink"', tag):
            return True
    return False


def _parts(doc) -> list[tuple[Any, Any]]:
    """``(part, XML root)`` of what holds text: the body, every header and footer."""
    found = [(doc.part, doc.element.body)]
    for section in doc.sections:
        for hf in (
            section.header,
            section.footer,
            section.first_page_header,
            section.first_page_footer,
            section.even_page_header,
            section.even_page_footer,
        ):
            if not hf.is_linked_to_previous:
                found.append((hf.part, hf._element))
    return list({id(root): (part, root) for part, root in found}.values())


def _paragraphs(doc) -> list[tuple[Any, Any]]:
    """``(part, w:p)`` of every paragraph, in tables and text boxes too."""
    return [(part, p) for part, root in _parts(doc) for p in root.iter(_w("p"))]


def _texts(p) -> list[Any]:
    """The paragraph's own ``w:t`` nodes in order (not those of a text box inside it)."""
    return [t for t in p.iter(_w("t")) if _own_paragraph(t) is p]


def _own_paragraph(node):
    parent = node.getparent()
    while parent is not None and parent.tag != _w("p"):
        parent = parent.getparent()
    return parent


def placeholders_in(data: bytes) -> set[str]:
    """The placeholder names a DOCX uses (read across runs, as :func:`fill` does)."""
    doc = _open_docx(data)
    found: set[str] = set()
    for _part, p in _paragraphs(doc):
        found.update(PLACEHOLDER.findall("".join(t.text or "" for t in _texts(p))))
    return found


def validate_template(data: bytes, kind: str) -> set[str]:
    """A usable template of ``kind``: a DOCX, no unknown placeholder, the required ones there."""
    if kind not in template_kinds():
        raise _refuse(_l("Unknown template kind."), kind=" | ".join(template_kinds()))
    found = placeholders_in(data)
    unknown = sorted(found - set(PLACEHOLDERS))
    if unknown:
        names = ", ".join(f"{{{{ {n} }}}}" for n in unknown)
        raise _refuse(_l("The template has unknown placeholders: %(names)s.", names=names))
    missing = [n for n in required_for(_default_key(kind)) if n not in found]
    if missing:
        names = ", ".join(f"{{{{ {n} }}}}" for n in missing)
        raise _refuse(_l("The template lacks required placeholders: %(names)s.", names=names))
    return found


@atomic
def store_template(
    kind: str, language: str, data: bytes, filename: str, actor: Any
) -> LetterTemplate:
    """Keep an office's template for the kind and language (replacing its earlier one)."""
    if language not in LANGUAGES:
        raise _refuse(_l("Unknown language."), language=" | ".join(LANGUAGES))
    validate_template(data, kind)
    row = office_template(kind, language)
    if row is None:
        row = LetterTemplate(kind=kind, language=language)
        db.session.add(row)
    row.filename = (Path(filename or "").name or f"{kind}-{language}.docx")[:200]
    row.data = data
    row.sha256 = hashlib.sha256(data).hexdigest()
    row.uploaded_by_id = getattr(actor, "id", None)
    row.uploaded_at = dt.datetime.now(dt.UTC)
    db.session.flush()
    return row


@atomic
def reset_template(kind: str, language: str, actor: Any) -> bool:
    """Back to the shipped default: the office's template is deleted. False if there was none."""
    row = office_template(kind, language)
    if row is None:
        return False
    db.session.delete(row)
    db.session.flush()
    return True


# --- filling --------------------------------------------------------------------------------------


_NOT_XML = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


def _xml_text(value: Any) -> str:
    """A value as text XML can hold: lines split by ``\n`` only, no control characters."""
    text = str(value if value is not None else "").replace("\r\n", "\n").replace("\r", "\n")
    return _NOT_XML.sub("", text)


def _set_text(t, text: str) -> None:
    t.text = text
    t.set(XML_SPACE, "preserve")


def _with_breaks(t, value: str) -> None:
    """``value``'s lines in the run of ``t``, separated by line breaks (``w:br``)."""
    lines = value.split("\n")
    _set_text(t, lines[0])
    anchor = t
    for line in lines[1:]:
        br = t.makeelement(_w("br"), {})
        anchor.addnext(br)
        nt = t.makeelement(_w("t"), {})
        _set_text(nt, line)
        br.addnext(nt)
        anchor = nt


def _offsets(nodes) -> list[int]:
    """Where each node's text starts in the paragraph's text."""
    starts, pos = [], 0
    for t in nodes:
        starts.append(pos)
        pos += len(t.text or "")
    return starts


def _replace_in_paragraph(p, values: dict[str, str], images: dict[str, bytes]) -> bool:
    """Replace every placeholder of ``p``, in the run where it starts; True if a picture's
    place was marked (its ``w:t`` carries the picture's name)."""
    nodes = _texts(p)
    matches = list(PLACEHOLDER.finditer("".join(t.text or "" for t in nodes)))
    marked = False
    for m in reversed(matches):  # from the end: the offsets before a match stay right
        name = m.group(1)
        value = "" if name in images else str(values.get(name) or "")
        starts = _offsets(nodes)
        first = next(
            i for i, t in enumerate(nodes) if starts[i] <= m.start() < starts[i] + len(t.text or "")
        )
        for i, t in enumerate(nodes):
            s, node_text = starts[i], t.text or ""
            if s + len(node_text) <= m.start() or s >= m.end():
                continue
            a, b = max(m.start(), s) - s, min(m.end(), s + len(node_text)) - s
            if i == first:
                new = node_text[:a] + value + node_text[b:]
                if "\n" in new:
                    _with_breaks(t, new)
                else:
                    _set_text(t, new)
            else:
                _set_text(t, node_text[:a] + node_text[b:])
        if name in images:
            nodes[first].set(PICTURE_MARK, name)
            marked = True
        nodes = _texts(p)
    return marked


def _lonely(p) -> str | None:
    """The placeholder name if ``p``'s whole text is one placeholder."""
    text = "".join(t.text or "" for t in _texts(p)).strip()
    m = PLACEHOLDER.fullmatch(text)
    return m.group(1) if m else None


def _split_paragraph(p, name: str, value: str) -> None:
    """A placeholder alone in its paragraph: one paragraph per non-empty line of ``value``,
    each a copy of ``p`` (its paragraph and run formatting); no value: the paragraph goes."""
    lines = [line.strip() for line in value.split("\n") if line.strip()]
    if not lines:
        parent = p.getparent()
        if parent.tag == _w("tc") and len(parent.findall(_w("p"))) == 1:
            _replace_in_paragraph(p, {}, {})  # a table cell keeps one (empty) paragraph
        else:
            parent.remove(p)
        return
    anchor = p
    copies = [p] + [_copy_paragraph(p) for _ in lines[1:]]
    for para, line in zip(copies, lines, strict=True):
        _replace_in_paragraph(para, {name: line}, {})
        if para is not p:
            anchor.addnext(para)
            anchor = para


def _copy_paragraph(p):
    """A copy of ``p`` without its bookmarks (their names must stay unique)."""
    twin = copy.deepcopy(p)
    for tag in ("bookmarkStart", "bookmarkEnd"):
        for node in list(twin.iter(_w(tag))):
            node.getparent().remove(node)
    return twin


def _put_pictures(part, p, images: dict[str, bytes], width_cm: float) -> None:
    """Each picture inline in the run whose ``w:t`` was marked with its name, the mark removed."""
    from docx.shared import Cm

    for t in _texts(p):
        name = t.get(PICTURE_MARK)
        if name is None:
            continue
        del t.attrib[PICTURE_MARK]
        inline = part.new_pic_inline(io.BytesIO(images[name]), Cm(width_cm), Cm(width_cm))
        drawing = t.makeelement(_w("drawing"), {})
        drawing.append(inline)
        t.addnext(drawing)
        if not t.text:
            t.getparent().remove(t)


def fill(
    template_bytes: bytes,
    values: dict[str, str],
    *,
    images: dict[str, bytes] | None = None,
    image_cm: float = 2.6,
) -> bytes:
    """The template with every placeholder replaced by its value (unknown or missing: empty);
    ``images`` puts a picture (PNG bytes) where its placeholder is — the QR code."""
    doc = _open_docx(template_bytes)
    images = images or {}
    values = {k: _xml_text(v) for k, v in values.items()}
    for part, p in _paragraphs(doc):
        if p.getparent() is None:
            continue
        name = _lonely(p)
        if name is not None and name not in images:
            _split_paragraph(p, name, str(values.get(name) or ""))
            continue
        if _replace_in_paragraph(p, values, images):
            _put_pictures(part, p, images, image_cm)
    out = io.BytesIO()
    doc.save(out)
    return out.getvalue()


# --- pre-filling ----------------------------------------------------------------------------------

PREFILL_BODY = {
    "answer_final": {
        "kk": "Құрметті {applicant}!\nСіздің {incoming_date} № {incoming_number} «{question}» мәселесі бойынша өтінішіңіз қаралды. Хабарлаймыз:",
        "ru": "Уважаемый(-ая) {applicant}!\nВаше обращение № {incoming_number} от {incoming_date} по вопросу «{question}» рассмотрено. Сообщаем следующее:",
    },
    "answer_interim": {
        "kk": "Құрметті {applicant}!\nСіздің {incoming_date} № {incoming_number} «{question}» мәселесі бойынша өтінішіңіз қаралуда екенін хабарлаймыз.",
        "ru": "Уважаемый(-ая) {applicant}!\nСообщаем, что Ваше обращение № {incoming_number} от {incoming_date} по вопросу «{question}» находится на рассмотрении.",
    },
    "notice": {
        "kk": "Құрметті {applicant}!\nСіздің {incoming_date} № {incoming_number} өтінішіңіз («{question}») бойынша хабарлаймыз:",
        "ru": "Уважаемый(-ая) {applicant}!\nПо Вашему обращению № {incoming_number} от {incoming_date} («{question}») сообщаем:",
    },
}
QUESTION_CHARS = 300
ANONYMOUS = {"kk": "өтініш беруші", "ru": "заявитель"}  # no name on record


def _date(value: dt.date | None) -> str:
    return value.strftime("%d.%m.%Y") if value else ""


def _names(names: dict[str, str] | None, lang: str) -> str:
    return (names or {}).get(lang) or ""


def _question(summary: str) -> str:
    text = " ".join((summary or "").split()).rstrip(".")
    return text if len(text) <= QUESTION_CHARS else text[: QUESTION_CHARS - 1].rstrip() + "…"


def prefill(item: Any, kind: str, language: str) -> dict[str, str]:
    """What is known when a letter of ``kind`` (a template kind, or a letter kind: ``answer``
    means the final answer) is drafted on ``item``: the letterhead, the addressee, the incoming
    number and date, the question, and ``body``, the pre-filled text the draft starts from."""
    from docflow.org.models import Organisation

    lang = language if language in LANGUAGES else "kk"
    key = _default_key(template_kind(kind, final=True))
    org = db.session.scalar(select(Organisation).order_by(Organisation.id).limit(1))
    sub = item.subdivision
    applicants = list(item.applicants)
    values = {
        "org_name_kk": _names(org.names if org else None, "kk"),
        "org_name_ru": _names(org.names if org else None, "ru"),
        "subdivision_name_kk": _names(sub.names if sub else None, "kk"),
        "subdivision_name_ru": _names(sub.names if sub else None, "ru"),
        "applicant": ", ".join(a.display_name for a in applicants if a.display_name),
        "address": next((a.address for a in applicants if a.address), "") or "",
        "incoming_number": item.reg_number or "",
        "incoming_date": _date(item.registration_date),
        "question": _question(item.summary),
    }
    greeting = values | {"applicant": values["applicant"] or ANONYMOUS[lang]}
    values["body"] = PREFILL_BODY[key][lang].format(**greeting)
    return values
