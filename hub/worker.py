"""The worker: consumes the inbound and outbound streams (every partition) until told to stop."""

from __future__ import annotations

import asyncio
import logging
import os
import socket
import uuid

from hub import ingest, outbox
from hub.bus.base import INBOUND, OUTBOUND
from hub.runtime import Hub
from models.messages import InboundMessage, OutboundMessage

log = logging.getLogger(__name__)

INGEST_GROUP = "ingest"
OUTBOX_GROUP = "outbox"


def consumer_name() -> str:
    """A name unique to this process, so a dead one's pending entries can be told apart and reclaimed."""
    return f"{socket.gethostname()}-{os.getpid()}-{uuid.uuid4().hex[:6]}"


async def run_worker(hub: Hub, stop: asyncio.Event, *, name: str | None = None) -> None:
    """Consume every partition of inbound and outbound until `stop` is set."""
    name = name or consumer_name()

    async def on_inbound(payload: str) -> None:
        await ingest.handle_inbound(InboundMessage.model_validate_json(payload), hub)

    async def on_outbound(payload: str) -> None:
        await outbox.deliver(OutboundMessage.model_validate_json(payload), hub)

    consumers = [hub.bus.consume(s, INGEST_GROUP, name, on_inbound, stop=stop) for s in hub.partitions(INBOUND)]
    consumers += [hub.bus.consume(s, OUTBOX_GROUP, name, on_outbound, stop=stop) for s in hub.partitions(OUTBOUND)]
    log.info("worker started", extra={"consumer": name, "partitions": hub.settings.partitions})
    await asyncio.gather(*consumers)
    log.info("worker stopped", extra={"consumer": name})
