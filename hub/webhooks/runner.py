"""What a worker runs for webhooks: the events consumer that fans out, and the dispatcher that sends."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Coroutine
from typing import TYPE_CHECKING, Any

from hub.bus.base import EVENTS, Handler
from hub.settings import Settings
from hub.webhooks import fanout
from hub.webhooks.dispatcher import Dispatcher
from hub.webhooks.retries import DeliveryPolicy

if TYPE_CHECKING:
    from hub.core import Hub


def order_hold(settings: Settings) -> float:
    """Seconds a fresh delivery waits for earlier events of its conversation still being fanned out elsewhere."""
    if settings.webhook_order_hold is not None:
        return settings.webhook_order_hold
    return 1.0 if settings.bus == "redis" else 0.0  # the in-process bus has one consumer: events come in order


def consumers(
    hub: Hub, stop: asyncio.Event, name: str, wrap: Callable[[Handler], Handler]
) -> list[Coroutine[Any, Any, None]]:
    """The two loops to run beside the worker's; `wrap` is the worker's outage guard for stream handlers."""
    wake = asyncio.Event()  # new deliveries: the dispatcher need not wait for its next round
    hold = order_hold(hub.settings)

    async def on_event(entry: str) -> None:
        if await fanout.handle(entry, hub.stores.webhooks, hold=hold):
            wake.set()

    policy = DeliveryPolicy.from_settings(hub.settings)
    dispatcher = Dispatcher(hub.stores.webhooks, hub.outbound_http, policy, owner=name)  # public addresses only
    return [
        hub.bus.consume(EVENTS, fanout.GROUP, name, wrap(on_event), stop=stop),
        dispatcher.run(stop, wake=wake, interval=hub.settings.webhook_dispatch_interval),
    ]
