"""The inbox's configuration: topic → group routes, the default and overflow groups, SLA targets.

`hub/inbox/inbox.yml` ships the chain's own; an install names its file with `OTKLIK_INBOX_CONFIG_PATH`:

    default_group: contact_centre
    overflow_group: supervisors   # where work goes when its group cannot take it (hub/inbox/staffing.py)
    routes: {delivery_problem: logistics, return_refund: contact_centre}
    sla:   # the first matching line wins; "*" matches any topic or priority
      - {topic: staff_complaint, priority: "*", first_response_hours: 0.5, resolution_hours: 8}
      - {topic: "*", priority: urgent, first_response_hours: 0.25, resolution_hours: 4}

Admins change routes at run time (hub/inbox/routing.py keeps their overrides in the store); the file holds
what a fresh install starts with.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from models.conversations import Priority
from models.csat import CsatConfig

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

SHIPPED_INBOX_CONFIG = Path(__file__).with_name("inbox.yml")


class InboxConfig(BaseModel):
    """Routes, default and overflow groups, and SLA targets."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    default_group: str = "contact_centre"
    overflow_group: str | None = None  # None: work stays in a group that cannot take it (still flagged)
    routes: dict[str, str] = Field(default_factory=dict)
    sla: tuple[SlaTarget, ...] = DEFAULT_SLA
    csat: CsatConfig = Field(default_factory=CsatConfig)  # the rating after a resolve (hub/csat/)

    def target(self, topic: str | None, priority: Priority) -> SlaTarget:
        """The first SLA line matching; the built-in line for the priority when none does."""
        for line in (*self.sla, *DEFAULT_SLA):
            if line.matches(topic, priority):
                return line
        raise AssertionError("unreachable: DEFAULT_SLA covers every priority")


@lru_cache(maxsize=8)
def load_inbox_config(path: str | None) -> InboxConfig:
    """The config of a YAML file (the shipped hub/inbox/inbox.yml for None); ValueError naming the file and field."""
    path = path or str(SHIPPED_INBOX_CONFIG)
    try:
        raw: Any = yaml.safe_load(Path(path).read_text(encoding="utf-8")) or {}
        return InboxConfig.model_validate(raw)
    except (OSError, yaml.YAMLError, ValidationError) as e:
        raise ValueError(f"OTKLIK_INBOX_CONFIG_PATH {path}: {e}") from e
