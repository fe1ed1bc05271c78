"""Routing suggestions: the subdivisions most likely competent to answer an item (R-ROUTE-1).

The appeals-control department decides where an appeal goes; these functions only rank
candidates, each with a reason the controller can check. Two sources are combined:

* the **competence map** of the office's profile (setting ``competence``): what each subdivision
  answers for, as Kazakh and Russian words and phrases an administrator can edit. It is the only
  source that knows about questions the office has never routed before, and about subdivisions
  (district akimats) that the history may not contain;
* a **classifier** trained on the office's own routed history (``routing_example`` rows): TF-IDF
  over character n-grams, which copes with Kazakh and Russian inflection without stemmers, and a
  Complement Naive Bayes model. On held-out questions it did as well as logistic regression, SGD
  and a calibrated linear SVM, and it fits in milliseconds, so training costs only the
  vectorising (≈1.5 s for 10,000 examples): the model is simply retrained in process memory when
  the examples change, with no model files to deploy or keep in sync.

The pure functions (``CompetenceMap``, ``Classifier``, ``suggest``) need no application; the
helpers at the end read the database and the settings.
"""

from __future__ import annotations

import math
import re
import threading
from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from flask import current_app
from sqlalchemy import delete, func, select

from docflow.core.settings import get_setting
from docflow.extensions import db
from docflow.org.models import Subdivision
from docflow.routing.models import RoutingExample

# --- text normalisation ---------------------------------------------------------------------

# Appeals are often typed on a Russian keyboard: «құбыр» as «кубыр», «і» as a Latin «i». Folding
# Kazakh letters to their nearest Russian ones (in text and terms alike) matches either spelling.
_FOLD = str.maketrans("ёәғқңөұүһіi", "еагкноуухии")
_WORD = re.compile(r"\w+")
# Russian is fusional: the ending replaces, so «горячая вода» must also match «горячей воды».
# Russian terms lose one nominative ending; Kazakh is agglutinative (suffixes are appended), so a
# Kazakh stem already matches every inflected form by prefix and is used as written.
_RU_ENDINGS = (  # longest first
    *("ая", "яя", "ое", "ее", "ые", "ие", "ый", "ий", "ой", "ую", "юю", "ия", "ья", "ье"),
    *("а", "я", "о", "е", "ы", "и", "у", "ю", "ь", "й"),
)
_MIN_STEM = 3
_RU_GLUE = frozenset(
    {"в", "во", "на", "к", "ко", "с", "со", "по", "о", "об", "у", "за", "из", "до", "от", "и", "а"}
)
# Words of a phrase may be separated by up to this many other words («очередь в детский сад»).
_PHRASE_GAP = 2


def normalize(text: str) -> str:
    """Lower-case and fold Kazakh letters, so matching ignores case and keyboard layout."""
    return text.lower().translate(_FOLD)


def tokens(text: str) -> list[str]:
    return _WORD.findall(normalize(text))


def _ru_stem(word: str) -> str:
    for ending in _RU_ENDINGS:
        if word.endswith(ending) and len(word) - len(ending) >= _MIN_STEM:
            return word[: -len(ending)]
    return word


@dataclass(frozen=True)
class _Term:
    """A word or phrase of the map; matches a run of words, each by prefix."""

    text: str
    stems: tuple[str, ...]

    @classmethod
    def parse(cls, text: str, lang: str | None) -> _Term | None:
        words = tokens(text)
        if lang == "ru":
            # Prepositions vary («очередь в/на детский сад»); the phrase gap absorbs them.
            words = [_ru_stem(w) for w in words if w not in _RU_GLUE] or words
        return cls(text, tuple(words)) if words else None

    @property
    def weight(self) -> float:
        # A phrase says more than a single word («ыстық су» vs «су»).
        return 1.0 + 0.5 * (len(self.stems) - 1)

    def matches(self, words: Sequence[str], prefixes: set[str]) -> bool:
        if not all(stem in prefixes for stem in self.stems):
            return False  # the usual case, decided without scanning the text
        first, rest = self.stems[0], self.stems[1:]
        for start, word in enumerate(words):
            if word.startswith(first) and _follows(words, start + 1, rest):
                return True
        return False


def _follows(words: Sequence[str], pos: int, stems: Sequence[str]) -> bool:
    if not stems:
        return True
    for i in range(pos, min(pos + _PHRASE_GAP + 1, len(words))):
        if words[i].startswith(stems[0]) and _follows(words, i + 1, stems[1:]):
            return True
    return False


# --- the competence map ---------------------------------------------------------------------

NAME_WEIGHT = 1.0


