"""Routing suggestions: the subdivisions most likely competent to answer an item (R-ROUTE-1).

The appeals-control department decides where an appeal goes; these functions only rank
candidates, each with a reason the controller can check. Two sources are combined:

* the **competence map** of the office's profile (``docflow.routing.competence``): what each
  subdivision answers for. It is the only source that knows about questions the office has never
  routed before, and about subdivisions (district akimats) that the history may not contain;
* a **classifier** trained on the office's own routed history (``docflow.routing.classifier``).

What and where stay apart (``route``): the *what* are the departments competent for the
question's subject; the *where* is the district the appeal names, whose akimat answers the
question when it is a local one (yard, lighting, potholes…). ``suggest`` gives both merged, best
first — the one to preselect. The pure functions need no application; the helpers at the end
read the database and the settings.
"""

from __future__ import annotations

import hashlib
import json
import math
import threading
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from flask import current_app
from sqlalchemy import delete, func, select

from docflow.core.settings import get_setting
from docflow.extensions import db
from docflow.org.models import Subdivision
from docflow.routing.classifier import Classifier
from docflow.routing.competence import CompetenceMap, District, Scores
from docflow.routing.models import RoutingExample

# --- combining ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Weights:
    """How the two sources are mixed.

    ``competence`` is the share of the competence map when it matches strongly; the share shrinks
    as ``1 - exp(-score / saturation)`` for weak matches (one common word), so the classifier
    fills in. The history's part is scaled by how well it knows the question: fully for a
    familiar text, by ``unfamiliar`` for a text unlike every example (``Classifier.read``), since
    on a new question the history mostly echoes words of other questions. Chosen by grouped
    cross-validation (``benchmarks/routing_accuracy.py`` tunes them per fold on the training
    split only); the defaults are the values it chose most often.
    """

    competence: float = 0.9
    saturation: float = 0.5
    unfamiliar: float = 0.05


DEFAULT_WEIGHTS = Weights()


@dataclass(frozen=True)
class Suggestion:
    """A candidate subdivision, its combined score (0..1) and why it was suggested.

    ``reason`` is for the UI: ``{"source": "competence" | "history", "terms": [...],
    "similar": N}`` — ``source`` names the stronger contribution; ``terms`` (competence terms
    found in the text) and ``similar`` (how many of the 10 most similar past appeals went there)
    are present when non-empty.
    """

    code: str
    score: float
    reason: dict[str, Any] = field(default_factory=dict)


def combine(
    competence: Mapping[str, tuple[float, list[str]]],
    history: Mapping[str, float],
    weights: Weights = DEFAULT_WEIGHTS,
    familiarity: float = 1.0,
) -> dict[str, tuple[float, float]]:
    """Per code: (competence part, history part) of the combined score.

    The competence scores are made a distribution (share of the total) so both parts are on the
    same 0..1 scale. Either source may be empty: the other then takes the whole weight.
    ``familiarity`` (0..1) is how well the history knows the text (see ``Weights``).
    """
    total = sum(score for score, _ in competence.values())
    if not history:
        share, trust = 1.0, 0.0
    elif not total:
        share, trust = 0.0, 1.0
    else:
        best = max(score for score, _ in competence.values())
        share = weights.competence * (1 - math.exp(-best / weights.saturation))
        trust = (1 - share) * (weights.unfamiliar + (1 - weights.unfamiliar) * familiarity)
    parts: dict[str, tuple[float, float]] = {}
    for code in set(competence) | set(history):
        comp = share * competence[code][0] / total if code in competence else 0.0
        parts[code] = (comp, trust * history.get(code, 0.0))
    return parts


@dataclass(frozen=True)
class Routing:
    """Suggestions for one text, what and where apart.

    ``what``: the departments competent for the question's subject (never a district akimat);
    ``where``: the district the text names, if any (``where.local``: its akimat answers the
    question); ``suggestions``: both merged, best first — the one to preselect.
    """

    what: list[Suggestion]
    where: District | None
    suggestions: list[Suggestion]


