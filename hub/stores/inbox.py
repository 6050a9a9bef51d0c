"""Store port of the operator inbox: queue pages, loads, SLA and follow-up scans, routes, canned responses.

Conversations themselves stay in `ConversationStore` (their writes keep optimistic versions); this port
adds the queries the inbox and the background scans need, each backed by an index so they stay fast at
50,000 conversations. Adapters: `sqlite_inbox.py`, `mongo_inbox.py`; both pass
`tests/contract/test_inbox_store.py`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from models.canned import CannedKind, CannedResponse
from models.conversations import Conversation, Priority

# Queue order: the most urgent first, then the longest waiting.
PRIORITY_RANK = {Priority.URGENT: 0, Priority.HIGH: 1, Priority.NORMAL: 2, Priority.LOW: 3}


@dataclass(frozen=True)
class QueueStat:
    """One group's queue right now."""

    group: str
    queued: int
    oldest_since: datetime | None  # when its longest-waiting conversation entered the queue


class InboxStore(Protocol):
    """The inbox's queries over conversations, plus routes, round-robin marks and canned responses."""

    async def queue(self, groups: Sequence[str], *, limit: int = 50, offset: int = 0) -> list[Conversation]:
        """Queued conversations of these groups: by priority (urgent first), then longest waiting."""
        ...

    async def queue_stats(self, groups: Sequence[str] | None = None) -> list[QueueStat]:
        """Queue length and oldest wait of each group with anything queued (of `groups`, or all)."""
        ...

    async def longest_waiting(self, groups: Sequence[str] | None = None, *, limit: int = 20) -> list[Conversation]:
        """Queued conversations waiting longest, whatever their priority (of `groups`, or all)."""
        ...

    async def assigned_to(self, user_id: str, *, limit: int = 200) -> list[Conversation]:
        """Conversations assigned to this operator, longest waiting first."""
        ...

    async def reminders_for(self, user_id: str, *, limit: int = 50) -> list[Conversation]:
        """Resolved conversations of this operator whose follow-up reminder is due, earliest first."""
        ...

    async def loads(self, user_ids: Sequence[str]) -> dict[str, int]:
        """How many conversations each operator holds (state assigned); absent ids hold none."""
        ...

    async def sla_due(self, now: datetime, *, limit: int = 200) -> list[Conversation]:
        """Queued or assigned conversations whose next SLA deadline is at or before `now`."""
        ...

    async def breached(self, groups: Sequence[str] | None = None, *, limit: int = 50) -> list[Conversation]:
        """Queued or assigned conversations with a breached SLA, oldest queue time first."""
        ...

    async def count_breached(self, groups: Sequence[str] | None = None) -> dict[str, int]:
        """Queued or assigned conversations with a breached SLA, counted per group."""
        ...

    async def follow_ups_due(self, now: datetime, *, limit: int = 200) -> list[Conversation]:
        """Conversations whose scheduled follow-up time is at or before `now`."""
        ...

    async def last_assigned(self, user_ids: Sequence[str]) -> dict[str, datetime]:
        """When each operator last got a conversation by automatic assignment (round robin)."""
        ...

    async def mark_assigned(self, user_id: str, at: datetime) -> None:
        """Record that this operator just got a conversation."""
        ...

    async def routes(self) -> dict[str, str]:
        """Admins' topic → group overrides."""
        ...

    async def set_route(self, topic: str, group: str | None) -> None:
        """Override the group of a topic; None removes the override."""
        ...

    async def save_canned(self, item: CannedResponse, *, expected_version: int | None = None) -> None:
        """Insert or replace and bump `version`; Conflict if the (language, shortcut) is another's, or
        (with `expected_version`) if someone saved since."""
        ...

    async def get_canned(self, item_id: str) -> CannedResponse:
        """The canned response, or NotFound."""
        ...

    async def delete_canned(self, item_id: str) -> bool:
        """Remove; False if it did not exist."""
        ...

    async def search_canned(
        self, *, language: str, prefix: str = "", kind: CannedKind | None = None, topic: str | None = None,
        limit: int = 20,
    ) -> list[CannedResponse]:
        """Canned responses of a language whose shortcut starts with `prefix`, by shortcut."""
        ...
