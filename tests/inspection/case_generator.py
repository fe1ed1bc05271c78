"""A generated half-year of e-Otinish cases (case-exchange JSON Lines) with planted violations.

``generate(seed, cases=…)`` → ``(lines, planted)``: one JSON line per case and the set of
``(reg_number, code)`` the inspection must find — nothing more. Clean cases follow every rule
with a margin; each planted case breaks one rule (a removal from control without an answer
also leaves the case overdue, so it plants both). Dates are counted on the office calendar
(the demo profile's: Kazakhstan's statutory days). Also used by benchmarks/inspection.py.
"""

from __future__ import annotations

import datetime as dt
import json
import random
from collections.abc import Iterator
from typing import Any

from docflow.core.calendar import WorkingCalendar

CAL = WorkingCalendar()
START, END = dt.date(2026, 1, 5), dt.date(2026, 6, 19)  # registrations; periods end 30 June
AS_OF = dt.date(2026, 7, 31)
SUBDIVISIONS = {
    "ENERGY": ({"login": "head.energy"}, [{"login": "exec.energy"}, {"login": "exec2.energy"}]),
    "EDU": ({"login": "head.edu"}, [{"login": "exec.edu"}]),
}
PLANTS = (
    "REG_LATE",
    "FORWARD_LATE",
    "FORWARD_NO_NOTICE",
    "ANSWER_LATE",
    "OVERDUE_OPEN",
    "EXTENSION_OVER_CAP",
    "EXTENSION_NO_NOTICE",
    "EXTENSION_AFTER_DUE",
    "CONTROL_REMOVED_NO_ANSWER",
    "REPEAT_HANDLER",
    "RECEPTION_SCAN_LATE",
    "ANSWER_SIGNER",
    "ANSWER_LANGUAGE",
    "TERMINATION_NO_NOTICE",
    "TERMINATION_WITHOUT_DECISION",
    "RETURN_WITHOUT_REQUEST",
    "SIGNUP_NOTICE_LATE",
    "REFUSAL_NO_HEARING",
)
TERMS = {"statement": 15, "complaint": 20, "reception_request": 15, "request": 15}


def wd(day: dt.date, n: int) -> dt.date:
    """The n-th working day of a term starting on ``day`` (n ≥ 1), as answer terms count."""
    return CAL.add_working_days(day, n)


def at(day: dt.date, hour: int = 11, minute: int = 0) -> str:
    return f"{day.isoformat()}T{hour:02d}:{minute:02d}:00+05:00"


def iin(rng: random.Random) -> str:
    from tests.conftest import fake_iin

    return fake_iin(rng.randrange(1, 9000))


class _Case:
    """A case being written: events in order, then the record."""

    def __init__(self, gen: Generator, kind: str = "statement", **kw: Any) -> None:
        self.gen, rng = gen, gen.rng
        gen.count += 1
        self.number = f"ЖТ-2026-{gen.prefix}{gen.count:06d}"
        self.kind = kind
        self.day = kw.get("day") or gen.working_day()
        self.lawful = self.day
        self.due = wd(self.day, TERMS[kind])
        self.code = kw.get("subdivision") or rng.choice(list(SUBDIVISIONS))
        self.head, executors = SUBDIVISIONS[self.code]
        self.executor = kw.get("executor") or rng.choice(executors)
        self.language = kw.get("language") or rng.choice(("kk", "ru"))
        self.events: list[dict[str, Any]] = []
        self.fields: dict[str, Any] = {}
        self.registered = at(self.day, 11, 25)
        self.add(
            self.day,
            "distributed",
            14,
            subdivision=self.code,
            responsible=True,
            by={"login": "controller"},
        )
        if kw.get("assign", True):
            self.add(
                wd(self.day, 2),
                "assigned",
                9,
                person=self.executor,
                subdivision=self.code,
                responsible=True,
                by=self.head,
            )

    def add(self, day: dt.date, etype: str, hour: int = 12, **fields: Any) -> None:
        self.events.append({"type": etype, "at": at(day, hour, len(self.events) % 50), **fields})

    def answer(
        self, day: dt.date, *, final=True, signed_by=None, language=None, character="explained"
    ) -> None:
        self.add(
            day,
            "answered",
            16,
            final=final,
            signed_by=signed_by or self.head,
            outgoing_number=f"ИХ-2026-{self.gen.rng.randrange(10**6):06d}",
            character=character,
            language=language or self.language,
        )

    def close(self, day: dt.date) -> None:
        self.add(CAL.next_working_day(day), "removed_from_control", 10, by={"login": "controller"})

    def clean_answer(self) -> dt.date:
        day = wd(self.day, self.gen.rng.randrange(4, TERMS[self.kind] - 1))
        self.answer(day)
        self.close(day)
        return day

    def notice(self, day: dt.date, kind: str) -> None:
        self.add(day, "notice_sent", 17, notice=kind, channel="post")

    def record(self) -> dict[str, Any]:
        self.events.sort(key=lambda e: e["at"])
        ext = [e for e in self.events if e["type"] == "extended"]
        days = sum(
            (dt.date.fromisoformat(e["new_due"]) - dt.date.fromisoformat(e["old_due"])).days
            for e in ext
        )
        return {
            "reg_number": self.number,
            "kind": self.kind,
            "channel": self.fields.pop("channel", "eotinish"),
            "language": self.language,
            "received_at": at(self.day, 10, 15),
            "registered_at": self.registered,
            "start_date": self.registered[:10],
            "deadline": self.due.isoformat(),
            "applicants": [
                {
                    "type": "individual",
                    "iin": iin(self.gen.rng),
                    "full_name": "Өтініш беруші",
                    "address": "Алматы",
                }
            ],
            "collective": False,
            "summary": "Жылу берілмейді",
            "district": "ALMALY",
            "topic": None,
            "from_reception": False,
            "is_duplicate_of": None,
            "parent_id": None,
            "has_been_hearing": False,
            "prolong_count": len(ext),
            "prolong_days": days,
            "rating": None,
            "status": None,
            **self.fields,
            "events": self.events,
        }


