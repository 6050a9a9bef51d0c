"""The inbox's configuration: topic → group routes, the default group and SLA targets.

Defaults live here; an install overrides them with a YAML file named by `OTKLIK_INBOX_CONFIG_PATH`:

    default_group: general
    routes: {delivery_problem: delivery, return_refund: returns}
    sla:   # the first matching line wins; "*" matches any topic or priority
      - {topic: staff_complaint, priority: "*", first_response_hours: 0.5, resolution_hours: 8}
      - {topic: "*", priority: urgent, first_response_hours: 0.25, resolution_hours: 4}

Admins change routes at run time (hub/routing.py keeps their overrides in the store); the file holds
what a fresh install starts with.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from models.conversations import Priority

ANY = "*"


class SlaTarget(BaseModel):
    """First-response and resolution targets, in working hours, for a topic and priority."""

    model_config = ConfigDict(frozen=True)

    topic: str = ANY
    priority: str = ANY
    first_response_hours: float = Field(gt=0)
    resolution_hours: float = Field(gt=0)

    def matches(self, topic: str | None, priority: Priority) -> bool:
        """Whether this line applies to a conversation of `topic` and `priority`."""
        return self.topic in (ANY, topic) and self.priority in (ANY, priority.value)


DEFAULT_SLA = (
    SlaTarget(priority="urgent", first_response_hours=0.25, resolution_hours=4),
    SlaTarget(priority="high", first_response_hours=0.5, resolution_hours=8),
    SlaTarget(priority="normal", first_response_hours=1, resolution_hours=24),
    SlaTarget(priority="low", first_response_hours=4, resolution_hours=48),
)

DEFAULT_ROUTES = {
    "delivery_problem": "delivery",
    "order_status": "delivery",
    "return_refund": "returns",
    "product_quality": "quality",
    "price_mismatch": "quality",
    "staff_complaint": "quality",
    "loyalty_card": "loyalty",
    "promo_code": "loyalty",
}


class InboxConfig(BaseModel):
    """Routes, default group and SLA targets."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    default_group: str = "general"
    routes: dict[str, str] = Field(default_factory=lambda: dict(DEFAULT_ROUTES))
    sla: tuple[SlaTarget, ...] = DEFAULT_SLA

    def target(self, topic: str | None, priority: Priority) -> SlaTarget:
        """The first SLA line matching; the built-in line for the priority when none does."""
        for line in (*self.sla, *DEFAULT_SLA):
            if line.matches(topic, priority):
                return line
        raise AssertionError("unreachable: DEFAULT_SLA covers every priority")


@lru_cache(maxsize=8)
def load_inbox_config(path: str | None) -> InboxConfig:
    """The config of a YAML file (the built-in defaults for None); ValueError naming the file and field."""
    if not path:
        return InboxConfig()
    try:
        raw: Any = yaml.safe_load(Path(path).read_text(encoding="utf-8")) or {}
        return InboxConfig.model_validate(raw)
    except (OSError, yaml.YAMLError, ValidationError) as e:
        raise ValueError(f"OTKLIK_INBOX_CONFIG_PATH {path}: {e}") from e
