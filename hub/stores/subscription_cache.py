"""The active webhook subscriptions, kept in process: fan-out asks for them on every event (about six
times per bot turn) and they change a few times a year.

Fresh in this process: every change through the store that owns the cache (create, switch on or off,
remove) drops it when the change returns, failed or not, and a read that began before the drop does not
put its (possibly older) answer back. So a subscription created here receives every event published after
its creation call returned.

Fresh across processes (serve and `otklik worker`s on Redis, each with its own cache) within `ttl`,
1 s. Why a TTL and not a version check: a version check is still one read per event (a statement on
SQLite, a round trip to MongoDB), most of what the cache is for; a TTL is one read per second per process
whatever the traffic. The price is a window of at most `ttl` after a change made in another process: an
event it fans out in that window may miss a subscription just created there, and one just switched off or
removed may still get deliveries, which the dispatcher settles unsent (it reads the subscription before
every attempt).
"""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager

from models.webhooks import Subscription

TTL = 1.0  # seconds; see the module docstring


class SubscriptionCache:
    """The last answer of `load`, reused for `ttl` seconds of `clock` until `changing` drops it."""

    def __init__(self, *, ttl: float = TTL, clock: Callable[[], float] = time.monotonic) -> None:
        self.ttl, self.clock = ttl, clock
        self._value: list[Subscription] | None = None
        self._loaded_at = 0.0
        self._generation = 0  # bumped by every change: a load older than the last change is not kept

    async def get(self, load: Callable[[], Awaitable[list[Subscription]]]) -> list[Subscription]:
        """The cached subscriptions if younger than `ttl`, else what `load` answers now."""
        started = self.clock()
        if self._value is not None and started - self._loaded_at < self.ttl:
            return list(self._value)
        generation = self._generation
        value = await load()
        if generation == self._generation:
            self._value, self._loaded_at = value, started
        return list(value)

    @contextmanager
    def changing(self) -> Iterator[None]:
        """Wrap a change of the subscriptions: the cache is dropped when it ends, however it ends."""
        try:
            yield
        finally:
            self._generation += 1
            self._value = None
