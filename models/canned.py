"""Canned responses and per-topic scripts: the ready answers and "clear instructions" operators insert.

A canned response is inserted into the reply box by its shortcut (`/where-order`); a script is the step by
step an operator follows for a topic, shown beside the conversation. Both exist per interface language.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Literal

from pydantic import BaseModel, Field, field_validator

from models.clock import utcnow
from models.ids import new_id

SHORTCUT_PATTERN = r"^[\w.-]{1,64}$"


class CannedKind(StrEnum):
    """A ready reply, or a topic's instructions for the operator."""

    RESPONSE = "response"
    SCRIPT = "script"


class CannedResponse(BaseModel):
    """One canned response or script, in one language."""

    id: str = Field(default_factory=new_id)
    kind: CannedKind = CannedKind.RESPONSE
    shortcut: str = Field(pattern=SHORTCUT_PATTERN)
    title: str = Field(min_length=1, max_length=200)
    text: str = Field(min_length=1, max_length=8000)
    language: Literal["ru", "en"] = "ru"
    topic: str | None = None  # scripts: the topic they serve; responses: an optional hint
    updated_by: str | None = None
    updated_at: datetime = Field(default_factory=utcnow)
    version: int = 0

    @field_validator("shortcut")
    @classmethod
    def _lower(cls, value: str) -> str:
        return value.lower()