class Generator:
    def __init__(self, seed: int, prefix: str = "9") -> None:
        self.rng, self.prefix, self.count = random.Random(seed), prefix, 0
        self.days = [d for d in _days(START, END) if CAL.is_working_day(d)]
        self.planted: set[tuple[str, str]] = set()
        self.out: list[dict[str, Any]] = []

    def working_day(self) -> dt.date:
        return self.rng.choice(self.days)

    def emit(self, case: _Case, *codes: str) -> _Case:
        self.out.append(case.record())
        self.planted |= {(case.number, code) for code in codes}
        return case

    # --- cases ---

    def clean(self, **kw: Any) -> _Case:
        kind = kw.pop("kind", self.rng.choice(("statement", "complaint", "request")))
        case = _Case(self, kind, **kw)
        case.clean_answer()
        return case

    def reception_request(self, plant: str | None = None) -> _Case:
        case = _Case(self, "reception_request")
        if plant == "REFUSAL_NO_HEARING":
            draft = wd(case.day, 3)
            case.add(draft, "hearing_draft_sent", 10)
            refused = CAL.next_working_day(CAL.next_working_day(draft))  # the 2nd WD after
            case.answer(refused, character="refused")
            case.close(refused)
        elif plant == "SIGNUP_NOTICE_LATE":
            case.notice(wd(case.day, 16 + self.rng.randrange(3)), "signup_inclusion")
            case.clean_answer()
        elif self.rng.random() < 0.3:  # a lawful refusal: the draft 3+ WD before
            draft = wd(case.day, 3)
            case.notice(draft, "hearing_draft")
            refused = wd(CAL.next_working_day(draft), 3 + self.rng.randrange(3))
            case.answer(refused, character="refused")
            case.close(refused)
        else:
            case.notice(wd(case.day, 3 + self.rng.randrange(12)), "signup_inclusion")
            case.clean_answer()
        return case

    def planted_case(self, code: str) -> None:
        rng = self.rng
        if code in ("SIGNUP_NOTICE_LATE", "REFUSAL_NO_HEARING"):
            self.emit(self.reception_request(code), code)
            return
        if code == "REPEAT_HANDLER":
            earlier = self.emit(self.clean(day=rng.choice(self.days[: len(self.days) // 2])))
            later = _Case(
                self,
                "complaint",
                day=wd(earlier.day, 25),
                subdivision=earlier.code,
                executor=earlier.executor,
            )
            later.fields["parent_id"] = earlier.number
            later.clean_answer()
            self.emit(later, code)
            return
        if code in ("TERMINATION_NO_NOTICE", "TERMINATION_WITHOUT_DECISION"):
            earlier = _Case(self, "statement", day=rng.choice(self.days[: len(self.days) // 2]))
            answered = earlier.clean_answer()
            self.emit(earlier)
            day = wd(answered, 2) if code == "TERMINATION_NO_NOTICE" else wd(earlier.day, 2)
            repeat = _Case(self, "statement", day=day, assign=False)
            repeat.fields["is_duplicate_of"] = earlier.number
            ended = wd(day, 2)
            repeat.add(ended, "terminated", 11, reason="повторное")
            if code == "TERMINATION_WITHOUT_DECISION":
                repeat.notice(ended, "termination")
            self.emit(repeat, code)
            return
        case = _Case(self, "statement")
        codes = [code]
        if code == "REG_LATE":
            case.registered = at(wd(case.day, 2 + rng.randrange(2)), 10, 40)
            case.clean_answer()
        elif code in ("FORWARD_LATE", "FORWARD_NO_NOTICE"):
            day = wd(case.day, 4 + rng.randrange(3)) if code == "FORWARD_LATE" else case.day
            case.add(
                day, "forwarded", 15, body="Другой орган", partial=False, by={"login": "controller"}
            )
            if code == "FORWARD_LATE":
                case.notice(day, "forwarding")
        elif code == "ANSWER_LATE":
            day = wd(CAL.next_working_day(case.due), 1 + rng.randrange(4))
            case.answer(day)
            case.close(day)
        elif code == "OVERDUE_OPEN":
            pass  # nobody answers
        elif code in ("EXTENSION_OVER_CAP", "EXTENSION_NO_NOTICE", "EXTENSION_AFTER_DUE"):
            basis = "letter"
            if code == "EXTENSION_AFTER_DUE":  # by a decision, within two months
                decided = CAL.next_working_day(case.due)
                new, basis = decided + dt.timedelta(days=7), "decision"
            else:
                decided = wd(case.day, 8)
                extra = (
                    31 + rng.randrange(5) if code == "EXTENSION_OVER_CAP" else 25 + rng.randrange(5)
                )
                new = case.lawful + dt.timedelta(days=extra)
            new = max(new, case.due + dt.timedelta(days=1))
            case.add(
                decided,
                "extended",
                11,
                basis=basis,
                old_due=case.due.isoformat(),
                new_due=new.isoformat(),
                by=case.head,
                reason="сложный вопрос",
            )
            if code != "EXTENSION_NO_NOTICE":
                case.notice(decided, "extension")
            day = CAL.next_working_day(decided)
            case.answer(day)
            case.close(day)
        elif code == "CONTROL_REMOVED_NO_ANSWER":
            day = wd(case.day, 5)
            case.answer(day, final=False)
            case.close(day)
            codes.append("OVERDUE_OPEN")
        elif code == "RECEPTION_SCAN_LATE":
            case.fields.update(channel="reception", from_reception=True)
            case.add(wd(case.day, 4 + rng.randrange(3)), "scan_attached", 15)
            case.clean_answer()
        elif code == "ANSWER_SIGNER":
            day = wd(case.day, 6)
            case.answer(day, signed_by=case.executor)
            case.close(day)
        elif code == "ANSWER_LANGUAGE":
            case.language = "kk"
            day = wd(case.day, 6)
            case.answer(day, language="ru")
            case.close(day)
        elif code == "RETURN_WITHOUT_REQUEST":
            case.add(wd(case.day, 2), "returned", 15)
        self.emit(case, *codes)

    def clean_variant(self) -> None:
        """Clean cases that come near every rule without breaking it."""
        rng = self.rng
        choice = rng.random()
        if choice < 0.1:
            self.emit(self.reception_request())
            return
        case = _Case(self, rng.choice(("statement", "complaint")))
        if choice < 0.2:  # scanned in time
            case.fields.update(channel="reception", from_reception=True)
            case.add(wd(case.day, 1 + rng.randrange(3)), "scan_attached", 15)
            case.clean_answer()
        elif choice < 0.3:  # forwarded in time with its notice
            day = wd(case.day, 1 + rng.randrange(3))
            case.add(
                day, "forwarded", 15, body="Другой орган", partial=False, by={"login": "controller"}
            )
            case.notice(wd(day, 1 + rng.randrange(3)), "forwarding")
        elif choice < 0.4:  # extended lawfully, told, answered by the new date
            decided = wd(case.day, 8)
            new = case.lawful + dt.timedelta(days=30)
            if new > case.due:
                case.add(
                    decided,
                    "extended",
                    11,
                    basis="letter",
                    old_due=case.due.isoformat(),
                    new_due=new.isoformat(),
                    by=case.head,
                    reason="сложный вопрос",
                )
                case.notice(wd(decided, 3), "extension")
                day = wd(decided, 2)
                case.answer(day)
                case.close(day)
            else:
                case.clean_answer()
        elif choice < 0.5:  # returned after the correction term
            term = wd(case.day, 10)
            case.add(
                wd(case.day, 1),
                "correction_requested",
                10,
                missing=["address"],
                term=term.isoformat(),
            )
            case.add(CAL.next_working_day(term), "returned", 10)
        elif choice < 0.55:  # answered on the due date itself, in the state language
            case.answer(case.due, language="kk")
            case.close(case.due)
        else:
            case.clean_answer()
        self.emit(case)


def _days(start: dt.date, end: dt.date) -> Iterator[dt.date]:
    day = start
    while day <= end:
        yield day
        day += dt.timedelta(days=1)


def generate(seed: int, cases: int = 400, plants_each: int = 2, prefix: str = "9"):
    """``(lines, planted)``: about ``cases`` cases, ``plants_each`` planted cases per code."""
    gen = Generator(seed, prefix)
    plan = [c for c in PLANTS for _ in range(plants_each)]
    gen.rng.shuffle(plan)
    for code in plan:
        gen.planted_case(code)
    while len(gen.out) < cases:
        gen.clean_variant()
    gen.rng.shuffle(gen.out)
    # earlier cases first (a file is in time order; links resolve either way)
    gen.out.sort(key=lambda r: r["received_at"])
    lines = [json.dumps(r, ensure_ascii=False) for r in gen.out]
    return lines, gen.planted
