"""One module per channel: parse inbound payloads, verify signatures, send outbound messages.

`REGISTRY` is the one table that says how to build a channel's sender; nothing else switches on channel.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import httpx

from connectors.api import ApiCallbackSender
from connectors.base import Sender
from connectors.webchat import WebChatSender
from hub.bus.base import Bus
from models.channels import Channel, ChannelAccount


@dataclass(frozen=True)
class SenderContext:
    """Shared clients a sender may use."""

    http: httpx.AsyncClient
    bus: Bus


SenderFactory = Callable[[ChannelAccount, SenderContext], Sender]

REGISTRY: dict[Channel, SenderFactory] = {
    Channel.API: lambda account, ctx: ApiCallbackSender(ctx.http, account),
    Channel.WEBCHAT: lambda account, ctx: WebChatSender(ctx.bus),
}


def build_senders(accounts: list[ChannelAccount], ctx: SenderContext) -> dict[tuple[Channel, str], Sender]:
    """A sender for every configured account whose channel has one."""
    return {(a.channel, a.id): REGISTRY[a.channel](a, ctx) for a in accounts if a.channel in REGISTRY}
