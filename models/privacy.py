"""Personal data under control (152-FZ / GDPR): who read a customer's data, and what an erasure changed."""

from __future__ import annotations

from datetime import UTC, datetime
from enum import StrEnum

from pydantic import BaseModel, ConfigDict, Field, field_validator

from models.cases import Case
from models.claims import Claim
from models.clock import utcnow
from models.conversations import Conversation
from models.customers import Customer
from models.ids import new_id
from models.messages import Message

ERASED = "erased"  # what an erased text reads as: rows stay, so counts and reports stay consistent


class ReadKind(StrEnum):
    """How someone came to see a customer's data."""

    PANEL_VIEW = "panel_view"  # an inbox page with the customer panel
    API_READ = "api_read"  # a CRM API read of the customer
    EXPORT = "export"  # everything about them, as a file
    ERASE = "erase"  # not a read, but the audit's most important line


class AuditEntry(BaseModel):
    """One access to one customer's data: who, when, how, through which path."""

    model_config = ConfigDict(frozen=True)

    id: str = Field(default_factory=new_id)
    at: datetime = Field(default_factory=utcnow)
    actor: str = Field(min_length=1, max_length=200)  # "user:<id>", "api:<token name>", "cli"
    customer_id: str = Field(min_length=1, max_length=64)
    kind: ReadKind
    via: str = Field(default="", max_length=500)  # the page or API path, or the CLI command


class AuditQuery(BaseModel):
    """Filters of an audit search; every one given must match. Newest first."""

    model_config = ConfigDict(frozen=True)

    customer_id: str | None = None
    actor: str | None = None
    kind: ReadKind | None = None
    since: datetime | None = None
    until: datetime | None = None
    limit: int = Field(default=100, ge=1, le=1000)

    @field_validator("since", "until")
    @classmethod
    def _utc_unless_said(cls, value: datetime | None) -> datetime | None:
        """A moment without an offset is UTC (never the machine's zone)."""
        return value.replace(tzinfo=UTC) if value is not None and value.tzinfo is None else value


class Erasure(BaseModel):
    """What erasing one customer changed, per store."""

    customer_id: str
    messages: int = 0
    conversations: int = 0
    cases: int = 0
    claims: int = 0
    identities: int = 0
    dialog_states: int = 0
    files: list[str] = Field(default_factory=list)  # ids of stored files the erased messages and cases named


class ConversationRecord(BaseModel):
    """One conversation with every message in it, oldest first."""

    conversation: Conversation
    messages: list[Message] = Field(default_factory=list)


class CustomerExport(BaseModel):
    """Everything Otklik holds about one customer (152-FZ art. 14, GDPR art. 15 and 20)."""

    exported_at: datetime
    customer: Customer
    claims: list[Claim] = Field(default_factory=list)  # contacts they gave that no channel proved
    conversations: list[ConversationRecord] = Field(default_factory=list)
    cases: list[Case] = Field(default_factory=list)
