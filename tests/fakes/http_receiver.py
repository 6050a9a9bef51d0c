"""A real HTTP server on 127.0.0.1 that records what it receives and answers as scripted.

It stands in for the outside world (a CRM's callback endpoint): requests reach it over TCP, exactly
as they would reach the real one.
"""

from __future__ import annotations

import asyncio
from collections import deque
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from tests.fakes.serving import free_port, serving

__all__ = ["HttpReceiver", "Received", "free_port", "http_receiver"]


@dataclass
class Received:
    """One request as the server saw it."""

    path: str
    headers: dict[str, str]
    body: bytes


@dataclass
class HttpReceiver:
    """Records requests; answers with the next scripted (status, headers) or 200."""

    port: int = 0
    requests: list[Received] = field(default_factory=list)
    script: deque[tuple[int, dict[str, str]]] = field(default_factory=deque)
    delay: float = 0.0
    gate: asyncio.Event | None = None  # while set to an unset Event, requests hang until it is set
    arrived: asyncio.Event = field(default_factory=asyncio.Event)

    @property
    def url(self) -> str:
        """Base URL of the server."""
        return f"http://127.0.0.1:{self.port}"

    async def handle(self, request: Request) -> Response:
        """Record, wait the configured delay, answer."""
        self.requests.append(Received(request.url.path, dict(request.headers), await request.body()))
        self.arrived.set()
        if self.delay:
            await asyncio.sleep(self.delay)
        if self.gate is not None:
            await self.gate.wait()
        status, headers = self.script.popleft() if self.script else (200, {})
        return Response(status_code=status, headers=headers)

    async def wait_for(self, count: int, timeout: float = 10.0) -> list[Received]:
        """Wait until `count` requests arrived."""
        async with asyncio.timeout(timeout):
            while len(self.requests) < count:
                self.arrived.clear()
                await self.arrived.wait()
        return self.requests


@asynccontextmanager
async def http_receiver() -> AsyncIterator[HttpReceiver]:
    """Serve a HttpReceiver on a free port for the duration of the context."""
    receiver = HttpReceiver(port=free_port())
    app = Starlette(routes=[Route("/{path:path}", receiver.handle, methods=["GET", "POST", "PUT"])])
    async with serving(app, receiver.port):
        yield receiver
