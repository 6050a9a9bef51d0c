"""Wiring: the one module that names concrete adapters.

From Settings it builds, once per process, what the hub's ports stand for: the stores (SQLite or MongoDB),
the bus (in-process or Redis Streams), the channel accounts and their senders (connectors.REGISTRY), the
CRM context provider, the topic reader (nlu), the participant (the dialog bot, or plain acknowledgements) and
review monitoring (its store, the Google review platforms, the review reader).
"""

from __future__ import annotations

import time
from collections.abc import AsyncIterator, Callable
from contextlib import AsyncExitStack, asynccontextmanager

import httpx
from pydantic import SecretStr
from redis.asyncio import Redis

from api.demo.crm_context import DemoContextProvider
from api.reviews.settings import ReviewSettings
from bots.autoack import Acknowledger
from bots.flows import build_registry
from bots.participant import DialogBot
from connectors import SenderContext, build_senders, check_account
from connectors.reviews.common import Credentials, RefreshingToken, StaticToken
from connectors.reviews.google_business import GoogleBusinessSource
from connectors.reviews.google_play import GooglePlaySource
from connectors.webchat import ACCOUNT_ID as WEBCHAT_ACCOUNT
from dialogs.registry import FlowRegistry
from hub.bus.base import Bus, BusPolicy
from hub.campaigns import CampaignsRuntime, manage
from hub.context.base import CustomerContextProvider, OffContextProvider
from hub.context.breaker import CircuitBreaker
from hub.context.cache import ContextCache, MemoryTtlCache, RedisTtlCache
from hub.context.crm import HttpContextProvider
from hub.core import Hub
from hub.egress import guarded_client
from hub.ports import Participant, ReviewRules, ReviewSource, ReviewsRuntime
from hub.settings import Settings
from hub.stores.base import Stores
from hub.stores.campaigns import CampaignStore, CapLedger
from hub.stores.reports import ReportStore
from hub.stores.reviews import ReviewStore
from hub.stores.sqlite.reports import SqliteReportStore, reports_path
from models.campaigns import HourRange, Policy
from models.channels import Channel, ChannelAccount
from models.clock import local_date, utcnow
from nlu.artefacts import ModelDirectory
from nlu.engine import BuiltinEngine
from nlu.model_store import MongoModelStore
from nlu.rasa import RasaEngine
from nlu.reviews.reader import LexiconReviewReader
from nlu.service import NluService


def build_stores(settings: Settings) -> Stores:
    """The configured store backend (not yet opened)."""
    if settings.store == "mongo":
        from hub.stores.mongo.stores import MongoStores  # imported here: the embedded default never needs pymongo

        assert settings.mongodb_url is not None  # checked by Settings
        return MongoStores(settings.mongodb_url)
    from hub.stores.sqlite.stores import SqliteStores

    return SqliteStores(settings.sqlite_path)


def build_bus(settings: Settings) -> Bus:
    """The configured bus backend (not yet opened)."""
    policy = BusPolicy(max_attempts=settings.bus_max_attempts, retry_after=settings.bus_retry_after,
                       lease_ttl=settings.bus_lease_seconds)
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


def served_flows(hub: Hub) -> FlowRegistry | None:
    """The flow registry the hub's dialog bot serves; None when the participant is plain acknowledgements."""
    return hub.participant.registry if isinstance(hub.participant, DialogBot) else None


def build_participant(hub: Hub, settings: Settings) -> Participant:
    """The dialog bot over the configured flows, or plain acknowledgements when no flows are served."""
    registry = build_registry(settings)
    return Acknowledger(hub) if registry is None else DialogBot(hub, registry)


def build_nlu(settings: Settings, http: httpx.AsyncClient) -> NluService:
    """The engine the settings choose (Rasa's fallback is the builtin engine unless it is `handover`)."""
    builtin = BuiltinEngine(ModelDirectory(settings.nlu_model_dir), threshold=settings.nlu_threshold,
                            check_every=settings.nlu_reload_seconds,
                            today=lambda: local_date(utcnow(), settings.timezone))
    store = model_store(settings)
    if settings.nlu_engine == "builtin":
        return NluService(builtin, builtin, store)
    fallback = builtin if settings.rasa_fallback == "builtin" else None
    token = settings.rasa_token.get_secret_value() if settings.rasa_token else None
    rasa = RasaEngine(settings.rasa_url, http, timeout=settings.rasa_timeout, fallback=fallback,
                      threshold=settings.nlu_threshold, token=token)
    return NluService(rasa, fallback, store if fallback is not None else None)


