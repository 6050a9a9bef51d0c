"""Building blocks of the demo context: line items, orders with their feed and payments, whole customers.

Everything is a pure function of its inputs: a `random.Random` seeded from the customer's CRM id, and times
placed relative to `now`, so the same customer looks the same wherever and whenever it is shown.
"""

from __future__ import annotations

import hashlib
import random
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal

from api.demo.crm_catalogue import (
    COURIERS,
    MISSING_REASONS,
    MSK,
    NAMES,
    PAYMENT_METHODS,
    PRODUCTS,
    REVIEWS,
    STORES,
    STREETS,
    SUBSTITUTION_REASONS,
    TIERS,
)
from models.context import (
    Courier,
    CustomerProfile,
    DeliverySlot,
    ItemOutcome,
    LineItem,
    LoyaltyCard,
    Order,
    OrderEvent,
    OrderItem,
    OrderReview,
    OrderStatus,
    Payment,
    PaymentKind,
    Purchase,
    StoreRef,
)

CENT = Decimal("0.01")
S = OrderStatus


@dataclass(frozen=True)
class DemoOrder:
    """An order card with everything hanging off it."""

    order: Order
    events: list[OrderEvent]
    items: list[OrderItem]
    payments: list[Payment]
    reviews: list[OrderReview]


@dataclass(frozen=True)
class DemoCustomer:
    """A CRM record: profile, receipts, orders (newest first), and the Otklik id it is linked to, if any."""

    profile: CustomerProfile
    purchases: list[Purchase]
    orders: list[DemoOrder]
    otklik_id: str | None = None


@dataclass(frozen=True)
class OrderPlan:
    """What to build an order from; the feed and the payments follow from it."""

    number: str
    status: OrderStatus
    placed_at: datetime
    slot: DeliverySlot
    store: StoreRef
    address: str
    items: list[OrderItem]
    courier: Courier | None = None
    eta: datetime | None = None
    extra_events: list[OrderEvent] = field(default_factory=list)
    method: str = "card"
    review: OrderReview | None = None


def seeded(*parts: str) -> random.Random:
    """A generator that gives the same sequence for the same parts."""
    return random.Random(hashlib.sha256("\x1f".join(parts).encode()).digest())


def line(name: str, quantity: Decimal | int = 1, *, price: Decimal | None = None) -> LineItem:
    """A line of a catalogue product (at its shelf price unless `price` says otherwise)."""
    product = PRODUCTS[name]
    unit_price = product.price if price is None else price
    qty = Decimal(quantity)
    return LineItem(name=name, quantity=qty, unit=product.unit, price=unit_price,
                    amount=(unit_price * qty).quantize(CENT))


def substituted(name: str, quantity: Decimal | int, reason: str) -> OrderItem:
    """The product's usual substitute was delivered, charged at no more than the ordered price."""
    ordered = line(name, quantity)
    substitute = PRODUCTS[name].substitute
    assert substitute is not None, name
    price = min(ordered.price, PRODUCTS[substitute].price)
    return OrderItem(ordered=ordered, outcome=ItemOutcome.SUBSTITUTED, reason=reason,
                     delivered=line(substitute, quantity, price=price))


def missing(name: str, quantity: Decimal | int, reason: str) -> OrderItem:
    """Ordered, not delivered, refunded."""
    return OrderItem(ordered=line(name, quantity), outcome=ItemOutcome.MISSING, reason=reason)


def as_ordered(name: str, quantity: Decimal | int = 1) -> OrderItem:
    """Ordered and delivered as is."""
    return OrderItem(ordered=line(name, quantity))


def store(number: str) -> StoreRef:
    """A store of the catalogue."""
    return next(StoreRef(number=n, address=a) for stores in STORES.values() for n, a in stores if n == number)


def slot(day: datetime, hour: int) -> DeliverySlot:
    """A two-hour window starting at `hour` on `day` (Moscow time)."""
    start = day.astimezone(MSK).replace(hour=0, minute=0, second=0, microsecond=0) + timedelta(hours=hour)
    return DeliverySlot(start=start, end=start + timedelta(hours=2))


