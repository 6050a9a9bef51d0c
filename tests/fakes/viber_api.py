"""A fake Viber REST Bot API on 127.0.0.1, speaking Viber's wire format over real HTTP.

`POST /pa/send_message`, `/pa/set_webhook` and `/pa/get_account_info` (GET too) check the
`X-Viber-Auth-Token` header and answer as Viber does: HTTP 200 with `{"status": 0, "status_message": "ok",
...}`, or HTTP 200 with a non-zero status (2 invalidAuthToken, 3 badData, 4 missingData, 6
receiverNotSubscribed, 12 tooManyRequests...). Answers can be scripted (a status code or an HTTP error),
receivers marked as unsubscribed, and every request is recorded for assertions. set_webhook calls the
registered URL with a signed `webhook` event first, as Viber does, when given a client to reach it.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import itertools
import json
import time
from collections import deque
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Any

import httpx
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from tests.fakes.serving import free_port, serving

STATUS_NAMES = {
    0: "ok", 1: "invalidUrl", 2: "invalidAuthToken", 3: "badData", 4: "missingData",
    5: "receiverNotRegistered", 6: "receiverNotSubscribed", 7: "publicAccountBlocked",
    10: "webhookNotSet", 12: "tooManyRequests",
}
MESSAGE_TYPES = {"text", "picture", "video", "file", "contact", "location", "url", "sticker", "rich_media"}


@dataclass(frozen=True)
class Answer:
    """A scripted answer: HTTP `http` with Viber `status` (ignored unless http is 200)."""

    status: int = 0
    http: int = 200


@dataclass
class ViberCall:
    """One request as the fake saw it."""

    path: str
    headers: dict[str, str]
    body: dict[str, Any]


@dataclass
class FakeViberApi:
    """State of the fake: its token, recorded calls, scripted answers, unsubscribed receivers."""

    token: str
    port: int = 0
    calls: list[ViberCall] = field(default_factory=list)
    script: deque[Answer] = field(default_factory=deque)  # next answers to send_message, then "ok"
    not_subscribed: set[str] = field(default_factory=set)
    webhook: dict[str, Any] | None = None
    webhook_client: httpx.AsyncClient | None = None  # how set_webhook reaches the registered URL
    arrived: asyncio.Event = field(default_factory=asyncio.Event)
    _tokens: itertools.count[int] = field(default_factory=lambda: itertools.count(5_466_297_578_174_182_639))

    @property
    def url(self) -> str:
        """Base URL, as an account's options["api_base"]."""
        return f"http://127.0.0.1:{self.port}"

    def sent(self, path: str = "/pa/send_message") -> list[ViberCall]:
        """The recorded calls to one endpoint."""
        return [c for c in self.calls if c.path == path]

    async def wait_for(self, count: int, path: str = "/pa/send_message", timeout: float = 10.0) -> list[ViberCall]:
        """Wait until `count` calls reached `path`."""
        async with asyncio.timeout(timeout):
            while len(self.sent(path)) < count:
                self.arrived.clear()
                await self.arrived.wait()
        return self.sent(path)

    async def handle(self, request: Request) -> Response:
        """Record the call, check the token, answer for the endpoint."""
        raw = await request.body()
        try:
            body = json.loads(raw) if raw else {}
        except ValueError:
            body = None
        self.calls.append(ViberCall(request.url.path, dict(request.headers), body if isinstance(body, dict) else {}))
        self.arrived.set()
        given = request.headers.get("x-viber-auth-token")
        if given is None:
            return _status(2, message="missing_auth_token")
        if not hmac.compare_digest(given.encode(), self.token.encode()):
            return _status(2)
        if not isinstance(body, dict):
            return _status(3)
        endpoint = {"/pa/send_message": self._send, "/pa/set_webhook": self._set_webhook,
                    "/pa/get_account_info": self._account_info}.get(request.url.path)
        return Response(status_code=404) if endpoint is None else await endpoint(body)

    async def _send(self, body: dict[str, Any]) -> Response:
        answer = self.script.popleft() if self.script else Answer()
        if answer.http != 200:
            return Response(status_code=answer.http, content=b"<html>upstream error</html>")
        if answer.status == 0 and _missing(body):
            answer = Answer(status=4)
        if answer.status == 0 and body["receiver"] in self.not_subscribed:
            answer = Answer(status=6)
        return _status(answer.status, message_token=next(self._tokens), chat_hostname="SN-CHAT-03_")

    async def _set_webhook(self, body: dict[str, Any]) -> Response:
        url = body.get("url")
        if not isinstance(url, str):
            return _status(4)
        if url and self.webhook_client is not None and not await self._check_webhook(url):
            return _status(1)
        self.webhook = body
        return _status(0, event_types=body.get("event_types", []))

    async def _check_webhook(self, url: str) -> bool:
        """Viber's availability check: a signed 'webhook' event that must get HTTP 200."""
        assert self.webhook_client is not None
        event = json.dumps({"event": "webhook", "timestamp": int(time.time() * 1000),
                            "chat_hostname": "SN-CHAT-22_", "message_token": next(self._tokens)}).encode()
        signature = hmac.new(self.token.encode(), event, hashlib.sha256).hexdigest()
        response = await self.webhook_client.post(url, content=event, headers={
            "x-viber-content-signature": signature, "content-type": "application/json"})
        return response.status_code == 200

    async def _account_info(self, body: dict[str, Any]) -> Response:
        return _status(0, id="pa:5466297578174182639", name="Otklik shop", uri="otklikshop",
                       webhook=(self.webhook or {}).get("url", ""), event_types=(self.webhook or {}).get("event_types"),
                       subscribers_count=2, country="RU")


def _missing(body: dict[str, Any]) -> bool:
    """What Viber would call missingData for a send_message body."""
    sender = body.get("sender")
    if not body.get("receiver") or body.get("type") not in MESSAGE_TYPES or not isinstance(sender, dict):
        return True
    if not isinstance(sender.get("name"), str) or not 0 < len(sender["name"]) <= 28:
        return True
    needs = {"text": ["text"], "picture": ["media"], "video": ["media", "size"], "file": ["media", "size", "file_name"],
             "url": ["media"]}.get(body["type"], [])
    return any(body.get(key) in (None, "") for key in needs)


def _status(status: int, *, message: str | None = None, **extra: Any) -> JSONResponse:
    return JSONResponse({"status": status, "status_message": message or STATUS_NAMES.get(status, "failure"), **extra})


@asynccontextmanager
async def fake_viber_api(token: str) -> AsyncIterator[FakeViberApi]:
    """Serve a FakeViberApi for `token` on a free port for the duration of the context."""
    api = FakeViberApi(token=token, port=free_port())
    app = Starlette(routes=[Route("/pa/{name}", api.handle, methods=["GET", "POST"])])
    async with serving(app, api.port):
        yield api
