"""The dispatcher against a real receiver on 127.0.0.1 that verifies every signature with `standardwebhooks`:
retries, Retry-After, final refusals, the budget, ordering per conversation, leases and parallel dispatchers.
Tiny backoffs and budgets stand in for minutes and hours."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Callable
from datetime import timedelta
from pathlib import Path

import pytest

from hub.egress import GuardedClient, guarded_client
from hub.stores.sqlite.stores import SqliteStores
from hub.webhooks import fanout, subscriptions
from hub.webhooks.dispatcher import Dispatcher
from hub.webhooks.retries import DeliveryPolicy
from models.clock import utcnow
from models.egress import EgressPolicy
from models.events import Event
from models.webhooks import Delivery, Subscription, WebhookStatus
from tests.conftest import LOCAL_RECEIVERS
from tests.fakes.webhook_receiver import WebhookReceiver, webhook_receiver

FAST = DeliveryPolicy(max_attempts=100, budget=timedelta(seconds=30), backoff_base=0.01, backoff_max=0.05,
                      timeout=1.0, lease_margin=1.0)


@pytest.fixture
async def stores(tmp_path: Path) -> AsyncIterator[SqliteStores]:
    """The embedded store on a fresh file."""
    opened = SqliteStores(str(tmp_path / "otklik.sqlite3"))
    await opened.open()
    yield opened
    await opened.close()


@pytest.fixture
async def crm() -> AsyncIterator[WebhookReceiver]:
    """The CRM's webhook endpoint."""
    async with webhook_receiver() as receiver:
        yield receiver


@pytest.fixture
async def http() -> AsyncIterator[GuardedClient]:
    """The client dispatchers send with: the production one, allowed to reach the local receiver."""
    async with guarded_client(EgressPolicy(allow=tuple(LOCAL_RECEIVERS)), timeout=10.0) as client:
        yield client


async def subscribe(stores: SqliteStores, crm: WebhookReceiver, events: list[str] | None = None) -> Subscription:
    """A subscription to the receiver, whose secret the receiver verifies with."""
    created = await subscriptions.create(stores.webhooks, crm.url, events or ["*"],
                                         egress=EgressPolicy(allow=tuple(LOCAL_RECEIVERS)))
    crm.secret = created.secret.get_secret_value()
    return created


async def publish(stores: SqliteStores, conversation: str, *names: str) -> list[Event]:
    """Events of one conversation, fanned out in this order."""
    events = [Event.model_validate({"id": f"message.received:{name}", "type": "message.received",
                                    "conversation_id": conversation, "message_id": name}) for name in names]
    for event in events:
        await fanout.fan_out(event, stores.webhooks)
    return events


async def dispatch_until(dispatchers: list[Dispatcher], done: Callable[[], bool], timeout: float = 10.0) -> None:
    """Run the dispatchers until `done()` holds."""
    stop = asyncio.Event()
    running = [asyncio.create_task(d.run(stop, interval=0.02)) for d in dispatchers]
    try:
        async with asyncio.timeout(timeout):
            while not done():
                await asyncio.sleep(0.02)
    finally:
        stop.set()
        await asyncio.gather(*running)


async def settled(stores: SqliteStores) -> list[Delivery]:
    """Every delivery, oldest first."""
    return (await stores.webhooks.list_deliveries(limit=1000))[::-1]


def dispatcher(stores: SqliteStores, http: GuardedClient, policy: DeliveryPolicy = FAST, owner: str = "w1"
               ) -> Dispatcher:
    """A dispatcher on these stores."""
    return Dispatcher(stores.webhooks, http, policy, owner=owner)


async def test_a_4xx_is_dead_after_one_attempt_and_the_conversation_goes_on(
    stores: SqliteStores, crm: WebhookReceiver, http: GuardedClient
) -> None:
    await subscribe(stores, crm)
    crm.script.append((400, {}))
    await publish(stores, "c1", "m1", "m2")

    await dispatch_until([dispatcher(stores, http)], lambda: len(crm.arrivals) >= 2)
    first, second = await settled(stores)

    assert [a.event_id for a in crm.arrivals] == ["message.received:m1", "message.received:m2"]
    assert (first.status, first.attempts, first.last_status_code) == (WebhookStatus.DEAD, 1, 400)
    assert (second.status, second.attempts) == (WebhookStatus.DELIVERED, 1)


async def test_429_waits_as_long_as_retry_after_says(
    stores: SqliteStores, crm: WebhookReceiver, http: GuardedClient
) -> None:
    await subscribe(stores, crm)
    crm.script.append((429, {"retry-after": "1"}))
    await publish(stores, "c1", "m1")

    await dispatch_until([dispatcher(stores, http)], lambda: len(crm.accepted) == 1)
    [delivery] = await settled(stores)

    refused, taken = crm.arrivals
    assert taken.at - refused.at >= 0.95  # the backoff alone would have retried within 0.05 s
    assert [(a.status_code, a.outcome) for a in delivery.log] == [(429, "failed"), (200, "delivered")]


async def test_a_receiver_down_past_the_budget_ends_dead(
    stores: SqliteStores, crm: WebhookReceiver, http: GuardedClient
) -> None:
    await subscribe(stores, crm)
    crm.status = 503
    await publish(stores, "c1", "m1")
    policy = DeliveryPolicy(max_attempts=1000, budget=timedelta(seconds=0.5), backoff_base=0.01, backoff_max=0.1,
                            timeout=1.0)
    started = time.monotonic()

    await dispatch_until([dispatcher(stores, http, policy)],
                         lambda: bool(crm.arrivals) and crm.arrivals[-1].at - started > 0.5)
    [delivery] = await settled(stores)

    assert delivery.status is WebhookStatus.DEAD and delivery.attempts == len(crm.arrivals) > 2
    assert "budget" in (delivery.last_error or "") and delivery.last_status_code == 503
    assert await stores.webhooks.list_deliveries(status=WebhookStatus.DEAD) == [delivery]


