"""Customer context from the chain's CRM: profile, loyalty card, purchases and delivery orders.

What the inbox shows beside a conversation and what the bot's actions read and do. Amounts are roubles
(Decimal, kopecks exact); times are timezone-aware. The HTTP adapter's wire format is exactly these models
as JSON (hub/context/crm.py documents the endpoints).
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from enum import StrEnum
from typing import Annotated

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, model_validator

from models.customers import Customer, IdentityKind, normalize_phone
from models.ids import ConversationId, CustomerId

Money = Annotated[Decimal, Field(ge=0, max_digits=12, decimal_places=2)]
Text = Annotated[str, Field(min_length=1, max_length=2000)]
Key = Annotated[str, Field(min_length=1, max_length=200)]


class _Value(BaseModel):
    """Context is read-only for its callers: frozen values; unknown fields from the CRM are ignored."""

    model_config = ConfigDict(frozen=True, extra="ignore")


class CustomerRef(_Value):
    """How to find a customer in the CRM: its own id, a phone, an e-mail, or Otklik's customer id."""

    crm_id: Key | None = None
    phone: str | None = None
    email: str | None = Field(default=None, max_length=320)
    otklik_id: CustomerId | None = None

    @model_validator(mode="after")
    def _usable(self) -> CustomerRef:
        if not (self.crm_id or self.phone or self.email or self.otklik_id):
            raise ValueError("a customer reference needs a CRM id, a phone, an e-mail or an Otklik id")
        if self.phone is not None:
            object.__setattr__(self, "phone", normalize_phone(self.phone))
        if self.email is not None:
            object.__setattr__(self, "email", self.email.strip().lower())
        return self

    @classmethod
    def of(cls, customer: Customer) -> CustomerRef:
        """Everything Otklik knows that the CRM may know too: attribute `crm_id`, first phone and e-mail."""
        phones = [i.value for i in customer.identities if i.kind in (IdentityKind.PHONE, IdentityKind.WHATSAPP)]
        emails = [i.value for i in customer.identities if i.kind is IdentityKind.EMAIL]
        crm_id = customer.attributes.get("crm_id")
        return cls(crm_id=str(crm_id) if crm_id else None, phone=next(iter(phones), None),
                   email=next(iter(emails), None), otklik_id=customer.id)

    def lookup_params(self) -> dict[str, str]:
        """The non-empty keys, as query parameters."""
        return {k: str(v) for k, v in self.model_dump().items() if v}


class LoyaltyCard(_Value):
    """The shopper's loyalty card."""

    number: Key
    tier: Key  # the CRM's own tier name, e.g. "Серебряный"
    points: int = Field(ge=0)  # balance; 1 point = 1 rouble at the till


class CustomerProfile(_Value):
    """The CRM's view of the shopper."""

    id: Key  # the CRM's customer id
    name: str
    phone: str | None = None
    email: str | None = None
    city: str | None = None
    customer_since: date | None = None
    loyalty_card: LoyaltyCard | None = None


class StoreRef(_Value):
    """A store of the chain."""

    number: Key  # "118"
    address: str


class LineItem(_Value):
    """A product line: what, how much, for how much."""

    name: Text
    quantity: Decimal = Field(gt=0, max_digits=10, decimal_places=3)
    unit: str = "шт"
    price: Money  # per unit
    amount: Money  # the line's total


class Purchase(_Value):
    """A till receipt: a purchase in a store."""

    id: Key
    store: StoreRef
    at: AwareDatetime
    items: list[LineItem]
    total: Money


class OrderStatus(StrEnum):
    """Where a delivery order is."""

    CREATED = "created"
    ASSEMBLING = "assembling"
    IN_DELIVERY = "in_delivery"
    DELIVERED = "delivered"
    CANCELLED = "cancelled"

    @property
    def active(self) -> bool:
        """Not yet delivered or cancelled."""
        return self not in (OrderStatus.DELIVERED, OrderStatus.CANCELLED)


