"""The customer-context contract (hub/context/base.py), run over the demo adapter and the HTTP adapter.

The HTTP adapter talks to a fake CRM seeded with the demo's records, so both must tell the same story:
whatever differs is a difference between the adapters, not between their data.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import datetime
from decimal import Decimal

import httpx
import pytest

from api.demo.crm_catalogue import MSK
from api.demo.crm_context import DemoContextProvider
from api.demo.crm_people import demo_people
from hub.context.base import CustomerContextProvider
from hub.context.crm import HttpContextProvider
from models.context import (
    CustomerRef,
    DispatcherMessage,
    ItemOutcome,
    OrderFilter,
    OrderStatus,
    PaymentKind,
    PromoCodeRequest,
)
from models.errors import Conflict, NotFound
from tests.fakes.crm_api import CRM_TOKEN, fake_crm

NOW = datetime(2025, 3, 12, 14, 20, tzinfo=MSK)
ANNA = CustomerRef(phone="+7 916 123-45-67")
NOBODY = CustomerRef(otklik_id="not-in-the-crm")  # neither adapter knows a customer by Otklik's id alone


@pytest.fixture
def demo_provider() -> CustomerContextProvider:
    """Generated data at a fixed time."""
    return DemoContextProvider(clock=lambda: NOW)


@pytest.fixture
async def http_provider() -> AsyncIterator[CustomerContextProvider]:
    """The HTTP adapter against a fake CRM holding the demo's records."""
    async with fake_crm(demo_people(NOW), NOW) as crm, httpx.AsyncClient() as http:
        yield HttpContextProvider(http, crm.url, CRM_TOKEN, timeout=5)


@pytest.fixture(params=["demo_provider", "http_provider"], ids=["demo", "http"])
def provider(request: pytest.FixtureRequest) -> CustomerContextProvider:
    """The adapter under test."""
    chosen: CustomerContextProvider = request.getfixturevalue(request.param)
    return chosen


async def test_profile_is_found_by_phone_email_crm_id_and_linked_otklik_id(provider: CustomerContextProvider) -> None:
    refs = [ANNA, CustomerRef(email="Anna.Petrova@example.ru"), CustomerRef(crm_id="demo-anna"),
            CustomerRef(otklik_id="demo-anna")]
    profiles = [await provider.profile(ref) for ref in refs]
    assert {p.id for p in profiles} == {"demo-anna"}
    card = profiles[0].loyalty_card
    assert card is not None and card.points > 0 and card.number


async def test_unknown_customer_is_not_found_by_every_customer_method(provider: CustomerContextProvider) -> None:
    for call in (provider.profile(NOBODY), provider.purchases(NOBODY), provider.orders(NOBODY)):
        with pytest.raises(NotFound):
            await call


async def test_purchases_are_newest_first_and_add_up(provider: CustomerContextProvider) -> None:
    purchases = await provider.purchases(CustomerRef(email="boris@example.ru"))
    assert [p.at for p in purchases] == sorted((p.at for p in purchases), reverse=True)
    assert all(p.total == sum(i.amount for i in p.items) for p in purchases)
    assert purchases[0].store.number == "118"
    assert len(await provider.purchases(CustomerRef(email="boris@example.ru"), limit=1)) == 1


async def test_orders_are_filtered_by_status(provider: CustomerContextProvider) -> None:
    active = await provider.orders(ANNA, status=OrderFilter.ACTIVE)
    recent = await provider.orders(ANNA, status=OrderFilter.RECENT)
    assert [o.number for o in active] == ["4512"]
    assert [o.number for o in recent] == ["4512", "4377"]
    cancelled = await provider.orders(CustomerRef(crm_id="demo-olga"), status=OrderFilter.ALL, limit=5)
    assert OrderStatus.CANCELLED in {o.status for o in cancelled}
    assert len(await provider.orders(ANNA, status=OrderFilter.ALL, limit=1)) == 1


async def test_the_order_card_names_slot_address_courier_and_eta(provider: CustomerContextProvider) -> None:
    order = await provider.order("4512")
    assert order.customer_id == "demo-anna"
    assert order.status is OrderStatus.IN_DELIVERY and order.is_late(NOW)
    assert order.courier is not None and order.courier.phone and order.eta is not None and order.eta > NOW
    assert "Профсоюзная" in order.address and order.store is not None and order.store.number == "118"


