"""Bad input gets a 4xx with a JSON reason, and nothing is stored half-way."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from tests.conftest import auth

URL = "/channels/api/crm/messages"


def reason(response: Any) -> str:
    """The error reason of a consistent error body."""
    body = response.json()
    assert set(body) == {"error"} and set(body["error"]) == {"code", "reason"}
    return str(body["error"]["reason"])


@pytest.mark.parametrize(
    ("body", "status", "says"),
    [
        (b"{not json", 422, "Invalid JSON"),
        (b'{"user_id": 5, "message_id": "m", "text": "x"}', 422, "user_id"),
        (b'{"user_id": "u", "text": "x"}', 422, "message_id: Field required"),
        (b'{"user_id": "u", "message_id": "m", "text": "   "}', 422, "needs text or attachments"),
        (b'{"user_id": "u", "message_id": "m", "text": "x", "contact": {"email": "nope"}}', 422, "contact.email"),
        (b'{"user_id": "u", "message_id": "m", "text": "x", "contact": {"phone": "12"}}', 422, "not a phone number"),
        (b'{"user_id": "u", "message_id": "m", "text": "x", "surprise": 1}', 422, "surprise"),
        (b'[]', 422, "body"),
    ],
)
async def test_invalid_message_is_refused_with_a_reason(
    make_settings: Any, start_app: Any, body: bytes, status: int, says: str
) -> None:
    async with start_app(make_settings()) as running:
        response = await running.client.post(URL, content=body, headers={**auth(), "content-type": "application/json"})
        await asyncio.sleep(0.05)
        stored = await running.hub.stores.messages.count()
    assert response.status_code == status
    assert says in reason(response)
    assert stored == 0


async def test_oversize_body_is_refused_before_it_is_read(make_settings: Any, start_app: Any) -> None:
    async with start_app(make_settings(max_body_bytes=4096)) as running:
        big = {"user_id": "u", "message_id": "m", "text": "я" * 5000}
        response = await running.client.post(URL, json=big, headers=auth())
        assert await running.hub.stores.messages.count() == 0
    assert response.status_code == 413
    assert "4096" in reason(response)


async def test_oversize_chunked_body_is_refused(make_settings: Any, start_app: Any) -> None:
    async def chunks() -> Any:
        for _ in range(10):
            yield b"x" * 1024

    async with start_app(make_settings(max_body_bytes=4096)) as running:
        response = await running.client.post(URL, content=chunks(), headers=auth())
    assert response.status_code == 413


@pytest.mark.parametrize(
    ("url", "headers", "status", "says"),
    [
        (URL, {}, 401, "missing bearer token"),
        (URL, {"authorization": "Bearer wrong-token-xxxxxxxxxxxx"}, 401, "wrong token"),
        (URL, {"authorization": "Basic abc"}, 401, "missing bearer token"),
        ("/channels/api/nobody/messages", auth(), 404, "no api account 'nobody'"),
        ("/channels/pigeon/crm/messages", auth(), 404, "Not Found"),
    ],
)
async def test_unauthenticated_or_unknown_target_is_refused(
    make_settings: Any, start_app: Any, url: str, headers: dict[str, str], status: int, says: str
) -> None:
    async with start_app(make_settings()) as running:
        body = {"user_id": "u", "message_id": "m", "text": "x"}
        response = await running.client.post(url, json=body, headers=headers)
        await asyncio.sleep(0.05)
        assert await running.hub.stores.messages.count() == 0
    assert response.status_code == status
    assert says in reason(response)


async def test_webchat_refuses_a_forged_session_and_a_form_post(make_settings: Any, start_app: Any) -> None:
    async with start_app(make_settings()) as running:
        running.client.cookies.set("otklik_chat", "visitor.deadbeef")
        forged = await running.client.post("/chat/messages", json={"client_id": "abcdefgh1", "text": "hi"})
        running.client.cookies.clear()
        await running.client.get("/chat")  # a real session cookie
        form = await running.client.post("/chat/messages", data={"client_id": "abcdefgh1", "text": "hi"})
    assert forged.status_code == 401 and "web chat session" in reason(forged)
    assert form.status_code == 422 and "application/json" in reason(form)


async def test_every_response_carries_a_request_id(make_settings: Any, start_app: Any) -> None:
    async with start_app(make_settings()) as running:
        given = await running.client.get("/healthz", headers={"x-request-id": "abc-123"})
        fresh = await running.client.get("/healthz")
        hostile = await running.client.get("/healthz", headers={"x-request-id": "<script>"})
    assert given.headers["x-request-id"] == "abc-123"
    assert len(fresh.headers["x-request-id"]) == 32
    assert hostile.headers["x-request-id"] != "<script>"
