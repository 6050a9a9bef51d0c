"""Which language a customer wrote in: Russian or English, by script and a few telltale words.

A script count is enough to tell Russian from English (the two languages the chain serves) and costs
microseconds; mixed texts ("мой order 123") go to the script with more letters. Russian typed in Latin
letters ("gde moi zakaz") is Russian (nlu/translit.py).
"""

from __future__ import annotations

from nlu.translit import looks_translit

RUSSIAN, ENGLISH, UNKNOWN = "ru", "en", "unknown"


def detect(text: str) -> str:
    """"ru", "en", or "unknown" (no letters of either script)."""
    cyrillic = latin = 0
    for ch in text:
        if "а" <= ch <= "я" or "А" <= ch <= "Я" or ch in "ёЁ":
            cyrillic += 1
        elif "a" <= ch <= "z" or "A" <= ch <= "Z":
            latin += 1
    if cyrillic == latin == 0:
        return UNKNOWN
    if cyrillic >= latin:
        return RUSSIAN
    return RUSSIAN if looks_translit(text) else ENGLISH