def active_slot(now: datetime, status: OrderStatus) -> tuple[OrderStatus, DeliverySlot]:
    """A window fitting an order still to come in `status`; at night every such order waits for the morning."""
    local = now.astimezone(MSK)
    if not 8 <= local.hour < 21:
        return S.CREATED, slot(local + timedelta(days=1 if local.hour >= 21 else 0), 10)
    if status is S.IN_DELIVERY:
        return status, slot(local, local.hour - 1)
    if status is S.ASSEMBLING:
        return status, slot(local, local.hour + 1)
    return status, slot(local + timedelta(days=1), 10)


def build_order(plan: OrderPlan, customer_id: str, now: datetime) -> DemoOrder:
    """The order card, its feed, its charges and refunds."""
    charged = sum((i.ordered.amount for i in plan.items), Decimal(0))
    payments = [Payment(id=f"P-{plan.number}-1", kind=PaymentKind.CHARGE, amount=charged, method=plan.method,
                        at=plan.placed_at + timedelta(minutes=1))]
    events = _feed(plan, now)
    refund, reason, refunded_at = _refund(plan, charged, events)
    if refund > 0:
        payments.append(Payment(id=f"P-{plan.number}-2", kind=PaymentKind.REFUND, amount=refund,
                                method=plan.method, at=refunded_at, reason=reason))
    order = Order(number=plan.number, customer_id=customer_id, status=plan.status, placed_at=plan.placed_at,
                  slot=plan.slot, address=plan.address, store=plan.store, courier=plan.courier, eta=plan.eta,
                  total=charged - refund, item_count=len(plan.items))
    reviews = [plan.review] if plan.review is not None else []
    return DemoOrder(order, events, plan.items, payments, reviews)


def _feed(plan: OrderPlan, now: datetime) -> list[OrderEvent]:
    steps = [(plan.placed_at, S.CREATED, "Заказ оформлен")]
    if plan.status is S.CANCELLED:
        steps.append((plan.placed_at + timedelta(minutes=40), S.CANCELLED, "Заказ отменён по просьбе покупателя"))
    if plan.status in (S.ASSEMBLING, S.IN_DELIVERY, S.DELIVERED):
        steps.append((plan.slot.start - timedelta(hours=2), S.ASSEMBLING,
                      f"Заказ собирают в магазине №{plan.store.number}"))
        changes = [_change(i) for i in plan.items if i.outcome is not ItemOutcome.AS_ORDERED]
        if changes:
            steps.append((plan.slot.start - timedelta(minutes=75), S.ASSEMBLING, "; ".join(changes)))
    if plan.status in (S.IN_DELIVERY, S.DELIVERED) and plan.courier is not None:
        steps.append((plan.slot.start - timedelta(minutes=20), S.IN_DELIVERY,
                      f"Курьер {plan.courier.name} забрал заказ"))
    if plan.status is S.DELIVERED:
        steps.append((plan.slot.start + timedelta(minutes=50), S.DELIVERED, "Заказ доставлен"))
    events, previous = [], plan.placed_at - timedelta(minutes=1)
    for at, status, text in steps:
        at = max(previous + timedelta(minutes=1), min(at, now - timedelta(minutes=1)))  # never in the future
        events.append(OrderEvent(at=at, status=status, text=text))
        previous = at
    return sorted(events + plan.extra_events, key=lambda e: e.at)


def _change(item: OrderItem) -> str:
    if item.delivered is not None:
        return f"Замена: {item.ordered.name} → {item.delivered.name} ({item.reason})"
    return f"Нет товара: {item.ordered.name} ({item.reason})"


def _refund(plan: OrderPlan, charged: Decimal, events: list[OrderEvent]) -> tuple[Decimal, str, datetime]:
    if plan.status is S.CANCELLED:
        return charged, "заказ отменён", events[-1].at
    refund = sum((i.ordered.amount - (i.delivered.amount if i.delivered else Decimal(0))
                  for i in plan.items if i.outcome is not ItemOutcome.AS_ORDERED), Decimal(0))
    assembled = [e.at for e in events if e.status is S.ASSEMBLING]
    return refund, "разница за замены и отсутствующие товары", assembled[-1] if assembled else plan.placed_at


