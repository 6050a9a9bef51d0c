"""Handover from the bot: the right queue, the note, idempotency, automatic assignment and live updates."""

from __future__ import annotations

import asyncio
import json
from datetime import timedelta
from typing import Any

from hub.inbox import handover, live, sla
from models.conversations import ConversationState, Priority
from models.messages import Direction
from models.staff import Availability
from tests.inbox_fixtures import bot_conversation, group, hub_on, operator

S = ConversationState


async def test_handover_lands_in_the_topic_group_with_note_once(make_settings: Any) -> None:
    async with hub_on(make_settings()) as hub:
        await group(hub, "returns")
        conversation = await bot_conversation(hub)
        summary = {"order": "4512", "intent": "return_refund"}
        first = await handover.hand_over(hub, conversation.id, topic="return_refund", priority=Priority.HIGH,
                                         note="Wants a refund for order 4512", summary=summary)
        again = await handover.hand_over(hub, conversation.id, topic="promo_code", note="repeat")

        assert (first.state, first.group, first.topic, first.priority) == (S.QUEUED, "returns", "return_refund", "high")
        assert first.handover_note == "Wants a refund for order 4512" and first.handover_summary == summary
        assert first.queued_at is not None and first.sla_first_response_due is not None
        assert again.version == first.version and again.group == "returns"  # the repeat changed nothing
        notes = [m for m in await hub.stores.messages.list_for_conversation(conversation.id)
                 if m.direction is Direction.INTERNAL]
        assert [n.text for n in notes] == ["Wants a refund for order 4512"]
        assert [c.id for c in await hub.stores.inbox.queue(["returns"])] == [conversation.id]
        assert [e.kind for e in first.history] == ["opened", "handed_over", "state_changed"]


async def test_handover_is_assigned_to_an_available_operator_and_broadcast(make_settings: Any) -> None:
    async with hub_on(make_settings()) as hub:
        await group(hub, "general")
        anna = await operator(hub, "anna", ["general"])
        conversation = await bot_conversation(hub)
        async with hub.bus.subscribe(live.group_topic("general")) as group_feed, \
                hub.bus.subscribe(live.operator_topic(anna.id)) as anna_feed:
            done = await handover.hand_over(hub, conversation.id, topic="weather", note="no idea")
            seen = [json.loads(await asyncio.wait_for(anext(group_feed), 2)) for _ in range(3)]
            mine = json.loads(await asyncio.wait_for(anext(anna_feed), 2))
        assert (done.state, done.assignee, done.group) == (S.ASSIGNED, anna.id, "general")
        assert [m["kind"] for m in seen] == ["queue.entered", "queue.left", "assigned"]
        assert (mine["kind"], mine["conversation_id"]) == ("assigned", conversation.id)


async def test_nobody_available_leaves_it_queued(make_settings: Any) -> None:
    async with hub_on(make_settings()) as hub:
        await operator(hub, "away", ["general"], availability=Availability.AWAY)
        conversation = await bot_conversation(hub)
        done = await handover.hand_over(hub, conversation.id, topic=None, note="")
        assert (done.state, done.assignee) == (S.QUEUED, None)


async def test_a_second_handover_after_reopening_starts_a_new_sla_round(make_settings: Any) -> None:
    async with hub_on(make_settings()) as hub:
        conversation = await bot_conversation(hub)
        first = await handover.hand_over(hub, conversation.id, topic=None, note="first", priority=Priority.URGENT)
        assert first.sla_first_response_due is not None
        await sla.scan_breaches(hub, first.sla_first_response_due + timedelta(seconds=1))
        stored = await hub.stores.conversations.get(conversation.id)
        stored.transition(S.RESOLVED, note="done")
        stored.group = None  # as after the bot resolved it: a reopen gives it back to the bot
        stored.reopen(at=stored.updated_at, window=timedelta(hours=1))
        await hub.stores.conversations.save(stored, expected_version=stored.version)

        second = await handover.hand_over(hub, conversation.id, topic=None, note="second")
        assert second.sla_breached == [] and second.sla_first_response_due is not None
        assert second.sla_first_response_due > first.sla_first_response_due
        notes = [m.text for m in await hub.stores.messages.list_for_conversation(conversation.id)
                 if m.direction is Direction.INTERNAL]
        assert notes == ["first", "second"]


async def test_a_customer_reopening_a_handled_conversation_is_queued_afresh_and_assigned(make_settings: Any) -> None:
    from hub.inbound.ingest import handle_inbound
    from models.messages import InboundMessage

    async with hub_on(make_settings(dialogs_dir="")) as hub:
        await group(hub, "general")
        said = {"channel": "api", "account_id": "crm", "external_user_id": "u-re"}
        await handle_inbound(InboundMessage(**said, external_id="m1", text="Hello"), hub)
        conversation = (await hub.stores.conversations.current_for(
            (await hub.stores.messages.find_external(*_key("m1"))).customer_id))  # type: ignore[union-attr]
        assert conversation is not None
        first = await handover.hand_over(hub, conversation.id, topic=None, note="first")
        assert first.sla_first_response_due is not None
        await sla.scan_breaches(hub, first.sla_first_response_due + timedelta(seconds=1))
        stored = await hub.stores.conversations.get(conversation.id)
        assert stored.sla_breached  # the first round breached
        stored.transition(S.RESOLVED, note="done")  # resolved by people: the group stays
        await hub.stores.conversations.save(stored, expected_version=stored.version)
        anna = await operator(hub, "anna", ["general"])

        message = InboundMessage(**said, external_id="m2", text="It broke again")
        await handle_inbound(message, hub)
        reopened = await hub.stores.conversations.get(conversation.id)
        await handle_inbound(message, hub)  # redelivered: nothing more happens
        again = await hub.stores.conversations.get(conversation.id)

    assert first.queued_at is not None and reopened.queued_at is not None and reopened.queued_at > first.queued_at
    assert reopened.sla_breached == [] and reopened.sla_first_response_due is not None  # a new round
    assert reopened.sla_first_response_due >= first.sla_first_response_due  # (equal outside working hours)
    assert (reopened.state, reopened.assignee) == (S.ASSIGNED, anna.id)
    assert again.version == reopened.version


def _key(external_id: str) -> tuple[Any, ...]:
    from models.channels import Channel

    return (Channel.API, "crm", Direction.INBOUND, external_id)
