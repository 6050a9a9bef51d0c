"""Entity annotations inside Rasa training examples: `[Москва](city)`, `[Москва]{"entity": "city", "value": "msk"}`.

`strip` returns the plain text the classifier trains on and the annotated spans in that text.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass

_ANNOTATION = re.compile(r"\[(?P<text>[^\[\]]+)\](?:\((?P<short>[^()]+)\)|(?P<json>\{[^{}]*\}))")


class AnnotationError(ValueError):
    """An annotation that cannot be read; the loader adds file and line."""


@dataclass(frozen=True)
class Annotation:
    """An annotated entity: its span in the stripped text and the value it stands for."""

    entity: str
    text: str
    value: str
    start: int
    end: int


def strip(example: str) -> tuple[str, list[Annotation]]:
    """The example without annotation markup, and its entities with offsets in the stripped text."""
    parts: list[str] = []
    found: list[Annotation] = []
    length = 0
    position = 0
    for match in _ANNOTATION.finditer(example):
        before = example[position:match.start()]
        parts.append(before)
        length += len(before)
        text = match.group("text")
        entity, value = _target(match.group("short"), match.group("json"), text)
        found.append(Annotation(entity, text, value, length, length + len(text)))
        parts.append(text)
        length += len(text)
        position = match.end()
    parts.append(example[position:])
    return "".join(parts), found


def _target(short: str | None, raw_json: str | None, text: str) -> tuple[str, str]:
    """(entity, value) of one annotation; `(city:msk)` is Rasa's old synonym shorthand."""
    if short is not None:
        entity, _, value = short.partition(":")
        return _name(entity.strip()), value.strip() or text
    assert raw_json is not None
    try:
        spec = json.loads(raw_json)
    except json.JSONDecodeError as e:
        raise AnnotationError(f"annotation {raw_json} is not valid JSON: {e.msg}") from e
    if not isinstance(spec, dict) or not isinstance(spec.get("entity"), str):
        raise AnnotationError(f'annotation {raw_json} needs an "entity" name')
    value = spec.get("value", text)
    if not isinstance(value, str | int | float):
        raise AnnotationError(f'annotation {raw_json}: "value" must be text')
    return _name(spec["entity"]), str(value)


def _name(entity: str) -> str:
    if not re.fullmatch(r"[\w.-]+", entity):
        raise AnnotationError(f"entity name {entity!r} may hold only letters, digits, '_', '.', '-'")
    return entity
