"""The organisation as the parser sees it: subdivisions, officials, matches and people named."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from docflow.protocols.minutes.text import _LO, _UP, _squash

MATCH_THRESHOLD = 0.6
AMBIGUITY_MARGIN = 0.08

# --- organisation: executors and people ---------------------------------------------------------


@dataclass(frozen=True)
class SubdivisionRef:
    code: str
    names: Mapping[str, str]
    head_name: str | None = None
    kind: str = "department"


@dataclass(frozen=True)
class OfficialRef:
    code: str
    full_name: str
    positions: Mapping[str, str] = field(default_factory=dict)


@dataclass
class ExecutorMatch:
    """One executor mention: what was written, what it was matched to and how sure that is."""

    text: str
    code: str | None
    confidence: float
    role: str = "responsible"  # responsible | co
    matched_by: list[str] = field(default_factory=list)  # name, head, employee
    name: str | None = None
    candidates: list[tuple[str, float]] = field(default_factory=list)
    note: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "text": self.text,
            "code": self.code,
            "name": self.name,
            "confidence": round(self.confidence, 2),
            "role": self.role,
            "matched_by": list(self.matched_by),
            "candidates": [{"code": c, "score": round(s, 2)} for c, s in self.candidates],
            "note": self.note,
        }


@dataclass
class OfficialMatch:
    text: str
    code: str | None
    confidence: float
    name: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "text": self.text,
            "code": self.code,
            "name": self.name,
            "confidence": round(self.confidence, 2),
        }


@dataclass(frozen=True)
class _Person:
    surname: str  # fold()
    given: str  # first letter, fold()
    patronymic: str
    target: str  # "sub" | "official"
    code: str
    via: str  # head | employee | official
    display: str


@dataclass(slots=True)
class _Mention:
    """A person named in the text: surname and initials as written."""

    start: int
    end: int
    surname: str
    initials: tuple[str, ...]
    text: str


_PATRONYMIC = re.compile(r"(?:ұлы|улы|қызы|кызы|ович|евич|ич|овна|евна|ична|инична)$", re.I)
_SURNAME_END = re.compile(
    r"(?:ов|ев|ёв|ин|ын|ова|ева|ёва|ина|ына|ский|ская|цкий|цкая|енко|бай|бек|улы|ұлы|ко|ук|юк)"
    r"(?:[а-яёәғқңөұүһі]{0,4})$",
    re.I,
)


def split_full_name(full: str) -> tuple[str, str, str]:
    """(surname, given name, patronymic) of "Given Patronymic Surname" (Kazakh style) or
    "Surname Given Patronymic"; the patronymic's suffix tells the order."""
    parts = [p for p in _squash(full).split(" ") if p]
    if len(parts) >= 3:
        if _PATRONYMIC.search(parts[1]) and not _PATRONYMIC.search(parts[2]):
            return parts[2], parts[0], parts[1]
        return parts[0], parts[1], parts[2]
    if len(parts) == 2:
        if _SURNAME_END.search(parts[1]) and not _SURNAME_END.search(parts[0]):
            return parts[1], parts[0], ""
        return parts[0], parts[1], ""
    return (parts[0] if parts else ""), "", ""


_SURNAME_RX = rf"[{_UP}][{_LO}]+(?:-[{_UP}]?[{_LO}]+)?"
_PERSON_INIT_FIRST = re.compile(
    rf"(?<![{_UP}{_LO}])([{_UP}])\.\s?(?:([{_UP}])\.\s?)?({_SURNAME_RX})(?:-[{_LO}]{{1,5}})?"
)
_PERSON_SURNAME_FIRST = re.compile(
    rf"(?<![{_UP}{_LO}.])({_SURNAME_RX})\s+([{_UP}])\.\s?(?:([{_UP}])\.?)?(?:-[{_LO}]{{1,5}})?"
    rf"(?![{_LO}])"
)
_PATR_RX = r"(?:ұлы|улы|қызы|кызы|ович|евич|ич|овна|евна|ична|инична)[а-яёәғқңөұүһі]{0,4}"
_PERSON_FULL_SGP = re.compile(
    rf"(?<![{_UP}{_LO}])({_SURNAME_RX})\s+([{_UP}][{_LO}]+)\s+([{_UP}][{_LO}]+?{_PATR_RX})"
    rf"(?![{_LO}])"
)
_PERSON_FULL_GPS = re.compile(
    rf"(?<![{_UP}{_LO}])([{_UP}][{_LO}]+)\s+([{_UP}][{_LO}]+?{_PATR_RX})\s+({_SURNAME_RX})"
    rf"(?![{_LO}])"
)

_INITIAL_QUICK = re.compile(rf"[{_UP}]\.")
_PATR_QUICK = re.compile(r"(?:ұлы|улы|қызы|кызы|вич|вна|ична)(?![а-яёәғқңөұүһі])")


def _lev1(a: str, b: str) -> bool:
    """Edit distance of at most 1."""
    if a == b:
        return True
    la, lb = len(a), len(b)
    if abs(la - lb) > 1:
        return False
    i = 0
    while i < min(la, lb) and a[i] == b[i]:
        i += 1
    if la == lb:
        return a[i + 1 :] == b[i + 1 :]
    if la > lb:
        return a[i + 1 :] == b[i:]
    return a[i:] == b[i + 1 :]


def _surname_score(mention: str, known: str) -> float:
    if not mention or not known:
        return 0.0
    if mention == known:
        return 1.0
    if mention.startswith(known) and len(mention) - len(known) <= 4:
        return 0.92  # case ending: Касымову, Қасымовқа, Сейтовым
    if len(known) >= 5 and known[-1] in "ая":
        stem = known[:-1]
        if mention.startswith(stem) and len(mention) - len(stem) <= 4:
            return 0.88  # Тұрсыновой, Тұрсынова
    if len(known) >= 6:
        for cut in range(0, 5):
            if cut >= len(mention):
                break
            if _lev1(mention[: len(mention) - cut], known):
                return 0.78
    return 0.0


def _shown(text: str) -> str:
    """A mention as the preview shows it: trimmed, brackets balanced."""
    text = _squash(text.replace("\n", " ")).strip(" ,;:")
    if text.count("«") > text.count("»"):
        text += "»"
    if text.count("(") > text.count(")"):
        text += ")"
    return text.strip("(") if text.startswith("(") and not text.endswith(")") else text


def _as_sub(s: SubdivisionRef | Mapping[str, Any]) -> SubdivisionRef:
    if isinstance(s, SubdivisionRef):
        return s
    return SubdivisionRef(
        s["code"],
        dict(s.get("names") or s.get("name") or {}),
        s.get("head_name") or s.get("head"),
        s.get("kind", ""),
    )


def _as_official(o: OfficialRef | Mapping[str, Any] | tuple) -> OfficialRef:
    if isinstance(o, OfficialRef):
        return o
    if isinstance(o, tuple):
        return OfficialRef(str(o[0]), str(o[1]), dict(o[2]) if len(o) > 2 else {})
    return OfficialRef(
        o["code"],
        o.get("full_name") or o.get("name", ""),
        dict(o.get("positions") or o.get("position") or {}),
    )