class OrderFilter(StrEnum):
    """Which of a customer's orders to list: the active ones, the recent ones (30 days), all the CRM keeps."""

    ACTIVE = "active"
    RECENT = "recent"
    ALL = "all"


class DeliverySlot(_Value):
    """The window the shopper chose."""

    start: AwareDatetime
    end: AwareDatetime

    @model_validator(mode="after")
    def _ordered(self) -> DeliverySlot:
        if self.end <= self.start:
            raise ValueError("a delivery slot ends after it starts")
        return self


class Courier(_Value):
    """Who brings the order."""

    name: str
    phone: str | None = None


class Order(_Value):
    """The order card."""

    number: Key
    customer_id: Key  # the CRM's customer id: callers check the order is the asking shopper's
    status: OrderStatus
    placed_at: AwareDatetime
    slot: DeliverySlot
    address: str
    store: StoreRef | None = None  # the store that assembles it
    courier: Courier | None = None
    eta: AwareDatetime | None = None
    total: Money
    item_count: int = Field(ge=0)

    def is_late(self, now: datetime) -> bool:
        """Still on its way although its slot has ended."""
        return self.status.active and now > self.slot.end


class OrderEvent(_Value):
    """One entry of the order's feed: a status change or a note, with its time."""

    at: AwareDatetime
    status: OrderStatus
    text: str


class ItemOutcome(StrEnum):
    """What became of an ordered item when the order was assembled."""

    AS_ORDERED = "as_ordered"
    SUBSTITUTED = "substituted"
    MISSING = "missing"


class OrderItem(_Value):
    """An ordered item and what was delivered instead, if anything else."""

    ordered: LineItem
    outcome: ItemOutcome = ItemOutcome.AS_ORDERED
    delivered: LineItem | None = None  # the substitute, when substituted
    reason: str | None = None  # why it was substituted or is missing

    @model_validator(mode="after")
    def _consistent(self) -> OrderItem:
        if self.outcome is ItemOutcome.SUBSTITUTED and self.delivered is None:
            raise ValueError("a substituted item names what was delivered")
        if self.outcome is not ItemOutcome.SUBSTITUTED and self.delivered is not None:
            raise ValueError("only a substituted item names something else as delivered")
        return self


class PaymentKind(StrEnum):
    """Money in or money back."""

    CHARGE = "charge"
    REFUND = "refund"


class Payment(_Value):
    """One charge or refund of an order."""

    id: Key
    kind: PaymentKind
    amount: Money
    at: AwareDatetime
    method: str  # "card", "sbp", "points"...
    status: str = "succeeded"
    reason: str | None = None


class OrderReview(_Value):
    """The shopper's review of an order."""

    id: Key
    rating: int = Field(ge=1, le=5)
    text: str = ""
    at: AwareDatetime


class PromoCodeRequest(_Value):
    """Issue a promo code to a customer; the same idempotency key always returns the same code."""

    customer: CustomerRef
    reason: Key  # "late_delivery", "apology", "complaint"...
    order_number: Key | None = None
    idempotency_key: Key


class PromoCode(_Value):
    """An issued promo code and its terms."""

    code: Key
    customer_id: Key
    terms: str  # for the shopper, e.g. "−15% на следующий заказ от 1500 ₽ до 12.05"
    discount_percent: int | None = Field(default=None, ge=1, le=100)
    discount_amount: Money | None = None
    min_order_total: Money | None = None
    valid_until: AwareDatetime

    @model_validator(mode="after")
    def _one_discount(self) -> PromoCode:
        if (self.discount_percent is None) == (self.discount_amount is None):
            raise ValueError("a promo code gives either a percentage or an amount off")
        return self


class DispatcherMessage(_Value):
    """A note to the delivery dispatcher about an order; one ticket per idempotency key."""

    order_number: Key
    text: Text
    author: Key  # operator login, or "bot"
    conversation_id: ConversationId | None = None
    idempotency_key: Key


class DispatcherTicket(_Value):
    """The dispatcher's ticket for a message."""

    id: Key
    order_number: Key
    created_at: AwareDatetime
    status: str = "open"
