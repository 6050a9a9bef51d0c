"""Dependencies routes receive: the Hub, and a size-limited request body."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from hub.core import Hub
from models.errors import PayloadTooLarge


async def get_hub(request: Request) -> Hub:
    """The process's Hub, built in the app's lifespan (async: a plain def would cost a thread hop per request)."""
    hub: Hub = request.app.state.hub
    return hub


HubDep = Annotated[Hub, Depends(get_hub)]


async def read_body(request: Request, limit: int) -> bytes:
    """The request body, or PayloadTooLarge as soon as it passes `limit` (chunked bodies included)."""
    chunks, size = [], 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise PayloadTooLarge(f"body over {limit} bytes")
        chunks.append(chunk)
    return b"".join(chunks)
