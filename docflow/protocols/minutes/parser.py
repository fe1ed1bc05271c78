"""The parser: minutes DOCX → their items, with executors, terms and problems."""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from docflow.core.calendar import WorkingCalendar

from docflow.protocols.minutes.applicants import parse_applicant
from docflow.protocols.minutes.executors import names_someone
from docflow.protocols.minutes.labels import (
    _EXPLAINED,
    _heard_parts,
    _RawItem,
    _split_labels,
    _split_units,
    _who_and_what,
    nominative_name,
)
from docflow.protocols.minutes.paragraphs import _paragraph_items
from docflow.protocols.minutes.people import MATCH_THRESHOLD
from docflow.protocols.minutes.reading import (
    MinutesError,
    _blocks,
    _open,
    _Para,
    _read_source,
    _Table,
    check_package,
)
from docflow.protocols.minutes.resolver import Resolver
from docflow.protocols.minutes.result import ParsedItem, ParsedMinutes, Problem
from docflow.protocols.minutes.tables import _table_items, data_tables, table_lines
from docflow.protocols.minutes.terms import Term, find_dates, parse_term
from docflow.protocols.minutes.text import _squash, fold1

# --- the parser --------------------------------------------------------------------------------


def _language(texts: Iterable[str]) -> str:
    """kk or ru: lower-case words with Kazakh letters against Russian function words (names,
    capitalised, do not count: Russian minutes are full of Kazakh names)."""
    kk = ru = 0
    for t in list(texts)[:300]:
        kk += len(_KK_WORD.findall(t))
        ru += len(_RU_WORD.findall(t))
    return "kk" if kk > ru else "ru"


_KK_WORD = re.compile(r"(?<![\w])[а-яёәғқңөұүһі]*[әғқңөұүһі][а-яёәғқңөұүһі]*")
_RU_WORD = re.compile(
    r"(?<![\w])(?:и|в|по|на|с|для|не|от|о|об|года|района|города|управлени\w*)(?![\w])"
)


def _header_info(
    texts: list[str], footer: list[str], resolver: Resolver, minutes: ParsedMinutes
) -> None:
    number = None
    for t in sorted(texts, key=lambda s: 0 if re.search(r"протокол|хаттама", fold1(s)) else 1):
        m = re.search(r"№\s*([0-9][\w/\-.]*)", t)
        if m:
            number = m.group(1).rstrip(".,;-")
            break
    minutes.number = number
    for t in texts:
        dates = [d for d in find_dates(t) if d.has_year]
        if dates:
            d = dates[0]
            minutes.date = d.value
            minutes.date_raw = _squash(t[d.start : d.end])
            if d.value is None:
                minutes.warnings.append(f"the minutes date «{minutes.date_raw}» is not valid")
            break
    role_rx = re.compile(
        r"заместител|аким|председател|руководител|принимал|провел|торагалык|орынбасары|"
        r"кабылдаган|жургизди|басшысы"
    )
    official = None
    for t in texts:
        if role_rx.search(fold1(t)) and not re.match(
            r"\s*(?:присутствовали|катыскандар)", fold1(t)
        ):
            official = resolver.match_official(t)
            if official:
                break
    if official is None or official.code is None:
        for t in footer:
            found = resolver.match_official(t)
            if found and found.code:
                official = found
                break
    minutes.official = official
    for t in texts:
        m = re.match(
            r"\s*(?:присутствовали|участвовали|приглашенные|приглашены|катыскандар|катысты|"
            r"шакырылгандар)\s*:?\s*",
            fold1(t),
        )
        if m:
            rest = t[m.end() :]
            minutes.participants.extend(
                p.strip(" .") for p in re.split(r";|\n", rest) if p.strip(" .")
            )