def model_store(settings: Settings) -> MongoModelStore | None:
    """Where model versions are shared: MongoDB on the MongoDB store; None (the local folder) on SQLite."""
    if settings.store != "mongo" or settings.mongodb_url is None:
        return None
    return MongoModelStore(settings.mongodb_url)


def build_context_provider(
    settings: Settings, http: httpx.AsyncClient | None = None, redis: Redis | None = None, *,
    clock: Callable[[], float] = time.monotonic,
) -> CustomerContextProvider:
    """The provider `settings.context_backend` names; the HTTP one calls through `http` and caches in `redis`
    when given (else in process)."""
    backend = settings.context_backend
    if backend == "none":
        return OffContextProvider()
    if backend == "demo":
        return DemoContextProvider()
    assert settings.crm_base_url is not None and settings.crm_token is not None  # checked by Settings
    if http is None:
        raise ValueError("the http customer-context provider needs an HTTP client")
    cache: ContextCache = (RedisTtlCache(redis, settings.redis_prefix) if redis is not None
                           else MemoryTtlCache(clock=clock))
    breaker = CircuitBreaker("crm", failure_threshold=settings.crm_breaker_failures,
                             reset_timeout=settings.crm_breaker_reset_seconds, clock=clock)
    return HttpContextProvider(http, settings.crm_base_url, settings.crm_token.get_secret_value(),
                               timeout=settings.crm_timeout, breaker=breaker, cache=cache,
                               cache_seconds=settings.crm_cache_seconds)


@asynccontextmanager
async def open_context_provider(settings: Settings) -> AsyncIterator[CustomerContextProvider]:
    """The configured provider with its own clients, closed on exit.

    The CRM gets an HTTP connection pool of its own, so a slow CRM never holds the connections the channel
    senders need; with the Redis bus its cache is shared in Redis by every process.
    """
    if settings.context_backend != "http":
        yield build_context_provider(settings)
        return
    async with httpx.AsyncClient(timeout=settings.crm_timeout) as http:
        if settings.bus != "redis":
            yield build_context_provider(settings, http)
            return
        # Short socket timeouts: a slow Redis must cost a cache miss, not the CRM call's whole budget.
        redis = Redis.from_url(settings.redis_url, decode_responses=True, socket_connect_timeout=0.5,
                               socket_timeout=0.5)
        try:
            yield build_context_provider(settings, http, redis)
        finally:
            await redis.aclose()


def build_review_store(settings: Settings) -> ReviewStore:
    """The review store on the configured backend (not yet opened)."""
    if settings.store == "mongo":
        from hub.stores.mongo.reviews import MongoReviewStore  # the embedded default never needs pymongo

        assert settings.mongodb_url is not None  # checked by Settings
        return MongoReviewStore(settings.mongodb_url)
    from hub.stores.sqlite.reviews import SqliteReviewStore

    return SqliteReviewStore(settings.sqlite_path)


def credentials(config: ReviewSettings, token: SecretStr | None, refresh: SecretStr | None) -> Credentials | None:
    """A refreshing token when the OAuth client and a refresh token are set, else the fixed token, else None."""
    if refresh is not None and config.google_client_id and config.google_client_secret is not None:
        return RefreshingToken(config.google_client_id, config.google_client_secret.get_secret_value(),
                               refresh.get_secret_value(), url=config.google_token_url)
    return None if token is None else StaticToken(token.get_secret_value())


def build_sources(config: ReviewSettings, http: httpx.AsyncClient) -> dict[str, ReviewSource]:
    """A source per platform whose credentials are configured."""
    sources: dict[str, ReviewSource] = {}
    business = credentials(config, config.google_business_token, config.google_business_refresh_token)
    if business is not None and config.google_business_locations:
        sources["google_business"] = GoogleBusinessSource(http, business, config.google_business_locations,
                                                          base=config.google_business_url)
    play = credentials(config, config.google_play_token, config.google_play_refresh_token)
    if play is not None and config.google_play_package:
        sources["google_play"] = GooglePlaySource(http, play, config.google_play_package, base=config.google_play_url)
    return sources


