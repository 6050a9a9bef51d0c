"""Two workers on the Redis bus share the events stream (group "webhooks") and the store: every event is
fanned out once and every delivery sent once, in order per conversation.

The workers share one store connection, as production workers share MongoDB (the embedded SQLite store is
one process's: two connections writing one file at once get "database is locked")."""

from __future__ import annotations

import asyncio
import dataclasses
from collections import defaultdict
from typing import Any

import pytest

from api.wiring import build_bus, running_hub
from hub.inbound.accept import accept
from hub.webhooks import subscriptions
from hub.worker import run_worker
from models.channels import Channel
from models.messages import InboundMessage
from models.webhooks import WebhookStatus
from tests.conftest import REDIS_URL
from tests.fakes.webhook_receiver import webhook_receiver
from tests.integration.helpers import eventually
from tests.integration.helpers_webhooks import fast_settings
from tests.redis_keys import drop_keys

pytestmark = pytest.mark.redis

USERS, MESSAGES = 5, 10
DELIVERIES = USERS * 4 + (MESSAGES - USERS) * 2  # a new user's customer, conversation, message, reply; then 2


async def test_two_workers_send_every_event_once_and_in_order(make_settings: Any) -> None:
    settings = fast_settings(make_settings, bus="redis", redis_url=REDIS_URL, partitions=2, webhook_order_hold=0.3)
    stop = asyncio.Event()
    try:
        async with webhook_receiver() as crm, running_hub(settings) as one:
            two = dataclasses.replace(one, bus=build_bus(settings))  # another worker's connection to Redis
            await two.bus.open()
            created = await subscriptions.create(one.stores.webhooks, crm.url, ["*"], egress=settings.egress)
            crm.secret = created.secret.get_secret_value()
            workers = [asyncio.create_task(run_worker(hub, stop, name=name))
                       for hub, name in ((one, "w1"), (two, "w2"))]
            for n in range(MESSAGES):
                await accept(InboundMessage(channel=Channel.API, account_id="crm", external_user_id=f"u-{n % USERS}",
                                            external_id=f"m-{n}", text=f"сообщение {n}"), one)
            deliveries = await eventually(
                lambda: one.stores.webhooks.list_deliveries(limit=1000),
                lambda ds: len(ds) == DELIVERIES and all(d.status is WebhookStatus.DELIVERED for d in ds), timeout=20)
            await asyncio.sleep(0.2)  # room for a stray second send, which must not come
            stop.set()
            await asyncio.gather(*workers)
            await two.bus.close()
    finally:
        await drop_keys(settings.redis_prefix)

    assert len(crm.arrivals) == DELIVERIES and len({a.webhook_id for a in crm.arrivals}) == DELIVERIES
    assert crm.forged == 0 and all(d.attempts == 1 for d in deliveries)
    lanes: dict[str, list[str]] = defaultdict(list)
    for d in sorted(deliveries, key=lambda d: (d.event_at, d.seq)):
        lanes[d.lane].append(d.event_id)
    for wanted in lanes.values():
        assert [i for i in crm.event_ids() if i in wanted] == wanted
