"""Tables of visitors: the header row names the columns (any order), or, without a header row,
the cells tell what each column holds (numbers, applicants with IINs, terms, executors, text).

A column named for several things at once («Заявитель, суть обращения», «Поручение,
исполнитель, срок») holds them written together: the applicant is split from the question, and
the decision is read as a sentence with its executors and term inside. Other tables (a card per
visitor, «Заявитель | …» rows) are read as lines of text by the paragraph reader."""

from __future__ import annotations

import re
import statistics
from collections.abc import Callable, Sequence

from docflow.core.calendar import WorkingCalendar
from docflow.protocols.minutes.applicants import _BARE_ID_RX, _ENTITY_RX, _ID_RX
from docflow.protocols.minutes.executors import names_someone
from docflow.protocols.minutes.labels import (
    _DECISION_VERB,
    _EXPLAINED,
    _RawItem,
    _split_labels,
    _who_and_what,
)
from docflow.protocols.minutes.reading import _Para, _Table
from docflow.protocols.minutes.resolver import Resolver
from docflow.protocols.minutes.terms import find_dates, parse_term
from docflow.protocols.minutes.text import _LO, _UP, _squash, fold1

_ROLE_RX = [
    ("num", re.compile(r"№|\bп/п\b|\bр/с\b|\bр/н\b|^\s*n\s*$|\bномер\b|\bреттик")),
    ("term", re.compile(r"\bсрок|\bмерзим")),
    ("heard", re.compile(r"^\s*(?:слушали|тындалды)\s*$")),
    ("decided", re.compile(r"^\s*(?:постановили|решили|каулы\s+етти|шешти|шешим)\s*$")),
    ("coexecutor", re.compile(r"соисполнител|бирлесип\s+орындау|косымша\s+орындау")),
    ("executor", re.compile(r"исполнител|орындаушы|\bжауапты|ответственн")),
    ("identifier", re.compile(r"^\s*(?:иин|бин|жсн|бсн)(?:\s*/\s*(?:иин|бин|жсн|бсн))?\s*$")),
    ("assignment", re.compile(r"поручен|тапсырма|решени|\bшешим|кабылданган|мероприяти|\bшаралар")),
    (
        "question",
        re.compile(r"\bсуть\b|\bмани\b|маселе|содержани|вопрос|такырыб|существо|\bкраткое"),
    ),
    (
        "applicant",
        re.compile(
            r"ф\.?\s?и\.?\s?о|\bфио\b|заявител|арыз\s+беруш|отиниш\s+беруш|аты[\s-]+жони|"
            r"обратившег|\bтеги\b|наименовани|\bатауы\b|\bкатысушы"
        ),
    ),
]


def _header_roles(text: str) -> set[str]:
    t = fold1(_squash(text))
    roles = {name for name, rx in _ROLE_RX if rx.search(t)}
    if "num" in roles and len(roles) > 1 and len(t) > 12:
        roles.discard("num")
    if "coexecutor" in roles:
        roles.discard("executor")
    if "identifier" in roles:
        roles = {"identifier"}
    if roles == {"heard"}:  # «СЛУШАЛИ» as a column: who came and about what
        roles = {"applicant", "question"}
    if roles == {"decided"}:
        roles = {"assignment"}
    return roles - {"heard", "decided"}


def _is_header_row(row: Sequence[str]) -> dict[int, set[str]] | None:
    # Column titles are short and hold no IIN or date; a visitor's row does.
    if any(len(c.split()) > 10 or _BARE_ID_RX.search(c) or find_dates(c) for c in row):
        return None
    columns = {i: _header_roles(c) for i, c in enumerate(row) if c.strip()}
    if len(columns) < 3 and not all(len(r) >= 2 for r in columns.values()):
        return None  # «Заявитель | Иванов …»: a visitor's card, labels on the left
    roles = set().union(*columns.values()) if columns else set()
    enough = len(roles) >= 3 and roles & {"assignment", "executor", "term"}
    if enough and roles & {"applicant", "question", "num"}:
        return columns
    return None


def _words(text: str) -> int:
    return len(text.split())


def _is_numbering_row(row: Sequence[str]) -> bool:
    values = [c.strip() for c in row if c.strip()]
    if len(values) < 3 or not all(v.isdigit() for v in values):
        return False
    ints = [int(v) for v in values]
    return ints == list(range(ints[0], ints[0] + len(ints)))