@dataclass(frozen=True)
class _Competence:
    terms: tuple[_Term, ...]
    # A district akimat answers local questions of *its* district only: its terms (yard, lighting,
    # potholes…) count only when one of its names («Медеу ауданы», «Медеуский район») is in the
    # text. Without a name the city department for the subject is the right suggestion.
    names: tuple[_Term, ...] = ()


class CompetenceMap:
    """What each subdivision answers for, from the profile setting ``competence``.

    Setting shape: ``{CODE: {"kk": [term, …], "ru": [term, …], "names": [term, …]}}`` — terms
    are lower-case stems or phrases matched by word prefix; ``names`` is optional and gates the
    entry (see ``_Competence``).
    """

    def __init__(self, entries: Mapping[str, _Competence] | None = None) -> None:
        self.entries: dict[str, _Competence] = dict(entries or {})
        # First stem → the terms starting with it, so scoring looks only at terms that can match.
        self._index: dict[str, list[tuple[str, int, _Term]]] = defaultdict(list)
        for code, entry in self.entries.items():
            for pos, term in enumerate(entry.names + entry.terms):
                self._index[term.stems[0]].append((code, pos, term))

    @classmethod
    def from_profile_setting(cls, data: Mapping[str, Any] | None) -> CompetenceMap:
        """Parse the setting; a malformed entry raises ``ValueError`` naming the code."""
        entries: dict[str, _Competence] = {}
        for code, entry in (data or {}).items():
            if not isinstance(entry, Mapping):
                raise ValueError(f'competence["{code}"] must be an object of term lists')
            terms: list[_Term] = []
            names: list[_Term] = []
            for lang, values in entry.items():
                if not isinstance(values, list) or not all(isinstance(v, str) for v in values):
                    raise ValueError(f'competence["{code}"]["{lang}"] must be a list of strings')
                target = names if lang == "names" else terms
                parsed = (_Term.parse(v, None if lang == "names" else lang) for v in values)
                target.extend(t for t in parsed if t is not None)
            entries[code] = _Competence(_unique(terms), _unique(names))
        return cls(entries)

    def __bool__(self) -> bool:
        return bool(self.entries)

    @property
    def codes(self) -> list[str]:
        return list(self.entries)

    def score(self, text: str) -> dict[str, tuple[float, list[str]]]:
        """Codes whose terms occur in ``text``: (sum of term weights, matched terms as written)."""
        words = tokens(text)
        prefixes = {w[:i] for w in words for i in range(1, len(w) + 1)}
        found: dict[str, list[tuple[int, _Term]]] = defaultdict(list)
        for prefix in prefixes:
            for code, pos, term in self._index.get(prefix, ()):
                if term.matches(words, prefixes):
                    found[code].append((pos, term))
        result: dict[str, tuple[float, list[str]]] = {}
        for code, hits in found.items():
            names = self.entries[code].names
            named = any(pos < len(names) for pos, _ in hits)
            if names and not named:
                continue
            hits.sort(key=lambda hit: hit[0])
            score = NAME_WEIGHT * named + sum(term.weight for _, term in hits)
            result[code] = (score, [term.text for _, term in hits])
        return result


def _unique(terms: Iterable[_Term]) -> tuple[_Term, ...]:
    # «лифт» in both languages, or «участок» and «участк», count once.
    first: dict[tuple[str, ...], _Term] = {}
    for term in terms:
        first.setdefault(term.stems, term)
    return tuple(first.values())


# --- the classifier -------------------------------------------------------------------------

NEIGHBOURS = 10


@dataclass
class Classifier:
    """A text classifier over routed history; ``scores`` are probabilities over known codes."""

    vectorizer: Any
    model: Any | None  # None when the history names a single subdivision
    classes: list[str]
    matrix: Any  # the training examples, for "N similar appeals went there"
    labels: list[str]

    @classmethod
    def train(cls, examples: Sequence[tuple[str, str]]) -> Classifier:
        """Fit on (text, code) pairs; ≈1.5 s for 10,000 examples, so retraining is cheap."""
        if not examples:
            raise ValueError("no examples to train on")
        # Imported here: scikit-learn takes a second to import and most requests never need it.
        import numpy as np
        from sklearn.feature_extraction.text import TfidfVectorizer
        from sklearn.naive_bayes import ComplementNB

        texts = [normalize(text) for text, _ in examples]
        labels = [code for _, code in examples]
        # max_df drops n-grams of the greetings and closing formulas every appeal shares.
        vectorizer = TfidfVectorizer(
            analyzer="char_wb",
            ngram_range=(3, 5),
            sublinear_tf=True,
            max_df=0.5 if len(texts) >= 20 else 1.0,
            dtype=np.float32,
        )
        matrix = vectorizer.fit_transform(texts)
        model = ComplementNB(alpha=0.3).fit(matrix, labels) if len(set(labels)) > 1 else None
        classes = [str(c) for c in model.classes_] if model is not None else [labels[0]]
        return cls(vectorizer, model, classes, matrix, labels)

    def scores(self, text: str) -> dict[str, float]:
        return self.scores_many([text])[0]

    def scores_many(self, texts: Sequence[str]) -> list[dict[str, float]]:
        """``scores`` for many texts in one call (scikit-learn's per-call overhead dominates)."""
        if self.model is None:
            return [{self.classes[0]: 1.0} for _ in texts]
        probs = self.model.predict_proba(self.vectorizer.transform(map(normalize, texts)))
        return [dict(zip(self.classes, map(float, row), strict=True)) for row in probs]

    def similar(self, text: str, n: int = NEIGHBOURS) -> Counter[str]:
        """Codes of the ``n`` most similar training examples (cosine > 0), counted."""
        sims = (self.matrix @ self.vectorizer.transform([normalize(text)]).T).toarray().ravel()
        top = sims.argsort()[::-1][:n]
        return Counter(self.labels[i] for i in top if sims[i] > 0)


