"""A fake of the chain's CRM on 127.0.0.1: the REST contract of hub/context/crm.py over real HTTP.

It serves the records it is seeded with (the demo's, by default), checks the bearer token, keeps promo
codes and dispatcher tickets per Idempotency-Key (409 for a key reused with another body), records every
request, and misbehaves as scripted: slow (`delay`), failing with a status (`fail_next`, `failing`), or
down altogether (`go_down` / `come_back` stop and restart the server on the same port), or answering
200 with a body outside the contract (`broken_bodies`).
"""

from __future__ import annotations

import asyncio
import itertools
import json
from collections import deque
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack, asynccontextmanager, suppress
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from api.demo.crm_data import DemoCustomer, DemoOrder
from tests.fakes.serving import free_port, serving

CRM_TOKEN = "crm-token-0123456789"


@dataclass
class CrmRequest:
    """One request as the CRM received it."""

    method: str
    path: str
    query: dict[str, str]
    headers: dict[str, str]
    body: Any


def _error(status: int, reason: str) -> JSONResponse:
    return JSONResponse({"error": {"code": str(status), "reason": reason}}, status_code=status)


def _page(items: list[Any]) -> JSONResponse:
    return JSONResponse({"items": [i.model_dump(mode="json") for i in items]})


@dataclass
class FakeCrm:
    """The CRM's REST endpoints over seeded records."""

    now: datetime
    port: int = field(default_factory=free_port)
    token: str = CRM_TOKEN
    customers: dict[str, DemoCustomer] = field(default_factory=dict)  # by CRM id
    otklik_ids: dict[str, str] = field(default_factory=dict)  # Otklik customer id -> CRM id
    requests: list[CrmRequest] = field(default_factory=list)
    delay: float = 0.0  # seconds before answering
    failing: int | None = None  # answer everything with this status until cleared
    failures: deque[int] = field(default_factory=deque)  # statuses for the next requests
    broken_bodies: bool = False  # answer 200 with a body outside the contract
    promo_codes: dict[str, tuple[Any, dict[str, Any]]] = field(default_factory=dict)
    tickets: dict[str, tuple[Any, dict[str, Any]]] = field(default_factory=dict)
    _ids: itertools.count[int] = field(default_factory=lambda: itertools.count(1))
    _stack: AsyncExitStack | None = None
    _closing: asyncio.Event = field(default_factory=asyncio.Event)

    @property
    def url(self) -> str:
        """Base URL of the CRM's API."""
        return f"http://127.0.0.1:{self.port}"

    def seed(self, customers: list[DemoCustomer]) -> None:
        """Know these customers and their orders."""
        for customer in customers:
            self.customers[customer.profile.id] = customer
            if customer.otklik_id:
                self.otklik_ids[customer.otklik_id] = customer.profile.id

    def fail_next(self, status: int, times: int = 1) -> None:
        """The next `times` requests get this status."""
        self.failures.extend([status] * times)

    def paths(self) -> list[str]:
        """Method and path of every request so far."""
        return [f"{r.method} {r.path}" for r in self.requests]

    async def come_back(self) -> None:
        """Listen (again) on the same port."""
        self._closing = asyncio.Event()
        self._stack = AsyncExitStack()
        await self._stack.enter_async_context(serving(self._app(), self.port))

    async def go_down(self) -> None:
        """Stop listening: connections are refused until `come_back`."""
        self._closing.set()  # slow answers in progress end now
        if self._stack is not None:
            stack, self._stack = self._stack, None
            await stack.aclose()

    def _app(self) -> Starlette:
        return Starlette(routes=[
            Route("/customers/lookup", self._lookup),
            Route("/customers/{id}/profile", self._profile),
            Route("/customers/{id}/purchases", self._purchases),
            Route("/customers/{id}/orders", self._orders),
            Route("/orders/{number}", self._order),
            Route("/orders/{number}/{part:str}", self._order_part),
            Route("/promo-codes", self._promo_code, methods=["POST"]),
            Route("/orders/{number}/dispatcher-messages", self._dispatcher, methods=["POST"]),
        ])

    async def _misbehave(self, request: Request) -> Response | None:
        """Record the request; answer it as scripted, or None to serve it normally."""
        body = json.loads(await request.body() or b"null")
        self.requests.append(CrmRequest(request.method, request.url.path, dict(request.query_params),
                                        dict(request.headers), body))
        if self.delay:
            with suppress(TimeoutError):
                await asyncio.wait_for(self._closing.wait(), self.delay)
        status = self.failures.popleft() if self.failures else self.failing
        if status is not None:
            return _error(status, "scripted failure")
        if request.headers.get("authorization") != f"Bearer {self.token}":
            return _error(401, "bad token")
        if self.broken_bodies:
            return JSONResponse({"unexpected": True})
        return None

    def _customer(self, crm_id: str) -> DemoCustomer | None:
        return self.customers.get(crm_id)

    def _match(self, keys: dict[str, str]) -> str | None:
        """The CRM id of the first key that matches someone: crm_id, phone, email, otklik_id."""
        phone, email = keys.get("phone"), keys.get("email")
        by_phone = {c.profile.phone: c.profile.id for c in self.customers.values() if c.profile.phone}
        by_email = {c.profile.email: c.profile.id for c in self.customers.values() if c.profile.email}
        candidates = [keys.get("crm_id") if keys.get("crm_id") in self.customers else None,
                      by_phone.get(phone) if phone else None, by_email.get(email) if email else None,
                      self.otklik_ids.get(keys.get("otklik_id", ""))]
        return next((c for c in candidates if c), None)

    def _find_order(self, number: str) -> DemoOrder | None:
        orders = (o for c in self.customers.values() for o in c.orders if o.order.number == number)
        return next(orders, None)

    async def _lookup(self, request: Request) -> Response:
        if (failure := await self._misbehave(request)) is not None:
            return failure
        crm_id = self._match(dict(request.query_params))
        customer = self._customer(crm_id or "")
        if customer is None:
            return _error(404, "no such customer")
        return JSONResponse(customer.profile.model_dump(mode="json"))

    async def _profile(self, request: Request) -> Response:
        if (failure := await self._misbehave(request)) is not None:
            return failure
        if (customer := self._customer(request.path_params["id"])) is None:
            return _error(404, "no such customer")
        return JSONResponse(customer.profile.model_dump(mode="json"))

    async def _purchases(self, request: Request) -> Response:
        if (failure := await self._misbehave(request)) is not None:
            return failure
        if (customer := self._customer(request.path_params["id"])) is None:
            return _error(404, "no such customer")
        return _page(customer.purchases[: int(request.query_params.get("limit", "10"))])

    async def _orders(self, request: Request) -> Response:
        if (failure := await self._misbehave(request)) is not None:
            return failure
        if (customer := self._customer(request.path_params["id"])) is None:
            return _error(404, "no such customer")
        status, limit = request.query_params.get("status", "recent"), int(request.query_params.get("limit", "10"))
        orders = [o.order for o in customer.orders]
        if status == "active":
            orders = [o for o in orders if o.status not in ("delivered", "cancelled")]
        elif status == "recent":
            orders = [o for o in orders if o.placed_at >= self.now - timedelta(days=30)]
        return _page(orders[:limit])

    async def _order(self, request: Request) -> Response:
        if (failure := await self._misbehave(request)) is not None:
            return failure
        if (order := self._find_order(request.path_params["number"])) is None:
            return _error(404, "no such order")
        return JSONResponse(order.order.model_dump(mode="json"))

    async def _order_part(self, request: Request) -> Response:
        if (failure := await self._misbehave(request)) is not None:
            return failure
        part = request.path_params["part"]
        if (order := self._find_order(request.path_params["number"])) is None or part not in (
                "events", "items", "payments", "reviews"):
            return _error(404, "no such order")
        return _page(getattr(order, part))

    async def _promo_code(self, request: Request) -> Response:
        if (failure := await self._misbehave(request)) is not None:
            return failure
        body = self.requests[-1].body
        if self._customer(body.get("customer_id", "")) is None:
            return _error(404, "no such customer")
        if body.get("order_number") and self._find_order(body["order_number"]) is None:
            return _error(404, "no such order")
        return self._once(request, self.promo_codes, lambda n: {
            "code": f"CRM{n:05d}", "customer_id": body["customer_id"], "discount_percent": 10,
            "min_order_total": "1000.00", "valid_until": (self.now + timedelta(days=14)).isoformat(),
            "terms": "−10% на следующий заказ от 1000 ₽, 14 дней"})

    async def _dispatcher(self, request: Request) -> Response:
        if (failure := await self._misbehave(request)) is not None:
            return failure
        number = request.path_params["number"]
        if self._find_order(number) is None:
            return _error(404, "no such order")
        return self._once(request, self.tickets, lambda n: {
            "id": f"T-{n}", "order_number": number, "created_at": self.now.isoformat(), "status": "open"})

    def _once(self, request: Request, done: dict[str, tuple[Any, dict[str, Any]]], make: Any) -> Response:
        """Idempotency-Key semantics: the first answer again for the same body, 409 for another."""
        key, body = request.headers.get("idempotency-key"), self.requests[-1].body
        if not key:
            return _error(400, "Idempotency-Key is required")
        if key in done:
            first_body, answer = done[key]
            return JSONResponse(answer) if first_body == body else _error(409, "key reused for another body")
        done[key] = (body, make(next(self._ids)))
        return JSONResponse(done[key][1], status_code=201)


@asynccontextmanager
async def fake_crm(customers: list[DemoCustomer], now: datetime) -> AsyncIterator[FakeCrm]:
    """A FakeCrm holding `customers`, serving until the block ends."""
    crm = FakeCrm(now=now)
    crm.seed(customers)
    await crm.come_back()
    try:
        yield crm
    finally:
        await crm.go_down()