def _table_items(tables: list[tuple[int, _Table, dict[int, set[str]], int]]) -> list[_RawItem]:
    items: list[_RawItem] = []
    counter = 0
    last_source: str | None = None
    for pos, table, columns, first_row in tables:
        for r, row in enumerate(table.rows[first_row:]):
            if not any(c.strip() for c in row) or _is_numbering_row(row):
                continue
            if max(map(_words, row)) <= 5 and _is_header_row(row):
                continue  # the header repeated on the next page
            raw = _RawItem("", pos=pos + r / (len(table.rows) + 1))
            number = None
            for col, roles in columns.items():
                text = row[col].strip() if col < len(row) else ""
                if "num" in roles:
                    m = re.match(r"^\s*(\d{1,3}(?:\.\d{1,2})?)\s*[.)]?\s*$", text)
                    number = m.group(1) if m else number
                if text:
                    _add_cell(raw, roles - {"num"}, text)
            if not raw.fields:
                continue
            if number is None:
                counter += 1
                number = str(counter)
            else:
                head = number.split(".")[0]
                counter = int(head)
            source = number
            if items and source == last_source:
                # One applicant (merged cells), several assignment rows: sub-items.
                prev = items[-1]
                if "." not in prev.item:
                    prev.item = f"{number}.1"
                number = f"{source}.{int(prev.item.rsplit('.', 1)[1]) + 1}"
            raw.item = number
            last_source = source
            items.append(raw)
    return items


def _add_cell(raw: _RawItem, roles: set[str], text: str) -> None:
    if "assignment" in roles:
        raw.add("assignment", text)  # with the executors and the term written inside it
    elif {"applicant", "question"} <= roles:
        who, what = _who_and_what(text.replace("\n", " "))
        raw.add("applicant", who)
        if what:
            raw.add("question", what)
    elif "identifier" in roles:
        raw.add("applicant", f"ИИН {text}")
    else:
        for role in roles:
            raw.add(role, text)


# --- which tables hold the visitors --------------------------------------------------------------

DataTable = tuple[int, _Table, dict[int, set[str]], int]  # position, table, roles, first data row
_NUM_CELL = re.compile(r"^\s*\d{1,3}(?:\.\d{1,2})?\s*[.)]?\s*$")
_NAME_START = re.compile(rf"^\s*[{_UP}][{_LO}]+(?:-[{_UP}]?[{_LO}]+)?\s+[{_UP}][{_LO}]+")
_EMPTY_CELL = re.compile(r"^[\s\-–—.]*$")
# Kazakh verbs of a decision (folded): «етсін», «жүргізіп», «қарау», «хабарлауды».
_CO_WORDS = frozenset({"бирлесип", "бирлесе", "отырып", "бирге", "катысуымен", "совместно"})
_KK_VERB = re.compile(r"[а-я]{2,}(?:син|сын|ып|ип|уды|уди|у|ю)")
_RU_INFINITIVE = re.compile(r"(?<![а-я])[а-я]{2,}(?:ть|ти)(?![а-я])")


def data_tables(blocks: Sequence[_Para | _Table], resolver: Resolver) -> list[DataTable]:
    """The tables of visitors among ``blocks``: with a header row, the continuation of such a
    table on the next page, or a table whose cells say what its columns are."""
    tables: list[DataTable] = []
    previous: dict[int, set[str]] | None = None
    for pos, block in enumerate(blocks):
        if not isinstance(block, _Table) or not block.rows:
            continue
        found = None
        for r, row in enumerate(block.rows[:3]):
            cols = _is_header_row(row)
            if cols:
                if r + 1 < len(block.rows):
                    below = block.rows[r + 1]
                    second = _is_header_row(below) if max(map(_words, below)) <= 5 else None
                    if second:
                        cols = {**cols, **{k: v for k, v in second.items() if v}}
                        r += 1
                found = (pos, block, cols, r + 1)
                break
        if found is None and previous is not None and tables and pos == tables[-1][0] + 1:
            width = max(previous) + 1
            if block.rows and len(block.rows[0]) == width:
                found = (pos, block, previous, 0)
        if found is None:
            cols = bare_columns(block, resolver)
            if cols:
                found = (pos, block, cols, 0)
        if found:
            tables.append(found)
            previous = found[2]
    return tables


