"""The one write a webhook (or a poller) makes before it answers: the verified event, onto the inbound stream."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from functools import partial
from typing import TYPE_CHECKING

from hub.bus.base import INBOUND
from models.channel_events import ChannelEvent, DeliveryUpdate
from models.messages import InboundMessage

if TYPE_CHECKING:
    from hub.core import Hub


async def accept(event: InboundMessage | ChannelEvent, hub: Hub) -> None:
    """Queue a verified message or channel event for the worker: a webhook's only write, before it answers."""
    # One sender's messages, edits and (un)subscriptions share a partition, so they stay in order.
    who = event.external_id if isinstance(event, DeliveryUpdate) else event.external_user_id
    await hub.bus.publish(hub.partition(INBOUND, f"{event.channel}:{event.account_id}:{who}"), event.model_dump_json())


def acceptor(hub: Hub) -> Callable[[InboundMessage | ChannelEvent], Awaitable[None]]:
    """`accept` bound to this hub: the callback a connector's poller hands its events to."""
    return partial(accept, hub=hub)
