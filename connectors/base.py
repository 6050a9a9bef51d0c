"""What a connector's sender is built with: shared clients and the small views of the hub it may use."""

from __future__ import annotations

from contextlib import AsyncExitStack
from dataclasses import dataclass

import httpx

from models.egress import EgressClient
from models.sending import Broadcaster, MessageHistory, Sender, SendReceipt

__all__ = ["SendReceipt", "Sender", "SenderContext"]


@dataclass(frozen=True)
class SenderContext:
    """Shared clients a sender may use; `exit_stack` closes what a sender opens (say, a bot session)."""

    http: httpx.AsyncClient
    bus: Broadcaster  # live listeners: web-chat pages, waiting voice webhooks
    exit_stack: AsyncExitStack
    messages: MessageHistory  # read-only: e.g. the e-mail sender reads the thread it answers
    timeout: float = 10.0
    public_url: str | None = None  # OTKLIK_PUBLIC_URL: where platforms reach our webhooks (status callbacks)
    # For URLs a client chose (API-channel callbacks): reaches public addresses only, checked at connect time.
    outbound_http: EgressClient | None = None
