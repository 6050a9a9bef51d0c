"""Store port of the bot's compact per-conversation dialog state, and the promo codes it gave out.

The bot answers a turn from this one small document (the flow position, the slots, a few last lines),
never from the message history, so a turn costs the same at message 1 and message 1,000. Saves are
compare-and-set on `version`, and each record names the inbound message (`turn_key`) that produced it:
a redelivered message finds its own turn already saved and is not answered twice.
Adapters: `sqlite_dialog_state.py`, `mongo_dialog_state.py`; contract in
`tests/contract/test_dialog_state_store.py`.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, Protocol

from pydantic import BaseModel, ConfigDict, Field

from models.clock import utcnow
from models.ids import ConversationId


class SavedDialogState(BaseModel):
    """One conversation's dialog state as stored: the engine's document plus bookkeeping."""

    model_config = ConfigDict(frozen=True)

    conversation_id: ConversationId
    version: int = Field(default=0, ge=0)  # 0: never saved; each save adds one
    turn_key: str = ""  # the inbound message (or event) whose turn produced this state
    # The turns before it, newest last (a few): a message redelivered after later ones is still known as answered.
    earlier_turns: list[str] = Field(default_factory=list, max_length=32)
    data: dict[str, Any] = Field(default_factory=dict)  # the engine's state, JSON-ready
    updated_at: datetime = Field(default_factory=utcnow)


class DialogStateStore(Protocol):
    """Dialog states keyed by conversation, saved compare-and-set; promo codes one per (conversation, kind)."""

    async def get(self, conversation_id: ConversationId) -> SavedDialogState | None:
        """The saved state, or None before the bot's first turn in this conversation."""
        ...

    async def save(self, state: SavedDialogState, *, expected_version: int) -> bool:
        """Store `state` (its version must be expected_version + 1); False if another save came first."""
        ...

    async def delete(self, conversation_id: ConversationId) -> bool:
        """Forget a conversation's state (e.g. once it is closed); False if there was none."""
        ...

    async def purge_stale(self, before: datetime, *, limit: int = 500) -> int:
        """Forget up to `limit` states (and their codes) last saved before `before`, oldest first; how many."""
        ...

    async def kept_code(self, conversation_id: ConversationId, kind: str) -> str | None:
        """The conversation's `kind` code kept by remember_code, if any."""
        ...

    async def remember_code(self, conversation_id: ConversationId, kind: str, code: str) -> str:
        """Keep `code` as the conversation's `kind` code unless one is kept already; the kept code."""
        ...
