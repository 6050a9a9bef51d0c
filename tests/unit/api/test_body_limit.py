"""The streaming body limit as plain ASGI: what it answers, and that the app never sees more than the limit."""

from __future__ import annotations

import json
from typing import Any

from starlette.types import Message, Receive, Scope, Send

from api.body_limit import BodyLimitMiddleware


def scope(path: str = "/x", headers: list[tuple[bytes, bytes]] | None = None) -> Scope:
    return {"type": "http", "method": "POST", "path": path, "headers": headers or []}


class Echo:
    """An app that reads the whole body (swallowing errors, as careless code might) and says how much it got."""

    def __init__(self) -> None:
        self.read = 0
        self.called = False

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        self.called = True
        try:
            while True:
                message = await receive()
                self.read += len(message.get("body", b""))
                if not message.get("more_body"):
                    break
        except Exception:
            pass  # FastAPI turns a failed read into its own 400: the middleware must still win
        await send({"type": "http.response.start", "status": 400, "headers": []})
        await send({"type": "http.response.body", "body": b"app's answer"})


async def call(app: Any, scope: Scope, chunks: list[bytes]) -> tuple[int, bytes, int]:
    pending = [{"type": "http.request", "body": c, "more_body": i < len(chunks) - 1} for i, c in enumerate(chunks)]
    pulled = 0
    sent: list[Message] = []

    async def receive() -> Message:
        nonlocal pulled
        pulled += 1
        return pending.pop(0) if pending else {"type": "http.disconnect"}

    async def send(message: Message) -> None:
        sent.append(message)

    await app(scope, receive, send)
    status = next(m["status"] for m in sent if m["type"] == "http.response.start")
    return status, b"".join(m.get("body", b"") for m in sent if m["type"] == "http.response.body"), pulled


async def test_a_chunked_body_is_cut_at_the_limit_and_answered_413() -> None:
    inner = Echo()
    status, body, pulled = await call(BodyLimitMiddleware(inner, max_body_bytes=2048), scope(), [b"x" * 1000] * 10)
    assert status == 413 and json.loads(body)["error"]["code"] == "payload_too_large"
    assert inner.read <= 2048 and pulled == 3  # the third chunk passed the limit; nothing after it was pulled


async def test_an_announced_length_over_the_limit_never_reaches_the_app() -> None:
    inner = Echo()
    status, _, pulled = await call(BodyLimitMiddleware(inner, max_body_bytes=2048),
                                   scope(headers=[(b"content-length", b"4096")]), [b"x" * 4096])
    assert (status, pulled, inner.called) == (413, 0, False)


async def test_a_content_length_that_is_not_a_number_is_a_400() -> None:
    inner = Echo()
    status, body, _ = await call(BodyLimitMiddleware(inner, max_body_bytes=2048),
                                 scope(headers=[(b"content-length", b"12abc")]), [b"x"])
    assert status == 400 and b"Content-Length" in body and not inner.called
    inner = Echo()  # "²" is a digit to str.isdigit(), not to int()
    status, body, _ = await call(BodyLimitMiddleware(inner, max_body_bytes=2048),
                                 scope(headers=[(b"content-length", "1²".encode("latin-1"))]), [b"x"])
    assert status == 400 and b"Content-Length" in body and not inner.called


async def test_upload_routes_have_their_own_limit_and_small_bodies_pass() -> None:
    app = BodyLimitMiddleware(Echo(), max_body_bytes=2048, upload_limits={r"/cases/[^/]+/attachments": 8192})
    assert (await call(app, scope("/cases/1/attachments"), [b"x" * 4000] * 2))[0] == 400  # the app's answer
    assert (await call(app, scope("/cases/1/attachments"), [b"x" * 4000] * 3))[0] == 413
    assert (await call(app, scope("/other"), [b"x" * 2048]))[0] == 400
