"""Sentence vectors beside the n-grams: per language, an encoder and a logistic regression on its vectors,
whose decision values the classifier adds to the SVM's with a fixed weight (late fusion).

Each reader reads only its own language (MiniLM's vocabulary is English; navec's is Russian), so a
Russian message never gets an English model's guess and vice versa.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Protocol

import numpy as np
from sklearn.linear_model import LogisticRegression  # type: ignore[import-untyped]

from nlu import language

Vectors = np.ndarray[Any, np.dtype[np.float32]]
Scores = np.ndarray[Any, np.dtype[np.float64]]


class Encoder(Protocol):
    """Texts in, unit-length vectors out (zero rows for texts it cannot read)."""

    name: str

    def ready(self) -> bool:
        """Whether it can run here (False, logged, when its runtime or data is missing)."""
        ...

    def embed(self, texts: list[str]) -> Vectors:
        """One row per text."""
        ...


@dataclass
class Reader:
    """One language's encoder and, once fitted, its regression as (weights [dims, labels], bias [labels])."""

    language: str
    encoder: Encoder
    weight: float
    c: float = 10.0
    dense: tuple[Vectors, Vectors] | None = None

    def vectors(self, texts: list[str]) -> Vectors | None:
        """Vectors for the texts in this reader's language, zero rows for the rest; None if it cannot run."""
        if not self.encoder.ready():
            return None
        rows = [i for i, t in enumerate(texts) if language.detect(t) == self.language]
        if not rows:
            return np.zeros((len(texts), 1), np.float32)
        found = self.encoder.embed([texts[i] for i in rows])
        out = np.zeros((len(texts), found.shape[1]), np.float32)
        out[rows] = found
        return out

    def fit(self, vectors: Vectors, labels: list[str], all_labels: list[str]) -> None:
        """Fit on the rows with a vector; no regression when they hold fewer than two intents."""
        read = np.flatnonzero(np.abs(vectors).sum(axis=1) > 0)
        self.dense = None
        if len({labels[i] for i in read}) < 2:
            return
        model = LogisticRegression(C=self.c, max_iter=1000).fit(vectors[read], [labels[i] for i in read])
        coef, intercept = np.asarray(model.coef_), np.asarray(model.intercept_)
        if len(model.classes_) == 2:  # sklearn keeps one row, for classes_[1]
            coef, intercept = np.vstack([-coef, coef]), np.concatenate([-intercept, intercept])
        weights = np.zeros((vectors.shape[1], len(all_labels)), np.float32)
        bias = np.zeros(len(all_labels), np.float32)
        for row, label in enumerate(model.classes_):
            column = all_labels.index(str(label))  # intents without examples in this language stay at zero
            weights[:, column], bias[column] = coef[row], intercept[row]
        self.dense = (weights, bias)

    def scores(self, vectors: Vectors) -> Scores:
        """Weighted decision values in label order; zero for rows without a vector."""
        assert self.dense is not None
        weights, bias = self.dense
        if vectors.shape[1] != weights.shape[0]:  # no text of this language in the batch
            return np.zeros((len(vectors), len(bias)))
        read = np.abs(vectors).sum(axis=1, keepdims=True) > 0
        return self.weight * np.where(read, vectors @ weights + bias, 0.0).astype(np.float64)
