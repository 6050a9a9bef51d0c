"""A real hub (SQLite store, in-process bus, no worker) with the chain's directory data and a shopper.

The shipped catalogue and calendars are used: price_tag_mismatch goes to the store (24 h, pauses while
waiting), spoiled_goods to quality_control (48 h), refund to finance (40 h); store calendars are
08:00-22:00 daily, others 09:00-21:00 daily, Moscow time.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import pytest

from api.wiring import running_hub
from hub.bus.base import EVENTS
from hub.core import Hub
from models.channels import Channel
from models.conversations import Conversation
from models.customers import Customer, Identity, IdentityKind
from models.events import Event
from models.retail_stores import RetailStore
from models.staff import Group, GroupId, GroupKind, Role, User, UserId

# Monday 2 Mar 2026, 10:00 MSK: every calendar is working
T0 = datetime(2026, 3, 2, 7, 0, tzinfo=UTC)


@dataclass
class Events:
    """Every event published while a test runs."""

    seen: list[Event] = field(default_factory=list)

    def of(self, kind: str) -> list[Event]:
        """The events of one kind, in order."""
        return [e for e in self.seen if e.type == kind]


@dataclass
class World:
    """The hub, its events, and the people and places the tests use."""

    hub: Hub
    events: Events
    conversation: Conversation
    customer: Customer
    users: dict[str, User]

    async def settle(self) -> None:
        """Let the event collector catch up."""
        await asyncio.sleep(0.05)


def user(login: str, roles: set[Role], groups: list[str], store_id: str | None = None) -> User:
    """A directory user."""
    return User(id=UserId(f"u-{login}"), login=login, name=login.title(), roles=frozenset(roles),
                groups=[GroupId(g) for g in groups], store_id=store_id)


USERS = [
    user("olga", {Role.OPERATOR}, ["contact_centre"]),
    user("ivan", {Role.STORE_STAFF}, ["store:118"], "118"),
    user("petr", {Role.STORE_STAFF}, ["store:205"], "205"),
    user("qc1", {Role.SPECIALIST}, ["quality_control"]),
    user("qc2", {Role.SPECIALIST}, ["quality_control"]),
    user("fin", {Role.SPECIALIST}, ["finance"]),
    user("boss", {Role.SUPERVISOR}, ["supervisors"]),
    user("editor", {Role.CONTENT_EDITOR}, []),
]
STORES = [RetailStore(id="118", name="Store 118", region="central"),
          RetailStore(id="205", name="Store 205", region="central"),
          RetailStore(id="901", name="Store 901", region="far_east", timezone="Asia/Vladivostok")]
GROUPS = [Group(id=GroupId("quality_control"), name="QC", kind=GroupKind.SPECIALIST, calendar="office",
                escalation_group=GroupId("qc_supervisors")),
          Group(id=GroupId("finance"), name="Finance", kind=GroupKind.SPECIALIST),
          Group(id=GroupId("store:118"), name="Store 118", kind=GroupKind.STORE, store_id="118")]


async def make_conversation(hub: Hub, channel: Channel = Channel.API, account: str = "crm",
                            user_id: str = "shopper-1") -> tuple[Customer, Conversation]:
    """A shopper who wrote through the api channel, and their open conversation."""
    customer = Customer(name="Anna", identities=[Identity(kind=IdentityKind.API, value=f"{account}:{user_id}")])
    await hub.stores.customers.create(customer)
    conversation = Conversation.open(customer.id, channel, account, at=T0)
    await hub.stores.conversations.create(conversation)
    return customer, conversation


@pytest.fixture
async def world(make_settings: Callable[..., Any]) -> AsyncIterator[World]:
    """The hub with directory data, a shopper's conversation, and an event collector."""
    settings = make_settings(api_accounts=[{"id": "crm", "token": "test-token-0123456789abcdef",
                                            "callback_url": "http://127.0.0.1:9/otklik"}])
    async with running_hub(settings) as hub:
        await hub.stores.directory.upsert_stores(STORES)
        await hub.stores.directory.upsert_groups(GROUPS)
        await hub.stores.directory.upsert_users(USERS)
        users = {u.login: await hub.stores.directory.get_user(u.id) for u in USERS}
        customer, conversation = await make_conversation(hub)
        events, stop = Events(), asyncio.Event()

        async def collect(payload: str) -> None:
            events.seen.append(Event.model_validate_json(payload))

        task = asyncio.create_task(hub.bus.consume(EVENTS, f"test-{uuid.uuid4().hex}", "t", collect, stop=stop))
        await asyncio.sleep(0.01)
        try:
            yield World(hub, events, conversation, customer, users)
        finally:
            stop.set()
            await task
