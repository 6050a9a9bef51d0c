"""When CSAT asks and when a message is an answer, on the real stores (SQLite and MongoDB), the clock injected:
once per resolve, never a bot-only chat unless configured, never an unsubscribed shopper, not about an old
resolve; a case's solve asks about the case; a late digit is an ordinary message."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import pytest

from hub import csat
from hub.cases.service import open_case
from hub.cases.solving import solve
from hub.core import Hub
from hub.csat.runner import on_event
from hub.inbound.dispatch import apply_subscription
from hub.inbound.threads import Attached, attach
from hub.inbox import resolution
from hub.stores.mongo.db import MongoDatabase
from models.channel_events import SubscriptionChange
from models.channels import Channel
from models.conversations import Conversation
from models.customers import UNSUBSCRIBED
from models.events import Event
from models.ids import EventId
from models.messages import InboundMessage, Message
from models.retail_stores import RetailStore
from models.staff import Group, GroupId, GroupKind
from tests.inbox_fixtures import bot_conversation, hub_on
from tests.integration.csat_support import csat_inbox, csat_kinds, outbound, resolved_by_operator, staff

NOW = datetime(2026, 3, 2, 10, 0, tzinfo=UTC)
USER = "shopper-1"


@pytest.fixture(params=["sqlite", pytest.param("mongo", marks=pytest.mark.mongo)])
async def backend(request: pytest.FixtureRequest) -> AsyncIterator[dict[str, Any]]:
    """Settings overrides for the store under test (a MongoDB database of its own, dropped afterwards)."""
    if request.param == "sqlite":
        yield {}
        return
    url, name = request.getfixturevalue("mongodb_url"), f"otklik_csat_{uuid.uuid4().hex}"
    parts = urlsplit(url)
    yield {"store": "mongo", "mongodb_url": urlunsplit(parts._replace(path=f"/{name}"))}
    cleanup = MongoDatabase(url, name)
    await cleanup.open()
    try:
        await cleanup.client.drop_database(name)
    finally:
        await cleanup.close()


@pytest.fixture
def open_hub(make_settings: Any, tmp_path: Path, backend: dict[str, Any]) -> Any:
    """`async with open_hub(**csat) as hub`: a hub on the backend with CSAT configured so, and the staff."""
    from contextlib import asynccontextmanager

    @asynccontextmanager
    async def opened(**config: Any) -> AsyncIterator[Hub]:
        settings = make_settings(inbox_config_path=csat_inbox(tmp_path, **config), **backend)
        async with hub_on(settings) as hub:
            await staff(hub)
            yield hub

    return opened


async def shopper_conversation(hub: Hub) -> Conversation:
    """A shopper of the api channel, in the bot's hands."""
    return await bot_conversation(hub, channel=Channel.API, account_id="crm", user_id=USER)


def resolved_event(conversation: Conversation, at: datetime = NOW) -> Event:
    """The event the resolve published (its id names the conversation's version)."""
    return Event(id=EventId(f"conversation.resolved:{conversation.id}:{conversation.version}"),
                 type="conversation.resolved", at=at, customer_id=conversation.customer_id,
                 conversation_id=conversation.id)


async def questions(hub: Hub, conversation: Conversation) -> list[Message]:
    """The rating questions queued for the conversation."""
    return [m for m in await outbound(hub, conversation.id) if (m.idempotency_key or "").count(":") == 1
            and (m.idempotency_key or "").startswith("csat:")]


def reply(text: str, n: int) -> InboundMessage:
    """The shopper's n-th message through the api channel."""
    return InboundMessage(channel=Channel.API, account_id="crm", external_user_id=USER,
                          external_id=f"m-{n}", text=text)


async def test_asked_once_per_resolve_even_when_the_event_comes_twice(open_hub: Any) -> None:
    async with open_hub() as hub:
        resolved = await resolved_by_operator(hub, (await shopper_conversation(hub)).id)
        await on_event(hub, resolved_event(resolved), now=NOW)
        await on_event(hub, resolved_event(resolved), now=NOW + timedelta(seconds=5))
        asked = await questions(hub, resolved)
        after = await hub.stores.conversations.get(resolved.id)

    assert len(asked) == 1 and asked[0].buttons[0].payload == f"csat:{resolved.id}:1"
    assert csat_kinds(after) == ["csat_requested"]
    entry = after.history[-1]
    assert entry.at == NOW and {k: entry.data[k] for k in ("channel", "group", "assignee", "topic")} == {
        "channel": "api", "group": "general", "assignee": "u-olga", "topic": "delivery_problem"}


async def test_an_unsubscribed_shopper_is_not_asked(open_hub: Any) -> None:
    async with open_hub() as hub:
        conversation = await shopper_conversation(hub)
        resolved = await resolved_by_operator(hub, conversation.id)
        await apply_subscription(SubscriptionChange(channel=Channel.API, account_id="crm", external_user_id=USER,
                                                    subscribed=False, at=NOW), hub)  # before the worker asks
        await on_event(hub, resolved_event(resolved), now=NOW)
        asked = await questions(hub, resolved)
        customer = await hub.stores.customers.get(conversation.customer_id)

    assert asked == [] and customer is not None and customer.attributes.get(UNSUBSCRIBED)


