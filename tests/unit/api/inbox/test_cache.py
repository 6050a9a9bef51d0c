"""The inbox's short-lived cache: loads once, expires, stays bounded, one per backend."""

from __future__ import annotations

from api.inbox.cache import TtlCache, cache_for


class Clock:
    """A clock the test moves by hand."""

    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


async def test_a_value_is_loaded_once_until_it_expires() -> None:
    clock, loads = Clock(), []

    async def load(key: str) -> str:
        loads.append(key)
        return f"{key}-{len(loads)}"

    cache: TtlCache[str, str] = TtlCache(ttl=30, clock=clock)
    first = [await cache.get("anna", load), await cache.get("anna", load)]
    clock.now = 31
    later = await cache.get("anna", load)

    assert first == ["anna-1", "anna-1"] and later == "anna-2" and loads == ["anna", "anna"]


async def test_the_oldest_entries_leave_when_the_cache_is_full() -> None:
    async def load(key: str) -> str:
        return key.upper()

    cache: TtlCache[str, str] = TtlCache(max_entries=2)
    for key in ("a", "b", "c"):
        await cache.get(key, load)

    assert list(cache._entries) == ["b", "c"]


def test_each_backend_has_its_own_caches() -> None:
    class Backend:
        pass

    one, other = Backend(), Backend()
    assert cache_for(one, "names") is cache_for(one, "names")
    assert cache_for(one, "names") is not cache_for(other, "names")
