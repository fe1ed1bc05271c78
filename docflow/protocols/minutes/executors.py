"""Executors of a decision: mentions found in the text and resolved to subdivisions."""

from __future__ import annotations

from dataclasses import replace
from itertools import combinations, pairwise

from docflow.protocols.minutes.orgwords import (
    _CONJ,
    _NOTHING_RX,
    _anchor,
    _Tok,
    _Unit,
)
from docflow.protocols.minutes.people import (
    _INITIAL_QUICK,
    AMBIGUITY_MARGIN,
    MATCH_THRESHOLD,
    ExecutorMatch,
    _Person,
    _shown,
)
from docflow.protocols.minutes.text import _WORD_RE, _squash, clean, fold1
from docflow.protocols.minutes.units import _UnitsMixin


class _ExecutorsMixin(_UnitsMixin):
    """Executor matching of :class:`Resolver` (kept in its own module for size)."""

    def match_executors(
        self, text: str, free: bool = False, lang: str = "ru"
    ) -> list[ExecutorMatch]:
        """Executor mentions of ``text``, responsible first.

        ``free=False``: ``text`` is an executor field (a column, «Исполнитель:»): every mention
        counts. ``free=True``: ``text`` is an assignment sentence; only names in the dative or
        instrumental (or opening the sentence), or heads named that way, count as executors.
        """
        key = (text, free, lang)
        known = self._executor_cache.get(key)
        if known is None:
            if len(self._executor_cache) > 4096:
                self._executor_cache.clear()
            known = self._executor_cache[key] = self._match_executors(text, free, lang)
        # Copies: callers set roles and notes on what they get.
        return [
            replace(m, matched_by=list(m.matched_by), candidates=list(m.candidates)) for m in known
        ]

    def _match_executors(self, text: str, free: bool, lang: str) -> list[ExecutorMatch]:
        text = clean(text or "")
        if not _squash(text) or _NOTHING_RX.fullmatch(text):
            return []
        units = self._units(text, free)
        matches: list[tuple[bool, ExecutorMatch]] = []
        for unit in units:
            for m in self._resolve(unit, text, lang):
                matches.append((unit.co, m))
        if not matches:
            return []
        first = next((i for i, (co, _m) in enumerate(matches) if not co), 0)
        ordered = [matches[first][1]] + [m for i, (_co, m) in enumerate(matches) if i != first]
        out: list[ExecutorMatch] = []
        seen: dict[str, ExecutorMatch] = {}
        for m in ordered:
            if m.code and m.code in seen:
                kept = seen[m.code]
                kept.confidence = max(kept.confidence, m.confidence)
                for via in m.matched_by:
                    if via not in kept.matched_by:
                        kept.matched_by.append(via)
                continue
            if m.code:
                seen[m.code] = m
            out.append(m)
        for i, m in enumerate(out):
            m.role = "responsible" if i == 0 else "co"
        return out

    def _resolve(self, unit: _Unit, text: str, lang: str) -> list[ExecutorMatch]:
        words = [t.word for t in unit.toks if t.kind == "w"]
        shown = _shown(text[unit.start : unit.end])
        person_match: tuple[_Person | None, float] = (None, 0.0)
        official: tuple[_Person | None, float] = (None, 0.0)
        if unit.person is not None:
            person_match = self._match_person(unit.person, self._staff)
            if person_match[0] is None:
                official = self._match_person(unit.person, self._official_people)
        if words:
            # A conjunction may join two names: split there when that reads better.
            split = self._split_on_conjunction(unit)
            if split is not None:
                out = []
                for part in split:
                    m = self._combine(
                        _shown(text[part[0].start : part[-1].end]),
                        self.score_name([t.word for t in part if t.kind == "w"]),
                        (None, 0.0),
                        (None, 0.0),
                        lang,
                    )
                    out.append(m)
                if unit.person is not None:
                    out[-1] = self._combine(
                        _shown(text[split[-1][0].start : unit.end]),
                        self.score_name([t.word for t in split[-1] if t.kind == "w"]),
                        person_match,
                        official,
                        lang,
                    )
                return out
        scored = self.score_name(words) if words else []
        if words and (not scored or scored[0][0] < MATCH_THRESHOLD):
            trimmed = self._trimmed(unit)
            if trimmed is not None:
                toks, scored = trimmed
                end = unit.end if unit.person is not None else toks[-1].end
                shown = _shown(text[toks[0].start : end])
        return [self._combine(shown, scored, person_match, official, lang)]

    def _trimmed(self, unit: _Unit) -> tuple[list[_Tok], list[tuple[float, str]]] | None:
        """The longest part of a mention that is a name of the organisation, when a word or two
        of the sentence stuck to it («қарау Жетісу ауданының әкімдігіне»: «қарау»). The part
        keeps the name's head word, so a name the organisation lacks stays unmatched."""
        words = [t for t in unit.toks if t.kind == "w"]
        heads = {i for i, t in enumerate(words) if _anchor(t.f1) is not None}
        best: tuple[list[_Tok], list[tuple[float, str]]] | None = None
        for lead in range(3):
            for tail in range(3):
                stop = len(words) - tail
                if (
                    (lead == tail == 0)
                    or stop - lead < 2
                    or not any(lead <= h < stop for h in heads)
                ):
                    continue
                part = words[lead:stop]
                scored = self.score_name([t.word for t in part])
                good = bool(scored) and scored[0][0] >= MATCH_THRESHOLD
                longer = best is None or len(part) > len(best[0])
                if good and (
                    longer or (len(part) == len(best[0]) and scored[0][0] > best[1][0][0])
                ):
                    best = (part, scored)
        return best

    def _split_on_conjunction(self, unit: _Unit) -> list[list[_Tok]] | None:
        """Where «и» / «және» / «мен» join names rather than belong to one: the cuts whose parts
        read best as the organisation's names, each part at least as good as the threshold (or,
        unknown to the organisation, with a head word of its own). Names contain conjunctions
        («Управление энергетики и водоснабжения»), so the fewest cuts win a tie: the longest
        name of the directory first."""
        cuts = [i for i, t in enumerate(unit.toks) if t.ff in _CONJ][:6]
        if not cuts:
            return None
        whole = self.score_name([t.word for t in unit.toks if t.kind == "w"])
        best: list[list[_Tok]] | None = None
        best_mean = whole[0][0] if whole else 0.0
        for n in range(1, len(cuts) + 1):
            for chosen in combinations(cuts, n):
                bounds = [-1, *chosen, len(unit.toks)]
                parts = [unit.toks[lo + 1 : hi] for lo, hi in pairwise(bounds)]
                mean = self._parts_score(parts)
                if mean is not None and mean > best_mean + 1e-9:
                    best, best_mean = parts, mean
        return best

    def _parts_score(self, parts: list[list[_Tok]]) -> float | None:
        """Mean score of the parts that are names of the organisation; None when a part is
        neither such a name nor a name of its own, or when two parts name the same code."""
        known: list[float] = []
        codes: set[str] = set()
        for part in parts:
            words = [t.word for t in part if t.kind == "w"]
            if not words:
                return None
            scored = self.score_name(words)
            if scored and scored[0][0] >= MATCH_THRESHOLD:
                if scored[0][1] in codes:
                    return None
                codes.add(scored[0][1])
                known.append(scored[0][0])
            elif not _has_head(part):
                return None
        if not known:
            return None
        return sum(known) / len(known)

    def _combine(
        self,
        shown: str,
        scored: list[tuple[float, str]],
        person: tuple[_Person | None, float],
        official: tuple[_Person | None, float],
        lang: str,
    ) -> ExecutorMatch:
        top_score, top_code = scored[0] if scored else (0.0, None)
        runner_up = next((s for s, c in scored[1:] if c != top_code), 0.0)
        candidates = [(c, s) for s, c in scored[:3] if s >= 0.3]
        ambiguous = top_code is not None and top_score - runner_up < AMBIGUITY_MARGIN
        name_ok = top_code is not None and top_score >= MATCH_THRESHOLD and not ambiguous
        p, p_score = person
        result = ExecutorMatch(shown, None, 0.0, candidates=candidates)
        if p is not None and p.code == top_code and top_score >= 0.3:
            result.code = p.code
            result.confidence = 1 - (1 - top_score) * (1 - p_score)
            result.matched_by = ["name", p.via]
        elif name_ok:
            result.code = top_code
            result.confidence = top_score
            result.matched_by = ["name"]
            if p is not None:
                result.confidence *= 0.9
                result.note = (
                    f"{p.display} is not in this subdivision ({self.name_of(p.code, lang)})"
                )
        elif p is not None and not scored:
            result.code = p.code
            result.confidence = p_score
            result.matched_by = [p.via]
        elif p is not None and top_score < 0.3:
            result.code = p.code
            result.confidence = p_score * 0.85
            result.matched_by = [p.via]
            result.note = "the subdivision name was not recognised; matched by the person"
        else:
            result.confidence = top_score
            if ambiguous and top_score >= MATCH_THRESHOLD:
                result.note = "ambiguous: " + " or ".join(c for c, _s in candidates[:2])
            elif official[0] is not None:
                result.note = f"names an official ({official[0].code}), not a subdivision"
            elif scored:
                result.note = "no subdivision matches well enough"
            else:
                result.note = "not found in the organisation"
        if result.code:
            result.name = self.name_of(result.code, lang)
        result.confidence = min(result.confidence, 1.0)
        return result


def _has_head(toks: list[_Tok]) -> bool:
    """Whether words carry a name of their own: a head noun (управление, басқарма …) or a
    district word (район, аудан)."""
    return any(t.kind == "w" and _anchor(t.f1) is not None for t in toks)


def names_someone(m: ExecutorMatch) -> bool:
    """A mention that reads as a name: matched well, or (unknown to the organisation) built on a
    head noun («Департамент полиции …»), or a person."""
    if m.code:
        return m.confidence >= 0.8 or m.matched_by != ["name"]
    if _INITIAL_QUICK.search(m.text):
        return True
    return any((a := _anchor(fold1(w))) is not None and a.head for w in _WORD_RE.findall(m.text))
