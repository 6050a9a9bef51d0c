"""Waiting for the asynchronous pipeline to reach a state, with a deadline instead of fixed sleeps."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import TypeVar

T = TypeVar("T")


async def eventually(probe: Callable[[], Awaitable[T]], until: Callable[[T], bool], timeout: float = 10.0) -> T:
    """Call `probe` until `until(result)` holds; fail with the last result after `timeout` seconds."""
    result = await probe()
    async with asyncio.timeout(timeout):
        while not until(result):
            await asyncio.sleep(0.02)
            result = await probe()
    return result