def bare_columns(table: _Table, resolver: Resolver) -> dict[int, set[str]] | None:
    """Roles of the columns of a table without a header row, from what the cells hold; None
    when it does not look like a table of visitors (an applicant and a decision or executor)."""
    rows = [r for r in table.rows if sum(1 for c in r if c.strip()) >= 3]
    if not rows or len(rows) < len(table.rows) / 2:
        return None
    width = max(len(r) for r in rows)
    share: dict[str, list[float]] = {k: [] for k in ("num", "applicant", "term", "executor")}
    for col in range(width):
        cells = [r[col].strip() for r in rows if col < len(r)]
        cells = [c for c in cells if not _EMPTY_CELL.match(c)]
        n = max(len(cells), 1)
        share["num"].append(sum(1 for c in cells if _NUM_CELL.match(c)) / n)
        share["applicant"].append(sum(1 for c in cells if _looks_like_applicant(c)) / n)
        share["term"].append(sum(1 for c in cells if _looks_like_term(c)) / n)
        share["executor"].append(
            sum(1 for c in cells if _looks_like_executor(c, resolver)) / n if cells else 0.0
        )
    roles: dict[int, set[str]] = {}
    for role, least in (("num", 0.8), ("term", 0.6), ("applicant", 0.5), ("executor", 0.5)):
        free = [c for c in range(width) if c not in roles]
        best = max(free, key=lambda c: share[role][c], default=None)
        if best is not None and share[role][best] >= least:
            roles[best] = {role}
    if not any(r == {"applicant"} for r in roles.values()):
        return None
    texts = [
        c for c in range(width) if c not in roles and any(c < len(r) and r[c].strip() for r in rows)
    ]
    if texts:
        # The decision is the text that assigns (a verb, an executor named), orders (an
        # infinitive: «рассмотреть», «дать ответ») or, failing those, says more.
        def decides(c: int) -> tuple[float, float, float]:
            return (
                _share(rows, c, lambda t: _assigns(t, resolver)),
                _share(rows, c, lambda t: bool(_RU_INFINITIVE.search(fold1(t)))),
                statistics.mean(len(r[c]) for r in rows if c < len(r)),
            )

        decision = max(texts, key=decides)
        roles[decision] = {"assignment"}
        rest = [c for c in texts if c != decision]
        if rest:
            roles[rest[0]] = {"question"}
    if not any(r & {"assignment", "executor"} for r in roles.values()):
        return None
    return roles


def _share(rows: list[list[str]], col: int, test: Callable[[str], bool]) -> float:
    cells = [r[col].strip() for r in rows if col < len(r) and not _EMPTY_CELL.match(r[col])]
    return sum(1 for c in cells if test(c)) / len(cells) if cells else 0.0


def _assigns(text: str, resolver: Resolver) -> bool:
    folded = fold1(text)
    if _DECISION_VERB.search(folded) or _EXPLAINED.search(folded):
        return True
    return bool(resolver.match_executors(text, free=True))


def _looks_like_applicant(text: str) -> bool:
    return bool(_ID_RX.search(text) or _BARE_ID_RX.search(text) or _ENTITY_RX.search(text)) or (
        bool(_NAME_START.match(text)) and len(text.split()) <= 25
    )


def _looks_like_term(text: str) -> bool:
    if len(text.split()) > 7:  # a decision with its term inside is longer
        return False
    # Without a start date nothing is counted, so no calendar is consulted.
    return parse_term(text, None, _NO_CALENDAR).kind in _TERM_KINDS


_TERM_KINDS = frozenset({"date", "working_days", "calendar_days", "months", "weeks"})
_NO_CALENDAR = WorkingCalendar(use_statutory=False)


def _looks_like_executor(text: str, resolver: Resolver) -> bool:
    """Names and little else, no verb: an executor column, not a decision naming executors."""
    if len(text.split()) > 30 or _DECISION_VERB.search(fold1(text)):
        return False
    share, others = resolver.name_share(text)
    verbs = [w for w in others if w not in _CO_WORDS]
    if share < 0.6 or any(_RU_INFINITIVE.fullmatch(w) or _KK_VERB.fullmatch(w) for w in verbs):
        return False
    return any(names_someone(m) for m in resolver.match_executors(text))


def table_lines(pos: int, table: _Table) -> list[_Para]:
    """The rows of a table that is not a table of visitors, as paragraphs: «label: value» when
    the left cell is a label, the cells apart (as Word shows them) otherwise."""
    out: list[_Para] = []
    for r, row in enumerate(table.rows):
        cells = list(dict.fromkeys(c.strip() for c in row if c.strip()))
        if not cells:
            continue
        first = _split_labels(cells[0].rstrip(" :") + ":")
        if len(cells) == 2 and first[0][0] is not None and not first[0][1]:
            text = f"{cells[0].rstrip(' :')}: {cells[1]}"
        else:
            text = "    ".join(cells)
        out.append(_Para(text, None, pos + (r + 1) / (len(table.rows) + 1)))
    return out