@asynccontextmanager
async def open_reviews(settings: Settings, http: httpx.AsyncClient,
                       config: ReviewSettings | None = None) -> AsyncIterator[ReviewsRuntime]:
    """Review monitoring for one process: its store opened, sources built, closed on exit."""
    config = config or ReviewSettings()
    store = build_review_store(settings)
    await store.open()
    try:
        rules = ReviewRules(second_approver=config.second_approver, poll_seconds=config.poll_seconds)
        yield ReviewsRuntime(store=store, reader=LexiconReviewReader(), sources=build_sources(config, http),
                             rules=rules, webhook_window=config.webhook_window_seconds,
                             webhook_secret=config.webhook_secret.get_secret_value() if config.webhook_secret else None)
    finally:
        await store.close()


def build_campaign_store(settings: Settings) -> CampaignStore:
    """The campaign store on the configured backend (not yet opened)."""
    if settings.store == "mongo":
        from hub.stores.mongo.campaigns import MongoCampaignStore  # the embedded default never needs pymongo

        assert settings.mongodb_url is not None  # checked by Settings
        return MongoCampaignStore(settings.mongodb_url)
    from hub.stores.sqlite.campaigns import SqliteCampaignStore

    return SqliteCampaignStore(settings.sqlite_path)


def campaign_policy(settings: Settings) -> Policy:
    """The rules across campaigns from the settings."""
    quiet = HourRange.parse(settings.campaign_quiet_hours) if settings.campaign_quiet_hours else None
    return Policy(weekly_limit=settings.campaign_weekly_limit, quiet_hours=quiet, timezone=settings.timezone)


@asynccontextmanager
async def open_campaigns(settings: Settings) -> AsyncIterator[CampaignsRuntime]:
    """The campaign store opened, the YAML folder loaded into it (CampaignFileError stops the start), and the
    caps counted in Redis when processes share one (the Redis bus), else by the store itself."""
    store = build_campaign_store(settings)
    await store.open()
    redis: Redis | None = None
    try:
        ledger: CapLedger = store
        if settings.bus == "redis":
            from hub.stores.redis_caps import RedisCapLedger

            redis = Redis.from_url(settings.redis_url)
            ledger = RedisCapLedger(redis, store, settings.redis_prefix)
        runtime = CampaignsRuntime(store=store, ledger=ledger, policy=campaign_policy(settings))
        if settings.campaigns_dir:
            await manage.load_files(runtime, settings.campaigns_dir)
        yield runtime
    finally:
        if redis is not None:
            await redis.aclose()
        await store.close()


def build_report_store(settings: Settings) -> ReportStore:
    """The report store the settings name (not yet opened): SQLite beside the main file, or the main MongoDB."""
    if settings.store == "mongo":
        from hub.stores.mongo.reports import MongoReportStore  # the embedded default never needs pymongo

        assert settings.mongodb_url is not None  # checked by Settings
        return MongoReportStore(settings.mongodb_url)
    return SqliteReportStore(reports_path(settings.sqlite_path))


@asynccontextmanager
async def opened_report_store(settings: Settings) -> AsyncIterator[ReportStore]:
    """The report store, open for the duration."""
    store = build_report_store(settings)
    await store.open()
    try:
        yield store
    finally:
        await store.close()


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
                context = SenderContext(http, bus, stack, stores.messages, settings.outbox_timeout, settings.public_url,
                                        outbound_http=outbound_http)
                hub.senders = build_senders(hub.accounts, context)
                hub.context = await stack.enter_async_context(open_context_provider(settings))
                reader = build_nlu(settings, http)
                stack.push_async_callback(reader.close)
                await reader.open()
                hub.reader = reader
                hub.participant = build_participant(hub, settings)
                hub.reviews = await stack.enter_async_context(open_reviews(settings, http))
                hub.report_store = await stack.enter_async_context(opened_report_store(settings))
                hub.campaigns = await stack.enter_async_context(open_campaigns(settings))
                yield hub
        finally:
            await bus.close()
    finally:
        await stores.close()
