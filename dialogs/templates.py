"""Variables in texts: `{slot}`, `{slot.field}`, `{customer.name}`; `{{`/`}}` are literal braces."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

VARIABLE = re.compile(r"\{\{|\}\}|\{\s*([A-Za-z_][A-Za-z0-9_]*(?:\.[A-Za-z0-9_]+)*)\s*\}")
_MISSING = object()


def variables(template: str) -> list[str]:
    """The variable paths a template uses, in order (`customer.name`, `order.status`, `order_id`)."""
    return [m.group(1) for m in VARIABLE.finditer(template) if m.group(1)]


def lookup(path: str, slots: Mapping[str, Any], customer: Mapping[str, Any]) -> Any:
    """The value at `path` (`slot`, `slot.field`, `customer.attr`), or None."""
    head, *rest = path.split(".")
    value: Any = customer if head == "customer" and rest else slots.get(head, _MISSING)
    for part in rest:
        value = value.get(part, _MISSING) if isinstance(value, Mapping) else _MISSING
    return None if value is _MISSING else value


def render(template: str, slots: Mapping[str, Any], customer: Mapping[str, Any]) -> str:
    """The template with its variables filled in; a missing or empty value prints as nothing."""

    def replace(match: re.Match[str]) -> str:
        if match.group(0) in {"{{", "}}"}:
            return match.group(0)[0]
        return as_text(lookup(match.group(1), slots, customer))

    return VARIABLE.sub(replace, template)


def as_text(value: Any) -> str:
    """How a value reads in a message: None as nothing, lists joined with commas, booleans as ✓/✗."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "✓" if value else "✗"
    if isinstance(value, list):
        return ", ".join(as_text(v) for v in value)
    return str(value)


def render_value(template: Any, slots: Mapping[str, Any], customer: Mapping[str, Any]) -> Any:
    """An action argument: exactly one variable passes the value as is; other strings render; others stay."""
    if isinstance(template, str):
        match = VARIABLE.fullmatch(template.strip())
        if match and match.group(1):
            return lookup(match.group(1), slots, customer)
        return render(template, slots, customer)
    if isinstance(template, list):
        return [render_value(v, slots, customer) for v in template]
    if isinstance(template, dict):
        return {k: render_value(v, slots, customer) for k, v in template.items()}
    return template