@pytest.mark.parametrize("after_bot_only, expected", [(False, 0), (True, 1)])
async def test_a_bot_only_chat_is_asked_only_when_configured(open_hub: Any, after_bot_only: bool,
                                                             expected: int) -> None:
    async with open_hub(after_bot_only=after_bot_only) as hub:
        conversation = await shopper_conversation(hub)
        resolved, _ = await resolution.resolve(hub, conversation.id, "Бот ответил", key="bot", actor="bot")
        await on_event(hub, resolved_event(resolved), now=NOW)
        asked = await questions(hub, resolved)

    assert len(asked) == expected


async def test_nobody_is_asked_about_an_old_resolve_or_when_csat_is_off(open_hub: Any) -> None:
    async with open_hub() as hub:
        resolved = await resolved_by_operator(hub, (await shopper_conversation(hub)).id)
        await on_event(hub, resolved_event(resolved, at=NOW - timedelta(hours=73)), now=NOW)
        asked = await questions(hub, resolved)
    async with open_hub(enabled=False) as hub:
        await on_event(hub, resolved_event(resolved), now=NOW)
        off = await questions(hub, resolved)

    assert asked == [] and off == []


async def test_a_digit_after_the_answer_time_is_an_ordinary_message_and_within_it_an_answer(open_hub: Any) -> None:
    async with open_hub() as hub:
        resolved = await resolved_by_operator(hub, (await shopper_conversation(hub)).id)
        await on_event(hub, resolved_event(resolved), now=NOW)
        late = await csat.take_reply(reply("4", 1), None, hub, now=NOW + timedelta(hours=73))
        taken = await csat.take_reply(reply("4", 2), None, hub, now=NOW + timedelta(hours=1))
        again = await csat.take_reply(reply("4", 2), None, hub, now=NOW + timedelta(hours=1))  # redelivered
        words = await csat.take_reply(reply("а где второй заказ?", 3), None, hub, now=NOW + timedelta(hours=2))
        after = await hub.stores.conversations.get(resolved.id)

    assert (late, taken, again, words) == (False, True, True, False)  # after 30 minutes words are a new message
    assert csat_kinds(after) == ["csat_requested", "csat_answered"]


async def test_a_solved_case_asks_about_the_case(open_hub: Any) -> None:
    async with open_hub() as hub:
        await hub.stores.directory.upsert_stores([RetailStore(id="118", name="Магазин 118", region="central")])
        await hub.stores.directory.upsert_groups([Group(id=GroupId("store:118"), name="Магазин 118",
                                                        kind=GroupKind.STORE, store_id="118")])
        resolved = await resolved_by_operator(hub, (await shopper_conversation(hub)).id)
        case, _ = await open_case(hub, conversation_id=resolved.id, request_type="price_tag_mismatch",
                                  description="Ценник 99, на кассе 129", store_id="118", actor="u-olga", key="c1")
        solved = await solve(hub, case.id, "Ценник исправлен, разницу вернули", actor="u-ivan", key="s1")
        event = Event(id=EventId(f"case.solved:{solved.id}:{solved.version}"), type="case.solved", at=NOW,
                      customer_id=solved.customer_id, conversation_id=solved.conversation_id,
                      data={"case_id": solved.id})
        await on_event(hub, event, now=NOW)
        asked = await questions(hub, resolved)
        after = await hub.stores.conversations.get(resolved.id)

    assert len(asked) == 1 and case.label in asked[0].text
    assert after.history[-1].data["case"] == case.id and after.history[-1].data["group"] == "store:118"


async def test_once_the_shopper_reopened_with_a_new_message_their_digits_are_not_ratings(open_hub: Any) -> None:
    async with open_hub() as hub:
        resolved = await resolved_by_operator(hub, (await shopper_conversation(hub)).id)
        await on_event(hub, resolved_event(resolved), now=NOW)
        customer = await hub.stores.customers.get(resolved.customer_id)
        reopened, how = await attach(reply("И ещё вопрос про доставку", 1), customer, hub.stores.conversations,
                                     window=hub.reopen_window, at=_after(resolved))
        taken = await csat.take_reply(reply("3", 2), None, hub, now=NOW + timedelta(minutes=5))
        pressed = await csat.take_reply(reply(f"csat:{resolved.id}:3", 3), None, hub, now=NOW + timedelta(minutes=6))
        after = await hub.stores.conversations.get(resolved.id)

    assert how is Attached.REOPENED and reopened.id == resolved.id
    assert taken is False  # the typed digit goes on as an ordinary message
    assert pressed is True  # an old keyboard's press is kept with the conversation, never a new issue...
    assert csat_kinds(after) == ["csat_requested"]  # ...and rates nothing


def _after(conversation: Conversation) -> datetime:
    """A minute after the conversation was resolved."""
    assert conversation.resolved_at is not None
    return conversation.resolved_at + timedelta(minutes=1)
