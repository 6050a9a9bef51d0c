"""The demo context: deterministic, consistent, and telling the demo conversations' story."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from api.demo.crm_catalogue import MSK
from api.demo.crm_context import DemoContextProvider
from api.demo.crm_data import generate_customer
from models.context import CustomerRef, ItemOutcome, OrderFilter, OrderStatus, PaymentKind
from models.errors import NotFound

NOW = datetime(2025, 3, 12, 14, 20, tzinfo=MSK)


def provider(now: datetime = NOW) -> DemoContextProvider:
    """A demo provider whose clock stands at `now`."""
    return DemoContextProvider(clock=lambda: now)


async def everything(p: DemoContextProvider, ref: CustomerRef) -> list[Any]:
    """What every read method says about a customer and its orders."""
    results: list[Any] = [await p.profile(ref), await p.purchases(ref)]
    for order in await p.orders(ref, status=OrderFilter.ALL):
        number = order.number
        results += [await p.order(number), await p.order_events(number), await p.order_items(number),
                    await p.order_payments(number), await p.order_reviews(number)]
    return results


@pytest.mark.parametrize("ref", [CustomerRef(crm_id="demo-anna"), CustomerRef(phone="+79035550000"),
                                 CustomerRef(email="someone@example.ru"), CustomerRef(crm_id="crm-881")])
async def test_the_same_customer_reads_the_same_from_any_provider_instance(ref: CustomerRef) -> None:
    assert await everything(provider(), ref) == await everything(provider(), ref)


async def test_a_generated_customer_keeps_name_and_card_from_day_to_day() -> None:
    ref = CustomerRef(phone="+79035550000")
    today, later = await provider().profile(ref), await provider(NOW + timedelta(days=3)).profile(ref)
    assert (today.id, today.name, today.loyalty_card) == (later.id, later.name, later.loyalty_card)


async def test_a_generated_customer_found_by_phone_is_the_same_by_its_crm_id() -> None:
    p = provider()
    by_phone = await p.profile(CustomerRef(phone="+79035550000"))
    by_id = await p.orders(CustomerRef(crm_id=by_phone.id), status=OrderFilter.ALL)
    assert by_id == await p.orders(CustomerRef(phone="+79035550000"), status=OrderFilter.ALL)


async def test_a_generated_customers_orders_are_found_by_number_once_listed() -> None:
    p = provider()
    orders = await p.orders(CustomerRef(email="someone@example.ru"), status=OrderFilter.ALL)
    assert [await p.order(o.number) for o in orders] == orders


async def test_anna_waits_for_late_order_4512_from_her_demo_conversation() -> None:
    p = provider()
    anna = CustomerRef(phone="+79161234567", otklik_id="demo-anna")
    order = await p.order("4512")
    assert (await p.profile(anna)).name == "Анна Петрова"
    assert order.customer_id == "demo-anna" and order.is_late(NOW)
    assert order.slot.start.date() == (NOW - timedelta(days=1)).date()
    assert [o.number for o in await p.orders(anna, status=OrderFilter.ACTIVE)] == ["4512"]


async def test_boris_paid_95_roubles_for_milk_in_store_118() -> None:
    receipt = (await provider().purchases(CustomerRef(email="boris@example.ru")))[0]
    milk = next(i for i in receipt.items if i.name.startswith("Молоко"))
    assert receipt.store.number == "118" and milk.price == Decimal("95.00")


async def test_olga_bought_the_curd_she_complained_about() -> None:
    receipts = await provider().purchases(CustomerRef(phone="+79031112233"))
    assert any(i.name.startswith("Творог") for r in receipts for i in r.items)


async def test_at_night_orders_still_to_come_wait_for_a_morning_slot() -> None:
    night = datetime(2025, 3, 12, 2, 30, tzinfo=MSK)
    order = await provider(night).order("4521")
    assert order.status is OrderStatus.CREATED and order.slot.start == night.replace(hour=10, minute=0)


async def test_a_customer_known_only_by_otklik_id_is_not_in_the_crm() -> None:
    with pytest.raises(NotFound):
        await provider().profile(CustomerRef(otklik_id="webchat-visitor"))


async def test_an_unknown_order_number_is_not_found() -> None:
    with pytest.raises(NotFound):
        await provider().order("4513")


instants = st.datetimes(min_value=datetime(2024, 1, 1), max_value=datetime(2030, 1, 1), timezones=st.just(UTC))


@settings(max_examples=60, deadline=None)
@given(crm_id=st.text(min_size=1, max_size=20), now=instants)
def test_generated_orders_are_consistent(crm_id: str, now: datetime) -> None:
    customer = generate_customer(crm_id, now)
    assert all(p.total == sum(i.amount for i in p.items) and p.at <= now for p in customer.purchases)
    for record in customer.orders:
        order, events = record.order, record.events
        assert not order.is_late(now)  # only Anna's demo order is late
        assert [e.at for e in events] == sorted(e.at for e in events) and events[-1].at <= now
        assert events[0].status is OrderStatus.CREATED and events[-1].status is order.status
        assert order.item_count == len(record.items)
        charged = sum(p.amount for p in record.payments if p.kind is PaymentKind.CHARGE)
        refunded = sum(p.amount for p in record.payments if p.kind is PaymentKind.REFUND)
        assert charged - refunded == order.total >= 0
        assert all(i.delivered.amount <= i.ordered.amount for i in record.items
                   if i.outcome is ItemOutcome.SUBSTITUTED and i.delivered is not None)
        assert (order.courier is not None) == (order.status in (OrderStatus.IN_DELIVERY, OrderStatus.DELIVERED))
