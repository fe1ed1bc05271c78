"""What appeals are about: the office's topic list as a bilingual keyword map, and grouping.

The profile setting ``topics`` (default: ``topics_default.json``, the topics the Almaty profile's
subdivisions list) gives per topic code its titles (kk/ru/en), the subdivision that answers it and
Kazakh and Russian stems and phrases — matched with the competence map's matcher
(:class:`docflow.routing.competence.CompetenceMap`: case endings, Kazakh suffix chains, a Russian
keyboard for Kazakh letters), so a Kazakh and a Russian appeal on heating both land on
``heating``. Nothing is downloaded; there is no model.

Appeals no topic covers are grouped by their wording (:func:`group_similar`: the registry's
word-root overlap, greedy single-link at :data:`GROUP_SIMILARITY`), labelled by their most
frequent content words.
"""

from __future__ import annotations

import hashlib
import json
import threading
from collections import Counter
from collections.abc import Sequence
from functools import lru_cache
from pathlib import Path
from typing import Any

from docflow.core.settings import get_setting
from docflow.registry import similarity
from docflow.routing.competence import CompetenceMap

DEFAULTS = Path(__file__).with_name("topics_default.json")
# The best topic must have at least this much evidence (one specific term scores about 1).
MIN_EVIDENCE = 0.9
GROUP_SIMILARITY = 0.34
_LOCK = threading.Lock()


@lru_cache(maxsize=1)
def default_topics() -> dict[str, Any]:
    return json.loads(DEFAULTS.read_text(encoding="utf-8"))


class TopicMap:
    def __init__(self, topics: dict[str, Any]) -> None:
        self.topics = topics
        terms = {
            code: {lang: list(entry.get(lang) or []) for lang in ("kk", "ru")}
            for code, entry in topics.items()
        }
        self.matcher = CompetenceMap.from_profile_setting(terms)

    def scores(self, text: str) -> dict[str, float]:
        return {code: value for code, (value, _found) in self.matcher.subjects(text).items()}

    def classify(self, text: str) -> str | None:
        """The topic code with the most evidence in ``text``, or None below MIN_EVIDENCE."""
        scores = self.scores(text or "")
        if not scores:
            return None
        code, value = max(scores.items(), key=lambda kv: (kv[1], kv[0]))
        return code if value >= MIN_EVIDENCE else None

    def title(self, code: str | None, language: str) -> str:
        if not code:
            return ""
        entry = self.topics.get(code) or {}
        titles = entry.get("title") or {}
        return titles.get(language) or titles.get("en") or code

    def subdivision(self, code: str | None) -> str | None:
        return (self.topics.get(code or "") or {}).get("sub")


_MAPS: dict[str, TopicMap] = {}


def topic_map() -> TopicMap:
    """The office's topic map (setting ``topics``, else the defaults), parsed once per content."""
    data = get_setting("topics") or default_topics()
    key = hashlib.sha256(json.dumps(data, sort_keys=True, ensure_ascii=False).encode()).hexdigest()
    found = _MAPS.get(key)
    if found is None:
        found = TopicMap(data)
        with _LOCK:
            if len(_MAPS) > 4:
                _MAPS.clear()
            _MAPS[key] = found
    return found


def content_words(text: str) -> list[str]:
    """The summary's content words (no letter formulas, names, addresses or dates)."""
    return similarity.content_words(text or "")


def _keys(text: str) -> set[str]:
    # word roots (their first five letters, folded) — candidates share at least one
    return {w[:5] for w in content_words(text) if len(w) >= 3}


def group_similar(texts: Sequence[str]) -> list[list[int]]:
    """Indices of ``texts`` grouped by wording (groups of one included), largest first.

    Each text joins the group it is most similar to (the registry's wording similarity against
    the group's first members) when that reaches GROUP_SIMILARITY; only groups sharing a word
    root with it are compared (an inverted index), so thousands of texts group in a moment."""
    groups: list[list[int]] = []
    index: dict[str, set[int]] = {}
    for i, text in enumerate(texts):
        keys = _keys(text)
        candidates = set().union(*(index.get(k, set()) for k in keys)) if keys else set()
        best, best_score = None, 0.0
        for g in candidates:
            members = groups[g]
            score = max(similarity.wording_similarity(text, texts[j]) for j in members[:5])
            if score > best_score:
                best, best_score = g, score
        if best is not None and best_score >= GROUP_SIMILARITY:
            groups[best].append(i)
            if len(groups[best]) <= 5:
                for k in keys:
                    index.setdefault(k, set()).add(best)
        else:
            groups.append([i])
            for k in keys:
                index.setdefault(k, set()).add(len(groups) - 1)
    return sorted(groups, key=len, reverse=True)


def group_label(texts: Sequence[str], top: int = 3) -> str:
    counts: Counter[str] = Counter()
    for text in texts:
        counts.update(set(content_words(text)))
    return " ".join(word for word, _n in counts.most_common(top))
