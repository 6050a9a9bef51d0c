"""Outbound webhooks end to end on the embedded default: api channel messages → events → fan-out → signed
POSTs to a receiver on 127.0.0.1 that verifies them with `standardwebhooks`, goes down and comes back."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import AsyncIterator
from datetime import timedelta
from typing import Any

import pytest

from models.clock import utcnow
from models.ids import ConversationId
from models.messages import Message
from models.webhooks import Delivery, WebhookStatus
from tests.conftest import RunningApp
from tests.fakes.webhook_receiver import WebhookReceiver, webhook_receiver
from tests.integration.helpers import eventually
from tests.integration.helpers_webhooks import all_settled, delivered, fast_settings, manage_token, say, subscribe


@pytest.fixture
async def crm() -> AsyncIterator[WebhookReceiver]:
    """The CRM's webhook endpoint."""
    async with webhook_receiver() as receiver:
        yield receiver


async def stored_messages(running: RunningApp) -> list[Message]:
    """Every message of the two test users."""
    found: list[Message] = []
    for delivery in await running.hub.stores.webhooks.list_deliveries(limit=1000):
        if delivery.conversation_id is not None:
            found += await running.hub.stores.messages.list_for_conversation(ConversationId(delivery.conversation_id))
    return list({m.id: m for m in found}.values())


def in_order(deliveries: list[Delivery]) -> dict[str, list[str]]:
    """Event ids per conversation, in the order the dispatcher must keep."""
    lanes: dict[str, list[str]] = defaultdict(list)
    for d in sorted(deliveries, key=lambda d: (d.event_at, d.seq)):
        if d.conversation_id is not None:
            lanes[d.conversation_id].append(d.event_id)
    return lanes


async def test_a_receiver_down_and_back_gets_every_event_once_accepted_and_in_order(
    make_settings: Any, start_app: Any, crm: WebhookReceiver
) -> None:
    async with start_app(fast_settings(make_settings, webhook_timeout=0.5)) as running:
        await subscribe(running, await manage_token(running), crm)
        await say(running, "u-1", "m-1")
        await say(running, "u-2", "m-2")
        await all_settled(running, at_least=8)  # per new user: customer, conversation, message, bot reply

        await crm.stop()  # down: connections refused
        for n in range(3, 7):
            await say(running, f"u-{n % 2 + 1}", f"m-{n}", text=f"сообщение {n}")
        await eventually(lambda: running.hub.stores.webhooks.list_deliveries(status=WebhookStatus.FAILED),
                         lambda failing: len(failing) >= 2 and all(d.attempts >= 2 for d in failing))
        crm.status, before = 503, len(crm.arrivals)  # up again, but not well yet
        await crm.start()
        await crm.wait_until(lambda r: len(r.arrivals) >= before + 3)
        crm.hang_once = 1.0  # takes one but answers after our timeout: that one comes again
        crm.status = 200
        deliveries = await all_settled(running, at_least=16)
        messages = await stored_messages(running)

    assert delivered(deliveries) and crm.forged == 0
    assert {d.event_id for d in deliveries} == set(crm.event_ids())  # none lost
    assert {f"message.{'received' if m.direction == 'inbound' else 'sent'}:{m.id}" for m in messages} <= set(
        crm.event_ids())
    ids_of: dict[str, set[str]] = defaultdict(set)
    for arrival in crm.arrivals:
        ids_of[arrival.event_id].add(arrival.webhook_id)
    assert all(len(ids) == 1 for ids in ids_of.values())  # repeats carry the same webhook-id
    assert len(crm.arrivals) > len(deliveries)  # there were repeats: refused, 503, timed out
    first_accepted = list(dict.fromkeys(crm.event_ids()))
    for wanted in in_order(deliveries).values():
        assert [i for i in first_accepted if i in wanted] == wanted


async def test_each_subscription_gets_only_the_event_types_it_chose(
    make_settings: Any, start_app: Any, crm: WebhookReceiver
) -> None:
    async with webhook_receiver() as other, start_app(fast_settings(make_settings)) as running:
        headers = await manage_token(running)
        await subscribe(running, headers, crm, ["message.received"])
        await subscribe(running, headers, other, ["conversation.*", "customer.created"])
        await say(running, "u-1", "m-1")
        await say(running, "u-1", "m-2")
        await all_settled(running, at_least=4)

    assert [a.payload["type"] for a in crm.accepted] == ["message.received", "message.received"]
    assert sorted(a.payload["type"] for a in other.accepted) == ["conversation.opened", "customer.created"]
    received = crm.accepted[0].payload
    assert received["version"] == 1 and received["data"]["channel"] == "api"
    assert {"customer_id", "conversation_id", "message_id"} <= set(received["data"])


async def test_replay_resends_exactly_the_chosen_deliveries_with_their_webhook_ids(
    make_settings: Any, start_app: Any, crm: WebhookReceiver
) -> None:
    async with start_app(fast_settings(make_settings)) as running:
        headers = await manage_token(running)
        await subscribe(running, headers, crm, ["message.received"])
        await say(running, "u-1", "m-1")
        await all_settled(running, at_least=1)
        middle = utcnow()
        await say(running, "u-2", "m-2")
        await say(running, "u-3", "m-3")
        first, *later = await all_settled(running, at_least=3)
        before = len(crm.arrivals)

        one = await running.client.post(f"/api/v1/webhooks/deliveries/{first.id}/replay", headers=headers)
        await crm.wait_until(lambda r: len(r.arrivals) == before + 1)
        window = {"since": middle.isoformat(), "until": (utcnow() + timedelta(seconds=1)).isoformat()}
        ranged = await running.client.post("/api/v1/webhooks/deliveries/replay", json=window, headers=headers)
        await crm.wait_until(lambda r: len(r.arrivals) == before + 3)
        after = await all_settled(running, at_least=3)

    assert one.status_code == 202 and one.json()["id"] == first.id
    assert ranged.status_code == 202 and ranged.json() == {"replayed": [d.id for d in later], "busy": []}
    resent = crm.arrivals[before:]
    assert resent[0].webhook_id == first.id and {a.webhook_id for a in resent[1:]} == {d.id for d in later}
    original = {a.webhook_id: a.payload for a in crm.arrivals[:before]}
    assert all(a.payload == original[a.webhook_id] for a in resent)  # the same bodies
    assert [d.replays for d in after] == [1, 1, 1] and delivered(after)
