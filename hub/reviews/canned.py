"""Canned public replies to reviews (reply_templates.yml), filled with the author's first name."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from pathlib import Path

import yaml

TEMPLATES = Path(__file__).with_name("reply_templates.yml")


@dataclass(frozen=True)
class ReplyTemplate:
    """One canned reply in one language."""

    id: str
    title: str
    text: str


@cache
def _load(path: Path = TEMPLATES) -> list[dict[str, object]]:
    loaded: list[dict[str, object]] = yaml.safe_load(path.read_text(encoding="utf-8"))
    return loaded


def first_name(author: str | None, language: str) -> str:
    """The author's first word, or how we address an anonymous one."""
    words = (author or "").split()
    return words[0] if words else ("Dear customer" if language == "en" else "Уважаемый покупатель")


def reply_templates(language: str | None, author: str | None) -> list[ReplyTemplate]:
    """Every template in the review's language (Russian unless English), filled in."""
    lang = "en" if language == "en" else "ru"
    name = first_name(author, lang)
    out = []
    for entry in _load():
        titles = entry["title"]
        assert isinstance(titles, dict)
        out.append(ReplyTemplate(str(entry["id"]), str(titles[lang]), str(entry[lang]).format(author=name)))
    return out
