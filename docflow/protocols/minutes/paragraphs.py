"""Paragraphs: items numbered, bulleted or opened by «Заявитель:» / «СЛУШАЛИ:», with labelled
lines or a decision written inside them (found by its verb or the executor it names)."""

from __future__ import annotations

import re
from collections.abc import Callable

from docflow.protocols.minutes.applicants import _ENTITY_RX, _ID_RX
from docflow.protocols.minutes.labels import (
    _BULLET,
    _CONTINUABLE,
    _ITEM_LABELS,
    _ITEM_NO,
    _ITEM_NUM,
    _NAME_LEAD,
    _SUB_NUM,
    _looks_like_signature,
    _RawItem,
    _split_labels,
    decision_start,
)
from docflow.protocols.minutes.reading import _Para


def _paragraph_items(
    paras: list[_Para], names_executor: Callable[[str], bool]
) -> tuple[list[_RawItem], list[str], list[str]]:
    """Items of numbered paragraphs, the header before them and the footer after them.
    ``names_executor(sentence)``: whether a sentence names an executor, to find a decision
    written inside an item's paragraph without a label."""
    items: list[_RawItem] = []
    header: list[str] = []
    footer: list[str] = []
    cur: _RawItem | None = None
    cur_field: str | None = None
    heading = False  # the current decision label stands alone on its line
    done = False

    def next_id() -> str:
        numbers = [int(i.item.split(".")[0]) for i in items if i.item.split(".")[0].isdigit()]
        return str((max(numbers) if numbers else 0) + 1)

    for para in paras:
        text = para.text.strip()
        if not text:
            continue
        if done:
            footer.append(text)
            continue
        if para.numbering and not re.match(r"^\s*\d", text):
            text = f"{para.numbering} {text}"
        if no := _ITEM_NO.match(text):
            text = f"{no.group(1)}."
        # Numbered lines after «ПОСТАНОВИЛИ:» or a bare «Поручение:» are sub-decisions; after an
        # assignment written inline («… Рекомендовать …»), the next number is the next item.
        in_decision = cur is not None and (
            cur_field == "decided" or (cur_field == "assignment" and heading)
        )
        bullet = _BULLET.match(text)
        if bullet and in_decision and not _visitor_starts(text[bullet.end() :]):
            bullet = None  # «ПОСТАНОВИЛИ: – Управлению …; – …»: sub-decisions
        if bullet:  # «– Иванов И.И. …»: items behind dashes, counted in order
            text = f"{next_id()}. {text[bullet.end() :]}"
        sub = _SUB_NUM.match(text)
        top = None if sub else _ITEM_NUM.match(text)
        body = text
        if top:
            body = top.group(3)
        segments = _split_labels(body)
        labels = {name for name, _v in segments if name}
        starts_item = bool(labels & {"applicant", "heard"}) and segments[0][0] in (
            "applicant",
            "heard",
        )
        starts_item = starts_item or bool(bullet and in_decision)  # a visitor behind a dash
        if (sub or (top and in_decision and not starts_item)) and cur is not None:
            cur.add(cur_field or "decided", text)
            continue
        if top and (starts_item or cur is None or not in_decision):
            cur = _RawItem(top.group(1), pos=para.pos, counted=bool(bullet))
            items.append(cur)
            cur_field = None
        elif starts_item and (
            cur is None or cur.fields.get("applicant") or cur.fields.get("heard")
        ):
            cur = _RawItem(next_id(), pos=para.pos, counted=True)
            items.append(cur)
            cur_field = None
        elif cur is None:
            if labels & (_ITEM_LABELS - {"question"}):
                cur = _RawItem(next_id(), pos=para.pos, counted=True)
                items.append(cur)
            else:
                header.append(text)
                continue
        for name, value in segments:
            if name is None:
                if not value:
                    continue
                if cur_field is None and not cur.fields:
                    cur.add("lead", value)
                    cur_field = "lead"
                elif cur_field in _CONTINUABLE:
                    if items and cur is items[-1] and cur.fields and _looks_like_signature(value):
                        done = True
                        footer.append(value)
                        break
                    cur.add(cur_field, value)
                else:
                    if cur.labelled and _looks_like_signature(value):
                        done = True
                        footer.append(value)
                        break
                    cur.add("extra", value)
                continue
            if name == "identifier":
                cur.add("applicant", f"ИИН {value}")
                continue
            cur_field = name
            heading = not value
            cur.add(name, value)
    for item in items:
        _find_decision(item, names_executor)
    real = [i for i in items if i.labelled]
    # Items without a written number are counted among the items that are kept.
    last = 0
    for item in real:
        if item.counted:
            item.item = str(last + 1)
        head = item.item.split(".")[0]
        last = int(head) if head.isdigit() else last
    if real and items and items[0] is not real[0]:
        for i in items[: items.index(real[0])]:
            header.extend(i.get("lead").split("\n"))
    return real, header, footer


def _find_decision(item: _RawItem, names_executor: Callable[[str], bool]) -> None:
    """A decision written without a label («1. Ким О.В. … по вопросу … . Управлению …
    рассмотреть.») becomes the item's assignment."""
    if "decided" in item.fields or "assignment" in item.fields:
        return
    for name in ("lead", "heard", "question", "applicant", "extra"):
        text = item.get(name)
        cut = decision_start(text, names_executor) if text else None
        if cut is not None:
            item.fields[name] = [text[:cut].strip()]
            item.add("assignment", text[cut:].strip())
            return


def _visitor_starts(text: str) -> bool:
    """A line that opens with a visitor (a full name, an organisation, an IIN), not a decision."""
    return bool(_NAME_LEAD.match(text) or _ID_RX.search(text[:80]) or _ENTITY_RX.match(text))
