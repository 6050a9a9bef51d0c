"""The customer context from the chain's CRM over HTTP, behind a circuit breaker and a short cache.

The contract the chain's CRM implements (JSON in UTF-8; every request carries
`Authorization: Bearer <OTKLIK_CRM_TOKEN>`; bodies are the models of models/context.py as JSON; lists
come as `{"items": [...]}`, newest first unless said otherwise):

    GET  /customers/lookup?crm_id=&phone=&email=&otklik_id=     CustomerProfile of the first key that matches
    GET  /customers/{id}/profile                                 CustomerProfile
    GET  /customers/{id}/purchases?limit=N                       {"items": [Purchase]}
    GET  /customers/{id}/orders?status=active|recent|all&limit=N {"items": [Order]}   recent = last 30 days
    GET  /orders/{number}                                        Order
    GET  /orders/{number}/events                                 {"items": [OrderEvent]}  oldest first
    GET  /orders/{number}/items                                  {"items": [OrderItem]}
    GET  /orders/{number}/payments                               {"items": [Payment]}  oldest first
    GET  /orders/{number}/reviews                                {"items": [OrderReview]}
    POST /promo-codes                        {"customer_id", "reason", "order_number"}  -> 201 PromoCode
    POST /orders/{number}/dispatcher-messages {"text", "author", "conversation_id"}     -> 201 DispatcherTicket

Both POSTs carry an `Idempotency-Key` header: the CRM answers a repeated key with the first result (200 or
201) and a key reused for a different body with 409. Errors are `{"error": {"code", "reason"}}`: 404 for
an unknown customer or order, 409 as said, 422 for a body it refuses.

How answers map to our error tree: 404 -> NotFound, 409 -> Conflict, 400/422 -> PayloadError; timeouts,
refused connections, 429 and 5xx -> Unavailable and count as failures of the circuit breaker; 401/403 ->
Unavailable (our token is wrong: the CRM itself is fine, so the breaker is not involved). GETs are cached
for `cache_seconds` once they validate (a 404 too); POSTs never are, and a POST that timed out can be
repeated with the same key.
"""

from __future__ import annotations

import asyncio
import json
from contextlib import suppress
from typing import Any, Generic, TypeVar
from urllib.parse import quote, urlencode

import httpx
from prometheus_client import Counter
from pydantic import BaseModel, ValidationError

from hub.context.breaker import CircuitBreaker
from hub.context.cache import ContextCache, MemoryTtlCache
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
from models.errors import Conflict, NotFound, OtklikError, PayloadError, Unavailable

M = TypeVar("M", bound=BaseModel)

_ABSENT = "\x00404 "  # a cached "not found": no JSON body starts with NUL
CRM_CALLS = Counter("otklik_crm_calls_total", "Customer-context reads and actions by outcome", ["outcome"])


class _Page(BaseModel, Generic[M]):
    items: list[M]


def _seg(value: str) -> str:
    """One path segment, escaped: an order number never reaches another path."""
    if value in ("", ".", ".."):  # URL normalization would drop or climb these
        raise NotFound(f"no record {value!r} in the CRM")
    return quote(value, safe="")


