"""Build the configured customer-context provider, and the clients it needs, from Settings."""

from __future__ import annotations

import time
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager

import httpx
from redis.asyncio import Redis

from hub.context.base import CustomerContextProvider, OffContextProvider
from hub.context.breaker import CircuitBreaker
from hub.context.cache import ContextCache, MemoryTtlCache, RedisTtlCache
from hub.context.crm import HttpContextProvider
from hub.context.demo import DemoContextProvider
from hub.settings import Settings


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
