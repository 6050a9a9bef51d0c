"""The customer-context port: what the inbox and the bot's actions ask the chain's CRM.

Adapters: `crm.py` (the CRM's REST endpoints, with breaker and cache), `demo.py` (generated data, the
embedded default) and `OffContextProvider` below. Every adapter raises NotFound for an unknown customer or
order and Unavailable when the CRM cannot answer now; callers show an empty or degraded panel then.
"""

from __future__ import annotations

from typing import Protocol

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
from models.errors import Unavailable


class CustomerContextProvider(Protocol):
    """Reads a customer's context and acts on it; lists come newest first."""

    async def profile(self, customer: CustomerRef) -> CustomerProfile:
        """The CRM profile with the loyalty card, or NotFound."""
        ...

    async def purchases(self, customer: CustomerRef, *, limit: int = 10) -> list[Purchase]:
        """Recent till receipts; NotFound for an unknown customer."""
        ...

    async def orders(
        self, customer: CustomerRef, *, status: OrderFilter = OrderFilter.RECENT, limit: int = 10
    ) -> list[Order]:
        """The customer's delivery orders matching `status`; NotFound for an unknown customer."""
        ...

    async def order(self, number: str) -> Order:
        """The order card, or NotFound."""
        ...

    async def order_events(self, number: str) -> list[OrderEvent]:
        """The order's feed, oldest first; NotFound for an unknown order."""
        ...

    async def order_items(self, number: str) -> list[OrderItem]:
        """What was ordered and what was delivered instead; NotFound for an unknown order."""
        ...

    async def order_payments(self, number: str) -> list[Payment]:
        """Charges and refunds, oldest first; NotFound for an unknown order."""
        ...

    async def order_reviews(self, number: str) -> list[OrderReview]:
        """The shopper's reviews of the order; NotFound for an unknown order."""
        ...

    async def send_promo_code(self, request: PromoCodeRequest) -> PromoCode:
        """Issue a promo code (the same key returns the same code; Conflict if reused for another request)."""
        ...

    async def message_dispatcher(self, message: DispatcherMessage) -> DispatcherTicket:
        """Pass a message to the delivery dispatcher (one ticket per key); NotFound for an unknown order."""
        ...


class OffContextProvider:
    """No CRM configured (OTKLIK_CONTEXT_PROVIDER=none): every call is Unavailable."""

    reason = "customer context is off (OTKLIK_CONTEXT_PROVIDER=none)"

    async def profile(self, customer: CustomerRef) -> CustomerProfile:
        """Unavailable."""
        raise Unavailable(self.reason)

    async def purchases(self, customer: CustomerRef, *, limit: int = 10) -> list[Purchase]:
        """Unavailable."""
        raise Unavailable(self.reason)

    async def orders(
        self, customer: CustomerRef, *, status: OrderFilter = OrderFilter.RECENT, limit: int = 10
    ) -> list[Order]:
        """Unavailable."""
        raise Unavailable(self.reason)

    async def order(self, number: str) -> Order:
        """Unavailable."""
        raise Unavailable(self.reason)

    async def order_events(self, number: str) -> list[OrderEvent]:
        """Unavailable."""
        raise Unavailable(self.reason)

    async def order_items(self, number: str) -> list[OrderItem]:
        """Unavailable."""
        raise Unavailable(self.reason)

    async def order_payments(self, number: str) -> list[Payment]:
        """Unavailable."""
        raise Unavailable(self.reason)

    async def order_reviews(self, number: str) -> list[OrderReview]:
        """Unavailable."""
        raise Unavailable(self.reason)

    async def send_promo_code(self, request: PromoCodeRequest) -> PromoCode:
        """Unavailable."""
        raise Unavailable(self.reason)

    async def message_dispatcher(self, message: DispatcherMessage) -> DispatcherTicket:
        """Unavailable."""
        raise Unavailable(self.reason)
