"""What the parser returns: items, problems and the minutes as a whole."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any

from docflow.protocols.minutes.applicants import Applicant
from docflow.protocols.minutes.people import ExecutorMatch, OfficialMatch
from docflow.protocols.minutes.terms import Term

# --- result ------------------------------------------------------------------------------------


@dataclass
class Problem:
    code: str  # executor_unmatched | no_executor | no_term | term_unreadable | invalid_identifier …
    message: str

    def to_dict(self) -> dict[str, str]:
        return {"code": self.code, "message": self.message}


@dataclass
class ParsedItem:
    item: str
    applicant: Applicant
    question: str
    text: str
    executors: list[ExecutorMatch]
    term: Term
    no_assignment: bool = False
    problems: list[Problem] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)

    @property
    def executor_codes(self) -> list[str]:
        return [e.code for e in self.executors if e.code]

    @property
    def confidence(self) -> float:
        if self.no_assignment:
            return 1.0
        values = [e.confidence if e.code else 0.0 for e in self.executors] or [0.0]
        return round(min([*values, self.term.confidence]), 2)

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {"item": self.item, "applicant": self.applicant.name}
        if self.applicant.iin:
            out["iin"] = self.applicant.iin
        if self.applicant.bin:
            out["bin"] = self.applicant.bin
        out["executors"] = self.executor_codes
        out["due"] = self.term.due.isoformat() if self.term.due else None
        out["text"] = self.text
        return out

    def preview(self) -> dict[str, Any]:
        return {
            "item": self.item,
            "no_assignment": self.no_assignment,
            "applicant": self.applicant.to_dict(),
            "question": self.question,
            "text": self.text,
            "executors": [e.to_dict() for e in self.executors],
            "term": self.term.to_dict(),
            "confidence": self.confidence,
            "problems": [p.to_dict() for p in self.problems],
            "warnings": list(self.warnings),
        }


@dataclass
class ParsedMinutes:
    number: str | None
    date: date | None
    items: list[ParsedItem]
    date_raw: str | None = None
    official: OfficialMatch | None = None
    participants: list[str] = field(default_factory=list)
    language: str = "ru"
    layout: str = "table"
    warnings: list[str] = field(default_factory=list)

    @property
    def assignments(self) -> list[ParsedItem]:
        return [i for i in self.items if not i.no_assignment]

    @property
    def no_assignment(self) -> list[str]:
        return [i.item for i in self.items if i.no_assignment]

    @property
    def problems(self) -> list[tuple[str, Problem]]:
        return [(i.item, p) for i in self.items for p in i.problems]

    def to_json(self) -> dict[str, Any]:
        return {
            "number": self.number,
            "date": self.date.isoformat() if self.date else None,
            "assignments": [i.to_json() for i in self.assignments],
            "no_assignment": self.no_assignment,
        }

    def preview(self) -> dict[str, Any]:
        return {
            "number": self.number,
            "date": self.date.isoformat() if self.date else None,
            "date_raw": self.date_raw,
            "language": self.language,
            "layout": self.layout,
            "official": self.official.to_dict() if self.official else None,
            "participants": list(self.participants),
            "warnings": list(self.warnings),
            "summary": {
                "items": len(self.items),
                "assignments": len(self.assignments),
                "no_assignment": len(self.no_assignment),
                "problems": len(self.problems),
            },
            "items": [i.preview() for i in self.items],
        }
