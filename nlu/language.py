"""Which language a customer wrote in: Russian or English, by script and a few telltale words.

A script count is enough to tell Russian from English (the two languages the chain serves) and costs
microseconds; mixed texts ("мой order 123") go to the script with more letters. Russian typed in Latin
letters ("gde moi zakaz") is Russian (nlu/translit.py).
"""

from __future__ import annotations

import re
from functools import lru_cache

from nlu.translit import looks_translit

RUSSIAN, ENGLISH, UNKNOWN = "ru", "en", "unknown"
# Counted by the regex engine, in runs (a list per word, not per letter), not by a Python loop over characters.
_CYRILLIC = re.compile("[а-яА-ЯёЁ]+")
_LATIN = re.compile("[a-zA-Z]+")
# A parse asks several times about the same text (the engine, the ranking, each sentence-vector reader), so
# answers are kept for the last few texts: the texts of about two parses, and no customer's text for long (a
# privacy erasure runs in hub, which may not reach into nlu, and often in another process).
TEXTS_KEPT = 16


@lru_cache(maxsize=TEXTS_KEPT)
def detect(text: str) -> str:
    """"ru", "en", or "unknown" (no letters of either script)."""
    # Most texts hold one script: a search that finds no letter of the other settles it without counting.
    if _CYRILLIC.search(text) is None:
        if _LATIN.search(text) is None:
            return UNKNOWN
        return RUSSIAN if looks_translit(text) else ENGLISH
    if _LATIN.search(text) is None:
        return RUSSIAN
    cyrillic, latin = sum(map(len, _CYRILLIC.findall(text))), sum(map(len, _LATIN.findall(text)))
    if cyrillic == latin == 0:
        return UNKNOWN
    if cyrillic >= latin:
        return RUSSIAN
    return RUSSIAN if looks_translit(text) else ENGLISH
