"""Helpers for the inbox tests: a running hub on SQLite, groups, operators and conversations in the bot's hands."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterable
from contextlib import asynccontextmanager
from datetime import datetime
from typing import Any

from api.wiring import running_hub
from hub.core import Hub
from hub.settings import Settings
from models.channels import Channel
from models.clock import utcnow
from models.conversations import Conversation
from models.customers import Customer, Identity, IdentityKind
from models.ids import new_id
from models.staff import Availability, Group, GroupId, Role, User, UserId


@asynccontextmanager
async def hub_on(settings: Settings) -> AsyncIterator[Hub]:
    """A hub (stores, bus) opened on these settings without the app or worker: the test drives every step."""
    async with running_hub(settings) as hub:
        yield hub


async def group(hub: Hub, group_id: str, **fields: Any) -> Group:
    """Create a group."""
    created = Group(id=GroupId(group_id), name=group_id.title(), **fields)
    await hub.stores.directory.save_group(created)
    return created


async def operator(
    hub: Hub, login: str, groups: Iterable[str], *, capacity: int = 5,
    availability: Availability = Availability.AVAILABLE, roles: Iterable[Role] = (Role.OPERATOR,),
) -> User:
    """Create an operator of these groups."""
    user = User(id=UserId(f"u-{login}"), login=login, name=login.title(), roles=frozenset(roles),
                groups=[GroupId(g) for g in groups], capacity=capacity, availability=availability)
    await hub.stores.directory.save_user(user)
    return await hub.stores.directory.get_user(user.id)


async def bot_conversation(
    hub: Hub, *, at: datetime | None = None, channel: Channel = Channel.TELEGRAM, account_id: str = "tg-main",
    user_id: str | None = None,
) -> Conversation:
    """A new customer with a conversation in the bot's hands."""
    kind = IdentityKind.API if channel is Channel.API else IdentityKind.TELEGRAM
    value = f"{account_id}:{user_id or new_id()}" if channel is Channel.API else (user_id or new_id())
    customer = Customer(name="Anna", identities=[Identity(kind=kind, value=value)])
    await hub.stores.customers.create(customer)
    conversation = Conversation.open(customer.id, channel, account_id, at=at or utcnow())
    await hub.stores.conversations.create(conversation)
    return conversation
