"""The approval sheet as shown and printed: for the letter page (:func:`sheet`), the API
(:func:`sheet_json`) and the PDF (:func:`approval_sheet_rows`, in the letter's language).

Re-exported by :mod:`docflow.outgoing.approval`, which other code asks.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from flask_babel import lazy_gettext as _l

from docflow.core.calendar import get_calendar
from docflow.org.models import User, localized
from docflow.outgoing.letter_models import Letter


def _sheet_rows():
    # the rows and turns live in docflow.outgoing.approval, which imports this module
    from docflow.outgoing import approval

    return approval


ROLE_TITLES = {
    "co-executor": _l("Co-executor"),
    "lawyer": _l("Lawyer"),
    "approver": _l("Approver"),
    "head": _l("Head of subdivision"),
    "executor": _l("Executor"),
}
DECISION_TITLES = {
    "pending": _l("Awaiting"),
    "approved": _l("Approved"),
    "returned": _l("Returned for revision"),
    "signed": _l("Signed"),
    "prepared": _l("Prepared"),
}
# The sheet printed with the letter speaks the letter's language, not the reader's.
PRINTED = {
    "kk": {
        "header": ("Лауазымы", "Аты-жөні", "Шешім", "Күні"),
        "title": "КЕЛІСУ ПАРАҒЫ",
        "co-executor": "Бірлесіп орындаушы",
        "lawyer": "Заңгер",
        "approver": "Келісуші",
        "head": "Бөлімше басшысы",
        "executor": "Орындаушы",
        "prepared": "Дайындады",
        "pending": "Күтілуде",
        "approved": "Келісілді",
        "returned": "Пысықтауға қайтарылды",
        "signed": "Қол қойылды",
    },
    "ru": {
        "header": ("Должность", "Ф.И.О.", "Решение", "Дата"),
        "title": "ЛИСТ СОГЛАСОВАНИЯ",
        "co-executor": "Соисполнитель",
        "lawyer": "Юрист",
        "approver": "Согласующий",
        "head": "Руководитель подразделения",
        "executor": "Исполнитель",
        "prepared": "Подготовил",
        "pending": "Ожидает",
        "approved": "Согласовано",
        "returned": "Возвращено на доработку",
        "signed": "Подписано",
    },
}


# --- what the letter page, the PDF and R-ROUTE-4 ask ------------------------------------------------


def _position(user: User | None, language: str | None) -> str | None:
    employee = getattr(user, "employee", None)
    if employee is None or not employee.positions:
        return None
    if language:
        return employee.positions.get(language) or None
    return localized(employee.positions) or None


def _local_date(at: dt.datetime | None) -> str:
    if at is None:
        return ""
    return get_calendar().to_local(at).date().strftime("%d.%m.%Y")


def _signer_entry(letter: Letter) -> dict[str, Any]:
    signer = letter.signed_by or letter.approved_by
    if letter.signed_by is not None:
        decision, at = "signed", letter.signed_at
    elif letter.approved_by is not None:
        decision, at = "approved", letter.approved_at
    else:
        decision, at = "pending", None
    sub = letter.subdivision
    return {
        "kind": "signer",
        "step": None,
        "round": None,
        "role": "head",
        "title": None,
        "user": signer,
        "subdivision": sub,
        "decision": decision,
        "comment": None,
        "at": at,
        "current": letter.state == "approved"
        or (letter.state == "submitted" and _sheet_rows().sheet_complete(letter)),
        "fallback_name": (sub.head_name if sub is not None else None) or "",
    }


def _author_entry(letter: Letter) -> dict[str, Any]:
    from docflow.core.workflow import history

    submitted = [h.at for h in history(letter) if h.transition == "submit"]
    done = letter.state != "draft" and bool(submitted)
    return {
        "kind": "author",
        "step": None,
        "round": None,
        "role": "executor",
        "title": None,
        "user": letter.author,
        "subdivision": letter.subdivision,
        "decision": "prepared" if done else "pending",
        "comment": None,
        "at": submitted[-1] if done else None,
        "current": letter.state == "draft",
        "fallback_name": "",
    }


def _entries(letter: Letter) -> list[dict[str, Any]]:
    current = {r.id for r in _sheet_rows().current_steps(letter)}
    out = [_author_entry(letter)]
    out += [
        {
            "kind": "approver",
            "step": r.step,
            "round": r.round,
            "role": r.role,
            "title": r.title,
            "user": r.approver,
            "subdivision": r.group_subdivision,
            "decision": r.decision,
            "comment": r.comment,
            "at": r.at,
            "current": r.id in current,
            "fallback_name": _sheet_rows()._approver_name(r, None),
            "mode": r.mode,
        }
        for r in _sheet_rows().rows(letter)
    ]
    out.append(_signer_entry(letter))
    return out


def sheet(letter: Letter) -> list[dict[str, Any]]:
    """The sheet for the letter page: the executor who prepared the letter, the approvers of
    the latest round in order, then the signer. Each: ``kind`` ("author" | "approver" |
    "signer"), ``step``, ``role``, ``role_title``,
    ``position``, ``name``, ``username``, ``subdivision`` (code), ``decision``,
    ``decision_title``, ``comment``, ``at`` (UTC), ``current`` (their turn now), ``mode``."""
    out = []
    for e in _entries(letter):
        user = e["user"]
        role_title = ROLE_TITLES.get(e["role"]) or (
            localized(e["title"]) if e["title"] else e["role"]
        )
        out.append(
            {
                "kind": e["kind"],
                "step": e["step"],
                "round": e["round"],
                "role": e["role"],
                "role_title": role_title,
                "position": _position(user, None)
                or (localized(e["title"]) if e["title"] else str(role_title)),
                "name": user.display_name if user is not None else e["fallback_name"],
                "username": user.username if user is not None else None,
                "subdivision": e["subdivision"].code if e["subdivision"] is not None else None,
                "decision": e["decision"],
                "decision_title": DECISION_TITLES[e["decision"]],
                "comment": e["comment"],
                "at": e["at"],
                "current": e["current"],
                "mode": e.get("mode"),
            }
        )
    return out


def sheet_json(letter: Letter) -> list[dict[str, Any]]:
    """The sheet on the API (``GET /api/v1/letters/{id}``)."""
    return [
        {
            "kind": e["kind"],
            "step": e["step"],
            "role": e["role"],
            "approver": e["username"],
            "subdivision": e["subdivision"],
            "decision": e["decision"],
            "comment": e["comment"],
            "at": e["at"].isoformat() if e["at"] else None,
            "current": e["current"],
        }
        for e in sheet(letter)
    ]


def approval_sheet_header(language: str) -> tuple[str, str, str, str]:
    """The column titles of the printed sheet: position, name, decision, date."""
    return PRINTED.get(language, PRINTED["kk"])["header"]


def approval_sheet_title(language: str) -> str:
    return PRINTED.get(language, PRINTED["kk"])["title"]


def approval_sheet_rows(letter: Letter, language: str) -> list[tuple[str, ...]]:
    """The printed sheet in the letter's language (kk or ru): one ``(position, name, decision,
    date)`` for the executor, each approver of the latest round, then the signer; the date is the office's local
    date of the decision (dd.mm.yyyy), empty while pending. A return shows its comment."""
    words = PRINTED.get(language, PRINTED["kk"])
    out = []
    for e in _entries(letter):
        user = e["user"]
        position = (
            _position(user, language)
            or ((e["title"] or {}).get(language) if e["title"] else None)
            or words.get(e["role"])
            or e["role"]
        )
        if user is not None:
            name = user.display_name
        elif e["kind"] == "approver" and e["subdivision"] is not None:
            name = (e["subdivision"].names or {}).get(language) or e["fallback_name"]
        else:
            name = e["fallback_name"]
        decision = words[e["decision"]]
        if e["decision"] == "returned" and e["comment"]:
            decision = f"{decision}: {e['comment']}"
        out.append((position, name, decision, _local_date(e["at"])))
    return out
