"""Automatic assignment from two processes at once never fills an operator beyond their capacity."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

from api.wiring import running_hub
from hub.core import Hub
from hub.inbox import assignment, handover, notes
from models.conversations import Conversation, ConversationState
from models.staff import Availability
from tests.inbox_fixtures import bot_conversation, group, hub_on, operator

ROUNDS = 3  # the clash depends on the interleaving: a few rounds make a miss by luck unlikely


async def _queued_in(hub: Hub, group_id: str) -> Conversation:
    """A conversation handed over and then moved to `group_id`'s queue."""
    queued = await handover.hand_over(hub, (await bot_conversation(hub)).id, topic=None, note="")

    def move(conversation: Conversation) -> list[str]:
        conversation.group = group_id
        return ["group"]

    moved, _ = await notes.update(hub, queued.id, move)
    return moved


async def test_two_processes_assigning_two_groups_keep_the_operator_within_capacity(
    make_settings: Any, tmp_path: Path,
) -> None:
    settings = make_settings(sqlite_path=str(tmp_path / "race.db"))
    async with hub_on(settings) as first, running_hub(settings) as second:  # two processes' own hubs on one store
        for n in range(ROUNDS):
            a, b = await group(first, f"a{n}"), await group(first, f"b{n}")
            anna = await operator(first, f"anna{n}", [a.id, b.id], capacity=1, availability=Availability.AWAY)
            queued = [await _queued_in(first, a.id), await _queued_in(first, b.id)]
            await first.stores.directory.set_availability(anna.id, Availability.AVAILABLE)

            await asyncio.gather(assignment.auto_assign(first, a.id), assignment.auto_assign(second, b.id))

            assert (await first.stores.inbox.loads([anna.id])).get(anna.id, 0) == 1
            states = [(await first.stores.conversations.get(c.id)).state for c in queued]
            assert sorted(states) == [ConversationState.ASSIGNED, ConversationState.QUEUED]