def route(
    text: str,
    *,
    competence: CompetenceMap | None,
    classifier: Classifier | None,
    k: int = 3,
    exclude: Iterable[str] = frozenset(),
    allowed: Iterable[str] | None = None,
    weights: Weights = DEFAULT_WEIGHTS,
) -> Routing:
    """What and where for ``text``; never an excluded or not-allowed code.

    No district is guessed: the history's scores for district akimats count only for the
    district the text names.
    """
    exclude = set(exclude)
    allowed = None if allowed is None else set(allowed)
    subjects, where = competence.analyse(text) if competence else ({}, None)
    districts = competence.districts if competence else set()
    reading = classifier.read(text) if classifier else None
    history = reading.scores if reading else {}
    familiarity = reading.familiarity if reading else 0.0
    what_history = {c: p for c, p in history.items() if c not in districts}
    both, both_history = dict(subjects), dict(what_history)
    if where is not None:
        if where.local:
            both[where.code] = (where.score, [*where.names, *where.terms])
        if where.code in history:
            both_history[where.code] = history[where.code]

    def ranked(comp: Scores, hist: Mapping[str, float]) -> list[Suggestion]:
        parts = combine(comp, hist, weights, familiarity)
        top = sorted(
            (
                (c + h, code)
                for code, (c, h) in parts.items()
                if c + h > 0 and code not in exclude and (allowed is None or code in allowed)
            ),
            key=lambda item: (-item[0], item[1]),
        )[:k]
        return [_suggestion(code, score, parts[code], comp) for score, code in top]

    what = ranked(subjects, what_history)
    suggestions = ranked(both, both_history) if where is not None else list(what)
    if reading is not None and reading.similar:
        what = [_with_similar(s, reading.similar) for s in what]
        suggestions = [_with_similar(s, reading.similar) for s in suggestions]
    return Routing(what, where, suggestions)


def _suggestion(code: str, score: float, part: tuple[float, float], comp: Scores) -> Suggestion:
    c, h = part
    reason: dict[str, Any] = {"source": "competence" if c >= h else "history"}
    if code in comp:
        reason["terms"] = comp[code][1]
    return Suggestion(code, round(score, 4), reason)


def _with_similar(suggestion: Suggestion, similar: Counter[str]) -> Suggestion:
    if not similar[suggestion.code]:
        return suggestion
    reason = {**suggestion.reason, "similar": similar[suggestion.code]}
    return Suggestion(suggestion.code, suggestion.score, reason)


def suggest(
    text: str,
    *,
    competence: CompetenceMap | None,
    classifier: Classifier | None,
    k: int = 3,
    exclude: Iterable[str] = frozenset(),
    allowed: Iterable[str] | None = None,
    weights: Weights = DEFAULT_WEIGHTS,
) -> list[Suggestion]:
    """The ``k`` best distinct codes, what and where merged, best first (``route().suggestions``).

    No examples → competence map only; nothing in the map matches → classifier only; neither →
    an empty list (the controller routes by hand).
    """
    return route(
        text,
        competence=competence,
        classifier=classifier,
        k=k,
        exclude=exclude,
        allowed=allowed,
        weights=weights,
    ).suggestions


# --- database-facing helpers ----------------------------------------------------------------


EXAMPLE_SOURCES = ("import", "routed")


class ExampleError(ValueError):
    """A training example is unusable; ``index`` is its 0-based position in the input."""

    def __init__(self, index: int, reason: str) -> None:
        super().__init__(f"line {index + 1}: {reason}")
        self.index = index
        self.reason = reason


_MAPS: dict[str, CompetenceMap] = {}
_MAPS_LOCK = threading.Lock()
_LAST: dict[str, tuple[Any, CompetenceMap]] = {}


def competence_from_settings() -> CompetenceMap:
    """The office's competence map (profile setting ``competence``; empty if not set).

    Parsed once per content of the setting (parsing takes tens of milliseconds and repeat
    detection asks for every earlier case of an applicant); a changed setting is parsed anew.
    """
    data = get_setting("competence") or {}
    last = _LAST.get("data")
    if last is not None and last[0] is data:  # the same request's setting: no hashing
        return last[1]
    key = hashlib.sha256(json.dumps(data, sort_keys=True, ensure_ascii=False).encode()).hexdigest()
    found = _MAPS.get(key)
    if found is None:
        found = CompetenceMap.from_profile_setting(data)
        with _MAPS_LOCK:
            if len(_MAPS) > 8:
                _MAPS.clear()
            _MAPS[key] = found
    _LAST["data"] = (data, found)
    return found


