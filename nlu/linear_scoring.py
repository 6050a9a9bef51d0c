"""Scoring one message without scikit-learn's per-call overhead: the same TF-IDF arithmetic and the same
linear decision values, computed from the fitted vectorizers' vocabularies and the SVM's weights.

Why: `TfidfVectorizer.transform` + `hstack` + `decision_function` cost about a millisecond for a single
short text, almost all of it input validation and sparse-matrix bookkeeping; the arithmetic is a few
hundred dictionary look-ups and one small gather. bench/nlu.py checks that both paths agree.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from typing import Any

import numpy as np

Analyzer = Callable[[str], list[str]]


class _Block:
    """One fitted TfidfVectorizer reduced to analyzer, vocabulary, idf and its column offset."""

    def __init__(self, vectorizer: Any, offset: int) -> None:
        self.analyze: Analyzer = vectorizer.build_analyzer()
        self.vocabulary: dict[str, int] = vectorizer.vocabulary_
        self.idf = np.asarray(vectorizer.idf_, dtype=np.float64)
        self.sublinear = bool(vectorizer.sublinear_tf)
        self.offset = offset

    def features(self, text: str) -> tuple[list[int], np.ndarray[Any, np.dtype[np.float64]]]:
        """Columns and L2-normalised TF-IDF values of `text` in this block."""
        counts = Counter(self.analyze(text))
        found = [(self.vocabulary[g], n) for g, n in counts.items() if g in self.vocabulary]
        if not found:
            return [], np.zeros(0)
        columns = [c for c, _ in found]
        tf = np.array([n for _, n in found], dtype=np.float64)
        values = (1.0 + np.log(tf) if self.sublinear else tf) * self.idf[columns]
        values /= np.sqrt(values @ values)
        return [c + self.offset for c in columns], values


class LinearScorer:
    """Decision values of a linear model over concatenated TF-IDF blocks, for one text at a time."""

    def __init__(self, vectorizers: list[Any], model: Any) -> None:
        self.blocks = []
        offset = 0
        for vectorizer in vectorizers:
            self.blocks.append(_Block(vectorizer, offset))
            offset += len(vectorizer.vocabulary_)
        # Row per feature, so the features of one text are a cheap row gather.
        self.weights = np.ascontiguousarray(np.asarray(model.coef_, dtype=np.float32).T)
        self.intercept = np.asarray(model.intercept_, dtype=np.float64)

    def scores(self, texts: list[str]) -> np.ndarray[Any, np.dtype[np.float64]]:
        """One row of decision values per text: `texts` holds one string per block, in block order."""
        values = self.intercept.copy()
        for block, text in zip(self.blocks, texts, strict=True):
            columns, tfidf = block.features(text)
            if columns:
                values += tfidf @ self.weights[columns]
        return values
