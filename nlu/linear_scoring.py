"""Scoring one message without scikit-learn's per-call overhead: the same TF-IDF arithmetic and the same
linear decision values, computed from the fitted vectorizers' vocabularies and the SVM's weights.

Why: `TfidfVectorizer.transform` + `hstack` + `decision_function` cost about a millisecond for a single
short text, almost all of it input validation and sparse-matrix bookkeeping; the arithmetic is a few
hundred dictionary look-ups and one small gather. bench/nlu.py checks that both paths agree.

Character n-grams inside word boundaries (`char_wb`) are a function of each word alone, and shoppers reuse
the same few thousand words: so each word's vocabulary columns are worked out once and kept, and a text's
columns are its words' columns put together. On a long e-mail that replaces ~1,000 string slices and
dictionary look-ups by a few dozen cache hits (same features; tests/unit/nlu/test_linear_scoring.py).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from typing import Any

import numpy as np

Analyzer = Callable[[str], list[str]]
Columns = np.ndarray[Any, np.dtype[np.intp]]
WORD_CACHE = 50_000  # words whose columns are kept per block (a few MB); emptied when full
_NO_COLUMNS: Columns = np.zeros(0, np.intp)


class _Block:
    """One fitted TfidfVectorizer reduced to analyzer, vocabulary, idf and its column offset."""

    def __init__(self, vectorizer: Any, offset: int) -> None:
        self.analyze: Analyzer = vectorizer.build_analyzer()
        self.vocabulary: dict[str, int] = vectorizer.vocabulary_
        self.idf = np.asarray(vectorizer.idf_, dtype=np.float64)
        self.sublinear = bool(vectorizer.sublinear_tf)
        self.offset = offset
        self.ngram_range: tuple[int, int] = vectorizer.ngram_range
        # The per-word shortcut holds only for sklearn's own char_wb analyzer over lowercased, unaccented text.
        self.per_word = (vectorizer.analyzer == "char_wb" and vectorizer.preprocessor is None
                         and vectorizer.lowercase and not vectorizer.strip_accents and vectorizer.input == "content")
        self._word_columns: dict[str, Columns] = {}

    def features(self, text: str) -> tuple[list[int], np.ndarray[Any, np.dtype[np.float64]]]:
        """Columns and L2-normalised TF-IDF values of `text` in this block."""
        if self.per_word:
            return self._features_by_word(text)
        counts = Counter(self.analyze(text))
        found = [(self.vocabulary[g], n) for g, n in counts.items() if g in self.vocabulary]
        if not found:
            return [], np.zeros(0)
        columns = [c for c, _ in found]
        tf = np.array([n for _, n in found], dtype=np.float64)
        values = (1.0 + np.log(tf) if self.sublinear else tf) * self.idf[columns]
        values /= np.sqrt(values @ values)
        return [c + self.offset for c in columns], values

    def _features_by_word(self, text: str) -> tuple[list[int], np.ndarray[Any, np.dtype[np.float64]]]:
        """`features` for char_wb: the same counts, gathered from each word's cached columns."""
        cache = self._word_columns
        parts = []
        for word in text.lower().split():
            found = cache.get(word)
            if found is None:
                if len(cache) >= WORD_CACHE:
                    cache.clear()
                found = cache[word] = self._columns_of(word)
            parts.append(found)
        if not parts:
            return [], np.zeros(0)
        columns, counts = np.unique(np.concatenate(parts), return_counts=True)
        if not columns.size:
            return [], np.zeros(0)
        tf = counts.astype(np.float64)
        values = (1.0 + np.log(tf) if self.sublinear else tf) * self.idf[columns]
        values /= np.sqrt(values @ values)
        return (columns + self.offset).tolist(), values

    def _columns_of(self, word: str) -> Columns:
        """The vocabulary columns of one word's char_wb n-grams (repeats kept), as sklearn's analyzer cuts them."""
        padded = f" {word} "
        length = len(padded)
        low, high = self.ngram_range
        found = []
        for n in range(low, high + 1):
            for start in range(max(length - n, 0) + 1):
                column = self.vocabulary.get(padded[start:start + n])
                if column is not None:
                    found.append(column)
            if length <= n:  # a short word is one n-gram, counted once (sklearn's rule)
                break
        return np.array(found, np.intp) if found else _NO_COLUMNS


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
