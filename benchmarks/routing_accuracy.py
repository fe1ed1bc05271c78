"""Routing suggestions: top-1 and top-3 accuracy on questions the history has not seen.

Run with ``.venv/bin/python benchmarks/routing_accuracy.py [HISTORY.jsonl]`` (≈30–60 s; default
``tests/routing/data/history.jsonl``, the same file as ``shared/samples/appeals/history.jsonl``).
Prints figures overall and for kk and ru lines (``lang``, else told by the Kazakh letters) and
whether the targets (combined top-1 ≥ 0.85, top-3 ≥ 0.97) are met; asserts nothing. No Flask
app: the pure functions of ``docflow.routing.suggest``, the competence map read from the
profile JSON.

The history's texts are templates: greeting + *question* + closing formula, and each question
occurs in several lines with different formulas, sometimes glued to it by a colon («Прошу
принять меры: …»). Splitting by line would put the same question on both sides and measure
recall of the history, not routing of new questions; so lines are grouped by their question
(the text without the clauses shared by many subdivisions — the formulas) and the folds split
the questions: no question's texts are ever in both training and test. For each fold the
classifier is trained on the training questions, the mixing weights are tuned by an inner
grouped cross-validation on those same questions, and the held-out questions are scored three
ways: competence map only (from the profile JSON, not trained, so its row covers every line),
classifier only, and combined. For contrast, one line with questions the history has seen
(split by line), and last, the time to train on ``--scale`` examples (default 10,000) and to
make one suggestion with such a classifier.
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

from docflow.routing.classifier import Reading
from docflow.routing.suggest import Classifier, CompetenceMap, Weights, suggest

ROOT = Path(__file__).resolve().parent.parent
HISTORY = ROOT / "tests" / "routing" / "data" / "history.jsonl"
PROFILE = ROOT / "docflow" / "profiles" / "almaty-city.json"
GRID = [
    Weights(competence=c, saturation=s, unfamiliar=u)
    for c in (0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9)
    for s in (0.5, 1.0, 2.0, 4.0)
    for u in (0.05, 0.25, 0.5, 1.0)
]
# A formula may be glued to the problem by a colon («Прошу принять меры: …»): a clause boundary
# too, or the same problem would fall into two groups and leak across the split.
_CLAUSE = re.compile(r"(?<=[.!?:])\s+")
TARGET_TOP1, TARGET_TOP3 = 0.85, 0.97
LANGS = ("all", "kk", "ru")
_KAZAKH = re.compile("[әғқңөұүһі]", re.IGNORECASE)

Row = tuple[str, str]  # (text, code)


def sentences(text: str) -> list[str]:
    return [s for s in _CLAUSE.split(text.strip()) if s]


def language(record: dict) -> str:
    """The line's ``lang``, or kk when the text has letters only Kazakh uses."""
    return record.get("lang") or ("kk" if _KAZAKH.search(record["text"]) else "ru")


def problems(rows: list[Row]) -> list[str]:
    """Each row's problem: its text without the clauses seen with 3+ different codes."""
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
    """Readings computed in one batch, behind the method ``suggest`` calls on a classifier.

    scikit-learn's per-call overhead would otherwise make the benchmark take a minute; the
    neighbours are left out (they only feed the reason, not the ranking).
    """

    def __init__(self, clf: Classifier, texts: list[str]) -> None:
        self.by_text = dict(zip(texts, clf.read_many(texts), strict=True))

    def read(self, text: str) -> Reading:
        return self.by_text[text]


class MemoMap:
    """The competence map with each text scored once (it is the same map in every fold)."""

    def __init__(self, competence: CompetenceMap) -> None:
        self.competence = competence
        self.memo: dict[str, tuple] = {}

    def __bool__(self) -> bool:
        return bool(self.competence)

    @property
    def districts(self) -> set[str]:
        return self.competence.districts

    def analyse(self, text: str) -> tuple:
        if text not in self.memo:
            self.memo[text] = self.competence.analyse(text)
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
    records = [json.loads(line) for line in lines if line.strip()]
    rows = [(d["text"], d["subdivision"]) for d in records]
    langs = [language(d) for d in records]
    groups = problems(rows)
    profile = json.loads(PROFILE.read_text(encoding="utf-8"))
    competence = MemoMap(CompetenceMap.from_profile_setting(profile.get("competence")))

    modes = ("competence map only", "classifier only", "combined")
    # score[mode][lang] = [top-1 hits, top-3 hits, predictions]
    score = {m: {lang: [0, 0, 0] for lang in LANGS} for m in modes}
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
                    for lang in ("all", langs[i]):
                        cell = score[mode].setdefault(lang, [0, 0, 0])
                        cell[0] += t1
                        cell[1] += t3
                        cell[2] += 1

    n = score["combined"]["all"][2]
    print(
        f"{len(rows)} lines ({Counter(langs)['kk']} kk, {Counter(langs)['ru']} ru), "
        f"{len(set(groups))} questions, {len({c for _, c in rows})} codes; "
        f"{args.folds}-fold split by question x {args.repeats} shuffles = {n} held-out predictions"
    )
    print(f"{'':<22}" + "".join(f"{lang:>16}" for lang in LANGS))
    print(f"{'':<22}" + f"{'top-1':>8}{'top-3':>8}" * len(LANGS))
    for mode in modes:
        cells = (score[mode][lang] for lang in LANGS)
        print(
            f"{mode:<22}"
            + "".join(
                f"{t1 / m:8.3f}{t3 / m:8.3f}" if m else f"{'-':>8}{'-':>8}" for t1, t3, m in cells
            )
        )
    for lang in LANGS:
        t1, t3, m = score["combined"][lang]
        if m:
            met = t1 / m >= TARGET_TOP1 and t3 / m >= TARGET_TOP3
            print(
                f"target {lang:<3} (combined top-1 >= {TARGET_TOP1}, top-3 >= {TARGET_TOP3}): "
                f"{t1 / m:.3f} / {t3 / m:.3f} — {'met' if met else 'NOT met'}"
            )
    picked = ", ".join(
        f"({', '.join(f'{k}={v}' for k, v in vars(w).items())}) x{chosen.count(w)}"
        for w in sorted(set(chosen), key=chosen.count, reverse=True)
    )
    print(f"weights tuned on the training folds: {picked}")
    print(f"classifier training: median {statistics.median(train_times) * 1000:.0f} ms per fold")
    recurring(rows, args.folds, competence)
    if args.scale:
        scale(rows, args.scale, competence.competence)


def recurring(rows: list[Row], k: int, competence: MemoMap) -> None:
    """For contrast, questions the history has seen in other wording (split by line), with the
    default weights: where the history earns its place."""
    score = {"classifier only": [0, 0], "combined": [0, 0]}
    for train, test in folds([str(i) for i in range(len(rows))], k, seed=0):
        clf = Precomputed(Classifier.train([rows[i] for i in train]), [rows[i][0] for i in test])
        for i in test:
            text, truth = rows[i]
            for mode, comp in (("classifier only", None), ("combined", competence)):
                t1, t3 = hits(top3(text, competence=comp, classifier=clf), truth)
                score[mode][0] += t1
                score[mode][1] += t3
    print(
        "recurring questions (split by line, default weights): "
        + ", ".join(
            f"{m} {t1 / len(rows):.3f} / {t3 / len(rows):.3f}" for m, (t1, t3) in score.items()
        )
    )


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
