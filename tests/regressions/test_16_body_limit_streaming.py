"""Issue 16, finding 3: 40 MB anonymous chunked bodies were read whole on /api/v1/*, and multipart bodies were
spooled to temporary files before the 401; the body limit only trusted Content-Length."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

from hub.directory import tokens
from models.staff import Role
from models.tokens import Scope
from tests.conftest import auth
from tests.web_login import create_user, session_csrf, sign_in

CHUNK = 64 * 1024


@dataclass
class Body:
    """A chunked request body (no Content-Length) that counts how much of it the server pulled."""

    size: int
    pulled: int = 0

    async def chunks(self) -> AsyncIterator[bytes]:
        """The body, CHUNK bytes at a time."""
        while self.pulled < self.size:
            self.pulled += CHUNK
            yield b"x" * CHUNK


def multipart(boundary: str, size: int) -> Body:
    """A chunked multipart body with one file of about `size` bytes."""
    body = Body(size)
    head = (f"--{boundary}\r\ncontent-disposition: form-data; name=\"files\"; filename=\"big.pdf\"\r\n"
            "content-type: application/pdf\r\n\r\n").encode()
    original = body.chunks

    async def chunks() -> AsyncIterator[bytes]:
        yield head
        async for chunk in original():
            yield chunk

    body.chunks = chunks  # type: ignore[method-assign]
    return body


async def test_anonymous_chunked_bodies_to_the_token_api_are_refused_unread(make_settings: Any,
                                                                             start_app: Any) -> None:
    async with start_app(make_settings()) as running:
        for headers in ({}, {"authorization": "Bearer otk_nope_nope"}):
            body = Body(40 * 1024 * 1024)
            response = await running.client.post("/api/v1/customers", content=body.chunks(),
                                                 headers={**headers, "content-type": "application/json"})
            assert response.status_code == 401
            assert body.pulled <= CHUNK  # at most what the transport sends before anyone asks


async def test_chunked_bodies_over_the_limit_stop_at_the_limit_on_every_route(make_settings: Any,
                                                                               start_app: Any) -> None:
    async with start_app(make_settings(max_body_bytes=256 * 1024)) as running:
        _, full = await tokens.issue(running.hub.stores.tokens, "crm", list(Scope))
        bearer = {"authorization": f"Bearer {full}", "content-type": "application/json"}
        for url, headers in [("/api/v1/customers", bearer), ("/channels/api/crm/messages", auth()),
                             ("/login", {"content-type": "application/x-www-form-urlencoded"})]:
            body = Body(40 * 1024 * 1024)
            response = await running.client.post(url, content=body.chunks(), headers=headers)
            assert response.status_code == 413, (url, response.text)
            assert response.json()["error"]["code"] == "payload_too_large"
            assert body.pulled <= 256 * 1024 + 2 * CHUNK, url  # reading stopped once the limit was passed


async def test_uploads_are_refused_before_spooling_when_anonymous_and_stop_at_their_own_limit(
    make_settings: Any, start_app: Any,
) -> None:
    settings = make_settings(reply_file_max_bytes=128 * 1024, reply_file_max_count=2, case_file_max_bytes=128 * 1024)
    async with start_app(settings) as running:
        for url in ("/inbox/conversations/c1/reply", "/cases/1/attachments"):
            body = multipart("b0undary", 40 * 1024 * 1024)
            response = await running.client.post(url, content=body.chunks(),
                                                  headers={"content-type": "multipart/form-data; boundary=b0undary"})
            assert response.status_code == 401, (url, response.text)
            assert body.pulled == 0, url
        await create_user(running.hub, "anna", "s3cret-pass", roles=[Role.OPERATOR], groups=["general"])
        await sign_in(running.client, "anna", "s3cret-pass")
        csrf = await session_csrf(running.client, running.hub)
        body = multipart("b0undary", 40 * 1024 * 1024)
        response = await running.client.post(
            "/inbox/conversations/c1/reply", content=body.chunks(),
            headers={"content-type": "multipart/form-data; boundary=b0undary", "x-csrf-token": csrf})
        assert response.status_code == 413, response.text
        limit = 2 * (128 * 1024 + 64 * 1024) + 100_000  # the reply route's own limit (api/app.py)
        assert body.pulled <= limit + 2 * CHUNK