def parse_minutes(
    source: str | Path | bytes,
    resolver: Resolver,
    calendar: WorkingCalendar,
) -> ParsedMinutes:
    """Read minutes (R-PROT-3) and return their assignments; raises :class:`MinutesError`."""
    data = _read_source(source)
    check_package(data)
    resolver.forget()  # a name repeated within the file is scored once; nothing carries over
    document = _open(data)
    blocks = _blocks(document)
    if not any(
        (isinstance(b, _Para) and b.text.strip())
        or (isinstance(b, _Table) and any(c.strip() for r in b.rows for c in r))
        for b in blocks
    ):
        raise MinutesError("empty", "The document has no text.")

    # Tables of visitors and numbered paragraphs, in one file as they come (a table, then
    # «также рассмотрены …» paragraphs, or the other way round).
    tables = data_tables(blocks, resolver)
    table_items = _table_items(tables)
    # Other tables are read as lines of text: a table per visitor with labels on the left
    # («Заявитель | …»), or numbered rows the table reader does not know.
    data = {t[0] for t in tables}
    paras: list[_Para] = []
    for pos, block in enumerate(blocks):
        if isinstance(block, _Para):
            paras.append(block)
        elif pos not in data:
            paras.extend(table_lines(pos, block))
    para_items, _header, para_footer = _paragraph_items(
        paras,
        # A sentence naming an executor (not a full name alone, which is how applicants are
        # written) is where a decision without a label starts.
        lambda sentence: any(
            m.code or names_someone(m) for m in resolver.match_executors(sentence, free=True)
        ),
    )
    raw_items = sorted(table_items + para_items, key=lambda i: i.pos)
    if not raw_items:
        raise MinutesError(
            "not_minutes",
            "No minutes found: the document has no table of visitors and no numbered items"
            " with applicant, assignment or term.",
        )
    _unique_ids(raw_items)
    header_texts = _block_texts(blocks[: int(raw_items[0].pos)])
    if para_items and (not table_items or para_items[-1].pos > table_items[-1].pos):
        footer_texts = para_footer
    else:
        footer_texts = _block_texts(blocks[tables[-1][0] + 1 :])
    if table_items:
        layout = "mixed" if para_items else "table"
    elif any("decided" in i.fields or "heard" in i.fields for i in raw_items):
        layout = "decisions"
    else:
        layout = "paragraphs"
    all_texts = header_texts + [t for i in raw_items for v in i.fields.values() for t in v]
    minutes = ParsedMinutes(None, None, [], layout=layout, language=_language(all_texts))
    _header_info(header_texts or _block_texts(blocks[:15]), footer_texts, resolver, minutes)
    if minutes.number is None:
        minutes.warnings.append("the minutes number was not found")
    if minutes.date is None:
        minutes.warnings.append("the minutes date was not found; relative terms cannot be counted")
    memo: dict[tuple[date, str, int], date] = {}
    for raw in raw_items:
        minutes.items.extend(_build_items(raw, resolver, calendar, minutes, memo))
    return minutes


def _unique_ids(items: list[_RawItem]) -> None:
    """Items numbered again in the second part of a mixed file go on from the first part."""
    seen: set[str] = set()
    for item in items:
        if item.item in seen:
            top = max(int(i.split(".")[0]) for i in seen if i.split(".")[0].isdigit())
            item.item = str(top + 1)
        seen.add(item.item)


def _block_texts(blocks: Sequence[_Para | _Table]) -> list[str]:
    out: list[str] = []
    for b in blocks:
        if isinstance(b, _Para):
            if b.text.strip():
                out.append(b.text.strip())
        else:
            for row in b.rows:
                cells = [c.strip() for c in row if c.strip()]
                if cells:
                    out.append("    ".join(dict.fromkeys(cells)))
    return out


