"""Customer attributes as the CRM API takes them: plain JSON that every store keeps exactly as sent.

Names are flat (no '.' or '$': MongoDB updates them by path); values are JSON that SQLite's text and
MongoDB's BSON both hold (64-bit integers, finite numbers, valid Unicode, bounded nesting). The two
attributes Otklik itself reads are checked for their meaning.
"""

from __future__ import annotations

import math
import re
from typing import Any

from models.channels import Channel
from models.customers import PREFERRED_CHANNEL, UNSUBSCRIBED

NAME = r"^[A-Za-z0-9_-]{1,64}$"
MAX_ATTRIBUTES = 100
MAX_DEPTH = 8
_INT64 = 2**63
_NAME = re.compile(NAME)
CHANNELS = [c.value for c in Channel]
SCHEMA: dict[str, Any] = {"propertyNames": {"pattern": NAME}, "maxProperties": MAX_ATTRIBUTES}


def _text(value: str) -> None:
    try:
        value.encode("utf-8")
    except UnicodeEncodeError as e:
        raise ValueError("text must be valid Unicode (no lone surrogates)") from e


def _json(value: Any, depth: int = 0) -> None:
    """ValueError unless `value` is JSON every store keeps as it is."""
    if value is None or isinstance(value, bool):
        return
    if isinstance(value, int):
        if not -_INT64 <= value < _INT64:
            raise ValueError("integers must fit in 64 bits")
    elif isinstance(value, float):
        if not math.isfinite(value):
            raise ValueError("numbers must be finite")
    elif isinstance(value, str):
        _text(value)
    elif depth >= MAX_DEPTH:
        raise ValueError(f"values nest at most {MAX_DEPTH} levels deep")
    elif isinstance(value, list):
        for item in value:
            _json(item, depth + 1)
    elif isinstance(value, dict):
        for key, item in value.items():
            _text(key)
            _json(item, depth + 1)
    else:
        raise ValueError(f"unsupported value {type(value).__name__}")


def _meaningful(attributes: dict[str, Any]) -> None:
    """The attributes Otklik reads must mean something to it."""
    preferred = attributes.get(PREFERRED_CHANNEL)
    if preferred is not None and preferred not in CHANNELS:
        raise ValueError(f"{PREFERRED_CHANNEL} must be one of {', '.join(CHANNELS)}")
    blocked = attributes.get(UNSUBSCRIBED)
    if blocked is not None and not (isinstance(blocked, list) and all(isinstance(k, str) for k in blocked)):
        raise ValueError(f"{UNSUBSCRIBED} must be a list of identity keys such as 'telegram:123'")


def checked(attributes: dict[str, Any]) -> dict[str, Any]:
    """The attributes, or ValueError naming the first problem (the API answers 422 with it)."""
    if len(attributes) > MAX_ATTRIBUTES:
        raise ValueError(f"at most {MAX_ATTRIBUTES} attributes")
    for name, value in attributes.items():
        if not _NAME.match(name):
            raise ValueError(f"attribute name {name!r} must be 1-64 letters, digits, '_' or '-'")
        try:
            _json(value)
        except ValueError as e:
            raise ValueError(f"attribute {name!r}: {e}") from e
    _meaningful(attributes)
    return attributes
