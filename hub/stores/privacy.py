"""The privacy store port: the audit log of reads, whole-customer reads for exports, erasure across every
collection that holds a customer's data, and the ordered scans retention walks in bounded batches.

Adapters: `hub/stores/sqlite/privacy.py`, `hub/stores/mongo/privacy.py`; one contract suite
(tests/contract/test_privacy_store.py) runs over both.
"""

from __future__ import annotations

from datetime import datetime
from typing import Protocol

from models.cases import Case
from models.conversations import Conversation
from models.customers import Customer
from models.ids import CustomerId
from models.messages import Message
from models.privacy import AuditEntry, AuditQuery, Erasure


class PrivacyStore(Protocol):
    """What personal-data duties need from a backend, beyond the other stores' ports."""

    async def open(self) -> None:
        """Create this feature's indexes (MongoDB); SQLite migrates with its database."""
        ...

    async def record(self, entry: AuditEntry) -> None:
        """Append one audit entry (the same id twice is kept once)."""
        ...

    async def search(self, query: AuditQuery) -> list[AuditEntry]:
        """Audit entries matching every filter given, newest first, at most `query.limit`."""
        ...

    async def conversations_of(self, customer_id: CustomerId) -> list[Conversation]:
        """Every conversation of the customer, oldest first."""
        ...

    async def messages_of(self, customer_id: CustomerId, *, after: int, limit: int) -> list[tuple[int, Message]]:
        """The customer's messages in stored order after position `after` (0: from the start), with positions."""
        ...

    async def cases_of(self, customer_id: CustomerId) -> list[Case]:
        """Every case opened for the customer, oldest first."""
        ...

    async def erase(self, erased: Customer, *, at: datetime) -> Erasure:
        """Anonymise the customer everywhere (hub/stores/anonymise.py) in one go: their profile, identities,
        messages, conversations, cases, claims, one-time codes and the bot's dialog states. Repeating it
        changes nothing more."""
        ...

    async def messages_after(self, after: int, *, limit: int) -> list[tuple[int, Message]]:
        """Every customer's messages in stored order after position `after`: retention's scan."""
        ...

    async def replace_messages(self, messages: list[Message]) -> None:
        """Write these messages back as they are now (retention's changes), found by id."""
        ...
