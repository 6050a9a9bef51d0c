"""HTTP shapes of the cases API: `CasePublic` is what we answer, `…Create` / `…Update` / `…Request` what
clients send."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from api.crm.schemas import NOT_BLANK
from models.cases import (
    MAX_TEXT,
    CaseAttachment,
    CaseComment,
    CaseEvent,
    CaseLinks,
    CaseSla,
    CaseSource,
    CaseState,
    RouteHop,
    WaitingFor,
)
from models.channels import Channel
from models.conversations import Priority


def _key(**default: Any) -> Any:
    return Field(**default, min_length=1, max_length=200, pattern=r"^[\x21-\x7e]+$",
                 description="Your id for this request: repeating it repeats the first answer and changes nothing")


EXAMPLE_CREATE: dict[str, Any] = {
    "conversation_id": "c0ffee00112233445566778899aabbcc", "request_type": "price_tag_mismatch",
    "description": "На ценнике 89 ₽, на кассе пробили 129 ₽", "store_id": "118", "priority": "normal",
    "fields": {"receipt": "0042-118-77"}, "idempotency_key": "crm-ticket-81723",
}


EXAMPLE_CASE: dict[str, Any] = {
    "id": "5e1f0c2d3b4a49d8a7c6b5a4f3e2d1c0", "number": 1042, "label": "#1042",
    "conversation_id": "c0ffee00112233445566778899aabbcc", "customer_id": "9f1c2e7a4b0d4c1e8a5b6c7d8e9f0a1b",
    "channel": "telegram", "request_type": "price_tag_mismatch", "store_id": "118", "order_id": None,
    "region": "central", "priority": "normal", "description": "На ценнике 89 ₽, на кассе пробили 129 ₽",
    "fields": {"receipt": "0042-118-77"}, "attachments": [], "source": "api", "state": "in_progress",
    "waiting_for": None, "group": "store:118", "assignee": "u-ivan", "solution": None,
    "sla": {"hours": 24, "calendar": "stores", "started_at": "2026-03-02T07:00:00Z", "due_at": "2026-03-03T17:00:00Z",
            "paused_at": None, "paused_seconds": 0, "reminders_sent": 0, "breached": False, "breached_at": None,
            "escalated_to": None, "check_at": "2026-03-03T07:00:00Z"},
    "links": {"duplicate_of": None, "merged_into": None, "duplicates": [], "merged": [], "related": []},
    "comments": [{"id": "a1b2c3d4e5f6", "author": "user:ivan", "text": "Ценник заменён", "at": "2026-03-02T08:10:00Z"}],
    "history": [
        {"at": "2026-03-02T07:00:00Z", "kind": "opened", "actor": "api:crm",
         "reason": None, "code": "routed", "from_state": None, "to_state": "new",
         "group": "store:118", "assignee": None, "data": {"request_type": "price_tag_mismatch"}},
        {"at": "2026-03-02T08:00:00Z", "kind": "assigned", "actor": "user:ivan", "reason": "store manager",
         "code": None, "from_state": None, "to_state": "new", "group": "store:118", "assignee": "u-ivan",
         "data": {"previous": None}}],
    "created_by": "api:crm", "created_at": "2026-03-02T07:00:00Z", "updated_at": "2026-03-02T08:10:00Z",
    "solved_at": None, "closed_at": None, "version": 3,
}
EXAMPLE_HOP: dict[str, Any] = {
    "group": "quality_control", "assignee": "u-qc1", "entered_at": "2026-03-02T08:00:00Z",
    "left_at": "2026-03-03T08:00:00Z", "wall_seconds": 86400.0, "working_seconds": 32400.0,
    "reason": "spoiled batch", "code": None, "data": {}, "actor": "user:olga",
}


class AttachmentCreate(BaseModel):
    """A file by reference: a URL the CRM keeps, or a channel's file id."""

    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [
        {"name": "receipt.jpg", "url": "https://files.example.ru/r/0042.jpg", "mime_type": "image/jpeg"}]})

    name: str = Field(min_length=1, max_length=255)
    url: str | None = Field(default=None, max_length=2000, pattern=r"^https?://")
    file_id: str | None = Field(default=None, max_length=512)
    mime_type: str | None = Field(default=None, max_length=127)
    size: int | None = Field(default=None, ge=0)
    idempotency_key: str | None = _key(default=None)


