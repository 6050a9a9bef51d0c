"""Assignment: least loaded, round robin, capacity, availability, atomic claims, transfers and release."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from hub.core import Hub
from hub.inbox import assignment, handover, transfers
from models.conversations import Conversation, ConversationState
from models.errors import Conflict, Forbidden, PayloadError
from models.messages import Direction
from models.staff import Availability, Role
from tests.inbox_fixtures import bot_conversation, group, hub_on, operator

S = ConversationState


async def queued(hub: Hub, group_id: str = "general") -> Conversation:
    """A conversation handed over to `group_id` (assigned if someone is free)."""
    await hub.stores.inbox.set_route(f"topic-{group_id}", group_id)
    conversation = await bot_conversation(hub)
    return await handover.hand_over(hub, conversation.id, topic=f"topic-{group_id}", note="")


async def test_least_loaded_then_round_robin_within_capacity(make_settings: Any) -> None:
    async with hub_on(make_settings()) as hub:
        busy = await operator(hub, "busy", ["general"], capacity=2)
        anna = await operator(hub, "anna", ["general"], capacity=2)
        boris = await operator(hub, "boris", ["general"], capacity=2)
        first = await queued(hub)
        await assignment.set_availability(hub, busy.id, Availability.AWAY, actor=busy)
        assert first.assignee == anna.id  # all at zero and never assigned: by id
        order = [(await queued(hub)).assignee for _ in range(4)]
        # boris (0) first, then turns: anna got one longest ago, and so on; capacity 2 each
        assert order == [boris.id, anna.id, boris.id, None]
        assert await hub.stores.inbox.loads([anna.id, boris.id, busy.id]) == {anna.id: 2, boris.id: 2}
        assert len(await hub.stores.inbox.queue(["general"])) == 1


async def test_away_operators_get_nothing_until_they_come_back(make_settings: Any) -> None:
    async with hub_on(make_settings()) as hub:
        anna = await operator(hub, "anna", ["general"], availability=Availability.AWAY)
        waiting = await queued(hub)
        assert waiting.state is S.QUEUED
        await assignment.set_availability(hub, anna.id, Availability.AVAILABLE, actor=anna)
        assert (await hub.stores.conversations.get(waiting.id)).assignee == anna.id


async def test_operators_of_other_groups_and_zero_capacity_are_skipped(make_settings: Any) -> None:
    async with hub_on(make_settings()) as hub:
        await operator(hub, "other", ["returns"])
        await operator(hub, "full", ["general"], capacity=0)
        assert (await queued(hub)).state is S.QUEUED


async def test_many_concurrent_claims_from_two_processes_have_exactly_one_winner(make_settings: Any) -> None:
    settings = make_settings()
    async with hub_on(settings) as one, hub_on(settings) as two:  # two connections to one file, like two processes
        people = [await operator(one, f"op{i}", ["general"], availability=Availability.AWAY) for i in range(12)]
        conversation = await queued(one)

        async def try_claim(hub: Hub, index: int) -> str | None:
            try:
                return (await assignment.claim(hub, conversation.id, people[index])).assignee
            except Conflict:
                return None

        results = await asyncio.gather(*(try_claim(one if i % 2 else two, i) for i in range(12)))
        winners = [r for r in results if r is not None]
        assert len(winners) == 1
        stored = await one.stores.conversations.get(conversation.id)
        assert stored.assignee == winners[0] and stored.state is S.ASSIGNED
        assert sum(1 for e in stored.history if e.to_state is S.ASSIGNED) == 1


async def test_claim_needs_the_group(make_settings: Any) -> None:
    async with hub_on(make_settings()) as hub:
        stranger = await operator(hub, "stranger", ["returns"], availability=Availability.AWAY)
        conversation = await queued(hub)
        with pytest.raises(Forbidden):
            await assignment.claim(hub, conversation.id, stranger)


async def test_transfer_to_group_and_to_operator_records_the_note(make_settings: Any) -> None:
    async with hub_on(make_settings()) as hub:
        await group(hub, "general")
        await group(hub, "quality")
        anna = await operator(hub, "anna", ["general"])
        vera = await operator(hub, "vera", ["quality"], availability=Availability.AWAY)
        conversation = await queued(hub)
        assert conversation.assignee == anna.id

        moved = await transfers.transfer(hub, conversation.id, actor=anna, note="Broken goods: QC please",
                                          to_group="quality")
        assert (moved.state, moved.group, moved.assignee) == (S.QUEUED, "quality", None)
        entry = next(e for e in moved.history if e.kind == "transferred")
        assert entry.note == "Broken goods: QC please" and entry.data["from_assignee"] == anna.id

        boss = await operator(hub, "boss", [], roles=[Role.SUPERVISOR])
        handed = await transfers.transfer(hub, conversation.id, actor=boss, note="Vera knows this one",
                                           to_user=vera.id)
        assert (handed.state, handed.assignee, handed.group) == (S.ASSIGNED, vera.id, "quality")
        notes = [m.text for m in await hub.stores.messages.list_for_conversation(conversation.id)
                 if m.direction is Direction.INTERNAL]
        assert notes == ["Broken goods: QC please", "Vera knows this one"]
        with pytest.raises(PayloadError):
            await transfers.transfer(hub, conversation.id, actor=boss, note=" ", to_group="general")
        with pytest.raises(Forbidden):
            await transfers.transfer(hub, conversation.id, actor=anna, note="mine now", to_user=anna.id)


async def test_release_puts_it_back_for_someone_else(make_settings: Any) -> None:
    async with hub_on(make_settings()) as hub:
        anna = await operator(hub, "anna", ["general"])
        conversation = await queued(hub)
        boris = await operator(hub, "boris", ["general"])
        released = await assignment.release(hub, conversation.id, anna)
        assert (released.state, released.assignee) == (S.ASSIGNED, boris.id)
