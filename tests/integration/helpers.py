"""Waiting for the asynchronous pipeline to reach a state, with a deadline instead of fixed sleeps; reading what it
published."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import TypeVar

from hub.bus.base import EVENTS
from hub.core import Hub
from models.events import Event

T = TypeVar("T")


async def eventually(probe: Callable[[], Awaitable[T]], until: Callable[[T], bool], timeout: float = 10.0) -> T:
    """Call `probe` until `until(result)` holds; fail with the last result after `timeout` seconds."""
    result = await probe()
    async with asyncio.timeout(timeout):
        while not until(result):
            await asyncio.sleep(0.02)
            result = await probe()
    return result


async def events_so_far(hub: Hub) -> list[Event]:
    """Every event on the bus so far (a new consumer group reads the stream from the start)."""
    seen: list[Event] = []

    async def collect(payload: str) -> None:
        seen.append(Event.model_validate_json(payload))

    stop = asyncio.Event()
    consumer = asyncio.create_task(hub.bus.consume(EVENTS, "test", "t", collect, stop=stop))
    await asyncio.sleep(0.5)
    stop.set()
    await consumer
    return seen
