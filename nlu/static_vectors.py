"""Russian sentence vectors distilled from multilingual-e5-small into a word table (Model2Vec's approach).

The full encoder reads Russian far better than averaged navec vectors (bench/nlu_candidates.py: +7 points
of Russian accuracy on the development set), but one message costs it 10-100 ms on a shared CPU, and
the budget for a whole parse is 2 ms. So each word is embedded once, offline, on its own
(bench/distil_words.py), and a message's vector is the mean of its words' vectors: a dictionary look-up
per word. A word missing from the table is looked up by its Snowball stem (its other forms' mean), so
inflected forms the table never saw still count. The table ships in the repository
(nlu/vectors/ru_e5_words.npz, float16), so no model weights are needed at run time.

English is read the same way from a table distilled from all-MiniLM-L6-v2 (bench/distil_words_en.py,
nlu/vectors/en_minilm_words.npz): running the transformer costs ~0.03 ms per token, which put the
English parse p99 at ~4.7 ms; a look-up per word costs microseconds.
"""

from __future__ import annotations

import logging
from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np

from nlu.text import stem, words

log = logging.getLogger("otklik.nlu")
TABLE = Path(__file__).resolve().parent / "vectors" / "ru_e5_words.npz"
ENGLISH_TABLE = TABLE.with_name("en_minilm_words.npz")
_SOURCES = {TABLE.name: "multilingual-e5-small", ENGLISH_TABLE.name: "all-MiniLM-L6-v2"}


@lru_cache(maxsize=2)
def _load(path: Path) -> tuple[dict[str, int], dict[str, int], np.ndarray[Any, np.dtype[np.float32]]]:
    """(word -> row, stem -> row, matrix): the stems' rows are appended means of their words' rows."""
    with np.load(path, allow_pickle=False) as found:
        table_words = [str(w) for w in found["words"]]
        matrix = found["vectors"].astype(np.float32)
    # e5's vectors share one large component (any two words have cosine ~0.9); without it, the mean of a
    # message's words points at what sets them apart (Model2Vec removes it the same way, by PCA).
    matrix -= matrix.mean(axis=0)
    index = {w: i for i, w in enumerate(table_words)}
    groups: dict[str, list[int]] = {}
    for i, word in enumerate(table_words):
        groups.setdefault(stem(word), []).append(i)
    stems = {s: len(table_words) + n for n, s in enumerate(groups)}
    means = np.stack([matrix[rows].mean(axis=0) for rows in groups.values()]) if groups else matrix[:0]
    return index, stems, np.vstack([matrix, means]).astype(np.float32)


class StaticWordEncoder:
    """Mean of a text's distilled word vectors, unit length; picklable by the table's file name."""

    def __init__(self, path: Path = TABLE) -> None:
        self.path = path
        self.name = f"{path.stem} ({_SOURCES.get(path.name, 'a sentence encoder')}, distilled)"
        self._table: tuple[dict[str, int], dict[str, int], np.ndarray[Any, np.dtype[np.float32]]] | None = None
        self._failed = False

    def __getstate__(self) -> dict[str, Any]:
        return {"path": self.path.name}

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__init__(TABLE.with_name(state["path"]))  # type: ignore[misc]

    def ready(self) -> bool:
        """Load the table on first use; False (logged once) when its file is missing."""
        if self._table is None and not self._failed:
            try:
                self._table = _load(self.path)
            except (OSError, KeyError, ValueError) as e:
                log.warning("nlu: word table %s unavailable (%s): n-grams only", self.path, e)
                self._failed = True
        return self._table is not None

    def embed(self, texts: list[str]) -> np.ndarray[Any, np.dtype[np.float32]]:
        """One row per text (zero when none of its words is known)."""
        if not self.ready() or self._table is None:
            return np.zeros((len(texts), 1), np.float32)
        index, stems, matrix = self._table
        out = np.zeros((len(texts), matrix.shape[1]), np.float32)
        for i, text in enumerate(texts):
            rows = [r for r in (index.get(w, stems.get(stem(w))) for w, _, _ in words(text)) if r is not None]
            if rows:
                mean = matrix[rows].mean(axis=0)
                out[i] = mean / (np.linalg.norm(mean) or 1.0)
        return out


def load_static_vectors(path: Path = TABLE) -> StaticWordEncoder | None:
    """The distilled table when its file is present; None (logged) otherwise."""
    if not path.is_file():
        log.warning("nlu: %s missing: its language uses n-grams only", path)
        return None
    return StaticWordEncoder(path)