@dataclass
class _ClassifierCache:
    lock: threading.Lock = field(default_factory=threading.Lock)
    key: tuple[Any, ...] | None = None
    classifier: Classifier | None = None


_CACHE_LOCK = threading.Lock()


def _cache() -> _ClassifierCache:
    # One per application (hence per database), living as long as the process.
    with _CACHE_LOCK:
        return current_app.extensions.setdefault("docflow.routing.classifier", _ClassifierCache())


def _examples_key() -> tuple[Any, ...]:
    # Count and max id change whenever rows are added or removed; max created_at also catches a
    # replaced set that SQLite gave the same ids again.
    row = db.session.execute(
        select(
            func.count(RoutingExample.id),
            func.max(RoutingExample.id),
            func.max(RoutingExample.created_at),
        )
    ).one()
    return tuple(row)


def current_classifier() -> Classifier | None:
    """The classifier for the current examples, retrained only when they changed; thread-safe."""
    key = _examples_key()
    if not key[0]:
        return None
    cache = _cache()
    with cache.lock:  # one request trains, the others wait for its result
        if cache.key != key:
            rows = db.session.execute(
                select(RoutingExample.text, RoutingExample.subdivision_code).order_by(
                    RoutingExample.id
                )
            ).all()
            cache.classifier = Classifier.train([(text, code) for text, code in rows])
            cache.key = key
        return cache.classifier


def add_examples(
    rows: Sequence[tuple[str, str]], source: str = "import", *, replace: bool = False
) -> int:
    """Validate and add (text, code) examples; all or none (the caller commits).

    Every code must be a subdivision of the office: a typo would otherwise teach the classifier a
    code nobody can be assigned. ``replace`` first drops the earlier examples of ``source``.
    """
    if source not in EXAMPLE_SOURCES:
        raise ValueError(f"source must be one of {EXAMPLE_SOURCES}, not {source!r}")
    codes = set(db.session.execute(select(Subdivision.code)).scalars())
    for i, row in enumerate(rows):
        text, code = row
        if not isinstance(text, str) or not text.strip():
            raise ExampleError(i, '"text" must be a non-empty string')
        if not isinstance(code, str) or code not in codes:
            raise ExampleError(i, f"unknown subdivision code {code!r}")
    if replace:
        db.session.execute(delete(RoutingExample).where(RoutingExample.source == source))
    db.session.add_all(
        RoutingExample(text=text.strip(), subdivision_code=code, source=source)
        for text, code in rows
    )
    db.session.flush()
    return len(rows)


def suggest_for_text(
    text: str, k: int = 3, exclude: Iterable[str] = frozenset()
) -> list[Suggestion]:
    """Suggestions among the office's active subdivisions, from its map and its history."""
    return routing_for_texts([text], k=k, exclude=exclude)[0].suggestions


def suggest_for_texts(
    texts: Sequence[str], k: int = 3, exclude: Iterable[str] = frozenset()
) -> list[list[Suggestion]]:
    """``suggest_for_text`` for many texts, reading the map and the examples once."""
    return [r.suggestions for r in routing_for_texts(texts, k=k, exclude=exclude)]


def routing_for_text(text: str, k: int = 3, exclude: Iterable[str] = frozenset()) -> Routing:
    """What and where for ``text`` among the office's active subdivisions (see ``route``)."""
    return routing_for_texts([text], k=k, exclude=exclude)[0]


def routing_for_texts(
    texts: Sequence[str], k: int = 3, exclude: Iterable[str] = frozenset()
) -> list[Routing]:
    """``routing_for_text`` for many texts, reading the map and the examples once."""
    competence = competence_from_settings()
    classifier = current_classifier()
    allowed = set(db.session.execute(select(Subdivision.code).where(Subdivision.active)).scalars())
    return [
        route(
            text,
            competence=competence,
            classifier=classifier,
            k=k,
            exclude=exclude,
            allowed=allowed,
        )
        for text in texts
    ]


def district_for_text(text: str) -> District | None:
    """Where: the district akimat the text names, by the office's competence map."""
    return competence_from_settings().district(text)
