"""Which language a customer wrote in: Russian or English, by script and a few telltale words.

A script count is enough to tell Russian from English (the two languages the chain serves) and costs
microseconds; mixed texts ("мой order 123") go to the script with more letters. Russian typed in Latin
letters ("gde moi zakaz") is Russian (nlu/translit.py).
"""

from __future__ import annotations

import re

from nlu.translit import looks_translit

RUSSIAN, ENGLISH, UNKNOWN = "ru", "en", "unknown"
# Counted by the regex engine, not a Python loop over characters: a parse asks several times (the engine,
# each reader, the calibration). Same answers; the whole parse gains ~1-3 % (within the shared machine's noise).
_CYRILLIC = re.compile("[а-яА-ЯёЁ]")
_LATIN = re.compile("[a-zA-Z]")


def detect(text: str) -> str:
    """"ru", "en", or "unknown" (no letters of either script)."""
    cyrillic, latin = len(_CYRILLIC.findall(text)), len(_LATIN.findall(text))
    if cyrillic == latin == 0:
        return UNKNOWN
    if cyrillic >= latin:
        return RUSSIAN
    return RUSSIAN if looks_translit(text) else ENGLISH
