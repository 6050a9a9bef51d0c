"""The in-process cache of active subscriptions: kept for its TTL, dropped by a change, never refilled by an
older read."""

from __future__ import annotations

import asyncio

from hub.stores.subscription_cache import SubscriptionCache
from models.webhooks import Subscription


def subscription(url: str) -> Subscription:
    """An active subscription to everything."""
    return Subscription.model_validate({"url": url, "secret": "whsec_" + "A" * 32, "events": ["*"]})


class Source:
    """The stored subscriptions, counting reads."""

    def __init__(self) -> None:
        self.rows: list[Subscription] = [subscription("https://a.example/h")]
        self.reads = 0

    async def load(self) -> list[Subscription]:
        self.reads += 1
        return list(self.rows)


async def test_an_answer_is_reused_until_the_ttl_ends() -> None:
    now = [100.0]
    cache, source = SubscriptionCache(ttl=1.0, clock=lambda: now[0]), Source()
    await cache.get(source.load)
    source.rows.append(subscription("https://b.example/h"))  # another process adds one
    now[0] = 100.9
    assert len(await cache.get(source.load)) == 1 and source.reads == 1
    now[0] = 101.0
    assert len(await cache.get(source.load)) == 2 and source.reads == 2


async def test_a_change_here_drops_the_answer_at_once() -> None:
    cache, source = SubscriptionCache(ttl=60.0, clock=lambda: 0.0), Source()
    await cache.get(source.load)
    with cache.changing():
        source.rows.append(subscription("https://b.example/h"))
    assert len(await cache.get(source.load)) == 2


async def test_a_read_begun_before_a_change_is_not_kept() -> None:
    cache, source, gate = SubscriptionCache(ttl=60.0, clock=lambda: 0.0), Source(), asyncio.Event()

    async def slow_load() -> list[Subscription]:
        answer = await source.load()  # read before the change...
        await gate.wait()  # ...returned after it
        return answer

    reading = asyncio.create_task(cache.get(slow_load))
    await asyncio.sleep(0)
    with cache.changing():
        source.rows.append(subscription("https://b.example/h"))
    gate.set()
    assert len(await reading) == 1  # its own caller gets what it read
    assert len(await cache.get(source.load)) == 2  # the next one reads again


async def test_a_failed_change_drops_the_answer_too() -> None:
    cache, source = SubscriptionCache(ttl=60.0, clock=lambda: 0.0), Source()
    await cache.get(source.load)
    try:
        with cache.changing():
            raise RuntimeError("the write failed after it may have landed")
    except RuntimeError:
        pass
    await cache.get(source.load)
    assert source.reads == 2
