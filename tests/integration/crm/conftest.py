"""A running app with an api-channel account whose replies reach a local receiver, and CRM API tokens."""

from __future__ import annotations

import asyncio
import json
import uuid
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any

import httpx
import pytest

from hub.bus.base import EVENTS
from hub.directory import tokens
from models.channels import Channel
from models.customers import Customer, Identity, IdentityKind
from models.events import Event
from models.messages import Direction, Message
from models.tokens import Scope
from tests.conftest import API_TOKEN, RunningApp, auth
from tests.fakes.http_receiver import HttpReceiver
from tests.integration.helpers import eventually


@dataclass
class Crm:
    """The app under test, a token with every scope, and shortcuts to what tests do often."""

    running: RunningApp
    receiver: HttpReceiver
    headers: dict[str, str]

    @property
    def client(self) -> httpx.AsyncClient:
        """The ASGI client."""
        return self.running.client

    async def token(self, *scopes: Scope, rate: int = 600, name: str = "crm") -> dict[str, str]:
        """Headers with a new token carrying `scopes`."""
        _, full = await tokens.issue(self.running.hub.stores.tokens, name, list(scopes), rate_per_minute=rate)
        return {"authorization": f"Bearer {full}"}

    async def inbound(self, user_id: str, message_id: str, text: str = "Где мой заказ?", **contact: str) -> Customer:
        """A customer message through the api channel, once the worker has handled it; its customer."""
        body = {"user_id": user_id, "message_id": message_id, "text": text, "contact": contact}
        response = await self.client.post("/channels/api/crm/messages", json=body, headers=auth())
        assert response.status_code == 202, response.text
        who = Identity(kind=IdentityKind.API, value=f"crm:{user_id}")
        stores = self.running.hub.stores

        async def stored() -> Message | None:
            return await stores.messages.find_external(Channel.API, "crm", Direction.INBOUND, message_id)

        await eventually(stored, lambda m: m is not None and m.handled)
        customer = await stores.customers.find_by_identity(who)
        assert customer is not None
        return customer

    async def sent(self, count: int) -> list[dict[str, Any]]:
        """The first `count` callbacks the receiver got, as JSON."""
        return [json.loads(r.body) for r in await self.receiver.wait_for(count)]

    @asynccontextmanager
    async def events(self) -> AsyncIterator[list[Event]]:
        """Collect the events published while the block runs (a consumer group of its own)."""
        seen: list[Event] = []
        stop = asyncio.Event()

        async def collect(payload: str) -> None:
            seen.append(Event.model_validate_json(payload))

        task = asyncio.create_task(self.running.hub.bus.consume(EVENTS, f"test-{uuid.uuid4().hex}", "t", collect,
                                                                stop=stop))
        await asyncio.sleep(0.05)  # the group exists before the block publishes anything
        try:
            yield seen
        finally:
            stop.set()
            await task


@pytest.fixture
async def crm(make_settings: Any, start_app: Callable[..., Any], receiver: HttpReceiver) -> AsyncIterator[Crm]:
    """The app with the api channel's replies POSTed to `receiver`, and a token with every scope."""
    # the chain's CRM vouches for its users' phones and e-mails: trusted
    account = {"id": "crm", "token": API_TOKEN, "callback_url": f"{receiver.url}/otklik", "trusted": True}
    async with start_app(make_settings(api_accounts=[account])) as running:
        _, full = await tokens.issue(running.hub.stores.tokens, "crm", list(Scope))
        yield Crm(running, receiver, {"authorization": f"Bearer {full}"})
