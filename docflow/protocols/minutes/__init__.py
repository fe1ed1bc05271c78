"""Reception minutes in: a hand-typed DOCX of minutes → its protocol assignments (R-PROT-1..3).

Minutes (хаттама / протокол) of a personal reception come as DOCX in Kazakh or Russian, laid out
as people write them, several layouts in one file if need be: a table of visitors (columns in any
order, found by their header words, or by what the cells hold when there is no header row; a
column may hold several things, «Заявитель, суть обращения»), a table per visitor with labels on
the left, numbered or bulleted paragraphs with labelled lines («Арыз беруші:», «Тапсырма:»,
«Мерзімі:», «Заявитель:», «Поручение:», «Срок:»), one paragraph per applicant with the decision
inside it («… басқармасына … тапсырылсын. Мерзімі – …», «Поручить Управлению …»), or «СЛУШАЛИ:
… ПОСТАНОВИЛИ: 1.1 … 1.2 …», where each numbered decision becomes its own assignment "1.1", "1.2".

Executors are found anywhere in a decision and matched against the organisation with
:class:`Resolver`: subdivision names in any case ending, abbreviated or with the city, district
akimats named by their district, heads named by surname and initials in either order, in Russian
or Kazakh spelling (letters folded: ә→а, қ→к, і→и …), co-executors after «совместно с»,
«бірлесіп», «при участии» or «и» (the longest name of the directory first: names contain «и»).
Every executor mention comes back with the matched code or None and a confidence; below
``MATCH_THRESHOLD`` nothing is guessed. Terms, anywhere in an item, are absolute dates or relative
terms counted from the minutes date with the office calendar (R-DEADLINE-1: the day of the
minutes is day 1 when it is a working day).

Safety: the ZIP is inspected before python-docx sees it (:mod:`docflow.core.ziputil`, shared with
text extraction, then the real size of every entry and DOCTYPE/ENTITY in XML parts) and every
failure is a :class:`MinutesError` with a stable ``code``. Pure Python + python-docx: no Flask at
import time.

Modules: ``reading`` (ZIP and document), ``text`` (folding), ``people``, ``orgwords``,
``resolver``, ``units`` and ``executors`` (the organisation resolver), ``terms`` (dates and terms),
``applicants``, ``labels``, ``tables`` and ``paragraphs`` (layouts), ``result``, ``parser``.
"""

from docflow.protocols.minutes.applicants import Applicant, parse_applicant
from docflow.protocols.minutes.labels import is_explained, nominative_name
from docflow.protocols.minutes.parser import parse_minutes
from docflow.protocols.minutes.people import ExecutorMatch, split_full_name
from docflow.protocols.minutes.reading import MAX_FILE_BYTES, MinutesError, check_package
from docflow.protocols.minutes.resolver import Resolver
from docflow.protocols.minutes.result import ParsedItem, ParsedMinutes, Problem
from docflow.protocols.minutes.terms import Term, parse_term

__all__ = [
    "MAX_FILE_BYTES",
    "Applicant",
    "ExecutorMatch",
    "MinutesError",
    "ParsedItem",
    "ParsedMinutes",
    "Problem",
    "Resolver",
    "Term",
    "check_package",
    "is_explained",
    "nominative_name",
    "parse_applicant",
    "parse_minutes",
    "parse_term",
    "split_full_name",
]
