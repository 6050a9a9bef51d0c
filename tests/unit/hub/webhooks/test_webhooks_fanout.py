"""Fan-out: one delivery per active subscription that wants the event, once, held briefly when fresh."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from hub.stores.sqlite.stores import SqliteStores
from hub.webhooks import fanout, subscriptions
from hub.webhooks.runner import order_hold
from models.clock import utcnow
from models.events import Event
from models.webhooks import delivery_id


@pytest.fixture
async def stores(tmp_path: Path) -> AsyncIterator[SqliteStores]:
    """The embedded store on a fresh file."""
    opened = SqliteStores(str(tmp_path / "otklik.sqlite3"))
    await opened.open()
    yield opened
    await opened.close()


def received(message: str = "m1", **fields: object) -> Event:
    """A message.received event in conversation c1."""
    return Event.model_validate({"id": f"message.received:{message}", "type": "message.received",
                                 "conversation_id": "c1", "customer_id": "cu1", "message_id": message, **fields})


async def test_each_active_subscription_that_wants_the_event_gets_one_delivery(stores: SqliteStores) -> None:
    everything = await subscriptions.create(stores.webhooks, "https://a.example/h", ["*"])
    messages = await subscriptions.create(stores.webhooks, "https://b.example/h", ["message.*"])
    await subscriptions.create(stores.webhooks, "https://c.example/h", ["conversation.*"])
    await subscriptions.create(stores.webhooks, "https://d.example/h", ["*"], active=False)

    assert await fanout.fan_out(received(), stores.webhooks) == 2
    assert await fanout.handle(received().model_dump_json(), stores.webhooks) == 0  # read again: nothing new

    deliveries = await stores.webhooks.list_deliveries()
    assert sorted(d.subscription_id for d in deliveries) == sorted([everything.id, messages.id])
    assert {d.id for d in deliveries} == {delivery_id(s.id, "message.received:m1") for s in (everything, messages)}
    assert all(d.lane == "c1" and d.conversation_id == "c1" and d.payload == deliveries[0].payload
               for d in deliveries)


async def test_an_event_without_conversation_has_a_lane_of_its_own(stores: SqliteStores) -> None:
    await subscriptions.create(stores.webhooks, "https://a.example/h", ["*"])
    await fanout.fan_out(Event.model_validate({"id": "customer.created:cu1", "type": "customer.created",
                                               "customer_id": "cu1"}), stores.webhooks)
    [delivery] = await stores.webhooks.list_deliveries()
    assert delivery.lane == delivery.id


async def test_a_fresh_event_is_held_and_an_old_one_is_due_at_once(stores: SqliteStores) -> None:
    await subscriptions.create(stores.webhooks, "https://a.example/h", ["*"])
    now = utcnow()
    await fanout.fan_out(received("fresh", at=now), stores.webhooks, now=now, hold=1.0)
    await fanout.fan_out(received("old", at=now - timedelta(minutes=5)), stores.webhooks, now=now, hold=1.0)

    due = {d.message_id: d.next_attempt_at for d in await stores.webhooks.list_deliveries()}
    assert due == {"fresh": now + timedelta(seconds=1), "old": now}


def test_the_hold_is_needed_only_when_several_workers_read_the_events(make_settings: Any) -> None:
    assert order_hold(make_settings()) == 0.0
    assert order_hold(make_settings(bus="redis")) == 1.0
    assert order_hold(make_settings(bus="redis", webhook_order_hold=0.2)) == 0.2


async def test_a_change_in_this_process_is_seen_by_the_next_event(stores: SqliteStores) -> None:
    stores.webhooks.subscription_cache.clock = lambda: 0.0  # the TTL never ends: only the changes drop the cache
    first = await subscriptions.create(stores.webhooks, "https://a.example/h", ["*"])
    assert await fanout.fan_out(received("m1"), stores.webhooks) == 1  # the active list is cached now

    second = await subscriptions.create(stores.webhooks, "https://b.example/h", ["*"])
    assert await fanout.fan_out(received("m2"), stores.webhooks) == 2  # created before: gets the next event
    await stores.webhooks.set_active(first.id, False)
    assert await fanout.fan_out(received("m3"), stores.webhooks) == 1
    await stores.webhooks.remove_subscription(second.id)
    assert await fanout.fan_out(received("m4"), stores.webhooks) == 0

    sent = {(d.subscription_id, d.message_id) for d in await stores.webhooks.list_deliveries()}
    assert sent == {(first.id, "m1"), (first.id, "m2"), (second.id, "m2"), (second.id, "m3")}


async def test_fan_out_reads_the_subscriptions_once_per_second_not_per_event(stores: SqliteStores) -> None:
    stores.webhooks.subscription_cache.clock = lambda: 0.0
    await subscriptions.create(stores.webhooks, "https://a.example/h", ["*"])
    await fanout.fan_out(received("m1"), stores.webhooks)
    statements: list[str] = []
    await stores.db.set_trace_callback(statements.append)
    try:
        await fanout.fan_out(received("m2"), stores.webhooks)
    finally:
        await stores.db.set_trace_callback(None)
    assert not [s for s in statements if "webhook_subscriptions" in s]