# --- combining ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Weights:
    """How the two sources are mixed.

    ``competence`` is the share of the competence map when it matches strongly; the share shrinks
    as ``1 - exp(-score / saturation)`` for weak matches (one common word), so the classifier
    fills in. Chosen by grouped cross-validation on the training problems
    (``benchmarks/routing_accuracy.py`` tunes them per fold on the training split only).
    """

    competence: float = 0.5
    saturation: float = 0.5


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
) -> dict[str, tuple[float, float]]:
    """Per code: (competence part, history part) of the combined score.

    The competence scores are made a distribution (share of the total) so both parts are on the
    same 0..1 scale. Either source may be empty: the other then takes the whole weight.
    """
    total = sum(score for score, _ in competence.values())
    if not history:
        share = 1.0
    elif not total:
        share = 0.0
    else:
        best = max(score for score, _ in competence.values())
        share = weights.competence * (1 - math.exp(-best / weights.saturation))
    parts: dict[str, tuple[float, float]] = {}
    for code in set(competence) | set(history):
        comp = share * competence[code][0] / total if code in competence else 0.0
        parts[code] = (comp, (1 - share) * history.get(code, 0.0))
    return parts


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
    """The ``k`` best distinct codes, best first; never an excluded or not-allowed code.

    No examples → competence map only; nothing in the map matches → classifier only; neither →
    an empty list (the controller routes by hand).
    """
    exclude = set(exclude)
    allowed = None if allowed is None else set(allowed)
    comp = competence.score(text) if competence else {}
    hist = classifier.scores(text) if classifier else {}
    parts = combine(comp, hist, weights)
    ranked = sorted(
        (
            (c + h, code)
            for code, (c, h) in parts.items()
            if c + h > 0 and code not in exclude and (allowed is None or code in allowed)
        ),
        key=lambda item: (-item[0], item[1]),
    )[:k]
    similar = classifier.similar(text) if classifier and ranked else Counter()
    result = []
    for score, code in ranked:
        c, h = parts[code]
        reason: dict[str, Any] = {"source": "competence" if c >= h else "history"}
        if code in comp:
            reason["terms"] = comp[code][1]
        if similar[code]:
            reason["similar"] = similar[code]
        result.append(Suggestion(code, round(score, 4), reason))
    return result


# --- database-facing helpers ----------------------------------------------------------------


EXAMPLE_SOURCES = ("import", "routed")


class ExampleError(ValueError):
    """A training example is unusable; ``index`` is its 0-based position in the input."""

    def __init__(self, index: int, reason: str) -> None:
        super().__init__(f"line {index + 1}: {reason}")
        self.index = index
        self.reason = reason


def competence_from_settings() -> CompetenceMap:
    """The office's competence map (profile setting ``competence``; empty if not set)."""
    return CompetenceMap.from_profile_setting(get_setting("competence") or {})


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
    return suggest_for_texts([text], k=k, exclude=exclude)[0]


def suggest_for_texts(
    texts: Sequence[str], k: int = 3, exclude: Iterable[str] = frozenset()
) -> list[list[Suggestion]]:
    """``suggest_for_text`` for many texts, reading the map and the examples once."""
    competence = competence_from_settings()
    classifier = current_classifier()
    allowed = set(db.session.execute(select(Subdivision.code).where(Subdivision.active)).scalars())
    return [
        suggest(
            text,
            competence=competence,
            classifier=classifier,
            k=k,
            exclude=exclude,
            allowed=allowed,
        )
        for text in texts
    ]
