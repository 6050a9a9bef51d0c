"""A fake Telegram Bot API server on 127.0.0.1: real HTTP, aiogram pointed at it as a custom API server.

It serves `/bot<token>/<method>` the way https://core.telegram.org/bots/api "Making requests" describes:
parameters as a query string, form fields (url-encoded or multipart, which is what aiogram's
AiohttpSession sends, with objects such as reply_markup JSON-encoded inside a field) or a JSON body;
answers `{"ok": true, "result": ...}` with valid objects, or a scripted failure in Telegram's own shape,
`{"ok": false, "error_code": 429, "description": "Too Many Requests: retry after N",
"parameters": {"retry_after": N}}`. Updates queued with `push_update` are handed out by getUpdates
(long polling, confirmed by offset); getUpdates is refused with 409 while a webhook is set, as Telegram does.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import time
from collections import defaultdict, deque
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from tests.fakes.serving import free_port, serving

BOT_TOKEN = "123456789:AAFakeTokenForTestsOnly_abcdefghijk"
BOT_USER = {"id": 123456789, "is_bot": True, "first_name": "Otklik", "username": "otklik_test_bot"}
_JSON_FIELDS = {"reply_markup", "allowed_updates", "reply_parameters", "link_preview_options", "entities",
                "caption_entities"}


@dataclass
class Call:
    """One Bot API request as the server received it, its parameters decoded."""

    method: str
    token: str
    params: dict[str, Any]


@dataclass
class FakeTelegramApi:
    """Records calls, answers like the Bot API, fails as scripted, hands out queued updates."""

    port: int = 0
    token: str = BOT_TOKEN
    calls: list[Call] = field(default_factory=list)
    failures: dict[str, deque[tuple[int, str, int | None]]] = field(default_factory=lambda: defaultdict(deque))
    updates: list[dict[str, Any]] = field(default_factory=list)
    webhook_url: str = ""
    closing: bool = False  # set on shutdown: a long poll in progress returns at once
    arrived: asyncio.Event = field(default_factory=asyncio.Event)
    _ids: itertools.count[int] = field(default_factory=lambda: itertools.count(1000))

    @property
    def url(self) -> str:
        """Base URL to give aiogram (TelegramAPIServer.from_base) as the account's api_base."""
        return f"http://127.0.0.1:{self.port}"

    def fail(self, method: str, status: int, description: str, *, retry_after: int | None = None) -> None:
        """The next call of `method` fails with this Telegram error."""
        self.failures[method].append((status, description, retry_after))

    def flood(self, method: str, retry_after: int = 1) -> None:
        """The next call of `method` hits flood control (429 with parameters.retry_after)."""
        self.fail(method, 429, f"Too Many Requests: retry after {retry_after}", retry_after=retry_after)

    def blocked(self, method: str) -> None:
        """The next call of `method` is refused: the user blocked the bot."""
        self.fail(method, 403, "Forbidden: bot was blocked by the user")

    def push_update(self, update: dict[str, Any]) -> None:
        """Queue an Update for getUpdates."""
        self.updates.append(update)
        self.arrived.set()

    def of(self, method: str) -> list[Call]:
        """The calls of one method, in order."""
        return [c for c in self.calls if c.method == method]

    async def wait_for(self, method: str, count: int = 1, timeout: float = 10.0) -> list[Call]:
        """Wait until `method` was called `count` times."""
        async with asyncio.timeout(timeout):
            while len(self.of(method)) < count:
                self.arrived.clear()
                await self.arrived.wait()
        return self.of(method)

    async def handle(self, request: Request) -> JSONResponse:
        """Route /bot<token>/<method>."""
        token, method = request.path_params["token"], request.path_params["method"]
        call = Call(method, token, await _params(request))
        self.calls.append(call)
        self.arrived.set()
        if token != self.token:
            return _error(401, "Unauthorized")
        if self.failures[method]:
            status, description, retry_after = self.failures[method].popleft()
            return _error(status, description, retry_after)
        if method == "getUpdates":
            return await self._get_updates(call.params)
        answer = self._answer(method, call.params)
        return _error(404, "Not Found") if answer is None else JSONResponse({"ok": True, "result": answer})

    def _answer(self, method: str, params: dict[str, Any]) -> Any:
        if method in ("sendMessage", "sendPhoto", "sendDocument"):
            return self._message(method, params)
        if method == "setWebhook":
            self.webhook_url = str(params.get("url", ""))
            return True
        if method == "deleteWebhook":
            self.webhook_url = ""
            return True
        if method == "answerCallbackQuery":
            return True
        if method == "getMe":
            return BOT_USER
        return None

    def _message(self, method: str, params: dict[str, Any]) -> dict[str, Any]:
        chat_id = int(params["chat_id"])
        message: dict[str, Any] = {"message_id": next(self._ids), "from": BOT_USER, "date": int(time.time()),
                                   "chat": {"id": chat_id, "type": "private", "first_name": "Customer"}}
        if method == "sendMessage":
            message["text"] = params["text"]
        elif method == "sendPhoto":
            message["photo"] = [{"file_id": str(params["photo"]), "file_unique_id": "AQADphoto", "width": 800,
                                 "height": 600, "file_size": 51234}]
        else:
            message["document"] = {"file_id": str(params["document"]), "file_unique_id": "AgADdoc",
                                   "file_name": "file.pdf", "mime_type": "application/pdf"}
        if params.get("caption"):
            message["caption"] = params["caption"]
        if "reply_markup" in params and "inline_keyboard" in params["reply_markup"]:
            message["reply_markup"] = params["reply_markup"]
        return message

    async def _get_updates(self, params: dict[str, Any]) -> JSONResponse:
        if self.webhook_url:
            return _error(409, "Conflict: can't use getUpdates method while webhook is active; "
                               "use deleteWebhook to delete the webhook first")
        offset = int(params.get("offset", 0))
        self.updates = [u for u in self.updates if u["update_id"] >= offset]  # an offset confirms the earlier ones
        deadline = time.monotonic() + min(float(params.get("timeout", 0)), 5.0)
        while not self.updates and not self.closing and time.monotonic() < deadline:
            self.arrived.clear()
            try:
                async with asyncio.timeout(max(0.0, deadline - time.monotonic())):
                    await self.arrived.wait()
            except TimeoutError:
                break
            self.updates = [u for u in self.updates if u["update_id"] >= offset]
        return JSONResponse({"ok": True, "result": self.updates[: int(params.get("limit", 100))]})