def _build_items(
    raw: _RawItem,
    resolver: Resolver,
    calendar: WorkingCalendar,
    minutes: ParsedMinutes,
    memo: dict[tuple[date, str, int], date],
) -> list[ParsedItem]:
    lang = minutes.language
    heard = raw.get("heard")
    applicant_text = raw.get("applicant")
    question = raw.get("question")
    if not applicant_text and raw.get("lead"):
        applicant_text, asked = _who_and_what(raw.get("lead"))
        question = question or asked
    restored = None
    if heard:
        who, what = _heard_parts(heard.replace("\n", " "))
        if not applicant_text:
            applicant_text = who
            restored = nominative_name(who)
        question = question or what
    if raw.get("address") and applicant_text:
        applicant_text = f"{applicant_text}, {raw.get('address')}"
    applicant = parse_applicant(applicant_text)
    name_warning = None
    if restored and applicant.name == restored[0]:
        name_warning = f"the name «{restored[0]}» is read as «{restored[1]}» (nominative)"
        applicant.name = restored[1]
    decision = raw.get("decided") or raw.get("assignment")
    if raw.get("decided") and raw.get("assignment"):
        decision = raw.get("decided") + "\n" + raw.get("assignment")
    preamble, units = _split_units(raw.item, decision)
    if not units:
        units = [(raw.item, _squash(decision.replace("\n", " ")))]
    item_exec = raw.get("executor")
    item_co = raw.get("coexecutor")
    item_term = raw.get("term")
    out: list[ParsedItem] = []
    for uid, text in units:
        body, inner_exec, inner_co, inner_term = text, "", "", ""
        parts = _split_labels(text, only={"executor", "coexecutor", "term"})
        if any(name for name, _v in parts):
            body = " ".join(v for name, v in parts if name is None).strip()
            inner_exec = " ".join(v for name, v in parts if name == "executor")
            inner_co = " ".join(v for name, v in parts if name == "coexecutor")
            inner_term = " ".join(v for name, v in parts if name == "term")
        exec_text = inner_exec or item_exec
        co_text = inner_co or item_co
        term_text = inner_term or item_term
        if exec_text:
            executors = resolver.match_executors(exec_text, free=False, lang=lang)
        else:
            executors = resolver.match_executors(body, free=True, lang=lang)
        if co_text:
            co = resolver.match_executors(co_text, free=False, lang=lang)
            known = {e.code for e in executors if e.code}
            for e in co:
                if e.code is None or e.code not in known:
                    e.role = "co"
                    executors.append(e)
            if executors:
                executors[0].role = "responsible"
        start = minutes.date
        if term_text:
            term = parse_term(term_text, start, calendar, memo=memo)
        else:
            term = parse_term(body, start, calendar, free=True, memo=memo)
            # Anywhere else in the item: before the numbered decisions, or a line of its own.
            for elsewhere in (preamble, raw.get("extra")):
                if term.kind == "missing" and elsewhere:
                    term = parse_term(elsewhere, start, calendar, free=True, memo=memo)
        item = ParsedItem(
            uid, applicant, _squash(question.replace("\n", " ")), body, executors, term
        )
        explained = bool(_EXPLAINED.search(fold1(body))) or (
            not body.strip() and bool(_EXPLAINED.search(fold1(question)))
        )
        if explained and not any(e.code for e in executors) and term.due is None:
            item.no_assignment = True
            item.term = Term(term.raw, None, "none") if term.kind != "none" else term
        else:
            if explained:
                item.warnings.append(
                    "the decision says «explained on the spot» but also names executors or a term"
                )
            _check(item)
        if applicant.identifier_valid is False:
            label = "IIN" if applicant.iin else "BIN"
            item.problems.append(
                Problem(
                    "invalid_identifier",
                    f"the {label} {applicant.iin or applicant.bin} is not valid",
                )
            )
        if term.warning:
            item.warnings.append(term.warning)
        if name_warning:
            item.warnings.append(name_warning)
        for e in executors:
            if e.code and e.note:
                item.warnings.append(f"executor «{e.text}»: {e.note}")
        out.append(item)
    return out


def _check(item: ParsedItem) -> None:
    """Never guess silently: everything not understood becomes a problem of the item."""
    if not item.text.strip():
        item.problems.append(Problem("no_decision", "no decision or assignment is written"))
    if not item.executors:
        item.problems.append(Problem("no_executor", "no executor is named"))
    for e in item.executors:
        if e.code is not None and e.confidence < MATCH_THRESHOLD:
            item.problems.append(
                Problem(
                    "executor_uncertain",
                    f"executor «{e.text}» matched to {e.code} with low confidence"
                    + (f" ({e.note})" if e.note else ""),
                )
            )
        if e.code is None:
            hint = f" ({e.note})" if e.note else ""
            item.problems.append(
                Problem("executor_unmatched", f"executor «{e.text}» was not matched{hint}")
            )
    if item.term.due is None:
        code = "no_term" if item.term.kind in ("missing", "none") else "term_unreadable"
        message = item.term.problem or "no term"
        if item.term.raw:
            message = f"term «{item.term.raw}»: {message}"
        item.problems.append(Problem(code, message))
