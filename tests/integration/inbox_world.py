"""A small contact centre for inbox tests: groups, operators, a supervisor, and shoppers whose api-channel
messages are handed over to people, exactly as the bot would."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any

import httpx

from hub.core import Hub
from hub.customers.identity import identity_on
from hub.inbox.handover import hand_over
from hub.settings import Settings
from models.channels import Channel
from models.conversations import Conversation
from models.staff import Group, GroupId, Role, User
from tests.conftest import API_TOKEN, auth
from tests.fakes.http_receiver import HttpReceiver, free_port
from tests.fakes.serving import serving
from tests.integration.helpers import eventually
from tests.web_login import create_user

PASSWORD = "correct-horse-battery"
GENERAL, DELIVERY = "general", "delivery"


@dataclass
class World:
    """Who works in the test contact centre."""

    anna: User  # operator, general
    boris: User  # operator, general
    vera: User  # operator, delivery
    sam: User  # supervisor
    eve: User  # content editor: no inbox role


def inbox_settings(make_settings: Any, receiver: HttpReceiver | None = None, **overrides: Any) -> Settings:
    """Settings whose api account `crm` POSTs what it sends to the receiver."""
    account: dict[str, Any] = {"id": "crm", "token": API_TOKEN}
    if receiver is not None:
        account["callback_url"] = f"{receiver.url}/otklik"
    settings: Settings = make_settings(api_accounts=[account], context_provider="demo", **overrides)
    return settings


async def build_world(hub: Hub) -> World:
    """Two groups and five people; everyone signs in with PASSWORD."""
    await hub.stores.directory.upsert_groups([Group(id=GroupId(GENERAL), name="Общая линия"),
                                              Group(id=GroupId(DELIVERY), name="Доставка")])

    async def person(login: str, role: Role, groups: list[str]) -> User:
        return await create_user(hub, login, PASSWORD, roles=[role], groups=groups)

    return World(anna=await person("anna", Role.OPERATOR, [GENERAL]),
                 boris=await person("boris", Role.OPERATOR, [GENERAL]),
                 vera=await person("vera", Role.OPERATOR, [DELIVERY]),
                 sam=await person("sam", Role.SUPERVISOR, [GENERAL, DELIVERY]),
                 eve=await person("eve", Role.CONTENT_EDITOR, []))


async def customer_writes(client: httpx.AsyncClient, hub: Hub, user_id: str, text: str, n: int = 1) -> Conversation:
    """The shopper `user_id` writes through the api channel; their conversation once the worker stored it."""
    response = await client.post("/channels/api/crm/messages", headers=auth(),
                                 json={"user_id": user_id, "message_id": f"{user_id}-{n}", "text": text,
                                       "contact": {"name": f"Shopper {user_id}"}})
    assert response.status_code == 202, response.text

    async def probe() -> Conversation | None:
        customer = await hub.stores.customers.find_by_identity(identity_on(Channel.API, "crm", user_id))
        if customer is None:
            return None
        found = await hub.stores.messages.list_for_customer(customer.id)
        if sum(1 for m in found if m.external_id == f"{user_id}-{n}") == 0:
            return None
        return await hub.stores.conversations.current_for(customer.id)

    conversation = await eventually(probe, lambda c: c is not None)
    assert conversation is not None
    return conversation


async def handed_over(hub: Hub, conversation: Conversation, note: str = "Клиент ждёт заказ 4512") -> Conversation:
    """The bot gives the conversation to the general line."""
    return await hand_over(hub, conversation.id, topic="general_question", note=note)


@asynccontextmanager
async def over_tcp(running: Any) -> AsyncIterator[str]:
    """The running app also served on a local port (ASGI test transports buffer whole responses: no SSE)."""
    port = free_port()
    async with serving(running.app, port):
        yield f"http://127.0.0.1:{port}"


async def next_event(lines: Any) -> tuple[str, str]:
    """The next SSE event's name and data (data lines joined), within 10 s; ("", "") when the stream ends."""
    name, data = "", []
    async with asyncio.timeout(10):
        async for line in lines:
            if line.startswith("event: "):
                name = line[7:]
            elif line.startswith("data: "):
                data.append(line[6:])
            elif line == "" and name:
                return name, "\n".join(data)
    return "", ""
