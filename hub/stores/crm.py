"""The CRM API's store port: paged conversation queries and the bulk moves a customer merge needs.

Adapters: `sqlite_crm.py` and `mongo_crm.py`; both pass the "CRM API" part of the store contract.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from models.channels import Channel
from models.conversations import Conversation, ConversationState
from models.customers import Customer
from models.ids import ConversationId, CustomerId

PageKey = tuple[datetime, ConversationId]  # (updated_at, id) of the last item of the previous page


@dataclass(frozen=True)
class ConversationQuery:
    """Which conversations a page lists; an empty field matches any."""

    states: frozenset[ConversationState] = frozenset()
    channel: Channel | None = None
    group: str | None = None
    topic: str | None = None
    customer_id: CustomerId | None = None
    updated_after: datetime | None = None  # timezone-aware


class CrmStore(Protocol):
    """Queries and moves across customers, conversations and messages for the CRM API."""

    async def conversations_page(
        self, query: ConversationQuery, *, after: PageKey | None, limit: int
    ) -> list[Conversation]:
        """Up to `limit` matching conversations in (updated_at, id) order, those after `after` only."""
        ...

    async def merge_customers(self, survivor: CustomerId, merged: CustomerId) -> Customer:
        """Move every identity of `merged` to `survivor` (with `merged_profile`) and mark `merged` as merged
        into it, atomically; returns the survivor. Repeating a finished merge changes nothing. NotFound if
        either is absent; Conflict if they are the same, or either was already merged elsewhere."""
        ...

    async def move_messages(self, from_customer: CustomerId, to_customer: CustomerId) -> int:
        """Make every message of one customer the other's; how many moved."""
        ...