async def test_the_attempts_budget_ends_in_dead_after_exactly_that_many(
    stores: SqliteStores, crm: WebhookReceiver, http: GuardedClient
) -> None:
    await subscribe(stores, crm)
    crm.status = 500
    await publish(stores, "c1", "m1")
    policy = DeliveryPolicy(max_attempts=3, backoff_base=0.01, backoff_max=0.02, timeout=1.0)

    await dispatch_until([dispatcher(stores, http, policy)], lambda: len(crm.arrivals) >= 3)
    await asyncio.sleep(0.2)  # room for a fourth attempt, which must not come
    [delivery] = await settled(stores)

    assert len(crm.arrivals) == 3 and (delivery.status, delivery.attempts) == (WebhookStatus.DEAD, 3)


async def test_a_timed_out_attempt_is_retried_with_the_same_webhook_id_and_body(
    stores: SqliteStores, crm: WebhookReceiver, http: GuardedClient
) -> None:
    await subscribe(stores, crm)
    crm.hang_once = 1.0  # the receiver takes it but answers after our 0.3 s limit
    await publish(stores, "c1", "m1")
    policy = DeliveryPolicy(backoff_base=0.01, backoff_max=0.02, timeout=0.3, lease_margin=0.5)

    await dispatch_until([dispatcher(stores, http, policy)], lambda: len(crm.arrivals) >= 2)
    [delivery] = await settled(stores)

    first, second = crm.arrivals
    assert first.webhook_id == second.webhook_id == delivery.id and first.payload == second.payload
    assert delivery.status is WebhookStatus.DELIVERED and "timed out" in (delivery.log[0].error or "")


async def test_each_conversation_arrives_in_order_through_failures(
    stores: SqliteStores, crm: WebhookReceiver, http: GuardedClient
) -> None:
    await subscribe(stores, crm)
    crm.script.extend([(503, {}), (502, {}), (500, {}), (503, {}), (504, {})])
    first = await publish(stores, "c1", "a1", "a2", "a3", "a4")
    second = await publish(stores, "c2", "b1", "b2", "b3", "b4")

    await dispatch_until([dispatcher(stores, http)], lambda: len(crm.accepted) == 8)

    for events in (first, second):
        wanted = [e.id for e in events]
        assert [i for i in crm.event_ids() if i in wanted] == wanted


async def test_two_dispatchers_in_parallel_never_send_the_same_attempt(
    tmp_path: Path, stores: SqliteStores, crm: WebhookReceiver, http: GuardedClient
) -> None:
    other = SqliteStores(stores.db.path)  # a second process's connection to the same file
    await other.open()
    try:
        await subscribe(stores, crm)
        expected: dict[str, list[str]] = {}
        for n in range(6):
            expected[f"c{n}"] = [e.id for e in await publish(stores, f"c{n}", *[f"{n}-{k}" for k in range(6)])]

        await dispatch_until([dispatcher(stores, http, owner="w1"), dispatcher(other, http, owner="w2")],
                             lambda: len(crm.arrivals) >= 36)
        await asyncio.sleep(0.1)
        deliveries = await settled(stores)
    finally:
        await other.close()

    assert len(crm.arrivals) == 36 and len({a.webhook_id for a in crm.arrivals}) == 36
    assert all(d.status is WebhookStatus.DELIVERED and d.attempts == 1 for d in deliveries)
    for wanted in expected.values():
        assert [i for i in crm.event_ids() if i in wanted] == wanted


async def test_a_crashed_dispatchers_delivery_is_sent_once_its_lease_expires(
    stores: SqliteStores, crm: WebhookReceiver, http: GuardedClient
) -> None:
    await subscribe(stores, crm)
    [event] = await publish(stores, "c1", "m1")
    [delivery] = await settled(stores)
    now = utcnow()
    assert await stores.webhooks.claim(delivery.id, owner="crashed", now=now, until=now + timedelta(seconds=0.5))
    started = time.monotonic()

    await dispatch_until([dispatcher(stores, http)], lambda: len(crm.accepted) == 1)
    [after] = await settled(stores)

    assert crm.arrivals[0].at - started >= 0.4 and crm.event_ids() == [event.id]
    assert (after.status, after.attempts, after.lease_owner) == (WebhookStatus.DELIVERED, 2, None)
    assert await stores.webhooks.settle(after, owner="crashed") is False


async def test_410_gone_switches_the_subscription_off_and_the_rest_die_unsent(
    stores: SqliteStores, crm: WebhookReceiver, http: GuardedClient
) -> None:
    subscription = await subscribe(stores, crm)
    crm.script.append((410, {}))
    await publish(stores, "c1", "m1", "m2")

    sender = dispatcher(stores, http)
    sent = [await sender.dispatch_once() for _ in range(3)]  # m1 gets 410; then m2, first in line, dies unsent
    deliveries = await settled(stores)

    assert (await stores.webhooks.get_subscription(subscription.id)).active is False
    assert [d.status for d in deliveries] == [WebhookStatus.DEAD, WebhookStatus.DEAD]
    assert sent == [1, 1, 0] and len(crm.arrivals) == 1 and "switched off" in (deliveries[1].last_error or "")