class HttpContextProvider:
    """CustomerContextProvider over the CRM's REST endpoints (the contract above)."""

    def __init__(
        self, http: httpx.AsyncClient, base_url: str, token: str, *, timeout: float = 3.0,
        breaker: CircuitBreaker | None = None, cache: ContextCache | None = None, cache_seconds: float = 30.0,
    ) -> None:
        self._http = http
        self._base = base_url.rstrip("/")
        self._headers = {"authorization": f"Bearer {token}", "accept": "application/json"}
        self._timeout = timeout
        self.breaker = breaker or CircuitBreaker("crm")
        self._cache = cache or MemoryTtlCache()
        self._cache_seconds = cache_seconds

    async def profile(self, customer: CustomerRef) -> CustomerProfile:
        """The CRM profile with the loyalty card, or NotFound."""
        if customer.crm_id:
            return await self._read(CustomerProfile, f"/customers/{_seg(customer.crm_id)}/profile")
        return await self._read(CustomerProfile, "/customers/lookup", customer.lookup_params())

    async def purchases(self, customer: CustomerRef, *, limit: int = 10) -> list[Purchase]:
        """Recent till receipts; NotFound for an unknown customer."""
        path = f"/customers/{_seg(await self._crm_id(customer))}/purchases"
        return (await self._read(_Page[Purchase], path, {"limit": str(limit)})).items

    async def orders(
        self, customer: CustomerRef, *, status: OrderFilter = OrderFilter.RECENT, limit: int = 10
    ) -> list[Order]:
        """The customer's delivery orders matching `status`; NotFound for an unknown customer."""
        path = f"/customers/{_seg(await self._crm_id(customer))}/orders"
        return (await self._read(_Page[Order], path, {"status": status.value, "limit": str(limit)})).items

    async def order(self, number: str) -> Order:
        """The order card, or NotFound."""
        return await self._read(Order, f"/orders/{_seg(number)}")

    async def order_events(self, number: str) -> list[OrderEvent]:
        """The order's feed, oldest first; NotFound for an unknown order."""
        return (await self._read(_Page[OrderEvent], f"/orders/{_seg(number)}/events")).items

    async def order_items(self, number: str) -> list[OrderItem]:
        """Ordered and delivered items; NotFound for an unknown order."""
        return (await self._read(_Page[OrderItem], f"/orders/{_seg(number)}/items")).items

    async def order_payments(self, number: str) -> list[Payment]:
        """Charges and refunds, oldest first; NotFound for an unknown order."""
        return (await self._read(_Page[Payment], f"/orders/{_seg(number)}/payments")).items

    async def order_reviews(self, number: str) -> list[OrderReview]:
        """The shopper's reviews of the order; NotFound for an unknown order."""
        return (await self._read(_Page[OrderReview], f"/orders/{_seg(number)}/reviews")).items

    async def send_promo_code(self, request: PromoCodeRequest) -> PromoCode:
        """Issue a promo code, once per idempotency key."""
        body = {"customer_id": await self._crm_id(request.customer), "reason": request.reason,
                "order_number": request.order_number}
        return await self._act(PromoCode, "/promo-codes", body, request.idempotency_key)

    async def message_dispatcher(self, message: DispatcherMessage) -> DispatcherTicket:
        """Pass a message to the delivery dispatcher, one ticket per idempotency key."""
        body = {"text": message.text, "author": message.author, "conversation_id": message.conversation_id}
        path = f"/orders/{_seg(message.order_number)}/dispatcher-messages"
        return await self._act(DispatcherTicket, path, body, message.idempotency_key)

    async def _crm_id(self, customer: CustomerRef) -> str:
        return customer.crm_id or (await self.profile(customer)).id

    async def _read(self, model: type[M], path: str, params: dict[str, str] | None = None) -> M:
        """A GET through the cache; a 404 is cached too (the inbox asks about the same strangers again and again)."""
        key = path + ("?" + urlencode(sorted(params.items())) if params else "")
        if self._cache_seconds > 0 and (cached := await self._cache.get(key)) is not None:
            if cached.startswith(_ABSENT):
                CRM_CALLS.labels("cache_hit").inc()
                raise NotFound(cached.removeprefix(_ABSENT))
            with suppress(ValidationError):  # else written by an older version: ask again
                value = model.model_validate_json(cached)
                CRM_CALLS.labels("cache_hit").inc()
                return value
        try:
            response = await self._call("GET", path, params=params)
        except NotFound as e:
            await self._remember(key, _ABSENT + e.reason)
            raise
        value = _parse(model, response, path)
        await self._remember(key, response.text)
        return value

    async def _remember(self, key: str, text: str) -> None:
        if self._cache_seconds > 0:
            await self._cache.put(key, text, self._cache_seconds)

    async def _act(self, model: type[M], path: str, body: dict[str, Any], key: str) -> M:
        response = await self._call("POST", path, body=body, idempotency_key=key)
        return _parse(model, response, path)

    async def _call(
        self, method: str, path: str, *, params: dict[str, str] | None = None, body: dict[str, Any] | None = None,
        idempotency_key: str | None = None,
    ) -> httpx.Response:
        """One request through the breaker; errors mapped to our tree."""
        try:
            self.breaker.admit()
        except Unavailable:
            CRM_CALLS.labels("refused").inc()
            raise
        headers = self._headers if idempotency_key is None else {**self._headers, "idempotency-key": idempotency_key}
        try:
            async with asyncio.timeout(self._timeout):  # httpx's timeout is per read; this one is per call
                response = await self._http.request(method, self._base + path, params=params, json=body,
                                                     headers=headers, timeout=self._timeout)
        except (httpx.RequestError, TimeoutError) as e:
            self.breaker.failed()
            CRM_CALLS.labels("unavailable").inc()
            raise Unavailable(f"CRM {method} {path}: {type(e).__name__} {e}".strip()) from e
        except BaseException:
            self.breaker.abandoned()  # cancelled: says nothing about the CRM
            raise
        self._judge(response)
        return response

    def _judge(self, response: httpx.Response) -> None:
        status = response.status_code
        if status == 429 or status >= 500:
            self.breaker.failed()
        else:
            self.breaker.succeeded()
        CRM_CALLS.labels("ok" if status < 400 else str(status)).inc()
        if status >= 400:
            raise _error(response)


def _error(response: httpx.Response) -> OtklikError:
    """The CRM's error answer as ours."""
    status, path = response.status_code, response.request.url.path
    reason = f"CRM {response.request.method} {path}: {status} {_reason(response)}".rstrip()
    if status == 404:
        return NotFound(reason)
    if status == 409:
        return Conflict(reason)
    if status in (400, 422):
        return PayloadError(reason)
    if status in (401, 403):
        return Unavailable(f"{reason} (check OTKLIK_CRM_TOKEN)")
    return Unavailable(reason)


def _reason(response: httpx.Response) -> str:
    try:
        error = json.loads(response.content)["error"]
        return str(error["reason"])[:300]
    except (ValueError, KeyError, TypeError):
        return ""


def _parse(model: type[M], response: httpx.Response, path: str) -> M:
    try:
        return model.model_validate_json(response.content)
    except ValidationError as e:
        CRM_CALLS.labels("invalid").inc()
        raise Unavailable(f"CRM answered {path} outside the contract: {e.error_count()} invalid fields") from e
