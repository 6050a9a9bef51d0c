"""The web chat's stream generator on its own: keep-alives while idle, and an end (the page reconnects) instead
of an idle stream that no longer hears anything when the bus's subscription breaks."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from types import SimpleNamespace
from typing import Any

from api.routes import webchat_stream
from hub.stores.sqlite.stores import SqliteStores
from models.errors import Unavailable


class BrokenSubscriptionBus:
    """A bus whose subscriptions deliver `before` items, then fail as Redis does when its connection drops."""

    def __init__(self, before: list[str]) -> None:
        self.before = before

    @asynccontextmanager
    async def subscribe(self, topic: str) -> AsyncIterator[AsyncIterator[str]]:
        """A feed that breaks after a short while."""

        async def feed() -> AsyncIterator[str]:
            for item in self.before:
                yield item
            await asyncio.sleep(0.2)
            raise Unavailable("redis subscription lost: Connection reset by peer")

        yield feed()


async def read_all(body: AsyncIterator[str], seconds: float = 5.0) -> list[str]:
    """Everything the generator yields until it ends."""
    chunks: list[str] = []
    async with asyncio.timeout(seconds):
        async for chunk in body:
            chunks.append(chunk)
    return chunks


async def test_a_broken_subscription_ends_the_stream_after_keep_alives(tmp_path: Path) -> None:
    stores = SqliteStores(str(tmp_path / "s.sqlite3"))
    await stores.open()
    try:
        hub: Any = SimpleNamespace(bus=BrokenSubscriptionBus([]), stores=stores)
        chunks = await read_all(webchat_stream.events(hub, "visitor-1", keepalive=0.05))
    finally:
        await stores.close()

    assert chunks[0] == "retry: 2000\n\n"
    assert chunks[1].startswith("event: state\ndata: ") and '"state":null' in chunks[1]
    assert chunks.count(": keep-alive\n\n") >= 2 and len(chunks) == 2 + chunks.count(": keep-alive\n\n")
