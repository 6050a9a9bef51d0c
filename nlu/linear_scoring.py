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
Values = np.ndarray[Any, np.dtype[np.float64]]
WORD_CACHE = 50_000  # words whose columns are kept per block (a few MB); emptied when full
_NO_COLUMNS: Columns = np.zeros(0, np.intp)
_NO_VALUES: Values = np.zeros(0)


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

    def features(self, text: str) -> tuple[Columns, Values]:
        """Columns and L2-normalised TF-IDF values of `text` in this block."""
        if self.per_word:
            return self._features_by_word(text)
        vocabulary = self.vocabulary.get
        found, counts = [], []
        for gram, n in Counter(self.analyze(text)).items():
            column = vocabulary(gram)
            if column is not None:
                found.append(column)
                counts.append(n)
        if not found:
            return _NO_COLUMNS, _NO_VALUES
        columns = np.array(found, np.intp)
        return columns + self.offset, self._values(columns, np.array(counts, np.float64))

    def _features_by_word(self, text: str) -> tuple[Columns, Values]:
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
        every = np.concatenate(parts) if parts else _NO_COLUMNS
        if not every.size:
            return _NO_COLUMNS, _NO_VALUES
        # np.unique(every, return_counts=True), without its generality's overhead (a third of this call).
        every.sort()
        first = np.empty(every.size, bool)
        first[0] = True
        np.not_equal(every[1:], every[:-1], out=first[1:])
        starts = np.flatnonzero(first)
        columns = every[starts]
        counts = np.empty_like(starts)
        counts[:-1] = starts[1:] - starts[:-1]
        counts[-1] = every.size - starts[-1]
        return columns + self.offset, self._values(columns, counts.astype(np.float64))

    def _values(self, columns: Columns, tf: Values) -> Values:
        """L2-normalised TF-IDF values of the block's `columns` counted `tf` times."""
        values = (1.0 + np.log(tf) if self.sublinear else tf) * self.idf[columns]
        values /= np.sqrt(values @ values)
        return values

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
    """Decision values of a linear model over concatenated TF-IDF blocks, for one text or a few at a time."""

    def __init__(self, vectorizers: list[Any], model: Any) -> None:
        self.blocks = []
        offset = 0
        for vectorizer in vectorizers:
            self.blocks.append(_Block(vectorizer, offset))
            offset += len(vectorizer.vocabulary_)
        # Row per feature, so the features of one text are a cheap row gather.
        self.weights = np.ascontiguousarray(np.asarray(model.coef_, dtype=np.float32).T)
        self.intercept = np.asarray(model.intercept_, dtype=np.float64)

    def scores(self, texts: list[str]) -> Values:
        """The decision values of one text, given as one string per block, in block order."""
        row: Values = self.rows([texts])[0]
        return row

    def rows(self, texts: list[list[str]]) -> Values:
        """`scores` of several texts at once, one row each (a message's clauses: nlu/reading.py)."""
        values = np.tile(self.intercept, (len(texts), 1))
        for b, block in enumerate(self.blocks):
            for row, text in zip(values, texts, strict=True):
                columns, tfidf = block.features(text[b])
                if columns.size:
                    # Row by row, as for one text: a sparse product over all rows sums in another order
                    # (the last bits differ) and, for a message's few clauses, is no faster.
                    row += tfidf @ self.weights[columns]
        return values
