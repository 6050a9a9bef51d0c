"""A handover, SLA breach or follow-up met by a bus outage is announced once the bus is back, never lost."""

from __future__ import annotations

import contextlib
from datetime import timedelta
from typing import Any
from urllib.parse import urlsplit

import pytest

from hub.inbox import follow_ups, handover, sla
from models.clock import utcnow
from models.conversations import ConversationState, Priority
from tests.conftest import REDIS_URL
from tests.fakes.tcp_proxy import TcpProxy
from tests.inbox_fixtures import bot_conversation, hub_on, operator
from tests.integration.helpers import events_so_far
from tests.redis_keys import drop_keys

pytestmark = pytest.mark.redis


async def test_a_breach_scanned_during_a_bus_outage_is_announced_by_the_next_scan(make_settings: Any) -> None:
    target = urlsplit(REDIS_URL)
    proxy = TcpProxy(target.hostname or "127.0.0.1", target.port or 6379)
    await proxy.start()
    settings = make_settings(bus="redis", redis_url=f"redis://127.0.0.1:{proxy.port}{target.path}")
    try:
        async with hub_on(settings) as hub:
            late = await handover.hand_over(hub, (await bot_conversation(hub)).id, topic=None, note="",
                                            priority=Priority.URGENT)
            assert late.sla_first_response_due is not None
            after = late.sla_first_response_due + timedelta(seconds=1)

            await proxy.cut()
            with contextlib.suppress(Exception):  # the bus is down: this scan cannot publish
                await sla.scan_breaches(hub, after)
            await proxy.start()

            assert await sla.scan_breaches(hub, after) == 1
            assert (await hub.stores.conversations.get(late.id)).sla_breached == ["first_response"]
            raised = [e for e in await events_so_far(hub) if e.type == "conversation.sla_breached"]
            assert [(e.conversation_id, e.data["breach"]) for e in raised] == [(late.id, "first_response")]
    finally:
        await proxy.cut()
        await drop_keys(settings.redis_prefix)


async def test_a_follow_up_due_during_a_bus_outage_is_announced_by_the_next_round(make_settings: Any) -> None:
    target = urlsplit(REDIS_URL)
    proxy = TcpProxy(target.hostname or "127.0.0.1", target.port or 6379)
    await proxy.start()
    settings = make_settings(bus="redis", redis_url=f"redis://127.0.0.1:{proxy.port}{target.path}")
    try:
        async with hub_on(settings) as hub:
            anna = await operator(hub, "anna", ["general"])
            done = await handover.hand_over(hub, (await bot_conversation(hub)).id, topic=None, note="")
            await follow_ups.resolve(hub, done.id, "done", key="r-1", actor=anna, notify=False,
                                     follow_up_at=utcnow() - timedelta(seconds=1), follow_up_note="call back")

            await proxy.cut()
            with contextlib.suppress(Exception):  # the bus is down: this round cannot publish
                await follow_ups.due_follow_ups(hub)
            await proxy.start()

            assert await follow_ups.due_follow_ups(hub) == 1
            assert [c.id for c in await hub.stores.inbox.reminders_for(anna.id)] == [done.id]
            due = [e for e in await events_so_far(hub) if e.type == "conversation.follow_up_due"]
            assert [(e.conversation_id, e.data["note"]) for e in due] == [(done.id, "call back")]
    finally:
        await proxy.cut()
        await drop_keys(settings.redis_prefix)


async def test_a_handover_during_a_bus_outage_leaves_the_conversation_with_the_bot_to_retry(
    make_settings: Any,
) -> None:
    target = urlsplit(REDIS_URL)
    proxy = TcpProxy(target.hostname or "127.0.0.1", target.port or 6379)
    await proxy.start()
    settings = make_settings(bus="redis", redis_url=f"redis://127.0.0.1:{proxy.port}{target.path}")
    try:
        async with hub_on(settings) as hub:
            conversation = await bot_conversation(hub)
            await proxy.cut()
            with contextlib.suppress(Exception):  # the bus is down: the handover cannot be announced
                await handover.hand_over(hub, conversation.id, topic=None, note="")
            # Still the bot's: the inbound message fails and is redelivered, and the bot's retry hands over.
            assert (await hub.stores.conversations.get(conversation.id)).state is ConversationState.BOT
            await proxy.start()

            queued = await handover.hand_over(hub, conversation.id, topic=None, note="")
            assert queued.state is ConversationState.QUEUED
            handed = [e for e in await events_so_far(hub) if e.type == "conversation.handed_over"]
            assert [e.conversation_id for e in handed] == [conversation.id]
    finally:
        await proxy.cut()
        await drop_keys(settings.redis_prefix)
