"""Conversation SLA: deadlines in working hours, first response, breaches raised once."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from typing import Any

from prometheus_client import REGISTRY

from hub.bus.base import EVENTS
from hub.inbox import handover, sla
from models.conversations import Priority
from models.events import Event
from tests.inbox_fixtures import bot_conversation, group, hub_on

# Friday 20:30 in Moscow (UTC+3): half an hour of the working day (09:00-21:00) is left.
FRIDAY_EVENING = datetime(2025, 3, 7, 17, 30, tzinfo=UTC)


def breaches(kind: str, priority: str) -> float:
    """The breach counter's current value."""
    return REGISTRY.get_sample_value("otklik_sla_breaches_total", {"kind": kind, "priority": priority}) or 0.0


async def test_deadlines_count_working_hours_of_the_group_calendar(make_settings: Any) -> None:
    async with hub_on(make_settings()) as hub:
        await group(hub, "general")
        conversation = await bot_conversation(hub)
        queued = await handover.hand_over(hub, conversation.id, topic=None, note="", priority=Priority.NORMAL)
        calendar = await sla.calendar_for(hub, "general")
        clock = sla.clock(queued, calendar, queued.queued_at or FRIDAY_EVENING)
        assert clock.first_response_left is not None and 3590 < clock.first_response_left <= 3600

        sla.start_clock(hub, evening := queued.model_copy(update={
            "sla_first_response_due": None, "sla_resolution_due": None}), calendar, FRIDAY_EVENING)
        # normal: 1 h to first response -> 30 min on Friday, 30 min on Saturday morning (09:30 MSK = 06:30 UTC)
        assert evening.sla_first_response_due == datetime(2025, 3, 8, 6, 30, tzinfo=UTC)
        # 24 h to resolve -> 0.5 h Friday + 12 h Saturday + 11.5 h Sunday, until 20:30 MSK
        assert evening.sla_resolution_due == datetime(2025, 3, 9, 17, 30, tzinfo=UTC)
        assert evening.sla_next_due == evening.sla_first_response_due


async def test_breach_is_marked_and_raised_once_and_first_response_stops_its_clock(make_settings: Any) -> None:
    async with hub_on(make_settings()) as hub:
        late = await handover.hand_over(hub, (await bot_conversation(hub)).id, topic=None, note="",
                                        priority=Priority.URGENT)
        answered = await handover.hand_over(hub, (await bot_conversation(hub)).id, topic=None, note="",
                                            priority=Priority.URGENT)
        await sla.record_first_response(hub, answered.id, answered.created_at)
        assert late.sla_first_response_due is not None
        after = late.sla_first_response_due + timedelta(seconds=1)
        before = breaches("first_response", "urgent")
        events: list[Event] = []

        async def collect(payload: str) -> None:
            events.append(Event.model_validate_json(payload))

        assert await sla.scan_breaches(hub, after) == 1
        assert await sla.scan_breaches(hub, after) == 0
        assert await sla.scan_breaches(hub, after + timedelta(minutes=1)) == 0

        stored = await hub.stores.conversations.get(late.id)
        assert stored.sla_breached == ["first_response"] and stored.sla_next_due == stored.sla_resolution_due
        assert (await hub.stores.conversations.get(answered.id)).sla_breached == []
        assert breaches("first_response", "urgent") == before + 1
        assert [c.id for c in await hub.stores.inbox.breached()] == [late.id]

        stop = asyncio.Event()
        consumer = asyncio.create_task(hub.bus.consume(EVENTS, "test", "t", collect, stop=stop))
        await asyncio.sleep(0.3)
        stop.set()
        await consumer
        raised = [e for e in events if e.type == "conversation.sla_breached"]
        assert [(e.conversation_id, e.data["breach"]) for e in raised] == [(late.id, "first_response")]
