"""A CRM's webhook endpoint on 127.0.0.1: verifies each request with the `standardwebhooks` library (the
code a receiver would run off the shelf), records it, and answers as scripted.

It can go down (the port refuses connections), answer 503 for a while, hang past the sender's timeout
once, and come back on the same port.
"""

from __future__ import annotations

import asyncio
import json
import time
from collections import deque
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack, asynccontextmanager, suppress
from dataclasses import dataclass, field
from typing import Any

from standardwebhooks import Webhook, WebhookVerificationError
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from tests.fakes.serving import free_port, serving


@dataclass
class Arrival:
    """One verified request and what the receiver answered."""

    webhook_id: str
    timestamp: int
    payload: dict[str, Any]
    status: int
    at: float  # time.monotonic() on arrival

    @property
    def event_id(self) -> str:
        """The event the webhook is about."""
        return str(self.payload["id"])


@dataclass
class WebhookReceiver:
    """Records verified webhooks; answers the next scripted (status, headers), else `status`."""

    port: int = field(default_factory=free_port)
    secret: str | None = None  # set once the subscription exists
    status: int = 200
    script: deque[tuple[int, dict[str, str]]] = field(default_factory=deque)
    hang_once: float = 0.0  # the next request is answered only after this many seconds
    arrivals: list[Arrival] = field(default_factory=list)
    forged: int = 0  # requests whose signature did not verify (answered 401)
    _server: AsyncExitStack | None = None
    _arrived: asyncio.Event = field(default_factory=asyncio.Event)

    @property
    def url(self) -> str:
        """Where the subscription points."""
        return f"http://127.0.0.1:{self.port}/otklik/webhooks"

    @property
    def accepted(self) -> list[Arrival]:
        """Arrivals answered 2xx, in arrival order."""
        return [a for a in self.arrivals if 200 <= a.status < 300]

    async def handle(self, request: Request) -> Response:
        """Verify, record, answer."""
        body = await request.body()
        try:
            if self.secret is None:
                raise WebhookVerificationError("no secret to verify with")
            payload = Webhook(self.secret).verify(body, dict(request.headers))
        except (WebhookVerificationError, ValueError):
            self.forged += 1
            return Response(status_code=401)
        status, headers = self.script.popleft() if self.script else (self.status, {})
        self.arrivals.append(Arrival(request.headers["webhook-id"], int(request.headers["webhook-timestamp"]),
                                     payload, status, time.monotonic()))
        self._arrived.set()
        if self.hang_once:
            hang, self.hang_once = self.hang_once, 0.0
            await asyncio.sleep(hang)
        return Response(status_code=status, headers=headers)

    async def start(self) -> None:
        """Listen (again) on the same port."""
        stack = AsyncExitStack()
        app = Starlette(routes=[Route("/{path:path}", self.handle, methods=["POST"])])
        await stack.enter_async_context(serving(app, self.port))
        self._server = stack

    async def stop(self) -> None:
        """Stop listening: connections are refused until `start`."""
        if self._server is not None:
            server, self._server = self._server, None
            await server.aclose()

    async def wait_until(self, done: Any, timeout: float = 15.0) -> None:
        """Wait until `done(self)` holds."""
        async with asyncio.timeout(timeout):
            while not done(self):
                self._arrived.clear()
                with suppress(TimeoutError):
                    await asyncio.wait_for(self._arrived.wait(), 0.1)

    def event_ids(self) -> list[str]:
        """Event ids accepted, in arrival order."""
        return [a.event_id for a in self.accepted]

    def bodies(self) -> list[str]:
        """Accepted payloads as compact JSON, for comparing what was sent."""
        return [json.dumps(a.payload, sort_keys=True) for a in self.accepted]


@asynccontextmanager
async def webhook_receiver(**options: Any) -> AsyncIterator[WebhookReceiver]:
    """A started receiver, stopped when the block ends."""
    receiver = WebhookReceiver(**options)
    await receiver.start()
    try:
        yield receiver
    finally:
        await receiver.stop()
