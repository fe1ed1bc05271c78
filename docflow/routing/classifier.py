"""The routing classifier: a text model of the office's own routed history (R-ROUTE-1).

TF-IDF over character n-grams, which copes with Kazakh and Russian inflection without stemmers,
and a Complement Naive Bayes model. On held-out questions it did as well as logistic regression,
SGD and a calibrated linear SVM, and it fits in milliseconds, so training costs only the
vectorising (≈1.5 s for 10,000 examples): the model is simply retrained in process memory when
the examples change, with no model files to deploy or keep in sync.

The history knows the questions it has seen; on a new one its scores mostly echo words shared
with other questions (held out by question, it ranks the right subdivision first for about one
appeal in six). ``read`` therefore also says how familiar a text is, and the combination trusts
the history accordingly (``docflow.routing.suggest.Weights``).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from docflow.routing.competence import normalize

NEIGHBOURS = 10
# How like its nearest training example a text is (cosine of the TF-IDF vectors) says whether
# the history knows the question: on the sample history, texts of questions held out of training
# had a nearest example at 0.26–0.53 (10th–90th percentile), texts of questions seen in other
# wording at 0.79–0.94. Between these two the history is trusted gradually more.
FAMILIAR_FROM, FAMILIAR_AT = 0.5, 0.8


@dataclass(frozen=True)
class Reading:
    """What the history says about one text: ``scores`` (probabilities over the known codes),
    ``familiarity`` (0..1, how well it knows the question) and ``similar`` (codes of the most
    similar examples, counted)."""

    scores: dict[str, float]
    familiarity: float
    similar: Counter[str]


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

    def read(self, text: str) -> Reading:
        """``scores``, ``familiarity`` and ``similar`` at once (one vectorising, one product)."""
        return self.read_many([text], neighbours=True)[0]

    def read_many(self, texts: Sequence[str], neighbours: bool = False) -> list[Reading]:
        """``read`` for many texts; ``similar`` is left empty unless ``neighbours``.

        ``familiarity`` is 0 for a question unlike every example and 1 for a known one (the
        nearest example's cosine, from ``FAMILIAR_FROM`` to ``FAMILIAR_AT``).
        """
        vectors = self.vectorizer.transform(map(normalize, texts))
        sims = (self.matrix @ vectors.T).toarray()  # examples × texts
        if self.model is None:
            scores = [{self.classes[0]: 1.0} for _ in texts]
        else:
            probs = self.model.predict_proba(vectors)
            scores = [dict(zip(self.classes, map(float, row), strict=True)) for row in probs]
        span = FAMILIAR_AT - FAMILIAR_FROM
        readings = []
        for j, text_scores in enumerate(scores):
            column = sims[:, j]
            nearest = float(column.max()) if len(column) else 0.0
            familiarity = min(1.0, max(0.0, (nearest - FAMILIAR_FROM) / span))
            similar = self._neighbours(column) if neighbours else Counter()
            readings.append(Reading(text_scores, familiarity, similar))
        return readings

    def _neighbours(self, sims: Any, n: int = NEIGHBOURS) -> Counter[str]:
        top = sims.argsort()[::-1][:n]
        return Counter(self.labels[i] for i in top if sims[i] > 0)

    def similar(self, text: str, n: int = NEIGHBOURS) -> Counter[str]:
        """Codes of the ``n`` most similar training examples (cosine > 0), counted."""
        sims = (self.matrix @ self.vectorizer.transform([normalize(text)]).T).toarray().ravel()
        return self._neighbours(sims, n)
