"""One module per channel: parse inbound payloads, verify signatures, send outbound messages.

`REGISTRY` is the one table that says how to check a channel's account and build its sender;
nothing else switches on the channel.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from connectors import api, mail, telegram, viber, voice, whatsapp
from connectors.base import Sender, SenderContext
from connectors.webchat import WebChatSender
from models.channels import Channel, ChannelAccount

SenderFactory = Callable[[ChannelAccount, SenderContext], Sender]


def _no_check(account: ChannelAccount) -> None:
    """Accounts of this channel need nothing beyond the token."""


@dataclass(frozen=True)
class ChannelSpec:
    """How Otklik builds a channel's sender and checks an account's configuration."""

    sender: SenderFactory
    check: Callable[[ChannelAccount], None] = _no_check


__all__ = ["REGISTRY", "ChannelSpec", "SenderContext", "build_senders", "check_account"]

REGISTRY: dict[Channel, ChannelSpec] = {
    Channel.API: ChannelSpec(api.build_sender),
    Channel.WEBCHAT: ChannelSpec(lambda account, ctx: WebChatSender(ctx.bus)),
    Channel.TELEGRAM: ChannelSpec(telegram.build_sender, telegram.check_account),
    Channel.WHATSAPP: ChannelSpec(whatsapp.build_sender, whatsapp.check_account),
    Channel.VIBER: ChannelSpec(viber.build_sender, viber.check_account),
    Channel.EMAIL: ChannelSpec(mail.build_sender, mail.check_account),
    Channel.VOICE: ChannelSpec(voice.build_sender, voice.check_account),
}


def check_account(account: ChannelAccount) -> None:
    """ValueError naming what the account's configuration lacks (a missing secret stops start-up)."""
    REGISTRY[account.channel].check(account)


def build_senders(accounts: list[ChannelAccount], ctx: SenderContext) -> dict[tuple[Channel, str], Sender]:
    """A sender for every configured account whose channel has one."""
    return {(a.channel, a.id): REGISTRY[a.channel].sender(a, ctx) for a in accounts if a.channel in REGISTRY}
