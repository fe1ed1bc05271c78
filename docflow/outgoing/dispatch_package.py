"""The e-Otinish export package of a signed answer: one zip with

- ``case.jsonl`` — the case, one line in the shape of ``../shared/formats/case-exchange.md``
  (written by :func:`docflow.exchange.exporter.export_case`), with the ``answered`` event of
  this letter (its outgoing number, signer, decision, language);
- ``letter.pdf`` — the signed PDF, byte for byte as signed;
- ``letter.p7s`` — the CMS (DER) of the PDF's signature, as embedded: detached, over the PDF's
  signed byte range (``manifest.json`` names it);
- ``manifest.json`` — what the package is, and the SHA-256 of every file.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import io
import json
import zipfile
from typing import Any

from asn1crypto import parser
from flask_babel import lazy_gettext as _l
from pyhanko.pdf_utils.reader import PdfFileReader

from docflow.core.calendar import get_calendar
from docflow.exchange import records
from docflow.exchange.exporter import export_case
from docflow.outgoing.letter_models import Letter

FORMAT = "docflow-eotinish-package"
VERSION = 1
# zip entries get a fixed time: the same letter and case give the same bytes
_ZIP_TIME = (1980, 1, 1, 0, 0, 0)


def signature_cms(pdf: bytes) -> tuple[bytes, list[int]]:
    """The DER CMS of the PDF's (first) signature, without the /Contents padding, and the
    byte range it signs."""
    reader = PdfFileReader(io.BytesIO(pdf), strict=False)
    sig = reader.embedded_regular_signatures[0]
    raw = bytes(sig.pkcs7_content)
    _cls, _method, _tag, header, content, _trailer = parser.parse(raw)
    return header + content, [int(v) for v in sig.byte_range]


def _local(moment: dt.datetime | None) -> str | None:
    if moment is None:
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=dt.UTC)
    return moment.astimezone(get_calendar().tz).isoformat(timespec="seconds")


def _answered_event(letter: Letter) -> dict[str, Any]:
    event: dict[str, Any] = {
        "type": "answered",
        "at": _local(letter.signed_at),
        "final": letter.final,
        "signed_by": {"login": letter.signed_by.username} if letter.signed_by else None,
        "outgoing_number": letter.reg_number,
        "character": letter.decision,
        "language": letter.language,
    }
    return {k: v for k, v in event.items() if v is not None}


def case_record(letter: Letter) -> dict[str, Any]:
    """The case of the letter with this letter's ``answered`` event among its events."""
    record = export_case(letter.item)
    events = list(record.get("events") or [])
    if not any(
        e.get("type") == "answered" and e.get("outgoing_number") == letter.reg_number
        for e in events
    ):
        events.append(_answered_event(letter))
        events.sort(key=lambda e: e.get("at") or "")  # same offset everywhere: text order is time
    record["events"] = events
    return record


def build_package(letter: Letter) -> bytes:
    """The zip (see the module docstring); the letter must be signed."""
    pdf = letter.signed_pdf
    if pdf is None:
        from docflow.outgoing.dispatch import DispatchError

        raise DispatchError(
            _l("The e-Otinish package carries the signature: only a signed letter goes there."),
            code="not_signed",
        )
    cms, byte_range = signature_cms(pdf)
    files = {
        "case.jsonl": (records.dumps(case_record(letter)) + "\n").encode("utf-8"),
        "letter.pdf": pdf,
        "letter.p7s": cms,
    }
    manifest = {
        "format": FORMAT,
        "version": VERSION,
        "case": letter.item.reg_number,
        "letter": {
            "id": letter.public_id,
            "outgoing_number": letter.reg_number,
            "registered_on": letter.registered_on.isoformat() if letter.registered_on else None,
            "kind": letter.kind,
            "final": letter.final,
            "decision": letter.decision,
            "language": letter.language,
            "signed_at": _local(letter.signed_at),
        },
        "signature": {"file": "letter.p7s", "detached": True, "byte_range": byte_range},
        "files": {name: hashlib.sha256(data).hexdigest() for name, data in files.items()},
    }
    files["manifest.json"] = json.dumps(manifest, ensure_ascii=False, indent=2).encode("utf-8")
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as zf:
        for name in ("manifest.json", "case.jsonl", "letter.pdf", "letter.p7s"):
            info = zipfile.ZipInfo(name, date_time=_ZIP_TIME)
            info.compress_type = zipfile.ZIP_DEFLATED
            zf.writestr(info, files[name])
    return out.getvalue()
