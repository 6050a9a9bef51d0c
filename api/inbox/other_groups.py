"""The one rule for what the customer's context shows of conversations the viewer may not open.

A customer's history spans conversations of many groups (more so after a merge). An operator who would get
404 on one of them sees it only as "a conversation in group X": when and where, never its messages, notes,
topic or outcome. The timeline and the customer panel both ask `foreign_conversations` and show nothing
else of what it returns; `access.may_see` stays the only test of who may see what.
"""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING

from api.inbox.access import may_see
from api.inbox.rows import group_name
from api.inbox.views import TimelineItem
from models.conversations import Conversation
from models.errors import NotFound
from models.ids import ConversationId
from models.staff import User

if TYPE_CHECKING:
    from hub.core import Hub


async def foreign_conversations(hub: Hub, user: User, ids: set[str]) -> dict[str, Conversation | None]:
    """The conversations among `ids` that `user` may not open (a vanished one counts as foreign)."""
    if user.oversees or not ids:
        return {}

    async def load(conversation_id: str) -> Conversation | None:
        try:
            return await hub.stores.conversations.get(ConversationId(conversation_id))
        except NotFound:
            return None

    ordered = sorted(ids)
    found = await asyncio.gather(*(load(i) for i in ordered))
    return {i: c for i, c in zip(ordered, found, strict=True) if c is None or not may_see(user, c)}


async def collapse_foreign(hub: Hub, user: User, items: list[TimelineItem]) -> list[TimelineItem]:
    """Timeline lines of conversations the user may not open, replaced by one content-free line each."""
    foreign = await foreign_conversations(hub, user, {i.conversation_id for i in items if not i.current})
    if not foreign:
        return items
    kept: list[TimelineItem] = []
    placed: set[str] = set()
    for item in items:
        if item.current or item.conversation_id not in foreign:
            kept.append(item)
        elif item.conversation_id not in placed:  # the first line's moment marks where it sits
            placed.add(item.conversation_id)
            kept.append(await _elsewhere(hub, item, foreign[item.conversation_id], len(placed)))
    return kept


async def _elsewhere(hub: Hub, item: TimelineItem, conversation: Conversation | None, n: int) -> TimelineItem:
    group = conversation.group if conversation is not None else None
    return TimelineItem(kind="elsewhere", id=f"elsewhere-{n}", at=item.at,
                        conversation_id=item.conversation_id, current=False, channel=item.channel,
                        group_name=await group_name(hub, group) or "")