async def test_the_order_feed_runs_oldest_first_from_creation(provider: CustomerContextProvider) -> None:
    events = await provider.order_events("4512")
    assert [e.at for e in events] == sorted(e.at for e in events)
    assert events[0].status is OrderStatus.CREATED and events[-1].status is OrderStatus.IN_DELIVERY
    assert any("задерживается" in e.text for e in events)


async def test_items_show_substitutions_and_missing_items_with_reasons(provider: CustomerContextProvider) -> None:
    items = {i.ordered.name: i for i in await provider.order_items("4377")}
    curd = items["Творог 5% 200 г"]
    assert curd.outcome is ItemOutcome.SUBSTITUTED and curd.delivered is not None
    assert curd.delivered.name == "Творог 9% 200 г" and curd.reason
    assert items["Помидоры черри 250 г"].outcome is ItemOutcome.MISSING


async def test_payments_charge_and_refund_down_to_the_order_total(provider: CustomerContextProvider) -> None:
    for number in ("4377", "4433"):
        payments = await provider.order_payments(number)
        charged = sum(p.amount for p in payments if p.kind is PaymentKind.CHARGE)
        refunded = sum(p.amount for p in payments if p.kind is PaymentKind.REFUND)
        assert refunded > 0 and charged - refunded == (await provider.order(number)).total
    assert (await provider.order("4433")).total == Decimal(0)


async def test_reviews_belong_to_their_order(provider: CustomerContextProvider) -> None:
    reviews = await provider.order_reviews("4377")
    assert [r.rating for r in reviews] == [4]
    assert await provider.order_reviews("4512") == []


async def test_unknown_order_is_not_found_by_every_order_method(provider: CustomerContextProvider) -> None:
    for method in (provider.order, provider.order_events, provider.order_items, provider.order_payments,
                   provider.order_reviews):
        with pytest.raises(NotFound):
            await method("99999")


async def test_an_order_number_cannot_reach_another_record(provider: CustomerContextProvider) -> None:
    for number in ("../customers/demo-anna/profile", "..", "4512?x=1", "4512#x"):
        with pytest.raises(NotFound):
            await provider.order(number)


def promo(key: str, reason: str = "late_delivery", customer: CustomerRef = ANNA) -> PromoCodeRequest:
    """A promo code request for Anna's late order."""
    return PromoCodeRequest(customer=customer, reason=reason, order_number="4512", idempotency_key=key)


async def test_promo_code_is_issued_once_per_idempotency_key(provider: CustomerContextProvider) -> None:
    first = await provider.send_promo_code(promo("conv-1:promo"))
    again = await provider.send_promo_code(promo("conv-1:promo"))
    other = await provider.send_promo_code(promo("conv-2:promo"))
    assert first == again and other.code != first.code
    assert first.customer_id == "demo-anna" and first.terms and first.valid_until > NOW


async def test_promo_code_key_reused_for_another_request_conflicts(provider: CustomerContextProvider) -> None:
    await provider.send_promo_code(promo("conv-1:promo"))
    with pytest.raises(Conflict):
        await provider.send_promo_code(promo("conv-1:promo", reason="apology"))


async def test_promo_code_for_an_unknown_customer_is_not_found(provider: CustomerContextProvider) -> None:
    with pytest.raises(NotFound):
        await provider.send_promo_code(promo("conv-3:promo", customer=NOBODY))


def note(key: str, number: str = "4512", text: str = "Клиентка ждёт с вечера, позвоните ей") -> DispatcherMessage:
    """An operator's message to the dispatcher."""
    return DispatcherMessage(order_number=number, text=text, author="operator1", idempotency_key=key)


async def test_dispatcher_message_opens_one_ticket_per_key(provider: CustomerContextProvider) -> None:
    first = await provider.message_dispatcher(note("m-1"))
    assert await provider.message_dispatcher(note("m-1")) == first
    assert (await provider.message_dispatcher(note("m-2"))).id != first.id
    assert first.order_number == "4512" and first.status == "open"
    with pytest.raises(Conflict):
        await provider.message_dispatcher(note("m-1", text="другой текст"))


async def test_dispatcher_message_about_an_unknown_order_is_not_found(provider: CustomerContextProvider) -> None:
    with pytest.raises(NotFound):
        await provider.message_dispatcher(note("m-3", number="99999"))
