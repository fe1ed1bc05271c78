"""Routing suggestions: top-1 and top-3 accuracy on questions the history has not seen.

Run with ``.venv/bin/python benchmarks/routing_accuracy.py [HISTORY.jsonl]`` (≈15 s; default
``tests/routing/data/history.jsonl``). Prints figures, asserts nothing. No Flask app: the pure
functions of ``docflow.routing.suggest``, the competence map read from the profile JSON.

The history's texts are templates: greeting + *problem* + closing formula, and each problem occurs
in several lines with different formulas. Splitting by line would put the same problem on both
sides and measure recall of the history, not routing of new questions; so lines are grouped by
their problem (the text without the sentences shared by many subdivisions — the formulas) and
the folds split the problems. For each fold the classifier is trained on the training problems,
the mixing weights are tuned by an inner grouped cross-validation on those same problems, and
the held-out problems are scored three ways: competence map only (from the profile JSON, not
trained, so its row covers every line), classifier only, and combined. Last, the time to train
on ``--scale`` examples (default 10,000) and to make one suggestion with such a classifier.
"""

from __future__ import annotations

import argparse
import json
import random
import re
import statistics
import time
from collections import Counter, defaultdict
from pathlib import Path

from docflow.routing.suggest import Classifier, CompetenceMap, Weights, suggest

ROOT = Path(__file__).resolve().parent.parent
HISTORY = ROOT / "tests" / "routing" / "data" / "history.jsonl"
PROFILE = ROOT / "docflow" / "profiles" / "almaty-city.json"
GRID = [
    Weights(competence=c, saturation=s)
    for c in (0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9)
    for s in (0.5, 1.0, 2.0, 4.0)
]
_SENTENCE = re.compile(r"(?<=[.!?])\s+")

Row = tuple[str, str]  # (text, code)


def sentences(text: str) -> list[str]:
    return [s for s in _SENTENCE.split(text.strip()) if s]


def problems(rows: list[Row]) -> list[str]:
    """Each row's problem: its text without the sentences seen with 3+ different codes."""
    codes: dict[str, set[str]] = defaultdict(set)
    for text, code in rows:
        for sentence in sentences(text):
            codes[sentence].add(code)
    formulas = {s for s, c in codes.items() if len(c) >= 3}
    return [" ".join(s for s in sentences(text) if s not in formulas) for text, _ in rows]


def folds(groups: list[str], k: int, seed: int) -> list[tuple[list[int], list[int]]]:
    """k (train, test) index splits with every group entirely on one side."""
    names = sorted(set(groups))
    random.Random(seed).shuffle(names)
    fold_of = {name: i % k for i, name in enumerate(names)}
    return [
        (
            [i for i, g in enumerate(groups) if fold_of[g] != f],
            [i for i, g in enumerate(groups) if fold_of[g] == f],
        )
        for f in range(k)
    ]


def hits(ranked: list[str], truth: str) -> tuple[int, int]:
    return int(ranked[:1] == [truth]), int(truth in ranked[:3])


class Precomputed:
    """Scores computed in one batch, behind the two methods ``suggest`` calls on a classifier.

    scikit-learn's per-call overhead would otherwise make the benchmark take a minute.
    """

    def __init__(self, clf: Classifier, texts: list[str]) -> None:
        self.by_text = dict(zip(texts, clf.scores_many(texts), strict=True))

    def scores(self, text: str) -> dict[str, float]:
        return self.by_text[text]

    def similar(self, text: str) -> Counter[str]:
        return Counter()  # only feeds the reason, not the ranking


class MemoMap:
    """The competence map with each text scored once (it is the same map in every fold)."""

    def __init__(self, competence: CompetenceMap) -> None:
        self.competence = competence
        self.memo: dict[str, dict] = {}

    def __bool__(self) -> bool:
        return bool(self.competence)

    def score(self, text: str) -> dict:
        if text not in self.memo:
            self.memo[text] = self.competence.score(text)
        return self.memo[text]


def top3(text: str, **sources) -> list[str]:
    return [s.code for s in suggest(text, k=3, **sources)]


