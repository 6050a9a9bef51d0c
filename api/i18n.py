"""Interface strings in Russian and English: `t(key, lang, **params)`.

Each feature keeps its own strings in `api/locales/<feature>.json` (`{"ru": {...}, "en": {...}}`), merged
here at import, or calls `register()`; nobody edits another feature's file. Keys are dotted by feature
(`auth.sign_in`, `inbox.queue`). A key missing in one language falls back to the other, then to itself, so
a forgotten string shows up as its key instead of breaking the page.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path
from typing import Literal

Lang = Literal["ru", "en"]
LANGUAGES: tuple[Lang, ...] = ("ru", "en")
DEFAULT_LANG: Lang = "ru"
LOCALES_DIR = Path(__file__).parent / "locales"

_MESSAGES: dict[Lang, dict[str, str]] = {"ru": {}, "en": {}}


def register(messages: Mapping[str, Mapping[str, str]]) -> None:
    """Add strings: `{"ru": {key: text}, "en": {key: text}}` (a later registration of a key wins)."""
    for lang, strings in messages.items():
        if lang not in LANGUAGES:
            raise ValueError(f"unknown language {lang!r}; expected one of {', '.join(LANGUAGES)}")
        _MESSAGES[lang].update(strings)


def load_locales(directory: Path = LOCALES_DIR) -> None:
    """Register every `*.json` file of `directory`, in name order."""
    for path in sorted(directory.glob("*.json")):
        register(json.loads(path.read_text(encoding="utf-8")))


def as_lang(value: str | None) -> Lang | None:
    """`value` if it names a supported language."""
    return value if value in LANGUAGES else None


def t(key: str, lang: str = DEFAULT_LANG, **params: object) -> str:
    """The text of `key` in `lang` with `{name}` placeholders filled from `params`."""
    chosen = as_lang(lang) or DEFAULT_LANG
    other: Lang = "en" if chosen == "ru" else "ru"
    text = _MESSAGES[chosen].get(key) or _MESSAGES[other].get(key) or key
    if not params:
        return text
    try:
        return text.format(**params)
    except (KeyError, IndexError, ValueError):
        return text  # a translation with a wrong placeholder must not break the page


def from_accept_language(header: str | None, default: Lang = DEFAULT_LANG) -> Lang:
    """The supported language the browser prefers most (Accept-Language, by q-value), else `default`."""
    ranked: list[tuple[float, int, Lang]] = []
    for n, part in enumerate((header or "").split(",")):
        code, _, params = part.strip().partition(";")
        lang = as_lang(code.strip().lower()[:2])
        if lang is not None and (weight := _quality(params)) > 0:
            ranked.append((-weight, n, lang))
    return min(ranked)[2] if ranked else default


def _quality(params: str) -> float:
    """The q-value of one Accept-Language entry (1 when absent, 0 when malformed: ignored)."""
    for param in params.split(";"):
        name, _, value = param.strip().partition("=")
        if name.strip().lower() == "q":
            try:
                return min(max(float(value), 0.0), 1.0)
            except ValueError:
                return 0.0
    return 1.0


load_locales()
