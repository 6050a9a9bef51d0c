"""The intent classifier: TF-IDF on stemmed word 1-2-grams and character 2-5-grams, a linear SVM,
and temperature-scaled softmax for confidences.

Why this shape (measured in bench/nlu.py): character n-grams inside word boundaries carry Russian
inflection and typos; stems make word n-grams match across word forms; a linear SVM trains in seconds
and scores a message in well under a millisecond. Its margins are not probabilities, so a softmax
temperature is fitted on a held-out fifth of the data (Guo et al., 2017) to make "0.7" mean about 70 %.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
from scipy.sparse import hstack  # type: ignore[import-untyped]
from sklearn.feature_extraction.text import TfidfVectorizer  # type: ignore[import-untyped]
from sklearn.model_selection import train_test_split  # type: ignore[import-untyped]
from sklearn.svm import LinearSVC  # type: ignore[import-untyped]

from nlu.text import normalize, stemmed

Progress = Callable[[str], None]


@dataclass(frozen=True)
class ClassifierConfig:
    """The knobs bench/nlu.py compares."""

    word_ngrams: tuple[int, int] = (1, 2)
    char_ngrams: tuple[int, int] | None = (2, 5)
    stems: bool = True
    c: float = 1.0
    calibrate: bool = True
    seed: int = 7


class IntentClassifier:
    """Fit on (text, intent) pairs; `rank` gives every intent with a calibrated confidence, best first."""

    def __init__(self, config: ClassifierConfig | None = None) -> None:
        self.config = config or ClassifierConfig()
        self.vectorizers: list[tuple[TfidfVectorizer, bool]] = []  # (vectorizer, fed stems?)
        self.svm: Any = None
        self.temperature = 1.0
        self.labels: list[str] = []
        # From the calibration split, for choosing the out-of-scope threshold; dropped before saving.
        self.held_out: tuple[list[list[tuple[str, float]]], list[str]] | None = None

    def fit(self, texts: list[str], labels: list[str], progress: Progress | None = None) -> IntentClassifier:
        """Train; with `calibrate`, first fit on 80 % to learn the temperature on the other 20 %."""
        note = progress or (lambda _: None)
        if self.config.calibrate and len(set(labels)) > 1 and len(texts) >= 20:
            note("calibrating")
            self.temperature = self._fit_temperature(texts, labels)
        note("fitting")
        self._fit(texts, labels)
        return self

    def rank(self, text: str) -> list[tuple[str, float]]:
        """Every intent with its confidence, best first."""
        scores = self.scores([text])[0]
        probs = _softmax(scores / self.temperature)
        order = np.argsort(-probs)
        return [(self.labels[i], float(probs[i])) for i in order]

    def scores(self, texts: list[str]) -> np.ndarray[Any, np.dtype[np.float64]]:
        """Raw decision values, one row per text, one column per label."""
        features = self._features(texts, fit=False)
        values = np.asarray(self.svm.decision_function(features), dtype=np.float64)
        if values.ndim == 1:  # two classes: sklearn gives one column, for labels[1]
            values = np.stack([-values, values], axis=1)
        return values

    def probabilities(self, texts: list[str]) -> np.ndarray[Any, np.dtype[np.float64]]:
        """Calibrated confidences, one row per text."""
        return np.apply_along_axis(lambda row: _softmax(row / self.temperature), 1, self.scores(texts))

    def _fit(self, texts: list[str], labels: list[str]) -> None:
        cfg = self.config
        self.vectorizers = [(TfidfVectorizer(ngram_range=cfg.word_ngrams, sublinear_tf=True,
                                             token_pattern=r"(?u)\b\w+\b"), cfg.stems)]
        if cfg.char_ngrams is not None:
            self.vectorizers.append((TfidfVectorizer(analyzer="char_wb", ngram_range=cfg.char_ngrams,
                                                     sublinear_tf=True, dtype=np.float32), False))
        self.svm = LinearSVC(C=cfg.c, random_state=cfg.seed).fit(self._features(texts, fit=True), labels)
        self.labels = [str(c) for c in self.svm.classes_]

    def _features(self, texts: list[str], *, fit: bool) -> Any:
        normal = [normalize(t) for t in texts]
        stem_texts = [stemmed(t) for t in normal] if self.config.stems else normal
        blocks = []
        for vectorizer, on_stems in self.vectorizers:
            source = stem_texts if on_stems else normal
            blocks.append(vectorizer.fit_transform(source) if fit else vectorizer.transform(source))
        return hstack(blocks, format="csr")

    def _fit_temperature(self, texts: list[str], labels: list[str]) -> float:
        counts = {label: labels.count(label) for label in set(labels)}
        stratify = labels if min(counts.values()) >= 2 else None
        train_x, held_x, train_y, held_y = train_test_split(
            texts, labels, test_size=0.2, random_state=self.config.seed, stratify=stratify)
        self._fit(train_x, train_y)
        scores = self.scores(held_x)
        index = {label: i for i, label in enumerate(self.labels)}
        known = [(row, index[y]) for row, y in zip(scores, held_y, strict=True) if y in index]
        temperature = _best_temperature(known)
        ranked = [[(self.labels[i], float(p[i])) for i in np.argsort(-p)[:1]]
                  for p in (_softmax(row / temperature) for row in scores)]
        self.held_out = (ranked, list(held_y))
        return temperature


def _softmax(values: np.ndarray[Any, np.dtype[np.float64]]) -> np.ndarray[Any, np.dtype[np.float64]]:
    shifted = np.exp(values - values.max())
    result: np.ndarray[Any, np.dtype[np.float64]] = shifted / shifted.sum()
    return result


def _best_temperature(known: list[tuple[np.ndarray[Any, np.dtype[np.float64]], int]]) -> float:
    """The temperature minimising held-out negative log-likelihood (a coarse-to-fine grid: no optimiser needed)."""
    if not known:
        return 1.0
    scores = np.stack([row for row, _ in known])
    truth = np.array([i for _, i in known])

    def nll(t: float) -> float:
        z = scores / t
        z = z - z.max(axis=1, keepdims=True)
        log_norm = np.log(np.exp(z).sum(axis=1))
        return float(np.mean(log_norm - z[np.arange(len(truth)), truth]))

    grid = [math.exp(x / 10) for x in range(-40, 31)]  # 0.018 .. 20
    best = min(grid, key=nll)
    fine = [best * math.exp(x / 100) for x in range(-10, 11)]
    return min(fine, key=nll)
