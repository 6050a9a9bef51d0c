"""What the web-chat tests share: a visitor with their own cookie jar, and a reader of /chat/events."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import httpx

from connectors import webchat
from hub.core import Hub
from hub.customers.identity import identity_on
from models.channels import Channel
from models.customers import Identity
from models.messages import Direction
from tests.integration.helpers import eventually

SECRET = "test-secret-key-0123456789"  # tests/conftest.py's make_settings


async def open_chat(client: httpx.AsyncClient) -> str:
    """Load the chat page (which sets the signed session cookie); the visitor id."""
    page = await client.get("/chat")
    assert page.status_code == 200, page.text
    return webchat.verify_visitor(client.cookies.get("otklik_chat"), SECRET)


def visitor_identity(visitor: str) -> Identity:
    """The web-chat identity of a visitor."""
    return identity_on(Channel.WEBCHAT, webchat.ACCOUNT_ID, visitor)


async def say(client: httpx.AsyncClient, client_id: str, text: str, **extra: Any) -> None:
    """Post one message from the chat page."""
    posted = await client.post("/chat/messages", json={"client_id": client_id, "text": text, **extra})
    assert posted.status_code == 202, posted.text


async def handled(hub: Hub, visitor: str, client_id: str) -> None:
    """Wait until the worker has stored and handled the visitor's message `client_id`."""

    async def probe() -> bool:
        customer = await hub.stores.customers.find_by_identity(visitor_identity(visitor))
        thread = [] if customer is None else await hub.stores.messages.list_for_customer(customer.id)
        return any(m.direction is Direction.INBOUND and (m.external_id or "").endswith(client_id) and m.handled
                   for m in thread)

    await eventually(probe, bool)


async def sse_events(response: httpx.Response) -> AsyncIterator[tuple[str, str]]:
    """The stream's events as (name, data); a comment line comes as ("comment", text)."""
    name, data = "", []
    async for line in response.aiter_lines():
        if line.startswith(":"):
            yield "comment", line[1:].strip()
        elif line.startswith("event: "):
            name = line[7:]
        elif line.startswith("data: "):
            data.append(line[6:])
        elif line == "" and name:
            yield name, "\n".join(data)
            name, data = "", []


class EventReader:
    """Reads an SSE response in a task, so a test may wait with a timeout without closing the reader (a
    timeout that cancels an async generator mid-read ends it for good)."""

    def __init__(self, response: httpx.Response) -> None:
        self.queue: asyncio.Queue[tuple[str, str] | None] = asyncio.Queue()
        self.task = asyncio.create_task(self._read(response))

    async def _read(self, response: httpx.Response) -> None:
        try:
            async for event in sse_events(response):
                await self.queue.put(event)
        finally:
            await self.queue.put(None)

    async def next(self, seconds: float = 10.0) -> tuple[str, str] | None:
        """The next event within `seconds` (TimeoutError if none), None once the stream has ended."""
        return await asyncio.wait_for(self.queue.get(), seconds)

    async def named(self, name: str, seconds: float = 10.0) -> dict[str, Any]:
        """The data of the next `name` event within `seconds` (others skipped)."""
        async with asyncio.timeout(seconds):
            while (event := await self.queue.get()) is not None:
                if event[0] == name:
                    return json.loads(event[1])  # type: ignore[no-any-return]
        raise AssertionError(f"the stream ended before a {name!r} event")

    async def state(self, wanted: str, seconds: float = 10.0) -> dict[str, Any]:
        """The next `state` event whose state is `wanted` (earlier states skipped)."""
        async with asyncio.timeout(seconds):
            while (found := await self.named("state", seconds))["state"] != wanted:
                pass
        return found

    async def gather(self, *wanted: str, seconds: float = 10.0) -> dict[str, dict[str, Any]]:
        """Read until a `message` event and each `state` in `wanted` have come, in whatever order; the last
        of each by its name ("message" or the state)."""
        found: dict[str, dict[str, Any]] = {}
        async with asyncio.timeout(seconds):
            while not {"message", *wanted} <= found.keys():
                event = await self.queue.get()
                if event is None:
                    raise AssertionError(f"the stream ended; it sent {sorted(found)}")
                data = json.loads(event[1]) if event[0] in ("message", "state") else {}
                found["message" if event[0] == "message" else str(data.get("state"))] = data
        return found

    async def idle(self, seconds: float) -> list[str]:
        """What comes in `seconds` while nothing happens: event names, comments as "comment"."""
        seen: list[str] = []
        loop = asyncio.get_running_loop()
        until = loop.time() + seconds
        while (left := until - loop.time()) > 0:
            try:
                event = await self.next(left)
            except TimeoutError:
                break
            if event is None:
                seen.append("<end>")
                break
            seen.append(event[0])
        return seen

    def close(self) -> None:
        """Stop reading."""
        self.task.cancel()


@asynccontextmanager
async def chat_events(client: httpx.AsyncClient) -> AsyncIterator[EventReader]:
    """The client's /chat/events stream, read in the background while the block runs."""
    async with client.stream("GET", "/chat/events") as response:
        assert response.status_code == 200
        reader = EventReader(response)
        try:
            yield reader
        finally:
            reader.close()


async def history(client: httpx.AsyncClient, seconds: float = 5.0) -> list[dict[str, Any]]:
    """The messages /chat/events sends a newly opened page before its first `state` event."""
    found: list[dict[str, Any]] = []
    async with chat_events(client) as events:
        while True:
            try:
                event = await events.next(seconds)
            except TimeoutError:
                break  # a stream that never says its history is complete: judge what it sent
            if event is None or event[0] == "state":
                break
            if event[0] == "message":
                found.append(json.loads(event[1]))
    return found
