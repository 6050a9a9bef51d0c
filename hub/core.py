"""The hub as one object: settings, stores, bus, senders, the CRM context, the participant and the topic reader.

Built once per process by api/wiring.py; everything here is a port, so the core never names an adapter.
"""

from __future__ import annotations

import asyncio
import zlib
from dataclasses import dataclass, field
from datetime import timedelta

import httpx

from hub.context.base import CustomerContextProvider, OffContextProvider
from hub.event_order import PublishOrder
from hub.ports import Bus, CampaignsRuntime, Participant, ReviewsRuntime, Sender, Stores, TopicReader
from hub.settings import Settings
from hub.stores.reports import ReportStore
from models.channels import Channel, ChannelAccount
from models.egress import EgressClient
from models.errors import NotFound


@dataclass
class Hub:
    """Everything a request handler or worker needs, built once per process."""

    settings: Settings
    stores: Stores
    bus: Bus
    accounts: list[ChannelAccount]
    http: httpx.AsyncClient
    # For URLs third parties choose (webhooks, API callbacks): public addresses only (hub/egress.py).
    outbound_http: EgressClient
    senders: dict[tuple[Channel, str], Sender] = field(default_factory=dict)
    context: CustomerContextProvider = field(default_factory=OffContextProvider)  # the CRM's view of customers
    participant: Participant | None = None  # who answers while a conversation is the bot's (bots/, via the wiring)
    reader: TopicReader | None = None  # what customer messages are about (nlu/, via the wiring)
    report_store: ReportStore | None = None  # facts and rollups the reports read (hub/reports/)
    reviews: ReviewsRuntime | None = None  # review monitoring (hub/reviews/): its store, platforms and reader
    campaigns: CampaignsRuntime | None = None  # targeted promotions (hub/campaigns/): store, caps ledger, rules
    # Automatic assignment in this process takes turns, so two hand-offs never both fill an operator's last slot.
    assign_lock: asyncio.Lock = field(default_factory=asyncio.Lock)
    # The events this process published, in order: lets the reports projection skip what it already read.
    published: PublishOrder = field(default_factory=PublishOrder)

    @property
    def reopen_window(self) -> timedelta:
        """How long a resolved conversation takes new messages."""
        return timedelta(hours=self.settings.reopen_window_hours)

    def account(self, channel: Channel, account_id: str) -> ChannelAccount:
        """A configured account, or NotFound."""
        for account in self.accounts:
            if account.channel is channel and account.id == account_id:
                return account
        raise NotFound(f"no {channel} account {account_id!r}")

    def partition(self, stream: str, key: str) -> str:
        """The partition of `stream` that `key` (a customer address) always lands on: keeps its order."""
        return f"{stream}.{zlib.crc32(key.encode()) % self.settings.partitions}"

    def partitions(self, stream: str) -> list[str]:
        """All partitions of a stream."""
        return [f"{stream}.{n}" for n in range(self.settings.partitions)]