class CaseCreate(BaseModel):
    """Open a case from a conversation; the request type decides the group, SLA and required fields."""

    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [EXAMPLE_CREATE]})

    conversation_id: str = Field(min_length=1, max_length=64)
    request_type: str = Field(min_length=1, max_length=64)
    description: str = Field(min_length=1, max_length=MAX_TEXT, pattern=NOT_BLANK)
    store_id: str | None = Field(default=None, min_length=1, max_length=32)
    order_id: str | None = Field(default=None, min_length=1, max_length=64)
    priority: Priority = Priority.NORMAL
    fields: dict[str, Any] = Field(default_factory=dict, description="The type's custom fields")
    attachments: list[AttachmentCreate] = Field(default_factory=list, max_length=50)
    idempotency_key: str = _key()


class CaseUpdate(BaseModel):
    """Fields to change; those not named stay. `assignee` null gives the case back to its group's queue;
    a new `group` needs a `reason`; a null custom field is removed."""

    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [
        {"priority": "high", "assignee": "u-ivan"}, {"group": "quality_control", "reason": "spoiled batch"}]})

    priority: Priority | None = None
    description: str | None = Field(default=None, min_length=1, max_length=MAX_TEXT, pattern=NOT_BLANK)
    fields: dict[str, Any] | None = None
    assignee: str | None = Field(default=None, min_length=1, max_length=64)
    group: str | None = Field(default=None, min_length=1, max_length=64)
    reason: str | None = Field(default=None, max_length=1000)


class TransitionRequest(BaseModel):
    """Move the case: new, in_progress, waiting (with waiting_for), solved (with solution and idempotency_key),
    closed, or reopened (with reason)."""

    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [
        {"to": "waiting", "waiting_for": "customer", "reason": "asked for a photo of the receipt"},
        {"to": "solved", "solution": "Ценник исправлен, разницу 40 ₽ вернули на карту",
         "idempotency_key": "crm-81723-solve"}]})

    to: CaseState | Literal["reopened"]
    reason: str | None = Field(default=None, max_length=1000)
    waiting_for: WaitingFor | None = None
    solution: str | None = Field(default=None, min_length=1, max_length=MAX_TEXT, pattern=NOT_BLANK)
    notify: bool = Field(default=True, description="solved: false records the solution without telling the shopper")
    idempotency_key: str | None = _key(default=None)


class CommentCreate(BaseModel):
    """A staff comment: never shown to the shopper."""

    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [
        {"text": "Позвонил в магазин, ценник заменят сегодня", "idempotency_key": "c-81723-1"}]})

    text: str = Field(min_length=1, max_length=MAX_TEXT, pattern=NOT_BLANK)
    idempotency_key: str | None = _key(default=None)


class MergeRequest(BaseModel):
    """Merge this case into another open one (the shopper's same issue, opened twice)."""

    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [{"into": "1042", "reason": "same"}]})

    into: str = Field(min_length=1, max_length=64, description="The case id or number that goes on")
    reason: str | None = Field(default=None, max_length=1000)


class RelateRequest(BaseModel):
    """Link another case as related (both name each other); neither closes."""

    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [{"case": "1043"}]})

    case: str = Field(min_length=1, max_length=64, description="The other case's id or number")


class CasePublic(BaseModel):
    """A case with its SLA clock, links, comments and history."""

    model_config = ConfigDict(json_schema_extra={"examples": [EXAMPLE_CASE]})

    id: str
    number: int
    label: str
    conversation_id: str
    customer_id: str
    channel: Channel
    request_type: str
    store_id: str | None
    order_id: str | None
    region: str | None
    priority: Priority
    description: str
    fields: dict[str, Any]
    attachments: list[CaseAttachment]
    source: CaseSource
    state: CaseState
    waiting_for: WaitingFor | None
    group: str
    assignee: str | None
    solution: str | None
    sla: CaseSla
    links: CaseLinks
    comments: list[CaseComment]
    history: list[CaseEvent]
    created_by: str
    created_at: datetime
    updated_at: datetime
    solved_at: datetime | None
    closed_at: datetime | None
    version: int


class CasePage(BaseModel):
    """One page of cases and the cursor to the next (null on the last page)."""

    model_config = ConfigDict(json_schema_extra={"examples": [{"items": [EXAMPLE_CASE], "next_cursor": None}]})

    items: list[CasePublic]
    next_cursor: str | None


class RouteMapPublic(BaseModel):
    """The path of a case through groups and people, oldest hop first, with wall and working seconds."""

    model_config = ConfigDict(json_schema_extra={"examples": [
        {"case_id": EXAMPLE_CASE["id"], "number": 1042, "hops": [EXAMPLE_HOP]}]})

    case_id: str
    number: int
    hops: list[RouteHop]
