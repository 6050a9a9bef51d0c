"""The bot's actions against a real hub: SQLite stores and the demo CRM (generated, deterministic data)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import replace
from typing import Any

import pytest

from api.wiring import running_hub
from bots.actions import REGISTRY, ActionContext
from hub.core import Hub
from models.channels import Channel
from models.clock import utcnow
from models.conversations import Conversation
from models.customers import Customer, Identity, IdentityKind
from models.messages import Direction
from models.retail_stores import RetailStore

ANNA_PHONE = "+79161234567"  # the demo CRM's Анна Петрова: order 4512 (late), gold card


@pytest.fixture
async def hub(make_settings: Any) -> AsyncIterator[Hub]:
    """A running hub on SQLite with the demo customer context."""
    async with running_hub(make_settings(context_provider="demo")) as running:
        yield running


async def shopper(hub: Hub, *identities: Identity, name: str = "Анна") -> ActionContext:
    """A customer with an open conversation, as an action sees them in a turn."""
    customer = Customer(name=name, identities=list(identities))
    await hub.stores.customers.create(customer)
    conversation = Conversation.open(customer.id, Channel.TELEGRAM, "retail_bot", at=utcnow())
    await hub.stores.conversations.create(conversation)
    return ActionContext(hub=hub, conversation=conversation, customer=customer, turn_key="m-1", language="ru",
                         now=utcnow())


def phone(value: str) -> Identity:
    """A phone identity."""
    return Identity(kind=IdentityKind.PHONE, value=value)


async def test_order_status_tells_the_owner_where_the_order_is(hub: Hub) -> None:
    ctx = await shopper(hub, phone(ANNA_PHONE))
    result = await REGISTRY["order_status"](ctx, {"order_id": "4512"})
    assert result["ok"] is True and result["order_id"] == "4512"
    assert result["status"] == "in_delivery" and result["status_text"].startswith("в пути")
    assert result["late"] is True and "–" in result["slot"]


async def test_order_status_never_shows_another_shoppers_order(hub: Hub) -> None:
    stranger = await shopper(hub, phone("+79990001122"), name="Пётр")
    result = await REGISTRY["order_status"](stranger, {"order_id": "4512"})
    unknown = await REGISTRY["order_status"](stranger, {"order_id": "00000000"})
    assert result == {"ok": False, "reason": "not_found", "order_id": "4512"}
    assert unknown["reason"] == "not_found"  # the same answer: nothing tells a stranger the order exists


async def test_order_status_for_an_anonymous_visitor_asks_to_verify(hub: Hub) -> None:
    visitor = await shopper(hub, Identity(kind=IdentityKind.WEBCHAT, value="visitor-1"), name="")
    result = await REGISTRY["order_status"](visitor, {"order_id": "4512"})
    assert result == {"ok": False, "reason": "unverified", "then": "", "order_id": "4512"}


async def test_order_status_says_unavailable_when_the_crm_is_off(make_settings: Any) -> None:
    async with running_hub(make_settings(context_provider="none")) as hub:
        ctx = await shopper(hub, phone(ANNA_PHONE))
        result = await REGISTRY["order_status"](ctx, {"order_id": "4512"})
    assert result["ok"] is False and result["reason"] == "unavailable"


async def test_loyalty_balance_reads_the_shoppers_own_card(hub: Hub) -> None:
    ctx = await shopper(hub, phone(ANNA_PHONE))
    result = await REGISTRY["loyalty_balance"](ctx, {})
    assert result["ok"] is True and result["tier"] == "Золотой" and result["card_tail"] == "0317"
    assert isinstance(result["points"], int)


async def test_promo_code_is_one_per_conversation_and_kept(hub: Hub) -> None:
    ctx = await shopper(hub, phone(ANNA_PHONE))
    first = await REGISTRY["issue_promo_code"](ctx, {"reason": "late_delivery", "order_id": "4512"})
    again = await REGISTRY["issue_promo_code"](ctx, {"reason": "late_delivery"})
    assert first["ok"] is True and first["code"] == again["code"]
    kept = await hub.stores.dialog_states.kept_code(ctx.conversation.id, "promo")
    assert kept is not None and first["code"] in kept


async def test_store_hours_and_city_search_read_the_directory(hub: Hub) -> None:
    await hub.stores.directory.upsert_stores([
        RetailStore(id="118", name="Профсоюзная", city="Москва", address="ул. Профсоюзная, 56",
                    opening_hours="08:00-23:00", phone="+74951110118"),
        RetailStore(id="201", name="Баумана", city="Казань", address="ул. Баумана, 1", opening_hours="09:00-22:00"),
        RetailStore(id="202", name="Закрыт", city="Казань", address="ул. Пушкина, 3", active=False),
    ])
    ctx = await shopper(hub, phone(ANNA_PHONE))
    hours = await REGISTRY["store_hours"](ctx, {"store_id": "№118"})
    kazan = await REGISTRY["nearest_store"](ctx, {"city": "казань"})
    typed = await REGISTRY["find_store"](ctx, {"place": "магазин 201"})
    assert hours["ok"] is True and hours["hours"] == "08:00-23:00" and hours["address"] == "ул. Профсоюзная, 56"
    assert kazan["ok"] is True and kazan["count"] == 1 and "ул. Баумана, 1" in kazan["stores"]
    assert typed["store_id"] == "201"
    assert (await REGISTRY["store_hours"](ctx, {"store_id": "999"}))["reason"] == "not_found"
    assert (await REGISTRY["nearest_store"](ctx, {"city": "Тверь"}))["reason"] == "not_found"


async def test_store_lookups_without_directory_data_say_not_found(hub: Hub) -> None:
    ctx = await shopper(hub, phone(ANNA_PHONE))
    assert (await REGISTRY["find_store"](ctx, {"place": "118"}))["reason"] == "not_found"
    assert (await REGISTRY["find_store"](ctx, {"place": "Москва"}))["reason"] == "not_found"
    assert (await REGISTRY["nearest_store"](ctx, {}))["reason"] == "ask_city"


async def test_praise_is_noted_once_per_turn(hub: Hub) -> None:
    ctx = await shopper(hub, phone(ANNA_PHONE))
    await REGISTRY["record_praise"](ctx, {"store_id": "118", "details": "кассир Марина очень помогла"})
    await REGISTRY["record_praise"](ctx, {"store_id": "118", "details": "кассир Марина очень помогла"})
    notes = [m for m in await hub.stores.messages.list_for_conversation(ctx.conversation.id)
             if m.direction is Direction.INTERNAL]
    assert len(notes) == 1 and "№118" in notes[0].text and "Марина" in notes[0].text


async def test_create_case_opens_one_case_per_complaint_and_rejects_an_unknown_store(hub: Hub) -> None:
    await hub.stores.directory.upsert_stores([RetailStore(id="118", name="Профсоюзная", city="Москва")])
    ctx = await shopper(hub, phone(ANNA_PHONE))
    complaint = {"request_type": "spoiled_goods", "store_id": "118", "date": "2026-11-24", "details": "творог"}
    first = await REGISTRY["create_case"](ctx, complaint)
    again = await REGISTRY["create_case"](ctx, complaint)
    unknown = await REGISTRY["create_case"](ctx, {**complaint, "request_type": "staff_behaviour", "store_id": "9999"})
    assert first["ok"] is True and first["case_number"].startswith("#") and again == first
    case = await hub.stores.cases.get(first["case_id"])
    assert (case.request_type, case.store_id, case.fields, case.created_by) == (
        "spoiled_goods", "118", {"date": "2026-11-24"}, "bot")
    assert unknown["ok"] is False and unknown["reason"] == "rejected"


async def test_a_later_complaint_of_the_same_type_about_another_store_is_its_own_case(hub: Hub) -> None:
    await hub.stores.directory.upsert_stores([RetailStore(id="118", name="Профсоюзная", city="Москва"),
                                              RetailStore(id="205", name="Тверская", city="Москва")])
    ctx = await shopper(hub, phone(ANNA_PHONE))
    first = await REGISTRY["create_case"](ctx, {"request_type": "spoiled_goods", "store_id": "118",
                                                "date": "2026-11-24", "details": "творог"})
    later = replace(ctx, turn_key="m-2")  # the shopper's next complaint, in a later message of the conversation
    second = await REGISTRY["create_case"](later, {"request_type": "spoiled_goods", "store_id": "205",
                                                   "date": "2026-11-25", "details": "молоко"})
    assert first["ok"] is True and second["ok"] is True and second["case_id"] != first["case_id"]
    assert (await hub.stores.cases.get(second["case_id"])).store_id == "205"
