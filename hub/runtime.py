"""Wiring: build the stores, bus, accounts and senders a process needs from Settings, once."""

from __future__ import annotations

import asyncio
import zlib
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack, asynccontextmanager
from dataclasses import dataclass, field
from datetime import timedelta

import httpx

from api.reviews.wiring import open_reviews
from bots.flows import build_registry
from connectors import SenderContext, build_senders, check_account
from connectors.base import Sender
from connectors.webchat import ACCOUNT_ID as WEBCHAT_ACCOUNT
from dialogs.registry import FlowRegistry
from hub.bus.base import Bus, BusPolicy
from hub.context.base import CustomerContextProvider, OffContextProvider
from hub.context.wiring import open_context_provider
from hub.egress import guarded_client
from hub.retry import RetryPolicy
from hub.reviews.runtime import ReviewsRuntime
from hub.settings import Settings
from hub.stores.base import Stores
from models.channels import Channel, ChannelAccount
from models.errors import NotFound
from nlu.service import NluService, build_nlu


def build_stores(settings: Settings) -> Stores:
    """The configured store backend (not yet opened)."""
    if settings.store == "mongo":
        from hub.stores.mongo import MongoStores  # imported here: the embedded default never needs pymongo

        assert settings.mongodb_url is not None  # checked by Settings
        return MongoStores(settings.mongodb_url)
    from hub.stores.sqlite import SqliteStores

    return SqliteStores(settings.sqlite_path)


def build_bus(settings: Settings) -> Bus:
    """The configured bus backend (not yet opened)."""
    policy = BusPolicy(max_attempts=settings.bus_max_attempts, retry_after=settings.bus_retry_after)
    if settings.bus == "redis":
        from hub.bus.redis_streams import RedisStreamBus

        return RedisStreamBus(settings.redis_url, policy=policy, prefix=settings.redis_prefix)
    from hub.bus.journal import SqliteBusJournal
    from hub.bus.memory import MemoryBus

    journal = SqliteBusJournal(settings.bus_journal_path) if settings.bus_journal_path else None
    return MemoryBus(policy, journal=journal)


def build_accounts(settings: Settings) -> list[ChannelAccount]:
    """Every channel account the settings configure, each checked by its connector (fail closed)."""
    accounts = [
        ChannelAccount(id=a.id, channel=Channel.API, token=a.token, callback_url=a.callback_url,
                       trusted=a.trusted)
        for a in settings.api_accounts
    ]
    for config in settings.accounts:
        account = ChannelAccount(id=config.id, channel=Channel(config.channel), token=config.token,
                                 secrets=config.secrets, options=config.options)
        check_account(account)
        accounts.append(account)
    if settings.webchat_enabled:
        accounts.append(ChannelAccount(id=WEBCHAT_ACCOUNT, channel=Channel.WEBCHAT, token=settings.secret_key))
    return accounts


@dataclass
class Hub:
    """Everything a request handler or worker needs, built once per process."""

    settings: Settings
    stores: Stores
    bus: Bus
    accounts: list[ChannelAccount]
    http: httpx.AsyncClient
    # For URLs third parties choose (webhooks, API callbacks): public addresses only (hub/egress.py).
    outbound_http: httpx.AsyncClient
    senders: dict[tuple[Channel, str], Sender] = field(default_factory=dict)
    context: CustomerContextProvider = field(default_factory=OffContextProvider)  # the CRM's view of customers
    nlu: NluService | None = None  # what customer messages are about (nlu/), built in running_hub
    dialogs: FlowRegistry | None = None  # the bot's flows (dialogs/), hot-reloaded; None: plain acknowledgements
    reviews: ReviewsRuntime | None = None  # review monitoring (hub/reviews), wired by api/reviews/wiring.py
    # Automatic assignment in this process takes turns, so two hand-offs never both fill an operator's last slot.
    assign_lock: asyncio.Lock = field(default_factory=asyncio.Lock)

    @property
    def reopen_window(self) -> timedelta:
        """How long a resolved conversation takes new messages."""
        return timedelta(hours=self.settings.reopen_window_hours)

    @property
    def retry(self) -> RetryPolicy:
        """The outbox's retry policy."""
        s = self.settings
        return RetryPolicy(s.outbox_max_attempts, s.outbox_base_delay, s.outbox_max_delay)

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


@asynccontextmanager
async def running_hub(settings: Settings) -> AsyncIterator[Hub]:
    """Open the stores, bus and HTTP client; close them on exit."""
    stores, bus = build_stores(settings), build_bus(settings)
    await stores.open()
    try:
        await bus.open()
        try:
            async with (httpx.AsyncClient(timeout=settings.outbox_timeout) as http,
                        guarded_client(settings.egress, timeout=settings.outbox_timeout) as outbound_http,
                        AsyncExitStack() as stack):
                hub = Hub(settings, stores, bus, build_accounts(settings), http, outbound_http)
                context = SenderContext(http, bus, stack, stores, settings.outbox_timeout, settings.public_url,
                                        outbound_http=outbound_http)
                hub.senders = build_senders(hub.accounts, context)
                hub.context = await stack.enter_async_context(open_context_provider(settings))
                hub.nlu = build_nlu(settings, http)
                stack.push_async_callback(hub.nlu.close)
                await hub.nlu.open()
                hub.dialogs = build_registry(settings)
                hub.reviews = await stack.enter_async_context(open_reviews(settings, http))
                yield hub
        finally:
            await bus.close()
    finally:
        await stores.close()
