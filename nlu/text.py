"""Words, their positions and their stems (Snowball: Russian for Cyrillic words, English for Latin ones).

Russian inflects: "заказ", "заказа", "заказом" are one word to the classifier once stemmed, so the
training data does not need every form.
"""

from __future__ import annotations

import re
from functools import lru_cache

import snowballstemmer  # type: ignore[import-untyped]

_WORD = re.compile(r"\w+", re.UNICODE)
_STEMMERS = {"ru": snowballstemmer.stemmer("russian"), "en": snowballstemmer.stemmer("english")}


def normalize(text: str) -> str:
    """Casefolded, ё as е (Russian writers use both), whitespace collapsed."""
    return " ".join(text.casefold().replace("ё", "е").split())


def words(text: str) -> list[tuple[str, int, int]]:
    """(normalised word, start, end) for each word of `text`, offsets into `text`."""
    # A \w+ match holds no whitespace, so `normalize` reduces to its casefold and ё -> е (and costs less).
    return [(m.group().casefold().replace("ё", "е"), m.start(), m.end()) for m in _WORD.finditer(text)]


@lru_cache(maxsize=200_000)
def stem(word: str) -> str:
    """The Snowball stem of one normalised word; digits and mixed tokens are kept as they are."""
    if word.isdigit() or len(word) < 3:
        return word
    cyrillic = any("а" <= ch <= "я" for ch in word)
    stemmer = _STEMMERS["ru" if cyrillic else "en"]
    return str(stemmer.stemWord(word))


def stemmed(text: str) -> str:
    """The text as a space-separated string of stems (what the word n-grams are built from)."""
    # `words` without the offsets: a parse stems the whole message and each clause read.
    return " ".join([stem(m.casefold().replace("ё", "е")) for m in _WORD.findall(text)])
