"""Mentions in a text: tokens, names and persons as units, who is a co-executor, and which
mentions a sentence makes executors."""

from __future__ import annotations

from docflow.protocols.minutes.orgwords import (
    _ABBREV,
    _ATTACH_GAP_RX,
    _CASE_OF_ITS_OWN,
    _CO_PREFIXES,
    _CONJ,
    _EXPAND,
    _FORMAL,
    _GOVERNING,
    _JOIN_GAP_RX,
    _NOISE_PREFIXES,
    _STOP,
    _Anchor,
    _anchor,
    _genitive_like,
    _Tok,
    _Unit,
)
from docflow.protocols.minutes.people import (
    MATCH_THRESHOLD,
)
from docflow.protocols.minutes.text import _TOKEN_RE, fold, fold1

_WITH_GENITIVE = frozenset(  # folded: й → и
    {"участии", "участием", "привлечением", "содеиствии", "содеиствием"}
)


class _UnitsMixin:
    """How :class:`Resolver` cuts a text into mentions: names, persons, who is a co-executor and
    which mentions a sentence makes executors (kept apart from the matching for size)."""

    def name_share(self, text: str) -> tuple[float, list[str]]:
        """How much of ``text`` is names — the share of its words that belong to subdivision
        names or to persons (an executor column ≈ 1, a decision sentence much less) — and the
        other words (folded)."""
        toks = [t for t in self._tokens(text) if t.kind in ("w", "person")]
        toks = [t for t in toks if t.kind == "person" or (t.ff not in _STOP and len(t.ff) > 1)]
        if not toks:
            return 0.0, []
        named, others = 0, []
        for i, t in enumerate(toks):
            if t.kind == "person":
                named += 2
            elif _anchor(t.f1) or self._matches(t.ff) or _kk_head_follows(toks, i):
                named += 1  # a name's word, or one of a name the organisation lacks
            else:
                others.append(t.f1)
        return min(1.0, named / len(toks)), others

    def _tokens(self, text: str) -> list[_Tok]:
        people = self.find_people(text)
        folded = fold1(text)
        toks: list[_Tok] = []
        pi = 0
        for m in _TOKEN_RE.finditer(text):
            s, e = m.start(), m.end()
            while pi < len(people) and people[pi].end <= s:
                pi += 1
            if pi < len(people) and people[pi].start <= s < people[pi].end:
                p = people[pi]
                if not toks or toks[-1].mention is not p:
                    toks.append(_Tok("person", p.text, "", "", p.start, p.end, mention=p))
                continue
            raw = m.group(0)
            if raw[0].isdigit():
                kind = "n"
            elif raw == "\n" or not (raw[0].isalpha()):
                kind = "p"
            else:
                kind = "w"
            f1 = folded[s:e]
            full = _EXPAND.get(f1) if kind == "w" else None
            if full is not None and ("-" in f1 or text[e : e + 1] == "."):
                toks.append(_Tok(kind, raw, full, fold(full), s, e, raw[:1].isupper(), abbrev=True))
                continue
            toks.append(
                _Tok(kind, raw, f1, fold(raw) if kind == "w" else f1, s, e, raw[:1].isupper())
            )
        return toks

    def _units(self, text: str, free: bool) -> list[_Unit]:
        toks = self._tokens(text)
        units: list[_Unit] = []
        cur: list[_Tok] = []
        state = {"co": False, "cur_co": False, "words": 0, "unknown": 0}
        state.update(formal=False, governed=False, cur_formal=False, cur_governed=False)

        def close() -> None:
            while cur and (cur[-1].ff in _CONJ or cur[-1].ff in _STOP):
                cur.pop()
            if cur:
                unit = _Unit(
                    list(cur), state["cur_co"], cur[0].start, cur[-1].end, state["start_words"]
                )
                unit.formal = state["cur_formal"]
                unit.governed = state["cur_governed"]
                units.append(unit)
            cur.clear()
            state["unknown"] = 0

        def add(tok: _Tok) -> None:
            if not cur:
                state["cur_co"] = state["co"]
                state["start_words"] = state["words"] - 1  # words counts this one already
                state["cur_formal"], state["formal"] = state["formal"], False
                state["cur_governed"], state["governed"] = state["governed"], False
            cur.append(tok)

        def mark_previous_co(governed: bool = False) -> None:
            """«A, B бірлесіп»: A and B (joined by a comma or a conjunction) are co-executors."""
            after = None
            for unit in reversed(units):
                if after is not None and not _JOIN_GAP_RX.fullmatch(text[unit.end : after.start]):
                    break
                unit.co = True
                unit.governed = unit.governed or governed
                after = unit

        def has_head() -> bool:
            return any((a := _anchor(t.f1)) is not None and a.head for t in cur if t.kind == "w")

        sentence_start = True
        for i, tok in enumerate(toks):
            if tok.kind == "person":
                close()
                units.append(
                    _Unit([], state["co"], tok.start, tok.end, state["words"], person=tok.mention)
                )
                units[-1].governed, state["governed"] = state["governed"], False
                state["words"] += 1
                sentence_start = False
                continue
            if tok.kind == "p":
                ch = tok.raw
                if ch in "«»\"'`":
                    continue
                if (
                    ch == "."
                    and i > 0
                    and toks[i - 1].kind == "w"
                    and (toks[i - 1].ff in _ABBREV or toks[i - 1].abbrev)
                ):
                    continue
                if ch == "-" and i > 0 and toks[i - 1].end == tok.start:
                    continue
                close()
                if ch in ".;!?\n":
                    state["co"] = False
                    sentence_start = True
                continue
            if tok.kind == "n":
                if free:
                    close()
                continue
            w, ff = tok.f1, tok.ff
            state["words"] += 1
            was_start, sentence_start = sentence_start, False
            if ff in ("бирлесип", "бирге"):
                close()
                nxt = next((t for t in toks[i + 1 :] if t.raw.strip()), None)
                if nxt is not None and (nxt.raw == ":" or nxt.f1.startswith("орындаушы")):
                    state["co"] = True
                else:
                    mark_previous_co()
                continue
            if w.startswith("катысуымен"):  # «… аппаратының қатысуымен»: genitive co-executors
                close()
                mark_previous_co(governed=True)
                continue
            # «при участии / с участием / при содействии …»: co-executors in the genitive.
            with_gen = (
                w in _WITH_GENITIVE
                and i
                and toks[i - 1].f1
                in (
                    "при",
                    "с",
                )
            )
            if free and (w in _GOVERNING or with_gen):
                close()
                state["governed"] = True
                state["co"] = state["co"] or bool(with_gen)
                continue
            if w in ("совместно", "совм") or w.startswith(_CO_PREFIXES):
                close()
                state["co"] = True
                continue
            if w in ("с", "со") and (not cur or free):
                close()
                state["co"] = True
                continue
            if w.startswith(_NOISE_PREFIXES):
                close()
                continue
            if ff in _FORMAL and tok.upper:
                close()
                state["formal"] = True
                continue
            if ff in _CONJ:
                if cur:
                    add(tok)
                continue
            if ff in _STOP or (len(ff) == 1 and ff in _ABBREV):
                if cur and ff not in _ABBREV:
                    add(tok)
                continue
            anchor = _anchor(w)
            nameish = anchor is not None or bool(self._matches(ff))
            if not nameish:
                if free and w.endswith(("ть", "ти")):
                    state["governed"] = False  # the verb of the assignment: no executor after it
                if free:
                    ru_head = any(
                        (a := _anchor(t.f1)) is not None and a.lang == "ru" and a.head for t in cur
                    )
                    # Words the organisation does not know, inside a name: after a Russian head
                    # in the genitive («Управлению цифровизации …»), capitalised, or before a
                    # Kazakh head («… Дін істері басқармасымен»).
                    ok = (
                        (
                            ru_head
                            and state["unknown"] < 3
                            and (_genitive_like(w) or (i and toks[i - 1].ff == "по"))
                        )
                        or (tok.upper and not was_start)
                        or (bool(cur) and state["unknown"] < 3 and _kk_head_follows(toks, i))
                    )
                    if ok:
                        state["unknown"] += 1
                        add(tok)
                    else:
                        close()
                    continue
                add(tok)
                continue
            ru_head_anchor = anchor is not None and anchor.lang == "ru" and anchor.head
            if ru_head_anchor and anchor.case != "gen" and has_head():
                close()
            add(tok)
            if anchor is not None and anchor.lang == "kk" and anchor.terminal:
                close()
            elif (
                anchor is not None
                and anchor.lang == "kk"
                and not anchor.head
                and _ends_district(toks, i)
            ):
                close()  # «Наурызбай ауданы Әуезов ауданындағы …»: only «әкімінің …» goes on
        close()

        # Gaps between units: a comma or a conjunction joins; persons in brackets attach.
        merged: list[_Unit] = []
        prev_end = 0
        for unit in units:
            gap = text[prev_end : unit.start]
            unit.joined = bool(merged and _JOIN_GAP_RX.fullmatch(gap))
            if (
                unit.is_person
                and merged
                and not merged[-1].is_person
                and merged[-1].person is None
                and _ATTACH_GAP_RX.fullmatch(gap)
                and self._attaches(merged[-1], unit, gap)
            ):
                merged[-1].person = unit.person
                merged[-1].end = unit.end
                prev_end = unit.end
                continue
            merged.append(unit)
            prev_end = unit.end

        for unit in merged:
            unit.anchor = self._governing_anchor(unit)
            if free and unit.anchor is not None and unit.anchor.case == "ins":
                unit.co = True  # «… басқармасымен (бірлесіп)», «совместно с Управлением …»
        if free:
            kept: list[_Unit] = []
            for u in merged:
                ok = self._acceptable_in_sentence(u)
                if not ok and u.joined and kept and kept[-1].governed:
                    # «Обязать Управление X и Управление Y», «при участии X и Y»
                    ok = u.governed = u.anchor is not None or u.is_person
                if ok:
                    kept.append(u)
            merged = kept
        else:
            merged = [u for u in merged if u.is_person or self._has_content(u)]
        return merged

    def _attaches(self, unit: _Unit, person: _Unit, gap: str) -> bool:
        """Whether a person written right after a name belongs to it: always in brackets
        («Управление … (Касымов Б.Е.)», flagged when the person works elsewhere); otherwise
        when the person works there («руководителю Управления … Қасымову Б.Е.»). Anyone else
        is an executor of their own («…, Муканов Н.А.», «… басқармасына С.Ж. Әлиевпен»)."""
        found, _score = self._match_person(person.person, self._staff)
        scored = self.score_name([t.word for t in unit.toks if t.kind == "w"])
        same = (
            found is not None
            and bool(scored)
            and scored[0][1] == found.code
            and scored[0][0] >= MATCH_THRESHOLD
        )
        if "(" in gap:  # «(Қожахметовамен бірлесіп)»: a co-executor in brackets, in its own case
            return same or not fold1(person.person.surname).endswith(_CASE_OF_ITS_OWN)
        return same

    def _governing_anchor(self, unit: _Unit) -> _Anchor | None:
        anchors = [a for t in unit.toks if t.kind == "w" and (a := _anchor(t.f1)) is not None]
        if not anchors:
            return None
        heads = [a for a in anchors if a.head] or anchors
        kk = [a for a in heads if a.lang == "kk"]
        if kk:
            return kk[-1]
        return heads[0]

    def _has_content(self, unit: _Unit) -> bool:
        weight = 0.0
        for t in unit.toks:
            if t.kind != "w" or t.ff in _STOP or t.ff in _CONJ or len(t.ff) < 2:
                continue
            m = self._matches(t.ff)
            weight += max((self._weight[v] * s for v, s in m.items()), default=1.0)
        return weight >= 0.3

    def _acceptable_in_sentence(self, unit: _Unit) -> bool:
        if unit.person is not None:
            w = fold1(unit.person.surname)
            if (unit.is_person and (unit.words_before == 0 or unit.governed)) or w.endswith(
                ("у", "ои", "ым", "ка", "ке", "га", "ге", "мен", "пен", "бен")
            ):
                return True  # «Касымову Б.Е.», «руководителю Управления … Қасымову Б.Е.»
            if unit.is_person:
                return False
        if unit.formal or (unit.governed and (unit.anchor is not None or self._has_content(unit))):
            return True
        a = unit.anchor
        if a is None:
            return False
        if a.case in ("dat", "ins"):
            return True
        return a.case == "nom" and unit.words_before == 0


def _kk_head_follows(toks: list[_Tok], i: int) -> bool:
    """A Kazakh head noun (басқарма, бөлім, департамент …) within the next two words."""
    words = [t for t in toks[i + 1 : i + 4] if t.kind == "w"][:2]
    return any((a := _anchor(t.f1)) is not None and a.head and a.lang == "kk" for t in words)


def _ends_district(toks: list[_Tok], i: int) -> bool:
    """After «X ауданы» a district's name goes on only with its akim («әкімінің аппараты»,
    «әкімдігі»)."""
    nxt = next((t for t in toks[i + 1 :] if t.kind in ("w", "person")), None)
    return nxt is None or nxt.kind == "person" or not nxt.f1.startswith("аким")
