"""Server-sent events for inbox pages: listen to bus topics, redraw named fragments when something happens.

Broadcasts are only hints (hub/inbox/live.py): on any of them the stream re-reads the store and sends the
viewer's fragments afresh, so a fragment is always what this user may see now. A burst of hints is
coalesced into one redraw; the first redraw follows the subscription at once, so nothing that happened
between the page load and the connection is missed.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from contextlib import AsyncExitStack

from fastapi import Request
from fastapi.responses import StreamingResponse

from hub.core import Hub

Fragments = Callable[[], Awaitable[dict[str, str] | None]]  # event name → HTML; None ends the stream

HEARTBEAT_SECONDS = 15.0
COALESCE_SECONDS = 0.15


def sse_event(name: str, html: str) -> str:
    """One SSE event whose data is an HTML fragment (each line its own `data:` field)."""
    data = "".join(f"data: {line}\n" for line in html.splitlines() or [""])
    return f"event: {name}\n{data}\n"


def stream(
    request: Request, hub: Hub, topics: Sequence[str], fragments: Fragments, *,
    every: float | None = None, min_interval: float = 0.0,
) -> StreamingResponse:
    """An SSE response redrawing `fragments` on each hint from `topics` (and every `every` seconds), at most
    once per `min_interval` seconds: a busy group's hints cost each open page one redraw a second, not one
    per hint."""
    events = _events(request, hub, topics, fragments, every, min_interval)
    return StreamingResponse(events, media_type="text/event-stream",
                             headers={"cache-control": "no-store", "x-accel-buffering": "no"})


async def _events(
    request: Request, hub: Hub, topics: Sequence[str], fragments: Fragments, every: float | None,
    min_interval: float,
) -> AsyncIterator[str]:
    async with AsyncExitStack() as stack:
        wake = asyncio.Event()
        feeds = [await stack.enter_async_context(hub.bus.subscribe(topic)) for topic in topics]
        pumps = [asyncio.create_task(_pump(feed, wake)) for feed in feeds]
        try:
            yield "retry: 2000\n\n"
            wake.set()  # the first redraw: whatever changed before we subscribed
            loop, drawn_at = asyncio.get_running_loop(), float("-inf")
            while not await request.is_disconnected():
                if not await _woken(wake, every or HEARTBEAT_SECONDS) and every is None:
                    yield ": keep-alive\n\n"
                    continue
                await asyncio.sleep(max(COALESCE_SECONDS, drawn_at + min_interval - loop.time()))
                wake.clear()
                drawn_at = loop.time()
                drawn = await fragments()
                if drawn is None:
                    yield "event: gone\ndata: \n\n"
                    return
                for name, html in drawn.items():
                    yield sse_event(name, html)
        finally:
            for task in pumps:
                task.cancel()


async def _pump(feed: AsyncIterator[str], wake: asyncio.Event) -> None:
    async for _ in feed:
        wake.set()


async def _woken(wake: asyncio.Event, seconds: float) -> bool:
    try:
        await asyncio.wait_for(wake.wait(), seconds)
    except TimeoutError:
        return False
    return True