async def _params(request: Request) -> dict[str, Any]:
    params: dict[str, Any] = dict(request.query_params)
    if request.method == "POST":
        if request.headers.get("content-type", "").startswith("application/json"):
            params.update(json.loads(await request.body() or b"{}"))
        else:
            async with request.form() as form:
                params.update({k: v for k, v in form.items() if isinstance(v, str)})
    for name in _JSON_FIELDS & params.keys():
        if isinstance(params[name], str):
            params[name] = json.loads(params[name])
    return params


def _error(status: int, description: str, retry_after: int | None = None) -> JSONResponse:
    body: dict[str, Any] = {"ok": False, "error_code": status, "description": description}
    if retry_after is not None:
        body["parameters"] = {"retry_after": retry_after}
    return JSONResponse(body, status_code=status)


@asynccontextmanager
async def fake_telegram_api() -> AsyncIterator[FakeTelegramApi]:
    """Serve a FakeTelegramApi on a free port for the duration of the context."""
    api = FakeTelegramApi(port=free_port())
    app = Starlette(routes=[Route("/bot{token}/{method}", api.handle, methods=["GET", "POST"])])
    async with serving(app, api.port):
        try:
            yield api
        finally:
            api.closing = True  # wakes long-polling getUpdates so the server can stop
            api.arrived.set()
