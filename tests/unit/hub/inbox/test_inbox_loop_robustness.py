"""Review fixes in the inbox's background steps: a new SLA round raises a new event, one bad record stops nothing."""

from __future__ import annotations

import asyncio
import json
from datetime import timedelta
from typing import Any

from hub.bus.base import EVENTS
from hub.core import Hub
from hub.inbox import follow_ups, handover, loops, notes, sla
from hub.stores.dialog_state import SavedDialogState
from models.clock import utcnow
from models.conversations import Conversation, Priority
from models.events import Event
from models.ids import ConversationId, new_id
from tests.inbox_fixtures import bot_conversation, hub_on, operator


async def _events(hub: Hub) -> list[Event]:
    """Every event published so far (read by a fresh consumer group)."""
    found: list[Event] = []

    async def collect(payload: str) -> None:
        found.append(Event.model_validate_json(payload))

    stop = asyncio.Event()
    consumer = asyncio.create_task(hub.bus.consume(EVENTS, f"test-{new_id()}", "t", collect, stop=stop))
    await asyncio.sleep(0.3)
    stop.set()
    await consumer
    return found


async def test_a_breach_in_a_second_sla_round_is_a_new_event(make_settings: Any) -> None:
    async with hub_on(make_settings()) as hub:
        queued = await handover.hand_over(hub, (await bot_conversation(hub)).id, topic=None, note="",
                                          priority=Priority.URGENT)
        assert queued.sla_first_response_due is not None
        first_round = queued.sla_first_response_due + timedelta(seconds=1)
        assert await sla.scan_breaches(hub, first_round) == 1
        calendar = await sla.calendar_for(hub, queued.group)

        def new_round(conversation: Conversation) -> list[str]:  # what requeue_reopened does on a reopen
            sla.reset(conversation)
            sla.start_clock(hub, conversation, calendar, first_round)
            return ["sla"]

        again, _ = await notes.update(hub, queued.id, new_round)
        assert again.sla_first_response_due is not None
        assert await sla.scan_breaches(hub, again.sla_first_response_due + timedelta(seconds=1)) == 1

        raised = [e for e in await _events(hub) if e.type == "conversation.sla_breached"]
        assert len(raised) == 2
        assert len({e.id for e in raised}) == 2  # subscribers drop a repeated id: the second breach must not be one


async def test_one_unreadable_conversation_does_not_stop_follow_ups(make_settings: Any) -> None:
    async with hub_on(make_settings()) as hub:
        anna = await operator(hub, "anna", ["general"])
        resolved = await handover.hand_over(hub, (await bot_conversation(hub)).id, topic=None, note="")
        await follow_ups.resolve(hub, resolved.id, "done", key="r-1", actor=anna, notify=False,
                                 follow_up_at=utcnow() - timedelta(seconds=1))
        # A document this version cannot read (an older schema, a hand edit), due in the SLA query.
        broken = json.dumps({"id": "broken", "state": "queued", "sla_next_due": "2020-01-01T00:00:00+00:00"})
        await hub.stores.conversations.db.run(  # type: ignore[attr-defined]
            "INSERT INTO conversations (id, customer_id, state, updated_at, version, doc)"
            " VALUES ('broken', 'nobody', 'queued', '2020-01-01T00:00:00+00:00', 1, ?)", (broken,))

        await loops.inbox_step(hub)

        assert [c.id for c in await hub.stores.inbox.reminders_for(anna.id)] == [resolved.id]


async def test_the_loop_purges_dialog_states_idle_past_the_retention(make_settings: Any) -> None:
    async with hub_on(make_settings(dialog_state_retention_days=30)) as hub:
        for name, idle in (("old", timedelta(days=31)), ("recent", timedelta(days=2))):
            state = SavedDialogState(conversation_id=ConversationId(name), version=1, turn_key="m1",
                                     updated_at=utcnow() - idle)
            assert await hub.stores.dialog_states.save(state, expected_version=0)

        await loops.inbox_step(hub)

        assert await hub.stores.dialog_states.get(ConversationId("old")) is None
        assert await hub.stores.dialog_states.get(ConversationId("recent")) is not None
