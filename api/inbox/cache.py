"""Short-lived memory of what list rows repeat on every redraw: customers' display names, group calendars.

A queue page of 30 rows would otherwise make 30+ store round trips each time any operator's list redraws;
names and calendars change rarely, and a stale one shows for at most `TTL_SECONDS`. One cache per store
backend (per app), so tests and processes never see each other's data.
"""

from __future__ import annotations

import time
from collections import OrderedDict
from collections.abc import Awaitable, Callable
from typing import Generic, TypeVar
from weakref import WeakKeyDictionary

K = TypeVar("K")
V = TypeVar("V")

TTL_SECONDS = 30.0
MAX_ENTRIES = 20_000


class TtlCache(Generic[K, V]):
    """A bounded map whose entries expire `ttl` seconds after they were loaded."""

    def __init__(self, ttl: float = TTL_SECONDS, max_entries: int = MAX_ENTRIES,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.ttl, self.max_entries, self.clock = ttl, max_entries, clock
        self._entries: OrderedDict[K, tuple[float, V]] = OrderedDict()

    async def get(self, key: K, load: Callable[[K], Awaitable[V]]) -> V:
        """The cached value, or `load(key)` remembered for `ttl` seconds."""
        now = self.clock()
        found = self._entries.get(key)
        if found is not None and found[0] > now:
            return found[1]
        value = await load(key)
        self._entries[key] = (now + self.ttl, value)
        self._entries.move_to_end(key)
        while len(self._entries) > self.max_entries:
            self._entries.popitem(last=False)
        return value


_by_backend: WeakKeyDictionary[object, dict[str, TtlCache[str, object]]] = WeakKeyDictionary()


def cache_for(backend: object, name: str) -> TtlCache[str, object]:
    """The cache called `name` of one store backend (created on first use)."""
    caches = _by_backend.setdefault(backend, {})
    return caches.setdefault(name, TtlCache())