def tune(rows: list[Row], groups: list[str], competence: MemoMap, seed: int) -> Weights:
    """The grid point with the best top-1 (then top-3) in a grouped CV over ``rows`` only."""
    totals = dict.fromkeys(GRID, (0, 0))
    for train, test in folds(groups, 4, seed):
        clf = Precomputed(Classifier.train([rows[i] for i in train]), [rows[i][0] for i in test])
        for i in test:
            text, truth = rows[i]
            for w in GRID:
                t1, t3 = hits(top3(text, competence=competence, classifier=clf, weights=w), truth)
                totals[w] = (totals[w][0] + t1, totals[w][1] + t3)
    return max(GRID, key=lambda w: totals[w])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("history", nargs="?", default=str(HISTORY))
    parser.add_argument("--folds", type=int, default=5)
    parser.add_argument("--repeats", type=int, default=3, help="different fold shuffles")
    parser.add_argument(
        "--scale", type=int, default=10_000, help="time training on this many examples (0: skip)"
    )
    args = parser.parse_args()

    lines = Path(args.history).read_text(encoding="utf-8").splitlines()
    rows = [(d["text"], d["subdivision"]) for d in map(json.loads, filter(str.strip, lines))]
    groups = problems(rows)
    profile = json.loads(PROFILE.read_text(encoding="utf-8"))
    competence = MemoMap(CompetenceMap.from_profile_setting(profile.get("competence")))

    modes = ("competence map only", "classifier only", "combined")
    score = {m: [0, 0] for m in modes}
    n = 0
    chosen: list[Weights] = []
    train_times: list[float] = []
    for repeat in range(args.repeats):
        for train, test in folds(groups, args.folds, seed=repeat):
            train_rows = [rows[i] for i in train]
            started = time.perf_counter()
            clf = Classifier.train(train_rows)
            train_times.append(time.perf_counter() - started)
            weights = tune(train_rows, [groups[i] for i in train], competence, seed=repeat)
            chosen.append(weights)
            held_out = Precomputed(clf, [rows[i][0] for i in test])
            for i in test:
                text, truth = rows[i]
                n += 1
                runs = {
                    "competence map only": {"competence": competence, "classifier": None},
                    "classifier only": {"competence": None, "classifier": held_out},
                    "combined": {
                        "competence": competence,
                        "classifier": held_out,
                        "weights": weights,
                    },
                }
                for mode, sources in runs.items():
                    t1, t3 = hits(top3(text, **sources), truth)
                    score[mode][0] += t1
                    score[mode][1] += t3

    print(
        f"{len(rows)} lines, {len(set(groups))} problems, {len({c for _, c in rows})} codes; "
        f"{args.folds}-fold split by problem x {args.repeats} shuffles = {n} held-out predictions"
    )
    print(f"{'':<22}{'top-1':>8}{'top-3':>8}")
    for mode in modes:
        t1, t3 = score[mode]
        print(f"{mode:<22}{t1 / n:8.3f}{t3 / n:8.3f}")
    picked = ", ".join(
        f"(competence={w.competence}, saturation={w.saturation}) x{chosen.count(w)}"
        for w in sorted(set(chosen), key=chosen.count, reverse=True)
    )
    print(f"weights tuned on the training folds: {picked}")
    print(f"classifier training: median {statistics.median(train_times) * 1000:.0f} ms per fold")
    if args.scale:
        scale(rows, args.scale, competence.competence)


def scale(rows: list[Row], n: int, competence: CompetenceMap) -> None:
    """Training and suggestion time on ``n`` examples: history lines with shuffled words and
    a house number, so the n-gram vocabulary grows as it would with real, varied texts."""
    rnd = random.Random(0)
    examples = []
    for i in range(n):
        text, code = rows[i % len(rows)]
        words = text.split()
        rnd.shuffle(words)
        examples.append((f"{' '.join(words)} дом {rnd.randint(1, 300)}", code))
    started = time.perf_counter()
    clf = Classifier.train(examples)
    trained = time.perf_counter() - started
    texts = [text for text, _ in rows]
    started = time.perf_counter()
    for text in texts:
        suggest(text, competence=competence, classifier=clf)
    per_text = (time.perf_counter() - started) / len(texts)
    print(
        f"{n} examples: training {trained:.2f} s; "
        f"one suggestion (map + classifier + similar) {per_text * 1000:.1f} ms"
    )


if __name__ == "__main__":
    main()
