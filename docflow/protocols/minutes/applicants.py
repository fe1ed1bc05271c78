"""Applicants: name, IIN/BIN and address of who came to the reception."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from docflow.protocols.minutes.text import _squash, clean

# --- applicants --------------------------------------------------------------------------------

_ID_RX = re.compile(
    r"(?<![\w])(ИИН/БИН|БИН/ИИН|ЖСН/БСН|БСН/ЖСН|ИИН|БИН|ЖСН|БСН|IIN|BIN)\s*[:№-]?\s*"
    r"(\d(?:[ \-]?\d){11})(?!\d)",
    re.IGNORECASE,
)
_BARE_ID_RX = re.compile(r"(?<![\d.])(\d{12})(?![\d.])")
_ENTITY_RX = re.compile(
    r"^\s*(?:ТОО|АО|ИП|ЖШС|АҚ|ЖК|ОО|ПК|КСК|ОСИ|ПТ|ГУ|КГУ|РГП|ГККП|КГП|ЧУ|МКК|ҚБ|ПКСК|ЖШҚ|"
    r"МКҚК|КМК|ШЖҚ|LLP|LLC|JSC)(?![\w])|^\s*[«\"]",
    re.IGNORECASE,
)
_ADDRESS_PREFIX = re.compile(
    r"^(?:проживающ\w*|зарегистрированн\w*)?\s*(?:по\s+адресу|адрес|мекен-?жайы|тұратын)\s*[:\-]?\s*",
    re.IGNORECASE,
)


@dataclass
class Applicant:
    raw: str
    name: str | None
    kind: str | None = None  # person | entity
    iin: str | None = None
    bin: str | None = None
    identifier_valid: bool | None = None
    address: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "raw": self.raw,
            "name": self.name,
            "kind": self.kind,
            "iin": self.iin,
            "bin": self.bin,
            "identifier_valid": self.identifier_valid,
            "address": self.address,
        }


def _valid_iin(value: str) -> bool:
    from docflow.core.identifiers import is_valid_iin

    return is_valid_iin(value)


def _valid_bin(value: str) -> bool:
    from docflow.core.identifiers import is_valid_bin

    return is_valid_bin(value)


def _cut_name(text: str) -> int:
    """Where the name ends: the first separator outside quotes."""
    depth = 0
    for i, ch in enumerate(text):
        if ch == "«":
            depth += 1
        elif ch == "»":
            depth = max(0, depth - 1)
        elif ch == '"':
            depth = 0 if depth else 1
        elif (depth == 0 and ch in "(,;\n") or (
            depth == 0 and ch in "–—" and i > 0 and text[i - 1] == " "
        ):
            return i
    return len(text)


_TITLE_RX = re.compile(
    r"^(?:гр\.|гражданин\w*|гражданка|г-н|г-жа|господин|госпожа|азамат(?:ша)?|"
    r"заявитель|заявительница)\s+(?=[А-ЯЁӘҒҚҢӨҰҮҺІ])",
    re.IGNORECASE,
)


def parse_applicant(text: str) -> Applicant:
    """Name, IIN/BIN and address of «Серикбаев Нурлан Аскарович, ИИН 850315301235, …» or
    «ТОО «Алем Строй», БИН …»; identifiers are validated and kept (flagged) when invalid."""
    raw = _squash(clean(text or "").replace("\n", ", "))
    raw = re.sub(r"^(?:[,;:.\s]+)", "", raw)
    raw = _TITLE_RX.sub("", raw)  # «гр. Иванов …», «азамат Оспанов …»
    if not raw:
        return Applicant("", None)
    ident_label, ident, id_span = None, None, None
    m = _ID_RX.search(raw)
    if m:
        ident_label, ident = m.group(1).upper(), re.sub(r"\D", "", m.group(2))
        id_span = (m.start(), m.end())
    else:
        b = _BARE_ID_RX.search(raw)
        if b:
            ident, id_span = b.group(1), (b.start(), b.end())
    head_end = _cut_name(raw)
    if id_span and id_span[0] < head_end:
        head_end = id_span[0]
    name = raw[:head_end].strip(" ,;:.-–—(")
    name = re.sub(r"\s*\($", "", name).strip()
    kind = None
    if name:
        kind = "entity" if _ENTITY_RX.search(name) else "person"
    rest = raw[head_end:]
    if id_span and id_span[0] >= head_end:
        a, b = id_span[0] - head_end, id_span[1] - head_end
        rest = rest[:a] + rest[b:]
    rest = re.sub(r"\(\s*\)", "", rest)
    rest = re.sub(r"^[\s,;:.)(–—-]+", "", rest).strip(" ,;")
    rest = _ADDRESS_PREFIX.sub("", rest).strip(" ,;")
    applicant = Applicant(raw, name or None, kind, address=rest or None)
    if ident:
        is_bin_label = ident_label in ("БИН", "БСН", "BIN")
        is_iin_label = ident_label in ("ИИН", "ЖСН", "IIN")
        if is_bin_label or (not is_iin_label and kind == "entity"):
            applicant.bin = ident
            applicant.identifier_valid = _valid_bin(ident)
        else:
            applicant.iin = ident
            applicant.identifier_valid = _valid_iin(ident)
        if not applicant.identifier_valid and not (is_bin_label or is_iin_label):
            if applicant.iin and _valid_bin(ident):
                applicant.iin, applicant.bin, applicant.identifier_valid = None, ident, True
            elif applicant.bin and _valid_iin(ident):
                applicant.iin, applicant.bin, applicant.identifier_valid = ident, None, True
    return applicant
