"""The canned-response form: raw fields in, a validated `CannedResponse` (or field errors) out. No I/O here."""

from __future__ import annotations

from typing import Any

from pydantic import ValidationError
from starlette.datastructures import FormData

from api.admin.forms import FormResult
from hub.inbox import TOPIC_PATTERN
from models.canned import CannedKind, CannedResponse

LANGUAGES = ("ru", "en")


def _text(form: FormData, name: str) -> str:
    value = form.get(name)
    return value.strip() if isinstance(value, str) else ""


def _version(form: FormData, result: FormResult) -> int | None:
    raw = _text(form, "version")
    if raw.isascii() and raw.isdigit():
        return int(raw)
    result.errors["form"] = "the form has no version; reload the page"
    return None


def canned_form(form: FormData, *, item_id: str | None = None) -> FormResult:
    """An item's fields; with `item_id` (an edit) also the version the editor saw, as `values["version"]`."""
    result = FormResult()
    raw: dict[str, Any] = {"shortcut": _text(form, "shortcut").lstrip("/"), "title": _text(form, "title"),
                           "text": _text(form, "text"), "language": _text(form, "language") or "ru",
                           "kind": _text(form, "kind") or CannedKind.RESPONSE.value,
                           "topic": _text(form, "topic") or None}
    if item_id is not None:
        raw["id"] = item_id
        result.values["version"] = _version(form, result)
    if raw["topic"] is not None and not TOPIC_PATTERN.match(raw["topic"]):
        result.errors["topic"] = "letters, digits, '_', '.', ':' or '-', up to 64"
    if raw["kind"] == CannedKind.SCRIPT.value and raw["topic"] is None:
        result.errors["topic"] = "a script needs the topic it serves"
    try:
        item = CannedResponse.model_validate(raw)
    except ValidationError as e:
        result.errors.update({str(err["loc"][0]) if err["loc"] else "form": err["msg"] for err in e.errors()})
        return result
    if result.ok:
        result.values["item"] = item
    return result


def matches(item: CannedResponse, query: str) -> bool:
    """Whether the shortcut, title, text or topic contains `query` (case-insensitive)."""
    needle = query.casefold()
    return any(needle in (field or "").casefold() for field in (item.shortcut, item.title, item.text, item.topic))
