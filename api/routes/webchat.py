"""The built-in web chat: a page, its message POST, and an SSE stream of replies."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path

from fastapi import APIRouter, Request, Response
from fastapi.responses import HTMLResponse, StreamingResponse
from fastapi.templating import Jinja2Templates

from api.deps import HubDep, read_body
from connectors import webchat
from hub.identity import identity_on
from hub.ingest import accept
from hub.runtime import Hub
from models.channels import Channel
from models.errors import PayloadError
from models.messages import Direction, Message

router = APIRouter(prefix="/chat", tags=["web chat"])
templates = Jinja2Templates(directory=Path(__file__).parent.parent / "templates")
COOKIE = "otklik_chat"
HEARTBEAT_SECONDS = 15.0


def _secret(hub: Hub) -> str:
    return hub.settings.secret_key.get_secret_value()


@router.get("", response_class=HTMLResponse)
async def chat_page(request: Request, hub: HubDep) -> Response:
    """The chat page; a new visitor gets a signed session cookie."""
    response = templates.TemplateResponse(request, "webchat/chat.html", {})
    try:
        webchat.verify_visitor(request.cookies.get(COOKIE), _secret(hub))
    except Exception:
        cookie = webchat.sign_visitor(webchat.new_visitor(), _secret(hub))
        response.set_cookie(COOKIE, cookie, httponly=True, samesite="strict", max_age=180 * 24 * 3600,
                            secure=request.url.scheme == "https")  # behind TLS (X-Forwarded-Proto), HTTPS only
    return response


@router.post("/messages", status_code=202)
async def post_message(request: Request, hub: HubDep) -> dict[str, str]:
    """Accept the visitor's message; resending the same client_id is a no-op."""
    visitor = webchat.verify_visitor(request.cookies.get(COOKIE), _secret(hub))
    if request.headers.get("content-type", "").split(";")[0].strip() != "application/json":
        raise PayloadError("content-type must be application/json")  # also keeps cross-site forms out
    message = webchat.parse_inbound(await read_body(request, hub.settings.max_body_bytes), visitor)
    await accept(message, hub)
    return {"status": "accepted", "client_id": message.external_id}


@router.get("/events")
async def events(request: Request, hub: HubDep) -> StreamingResponse:
    """Server-sent events: the visitor's history first, then every new message as it is sent."""
    visitor = webchat.verify_visitor(request.cookies.get(COOKIE), _secret(hub))
    return StreamingResponse(_stream(request, hub, visitor), media_type="text/event-stream",
                             headers={"cache-control": "no-store", "x-accel-buffering": "no"})


async def _stream(request: Request, hub: Hub, visitor: str) -> AsyncIterator[str]:
    # Subscribe before reading history, so nothing sent in between is missed; the page drops repeats by id.
    async with hub.bus.subscribe(webchat.topic(visitor)) as live:
        for message in await _history(hub, visitor):
            yield _sse(message.model_dump_json(include={"id", "external_id", "text", "author", "direction"}))
        iterator = aiter(live)
        while not await request.is_disconnected():
            try:
                data = await _next_or_timeout(iterator, HEARTBEAT_SECONDS)
            except TimeoutError:
                yield ": keep-alive\n\n"
                continue
            yield _sse(data)


async def _next_or_timeout(iterator: AsyncIterator[str], seconds: float) -> str:
    return await asyncio.wait_for(anext(iterator), seconds)


async def _history(hub: Hub, visitor: str) -> list[Message]:
    customer = await hub.stores.customers.find_by_identity(identity_on(Channel.WEBCHAT, webchat.ACCOUNT_ID, visitor))
    if customer is None:
        return []
    found = await hub.stores.messages.list_for_customer(customer.id, limit=100)
    return [m for m in found if m.channel is Channel.WEBCHAT and m.direction is not Direction.INTERNAL]


def _sse(data: str) -> str:
    return f"event: message\ndata: {data}\n\n"  # pydantic JSON is one line: one data field
