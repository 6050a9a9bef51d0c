"""The demo customer context: generated, realistic, deterministic; the embedded default's provider.

api/demo/seed.py's customers (demo-anna, demo-boris, demo-olga) have hand-written records matching their
conversations (see demo_people.py). Anyone else the CRM could know, by a CRM id, a phone or an e-mail,
gets a plausible generated record, the same every time for the same key; a customer known only by
Otklik's id (an anonymous web-chat visitor) is not in the CRM: NotFound, as a real CRM would answer.
A generated customer's orders are found by number in this process once the customer has been looked up.
Promo codes and dispatcher tickets are kept in memory, one per idempotency key.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from datetime import datetime, timedelta

from api.demo.crm_catalogue import MSK
from api.demo.crm_data import DemoCustomer, DemoOrder, generate_customer
from api.demo.crm_people import demo_people
from models.clock import utcnow
from models.context import (
    CustomerProfile,
    CustomerRef,
    DispatcherMessage,
    DispatcherTicket,
    Order,
    OrderEvent,
    OrderFilter,
    OrderItem,
    OrderReview,
    Payment,
    PromoCode,
    PromoCodeRequest,
    Purchase,
)
from models.errors import Conflict, NotFound

RECENT = timedelta(days=30)
# A CRM looks a customer up by the first key it was given, in this order (crm.py's contract says the same).
_LOOKUP_KEYS: dict[str, Callable[[DemoCustomer], str | None]] = {
    "crm_id": lambda c: c.profile.id, "phone": lambda c: c.profile.phone,
    "email": lambda c: c.profile.email, "otklik_id": lambda c: c.otklik_id,
}


class DemoContextProvider:
    """CustomerContextProvider over generated data."""

    def __init__(self, clock: Callable[[], datetime] = utcnow) -> None:
        self._clock = clock
        self._owners: dict[str, CustomerRef] = {}  # order number -> its generated customer
        self._promo_codes: dict[str, tuple[tuple[str, str, str | None], PromoCode]] = {}
        self._tickets: dict[str, tuple[DispatcherMessage, DispatcherTicket]] = {}

    async def profile(self, customer: CustomerRef) -> CustomerProfile:
        """The CRM profile with the loyalty card, or NotFound."""
        return self._customer(customer, self._now()).profile

    async def purchases(self, customer: CustomerRef, *, limit: int = 10) -> list[Purchase]:
        """Recent till receipts; NotFound for an unknown customer."""
        return self._customer(customer, self._now()).purchases[:limit]

    async def orders(
        self, customer: CustomerRef, *, status: OrderFilter = OrderFilter.RECENT, limit: int = 10
    ) -> list[Order]:
        """The customer's delivery orders matching `status`; NotFound for an unknown customer."""
        now = self._now()
        orders = [o.order for o in self._customer(customer, now).orders]
        return [o for o in orders if matches(o, status, now)][:limit]

    async def order(self, number: str) -> Order:
        """The order card, or NotFound."""
        return self._order(number).order

    async def order_events(self, number: str) -> list[OrderEvent]:
        """The order's feed, oldest first; NotFound for an unknown order."""
        return self._order(number).events

    async def order_items(self, number: str) -> list[OrderItem]:
        """Ordered and delivered items; NotFound for an unknown order."""
        return self._order(number).items

    async def order_payments(self, number: str) -> list[Payment]:
        """Charges and refunds, oldest first; NotFound for an unknown order."""
        return self._order(number).payments

    async def order_reviews(self, number: str) -> list[OrderReview]:
        """The shopper's reviews of the order; NotFound for an unknown order."""
        return self._order(number).reviews

    async def send_promo_code(self, request: PromoCodeRequest) -> PromoCode:
        """Issue a promo code, once per idempotency key (Conflict if the key is reused for another request)."""
        now = self._now()
        customer_id = self._customer(request.customer, now).profile.id
        if request.order_number is not None:
            self._order(request.order_number)
        asked = (customer_id, request.reason, request.order_number)
        if (issued := self._promo_codes.get(request.idempotency_key)) is not None:
            if issued[0] != asked:
                raise Conflict(f"idempotency key {request.idempotency_key!r} was used for another promo code")
            return issued[1]
        code = promo_code(request.idempotency_key, customer_id, request.reason, now)
        self._promo_codes[request.idempotency_key] = (asked, code)
        return code

    async def message_dispatcher(self, message: DispatcherMessage) -> DispatcherTicket:
        """Pass a message to the dispatcher, one ticket per idempotency key."""
        self._order(message.order_number)
        if (sent := self._tickets.get(message.idempotency_key)) is not None:
            if sent[0] != message:
                raise Conflict(f"idempotency key {message.idempotency_key!r} was used for another message")
            return sent[1]
        digest = hashlib.sha256(message.idempotency_key.encode()).hexdigest()[:8].upper()
        ticket = DispatcherTicket(id=f"DSP-{digest}", order_number=message.order_number, created_at=self._now())
        self._tickets[message.idempotency_key] = (message, ticket)
        return ticket

    def _now(self) -> datetime:
        return self._clock().astimezone(MSK).replace(second=0, microsecond=0)

    def _customer(self, ref: CustomerRef, now: datetime) -> DemoCustomer:
        """The record the CRM would find for `ref`: by CRM id, else phone, else e-mail, else Otklik id."""
        people = demo_people(now)
        for key, of in _LOOKUP_KEYS.items():
            wanted = getattr(ref, key)
            if wanted is None:
                continue
            if (person := next((p for p in people if of(p) == wanted), None)) is not None:
                return person
            if key != "otklik_id":
                return self._generated(ref, now)
        raise NotFound("no such customer in the CRM")

    def _generated(self, ref: CustomerRef, now: datetime) -> DemoCustomer:
        crm_id = ref.crm_id or "crm-" + hashlib.sha256(str(ref.phone or ref.email).encode()).hexdigest()[:8]
        customer = generate_customer(crm_id, now, phone=ref.phone, email=ref.email, otklik_id=ref.otklik_id)
        for order in customer.orders:
            self._owners.setdefault(order.order.number, ref)
        return customer

    def _order(self, number: str) -> DemoOrder:
        now = self._now()
        records = demo_people(now)
        if (owner := self._owners.get(number)) is not None:
            records.append(self._customer(owner, now))
        for record in records:
            for order in record.orders:
                if order.order.number == number:
                    return order
        raise NotFound(f"no order {number!r} in the CRM")


def matches(order: Order, wanted: OrderFilter, now: datetime) -> bool:
    """Whether an order belongs in the list `wanted` asks for."""
    if wanted is OrderFilter.ACTIVE:
        return order.status.active
    return wanted is OrderFilter.ALL or order.placed_at >= now - RECENT


def promo_code(key: str, customer_id: str, reason: str, now: datetime) -> PromoCode:
    """The chain's standard offer for `reason`: 15% off the next delivery when one was late, else 300 ₽."""
    code = "OTK-" + hashlib.sha256(key.encode()).hexdigest()[:8].upper()
    midnight = now.astimezone(MSK).replace(hour=23, minute=59, second=0, microsecond=0)
    if reason == "late_delivery":
        until = midnight + timedelta(days=14)
        return PromoCode(code=code, customer_id=customer_id, discount_percent=15, min_order_total=1500,
                         valid_until=until, terms=f"−15% на заказ с доставкой от 1500 ₽ до {until:%d.%m.%Y}")
    until = midnight + timedelta(days=30)
    return PromoCode(code=code, customer_id=customer_id, discount_amount=300, min_order_total=2000,
                     valid_until=until, terms=f"−300 ₽ на покупку от 2000 ₽ до {until:%d.%m.%Y}")
