"""The request-type catalogue and routing rules, from YAML (`hub/cases/catalogue.yml` ships the chain's own).

A type says who is responsible (a group id, or "store": the queue of the case's store), its SLA in
working hours, whether waiting pauses the clock, which fields a case must carry and when reminders go.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from models.channels import Channel
from models.staff import GROUP_ID_PATTERN

STORE = "store"  # a type's or rule's group meaning "the store of the case"
DEFAULT_CATALOGUE_PATH = Path(__file__).with_name("catalogue.yml")
TOP_LEVEL_FIELDS = frozenset({"store_id", "order_id"})


def _fractions(value: list[float]) -> list[float]:
    if any(not 0 < f < 1 for f in value):
        raise ValueError("reminders are fractions of the SLA between 0 and 1")
    return sorted(set(value))


class RequestType(BaseModel):
    """One kind of request and how cases of it are handled."""

    model_config = ConfigDict(frozen=True)

    id: str
    title: dict[Literal["ru", "en"], str] = Field(default_factory=dict)
    group: str = Field(pattern=GROUP_ID_PATTERN)
    sla_hours: float = Field(default=0.0, ge=0)
    pause_on_waiting: bool = False
    required: list[str] = Field(default_factory=list)
    reminders: list[float] | None = None  # None: the catalogue's default

    @property
    def goes_to_store(self) -> bool:
        """Whether the case goes to the queue of its store."""
        return self.group == STORE

    def name(self, language: str = "ru") -> str:
        """The type's title for people (its id when untitled)."""
        return self.title.get("ru" if language == "ru" else "en") or self.id


class RoutingRule(BaseModel):
    """When every condition given matches, the case's first group is `group` ("store": the store's queue)."""

    model_config = ConfigDict(frozen=True)

    request_type: list[str] | None = None
    store_id: list[str] | None = None
    region: list[str] | None = None
    channel: list[Channel] | None = None
    group: str = Field(pattern=GROUP_ID_PATTERN)

    @field_validator("request_type", "store_id", "region", "channel", mode="before")
    @classmethod
    def _listed(cls, value: Any) -> Any:
        return [value] if isinstance(value, str) else value


class Defaults(BaseModel):
    """What a type does not say for itself."""

    reminders: list[float] = Field(default_factory=lambda: [0.75])
    duplicate_window_hours: float = Field(default=72.0, ge=0)
    escalation_group: str | None = Field(default="supervisors", pattern=GROUP_ID_PATTERN)  # groups naming none

    @field_validator("reminders")
    @classmethod
    def _check(cls, value: list[float]) -> list[float]:
        return _fractions(value)


class Catalogue(BaseModel):
    """Every request type, the routing rules, the defaults."""

    model_config = ConfigDict(frozen=True)

    defaults: Defaults = Field(default_factory=Defaults)
    types: dict[str, RequestType]
    rules: list[RoutingRule] = Field(default_factory=list)

    @model_validator(mode="before")
    @classmethod
    def _ids(cls, raw: Any) -> Any:
        if isinstance(raw, dict) and isinstance(raw.get("types"), dict):
            raw = {**raw, "types": {k: {**(v or {}), "id": k} for k, v in raw["types"].items()}}
        return raw

    @model_validator(mode="after")
    def _consistent(self) -> Catalogue:
        for rule in self.rules:
            unknown = set(rule.request_type or ()) - set(self.types)
            if unknown:
                raise ValueError(f"rules: unknown request types {sorted(unknown)}")
        for request_type in self.types.values():
            if request_type.reminders is not None:
                _fractions(request_type.reminders)
        return self

    def reminders(self, request_type: RequestType) -> list[float]:
        """The fractions of the SLA after which reminders are raised, ascending."""
        return _fractions(request_type.reminders if request_type.reminders is not None else self.defaults.reminders)


def load_catalogue(path: str | Path | None = None) -> Catalogue:
    """The catalogue in a YAML file (the shipped one when None); ValueError naming the problem."""
    source = Path(path or DEFAULT_CATALOGUE_PATH)
    try:
        raw = yaml.safe_load(source.read_text(encoding="utf-8"))
        return Catalogue.model_validate(raw)
    except (OSError, yaml.YAMLError, ValidationError) as e:
        raise ValueError(f"case catalogue {source}: {e}") from e
