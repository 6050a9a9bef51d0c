"""What every connector provides to the hub: a Sender, and the receipt a send returns."""

from __future__ import annotations

from contextlib import AsyncExitStack
from dataclasses import dataclass
from typing import Protocol

import httpx

from hub.bus.base import Bus
from hub.stores.base import Stores
from models.messages import DeliveryStatus, OutboundMessage


@dataclass(frozen=True)
class SendReceipt:
    """The channel accepted the message; `external_id` is its id there, for status callbacks."""

    external_id: str | None = None
    status: DeliveryStatus = DeliveryStatus.SENT


class Sender(Protocol):
    """Delivers outbound messages of one channel account; raises SendError (retryable or not)."""

    async def send(self, msg: OutboundMessage) -> SendReceipt:
        """Deliver one message."""
        ...


@dataclass(frozen=True)
class SenderContext:
    """Shared clients a sender may use; `exit_stack` closes what a sender opens (say, a bot session)."""

    http: httpx.AsyncClient
    bus: Bus
    exit_stack: AsyncExitStack
    stores: Stores  # read-only use: e.g. the e-mail sender reads the thread it answers
    timeout: float = 10.0
    public_url: str | None = None  # OTKLIK_PUBLIC_URL: where platforms reach our webhooks (status callbacks)
    # For URLs a client chose (API-channel callbacks): reaches public addresses only, checked at connect time.
    outbound_http: httpx.AsyncClient | None = None
