"""The worker: consumes the inbound and outbound streams until told to stop (on Redis: its leased partitions)."""

from __future__ import annotations

import asyncio
import logging
import os
import socket
import uuid
from collections.abc import Callable

from hub import campaigns, csat, privacy, reports
from hub.bus.base import INBOUND, OUTBOUND, Handler
from hub.cases.scanner import run_sla_scanner
from hub.core import Hub
from hub.inbound import dispatch
from hub.inbox.loops import run_inbox_loops
from hub.outbound import outbox
from hub.reviews.poller import run_review_pollers
from hub.webhooks import runner as webhooks
from models.errors import Unavailable
from models.messages import OutboundMessage

log = logging.getLogger(__name__)

INGEST_GROUP = "ingest"
OUTBOX_GROUP = "outbox"


def consumer_name() -> str:
    """A name unique to this process, so a dead one's pending entries can be told apart and reclaimed."""
    return f"{socket.gethostname()}-{os.getpid()}-{uuid.uuid4().hex[:6]}"


async def run_worker(hub: Hub, stop: asyncio.Event, *, name: str | None = None) -> None:
    """Consume every partition of inbound and outbound until `stop` is set."""
    name = name or consumer_name()

    @patiently(hub, stop)
    async def on_inbound(payload: str) -> None:
        await dispatch.handle(payload, hub)

    @patiently(hub, stop)
    async def on_outbound(payload: str) -> None:
        await outbox.deliver(OutboundMessage.model_validate_json(payload), hub)

    consumers = [hub.bus.consume(s, INGEST_GROUP, name, on_inbound, stop=stop) for s in hub.partitions(INBOUND)]
    consumers += [hub.bus.consume(s, OUTBOX_GROUP, name, on_outbound, stop=stop) for s in hub.partitions(OUTBOUND)]
    consumers += webhooks.consumers(hub, stop, name, patiently(hub, stop))  # events -> deliveries -> POSTs
    consumers += csat.consumers(hub, stop, name, patiently(hub, stop))  # resolves -> rating requests
    consumers += campaigns.consumers(hub, stop, name, patiently(hub, stop))  # sent messages -> offer.delivered
    consumers += reports.worker_consumers(hub, stop, name, patiently(hub, stop))  # events -> report rollups
    consumers.append(run_inbox_loops(hub, stop))  # SLA breaches, follow-ups, queue sweep
    consumers.append(run_sla_scanner(hub, stop))  # case SLA reminders, breaches, escalation
    consumers.append(privacy.run_retention(hub, stop))  # message texts and files past their keeping time
    consumers.append(run_review_pollers(hub, stop))  # review platforms in, approved replies out
    log.info("worker started", extra={"consumer": name, "partitions": hub.settings.partitions})
    await asyncio.gather(*consumers)
    log.info("worker stopped", extra={"consumer": name})


async def outage(hub: Hub) -> str | None:
    """What is down right now (store or bus), or None when both answer."""
    for name, ping in (("store", hub.stores.ping), ("bus", hub.bus.ping)):
        try:
            await ping()
        except Unavailable as e:
            return f"{name}: {e.reason}"
    return None


def patiently(hub: Hub, stop: asyncio.Event, *, longest_pause: float = 30.0) -> Callable[[Handler], Handler]:
    """Retry a handler in place while the store or bus is down, instead of letting an outage use up the
    entry's delivery attempts and send good messages to the dead letters. Other failures go to the bus."""

    def decorate(handle: Handler) -> Handler:
        async def wrapped(payload: str) -> None:
            pause = 0.2
            while True:
                try:
                    return await handle(payload)
                except Exception:
                    down = await outage(hub)
                    if down is None or stop.is_set():
                        raise
                    log.warning("outage: retrying the entry in place", extra={"outage": down, "pause": pause})
                    await asyncio.sleep(pause)
                    pause = min(pause * 2, longest_pause)

        return wrapped

    return decorate
