"""The organisation resolver: subdivision names and people matched to codes."""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from docflow.protocols.minutes.executors import _ExecutorsMixin
from docflow.protocols.minutes.orgwords import _STOP, _strength
from docflow.protocols.minutes.people import (
    _INITIAL_QUICK,
    _PATR_QUICK,
    _PERSON_FULL_GPS,
    _PERSON_FULL_SGP,
    _PERSON_INIT_FIRST,
    _PERSON_SURNAME_FIRST,
    _SURNAME_END,
    ExecutorMatch,
    OfficialMatch,
    OfficialRef,
    SubdivisionRef,
    _as_official,
    _as_sub,
    _Mention,
    _Person,
    _surname_score,
    split_full_name,
)
from docflow.protocols.minutes.text import _WORD_RE, fold


class Resolver(_ExecutorsMixin):
    """Matches executor mentions and people to the organisation's codes."""

    def __init__(
        self,
        subdivisions: Iterable[SubdivisionRef | Mapping[str, Any]],
        officials: Iterable[OfficialRef | Mapping[str, Any] | tuple] = (),
        employees: Iterable[tuple[str, str]] = (),
    ) -> None:
        self.subdivisions = [_as_sub(s) for s in subdivisions]
        self.officials = [_as_official(o) for o in officials]
        self.employees = [(str(n), str(c)) for n, c in employees]
        self._codes = {s.code: s for s in self.subdivisions}
        self._token_cache: dict[str, dict[str, float]] = {}
        # (text, free, lang) → executors: a text repeated within a file is read once.
        self._executor_cache: dict[tuple[str, bool, str], list[ExecutorMatch]] = {}
        self._build_names()
        self._build_people()

    # -- construction -----------------------------------------------------------------------

    @classmethod
    def from_profile(cls, data: Mapping[str, Any]) -> Resolver:
        """From a profile (``docflow/profiles/*.json``) without a database."""
        subs = [
            SubdivisionRef(s["code"], dict(s.get("name") or {}), s.get("head"), s.get("kind", ""))
            for s in data.get("subdivisions", [])
        ]
        officials = [
            OfficialRef(o["code"], o.get("name", ""), dict(o.get("position") or {}))
            for o in data.get("officials", [])
        ]
        employees = [
            (e["name"], e["subdivision"])
            for e in data.get("employees", [])
            if e.get("name") and e.get("subdivision")
        ]
        return cls(subs, officials, employees)

    @classmethod
    def from_db(cls) -> Resolver:
        """From the loaded organisation; needs an app context."""
        from sqlalchemy import select

        from docflow.extensions import db
        from docflow.org.models import Employee, Official, Subdivision

        subs = [
            SubdivisionRef(s.code, dict(s.names or {}), s.head_name, s.kind)
            for s in db.session.scalars(
                select(Subdivision).where(Subdivision.active.is_(True)).order_by(Subdivision.id)
            )
        ]
        officials = [
            OfficialRef(o.code, o.full_name, dict(o.positions or {}))
            for o in db.session.scalars(select(Official).order_by(Official.id))
        ]
        employees = [
            (name, code)
            for name, code in db.session.execute(
                select(Employee.full_name, Subdivision.code)
                .join(Subdivision, Employee.subdivision_id == Subdivision.id)
                .where(Employee.active.is_(True))
            )
        ]
        return cls(subs, officials, employees)

    def _build_names(self) -> None:
        self._variants: list[list[tuple[str, list[str]]]] = []
        vocab: set[str] = set()
        for sub in self.subdivisions:
            variants = []
            for lang, name in sub.names.items():
                if lang == "en" or not name:
                    continue
                toks = [f for f in (fold(w) for w in _WORD_RE.findall(name)) if f]
                toks = [t for t in toks if t not in _STOP and len(t) > 1]
                if toks:
                    variants.append((lang, toks))
                    vocab.update(toks)
            self._variants.append(variants)
        self._by_prefix: dict[str, list[str]] = {}
        for v in vocab:
            self._by_prefix.setdefault(v[:3], []).append(v)
        # Weight: inverse document frequency (over subdivisions), squared, so words shared by
        # many names ("управление", "Алматы", "ауданы") barely count.
        n = max(len(self.subdivisions), 1)
        self._weight: dict[str, float] = {}
        self._subs_of: dict[str, set[int]] = {v: set() for v in vocab}
        for i, variants in enumerate(self._variants):
            for _lang, toks in variants:
                for t in toks:
                    self._subs_of[t].add(i)
        for v in vocab:
            df_subs: set[int] = set()
            for other in self._by_prefix.get(v[:3], []):
                if _strength(v, other) >= 0.85 or _strength(other, v) >= 0.85:
                    df_subs |= self._subs_of[other]
            self._weight[v] = max(0.01, math.log((n + 1) / (len(df_subs) + 0.5))) ** 2
        top_weight = max(self._weight.values(), default=2.0)
        self._unknown_weight = 0.5 * top_weight
        self._distinctive = 0.3 * top_weight
        self._variant_index: list[list[tuple[list[tuple[str, float]], frozenset[str], float]]] = [
            [
                (
                    [(n, self._weight[n]) for n in toks],
                    frozenset(toks),
                    sum(self._weight[n] for n in toks),
                )
                for _lang, toks in variants
            ]
            for variants in self._variants
        ]
        self._score_cache: dict[tuple[str, ...], list[tuple[float, str]]] = {}

    def _build_people(self) -> None:
        people: list[_Person] = []

        def add(full: str | None, target: str, code: str, via: str) -> None:
            if not full:
                return
            surname, given, patronymic = split_full_name(full)
            people.append(
                _Person(
                    fold(surname),
                    fold(given[:1]) if given else "",
                    fold(patronymic[:1]) if patronymic else "",
                    target,
                    code,
                    via,
                    full,
                )
            )

        for sub in self.subdivisions:
            add(sub.head_name, "sub", sub.code, "head")
        for name, code in self.employees:
            if code in self._codes:
                add(name, "sub", code, "employee")
        self._staff = people
        self._official_people: list[_Person] = []
        staff_len = len(people)
        for off in self.officials:
            add(off.full_name, "official", off.code, "official")
        self._official_people = people[staff_len:]
        self._staff = people[:staff_len]
        self._everyone = people
        # (surname, initials, which list) → match: the same names recur in every file.
        self._person_cache: dict[
            tuple[str, tuple[str, ...], int], tuple[_Person | None, float]
        ] = {}

    # -- names ------------------------------------------------------------------------------

    def name_of(self, code: str | None, lang: str = "ru") -> str | None:
        sub = self._codes.get(code or "")
        if sub is None:
            return None
        names = sub.names
        return names.get(lang) or names.get("ru") or names.get("kk") or next(iter(names.values()))

    @property
    def names(self) -> dict[str, dict[str, str]]:
        """code → {lang: name}, for rendering minutes."""
        return {s.code: dict(s.names) for s in self.subdivisions}

    def official_name(self, code: str) -> str | None:
        return next((o.full_name for o in self.officials if o.code == code), None)

    def _matches(self, ff: str) -> dict[str, float]:
        hit = self._token_cache.get(ff)
        if hit is None:
            hit = {}
            if len(ff) >= 3:
                for v in self._by_prefix.get(ff[:3], ()):
                    s = _strength(ff, v)
                    if s:
                        hit[v] = s
            elif ff in self._weight:
                hit[ff] = 1.0
            self._token_cache[ff] = hit
        return hit

    def score_name(self, words: Sequence[str]) -> list[tuple[float, str]]:
        """(score, code) of the subdivisions sharing a distinctive word with ``words``, best
        first. The score is the F-measure of weighted recall (how much of the name is written)
        and precision (how much of what is written belongs to the name)."""
        content = tuple(c for c in (fold(w) for w in words) if c and c not in _STOP and len(c) > 1)
        if not content:
            return []
        cached = self._score_cache.get(content)
        if cached is not None:
            return cached
        matches = [self._matches(c) for c in content]
        weight = self._weight
        u_w = [
            max((weight[v] * s for v, s in m.items()), default=self._unknown_weight)
            for m in matches
        ]
        u_total = sum(u_w) or 1.0
        best: dict[str, float] = {}
        for m in matches:
            for v, s in m.items():
                if s > best.get(v, 0.0):
                    best[v] = s
        cand: set[int] = set()
        for v in best:
            if weight[v] >= self._distinctive:
                cand |= self._subs_of[v]
        if not cand:  # only generic words («аппарат акима»): every name sharing one competes
            for v in best:
                cand |= self._subs_of[v]
        scored: list[tuple[float, str]] = []
        for i in cand:
            top = 0.0
            for ntoks, nset, total in self._variant_index[i]:
                got = sum(w * best.get(n, 0.0) for n, w in ntoks)
                recall = got / total if total else 0.0
                covered = sum(
                    w for w, m in zip(u_w, matches, strict=True) if not nset.isdisjoint(m)
                )
                precision = covered / u_total
                if recall + precision:
                    top = max(top, 2 * recall * precision / (recall + precision))
            scored.append((top, self.subdivisions[i].code))
        scored.sort(key=lambda x: (-x[0], x[1]))
        if len(self._score_cache) > 4096:
            self._score_cache.clear()
        self._score_cache[content] = scored
        return scored

    def forget(self) -> None:
        """Drop the scores of texts seen so far (the vocabulary stays)."""
        self._score_cache.clear()
        self._executor_cache.clear()

    # -- people -----------------------------------------------------------------------------

    def find_people(self, text: str) -> list[_Mention]:
        """Persons written as «Касымов Б.Е.», «Б.Е. Қасымов», «А. Сейтов» or full names."""
        if not _INITIAL_QUICK.search(text) and not _PATR_QUICK.search(text):
            return []
        found: list[tuple[int, int, _Mention]] = []
        for m in _PERSON_INIT_FIRST.finditer(text):
            inits = tuple(x for x in (m.group(1), m.group(2)) if x)
            found.append(self._plausible(m, m.group(3), inits))
        for m in _PERSON_SURNAME_FIRST.finditer(text):
            inits = tuple(x for x in (m.group(2), m.group(3)) if x)
            found.append(self._plausible(m, m.group(1), inits))
        for m in _PERSON_FULL_SGP.finditer(text):
            found.append(self._plausible(m, m.group(1), (m.group(2)[0], m.group(3)[0]), 1))
        for m in _PERSON_FULL_GPS.finditer(text):
            found.append(self._plausible(m, m.group(3), (m.group(1)[0], m.group(2)[0]), 1))
        found = [f for f in found if f[0] >= 0]
        found.sort(key=lambda f: (-f[0], f[2].start))
        chosen: list[_Mention] = []
        for _score, _len, mention in found:
            if all(mention.end <= c.start or mention.start >= c.end for c in chosen):
                chosen.append(mention)
        chosen.sort(key=lambda c: c.start)
        return chosen

    def _plausible(
        self, m: re.Match, surname: str, inits: tuple[str, ...], bonus: int = 0
    ) -> tuple[int, int, _Mention]:
        mention = _Mention(m.start(), m.end(), surname, inits, m.group(0))
        score = bonus
        if self._match_person(mention, self._everyone)[0]:
            score += 3
        elif self._matches(fold(surname)) and not _SURNAME_END.search(surname):
            score -= 5  # an organisation word, not a surname: «Б.Е. Управление»
        elif _SURNAME_END.search(surname):
            score += 1
        return (score, m.end() - m.start(), mention)

    def _match_person(
        self, mention: _Mention, people: Sequence[_Person]
    ) -> tuple[_Person | None, float]:
        surname = fold(mention.surname)
        inits = tuple(fold(i) for i in mention.initials)
        key = (surname, inits, id(people))
        found = self._person_cache.get(key)
        if found is None:
            if len(self._person_cache) > 8192:
                self._person_cache.clear()
            found = self._person_cache[key] = self._best_person(surname, inits, people)
        return found

    @staticmethod
    def _best_person(
        surname: str, inits: tuple[str, ...], people: Sequence[_Person]
    ) -> tuple[_Person | None, float]:
        best: list[tuple[float, _Person]] = []
        for p in people:
            s = _surname_score(surname, p.surname)
            if not s:
                continue
            if inits:
                if inits[0] != p.given or (
                    len(inits) > 1 and p.patronymic and inits[1] != p.patronymic
                ):
                    continue
            else:
                s *= 0.75
            best.append((s, p))
        if not best:
            return None, 0.0
        best.sort(key=lambda x: -x[0])
        top_score, top = best[0]
        rivals = {(p.target, p.code) for s, p in best if s >= top_score - 0.05} - {
            (top.target, top.code)
        }
        if rivals:
            return None, 0.0
        return top, top_score * 0.97

    def match_official(self, text: str) -> OfficialMatch | None:
        """The receiving official named in ``text`` («… Сейтовым А.Б.», «Е.С. Төлегенов»)."""
        best: OfficialMatch | None = None
        for mention in self.find_people(text):
            person, score = self._match_person(mention, self._official_people)
            if person is not None and (best is None or score > best.confidence):
                best = OfficialMatch(mention.text, person.code, score, person.display)
        if best is None:
            people = self.find_people(text)
            if people:
                return OfficialMatch(people[0].text, None, 0.0)
        return best