def generate_customer(crm_id: str, now: datetime, *, phone: str | None = None, email: str | None = None,
                      otklik_id: str | None = None) -> DemoCustomer:
    """A plausible shopper of the chain, the same for the same CRM id (times relative to `now`)."""
    rng = seeded(crm_id)
    city = rng.choice(sorted(STORES))
    address = f"{city}, {rng.choice(STREETS[city])}, д. {rng.randint(1, 120)}, кв. {rng.randint(1, 240)}"
    card = None if rng.random() < 0.1 else LoyaltyCard(
        number=" ".join(["2775", *(f"{rng.randint(0, 9999):04d}" for _ in range(3))]), tier=rng.choice(TIERS),
        points=rng.randint(0, 6000))
    own_phone = f"+7916{rng.randint(0, 9_999_999):07d}"  # drawn even when unused: the sequence stays the same
    profile = CustomerProfile(
        id=crm_id, name=rng.choice(NAMES), phone=phone or own_phone, email=email,
        city=city, customer_since=(now - timedelta(days=rng.randint(60, 2500))).date(), loyalty_card=card)
    purchases = sorted((_purchase(rng, city, now, n) for n in range(rng.randint(2, 5))), key=lambda p: p.at,
                       reverse=True)
    plans = [_plan(rng, city, address, now, days_ago) for days_ago in _order_days(rng)]
    orders = [build_order(p, crm_id, now) for p in sorted(plans, key=lambda p: p.placed_at, reverse=True)]
    return DemoCustomer(profile, purchases, orders, otklik_id)


def _purchase(rng: random.Random, city: str, now: datetime, n: int) -> Purchase:
    number, address = rng.choice(STORES[city])
    at = (now - timedelta(days=rng.randint(1, 30))).astimezone(MSK).replace(
        hour=rng.randint(9, 21), minute=rng.randint(0, 59), second=0, microsecond=0)
    items = [line(name, _quantity(rng, name)) for name in rng.sample(sorted(PRODUCTS), rng.randint(2, 7))]
    return Purchase(id=f"R-{number}-{rng.randint(100000, 999999)}", store=StoreRef(number=number, address=address),
                    at=at, items=items, total=sum((i.amount for i in items), Decimal(0)))


def _quantity(rng: random.Random, name: str) -> Decimal:
    product = PRODUCTS[name]
    return product.step * rng.randint(1, 3)


def _order_days(rng: random.Random) -> list[int]:
    """How many days ago each order was placed; 0 is an order still on its way."""
    days = sorted(rng.sample(range(3, 45), rng.randint(1, 3)))
    return ([0] if rng.random() < 0.5 else []) + days


def _plan(rng: random.Random, city: str, address: str, now: datetime, days_ago: int) -> OrderPlan:
    number = str(rng.randint(100_000, 999_999))
    shop = StoreRef(number=(pick := rng.choice(STORES[city]))[0], address=pick[1])
    names = rng.sample(sorted(PRODUCTS), rng.randint(3, 8))
    courier = Courier(name=rng.choice(COURIERS), phone=f"+7999{rng.randint(0, 9_999_999):07d}")
    if days_ago == 0:
        status, window = active_slot(now, rng.choice([S.CREATED, S.ASSEMBLING, S.IN_DELIVERY]))
        eta = now + timedelta(minutes=rng.choice([15, 25, 40])) if status is S.IN_DELIVERY else None
        items = [as_ordered(n, _quantity(rng, n)) for n in names]
        return OrderPlan(number, status, min(now, window.start) - timedelta(hours=5), window, shop, address, items,
                         courier=courier if status is S.IN_DELIVERY else None, eta=eta,
                         method=rng.choice(PAYMENT_METHODS))
    status = S.CANCELLED if rng.random() < 0.1 else S.DELIVERED
    window = slot(now - timedelta(days=days_ago - 1), rng.choice([8, 10, 12, 14, 16, 18, 20]))
    rating, text = rng.choice(REVIEWS)
    review = OrderReview(id=f"V-{number}", rating=rating, text=text, at=window.end + timedelta(hours=2))
    return OrderPlan(number, status, window.start - timedelta(hours=rng.randint(12, 30)), window, shop, address,
                     [_item(rng, n) for n in names], courier=courier if status is S.DELIVERED else None,
                     method=rng.choice(PAYMENT_METHODS),
                     review=review if status is S.DELIVERED and rng.random() < 0.6 else None)


def _item(rng: random.Random, name: str) -> OrderItem:
    roll, quantity = rng.random(), _quantity(rng, name)
    if roll < 0.12 and PRODUCTS[name].substitute:
        return substituted(name, quantity, rng.choice(SUBSTITUTION_REASONS))
    if roll < 0.17:
        return missing(name, quantity, rng.choice(MISSING_REASONS))
    return as_ordered(name, quantity)
