"""ASGI middleware: request id, access log and HTTP metrics (body limits: api/body_limit.py).

Pure ASGI (not BaseHTTPMiddleware) so streaming responses such as SSE pass through untouched.
"""

from __future__ import annotations

import logging
import re
import time
import uuid

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from hub import metrics
from hub.logs import request_id

log = logging.getLogger("otklik.access")

_SAFE_ID = re.compile(r"^[A-Za-z0-9._-]{1,64}$")


class ObservabilityMiddleware:
    """Give every request an id (or keep a sane incoming X-Request-ID), log it and count it."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Wrap one HTTP request."""
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = dict(scope["headers"])
        incoming = headers.get(b"x-request-id", b"").decode("latin-1")
        rid = incoming if _SAFE_ID.match(incoming) else uuid.uuid4().hex
        token = request_id.set(rid)
        started, status = time.perf_counter(), 500

        async def send_with_id(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                message["headers"] = [*message.get("headers", []), (b"x-request-id", rid.encode())]
            await send(message)

        try:
            await self.app(scope, receive, send_with_id)
        finally:
            self._observe(scope, status, time.perf_counter() - started)
            request_id.reset(token)

    @staticmethod
    def _observe(scope: Scope, status: int, seconds: float) -> None:
        route = scope.get("route")
        name = getattr(route, "path", "unmatched")
        metrics.HTTP_REQUESTS.labels(name, str(status)).inc()
        metrics.HTTP_SECONDS.labels(name).observe(seconds)
        log.info("request", extra={"method": scope["method"], "path": scope["path"], "status": status,
                                   "ms": round(seconds * 1000, 2)})
