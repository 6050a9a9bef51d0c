"""The HTTP customer-context adapter against a fake CRM on 127.0.0.1: timeouts, failures, breaker, cache."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import datetime

import httpx
import pytest

from api.demo.crm_catalogue import MSK
from api.demo.crm_people import demo_people
from hub.context.breaker import BreakerState, CircuitBreaker
from hub.context.cache import MemoryTtlCache
from hub.context.crm import HttpContextProvider
from models.context import CustomerRef, DispatcherMessage, OrderFilter, PromoCodeRequest
from models.errors import NotFound, Unavailable
from tests.fakes.crm_api import CRM_TOKEN, FakeCrm, fake_crm
from tests.manual_clock import ManualClock

NOW = datetime(2025, 3, 12, 14, 20, tzinfo=MSK)
ANNA = CustomerRef(crm_id="demo-anna")


@dataclass
class Setup:
    """The adapter, the fake CRM it calls, and the clock its breaker and cache read."""

    provider: HttpContextProvider
    crm: FakeCrm
    clock: ManualClock


@pytest.fixture
async def setup() -> AsyncIterator[Setup]:
    """Breaker opens after 3 failures, tries again after 30 s; cache 10 s; calls time out after 0.3 s."""
    clock = ManualClock()
    async with fake_crm(demo_people(NOW), NOW) as crm, httpx.AsyncClient() as http:
        provider = HttpContextProvider(
            http, crm.url, CRM_TOKEN, timeout=0.3, cache_seconds=10, cache=MemoryTtlCache(clock=clock),
            breaker=CircuitBreaker("crm", failure_threshold=3, reset_timeout=30, clock=clock))
        yield Setup(provider, crm, clock)


async def test_reads_send_the_token_and_parse_the_contract(setup: Setup) -> None:
    order = await setup.provider.order("4512")
    assert order.number == "4512"
    assert setup.crm.requests[0].headers["authorization"] == f"Bearer {CRM_TOKEN}"
    assert setup.crm.paths() == ["GET /orders/4512"]


async def test_customer_known_by_phone_is_looked_up_once_then_read_by_crm_id(setup: Setup) -> None:
    anna = CustomerRef(phone="+79161234567")
    await setup.provider.orders(anna, status=OrderFilter.ACTIVE)
    await setup.provider.purchases(anna)
    assert setup.crm.paths() == ["GET /customers/lookup", "GET /customers/demo-anna/orders",
                                 "GET /customers/demo-anna/purchases"]
    assert setup.crm.requests[0].query == {"phone": "+79161234567"}
    assert setup.crm.requests[1].query == {"status": "active", "limit": "10"}


async def test_a_slow_crm_times_out_as_unavailable(setup: Setup) -> None:
    setup.crm.delay = 5
    started = time.monotonic()
    with pytest.raises(Unavailable, match="Timeout"):
        await setup.provider.order("4512")
    assert time.monotonic() - started < 1


async def test_a_5xx_is_unavailable(setup: Setup) -> None:
    setup.crm.fail_next(502)
    with pytest.raises(Unavailable, match="502"):
        await setup.provider.order("4512")


async def test_a_crm_that_is_down_is_unavailable(setup: Setup) -> None:
    await setup.crm.go_down()
    with pytest.raises(Unavailable, match="Connect"):
        await setup.provider.order("4512")


async def test_a_wrong_token_is_unavailable_but_does_not_open_the_breaker(setup: Setup) -> None:
    setup.crm.token = "another-token"
    for _ in range(4):
        with pytest.raises(Unavailable, match="OTKLIK_CRM_TOKEN"):
            await setup.provider.order("4512")
    assert setup.provider.breaker.state is BreakerState.CLOSED
    assert len(setup.crm.requests) == 4


async def test_an_answer_outside_the_contract_is_unavailable(setup: Setup) -> None:
    setup.crm.broken_bodies = True
    with pytest.raises(Unavailable, match="outside the contract"):
        await setup.provider.order("4377")


async def test_breaker_opens_after_consecutive_failures_and_refuses_without_calling(setup: Setup) -> None:
    setup.crm.failing = 503
    for _ in range(3):
        with pytest.raises(Unavailable, match="503"):
            await setup.provider.order("4512")
    assert setup.provider.breaker.state is BreakerState.OPEN
    with pytest.raises(Unavailable, match="circuit open"):
        await setup.provider.profile(ANNA)
    with pytest.raises(Unavailable, match="circuit open"):
        await setup.provider.send_promo_code(PromoCodeRequest(customer=ANNA, reason="apology", idempotency_key="k"))
    assert len(setup.crm.requests) == 3  # the open breaker sent nothing


async def test_timeouts_and_refused_connections_open_the_breaker_too(setup: Setup) -> None:
    setup.crm.delay = 5
    with pytest.raises(Unavailable):
        await setup.provider.order("4512")
    setup.crm.delay = 0
    await setup.crm.go_down()
    for _ in range(2):
        with pytest.raises(Unavailable):
            await setup.provider.order("4512")
    assert setup.provider.breaker.state is BreakerState.OPEN


async def test_half_open_trial_that_fails_opens_again_and_one_that_succeeds_closes(setup: Setup) -> None:
    setup.crm.failing = 500
    for _ in range(3):
        with pytest.raises(Unavailable):
            await setup.provider.order("4512")
    setup.clock.advance(30)
    with pytest.raises(Unavailable, match="500"):  # the trial reaches the CRM, which still fails
        await setup.provider.order("4512")
    assert len(setup.crm.requests) == 4 and setup.provider.breaker.state is BreakerState.OPEN
    with pytest.raises(Unavailable, match="circuit open"):
        await setup.provider.order("4512")

    setup.crm.failing = None  # the CRM is back
    setup.clock.advance(30)
    assert (await setup.provider.order("4512")).number == "4512"
    assert setup.provider.breaker.state is BreakerState.CLOSED
    assert (await setup.provider.order("4377")).number == "4377"
    assert len(setup.crm.requests) == 6


async def test_half_open_refuses_other_calls_while_the_trial_runs(setup: Setup) -> None:
    setup.crm.failing = 500
    for _ in range(3):
        with pytest.raises(Unavailable):
            await setup.provider.order("4512")
    setup.crm.failing, setup.crm.delay = None, 0.2
    setup.clock.advance(30)
    trial = asyncio.create_task(setup.provider.order("4512"))
    while len(setup.crm.requests) < 4:
        await asyncio.sleep(0.01)
    with pytest.raises(Unavailable, match="trial"):
        await setup.provider.order("4377")
    assert (await trial).number == "4512"
    assert len(setup.crm.requests) == 4
    assert setup.provider.breaker.state is BreakerState.CLOSED


async def test_a_cancelled_trial_does_not_block_the_breaker(setup: Setup) -> None:
    setup.crm.failing = 500
    for _ in range(3):
        with pytest.raises(Unavailable):
            await setup.provider.order("4512")
    setup.crm.failing, setup.crm.delay = None, 5
    setup.clock.advance(30)
    trial = asyncio.create_task(setup.provider.order("4512"))
    while len(setup.crm.requests) < 4:
        await asyncio.sleep(0.01)
    trial.cancel()
    with pytest.raises(asyncio.CancelledError):
        await trial
    setup.crm.delay = 0
    assert (await setup.provider.order("4512")).number == "4512"


async def test_cached_reads_make_no_call_until_they_expire(setup: Setup) -> None:
    first = await setup.provider.order("4512")
    setup.clock.advance(9)
    assert await setup.provider.order("4512") == first
    assert len(setup.crm.requests) == 1
    setup.clock.advance(1)
    await setup.provider.order("4512")
    assert len(setup.crm.requests) == 2


async def test_cache_keys_include_the_query(setup: Setup) -> None:
    await setup.provider.orders(ANNA, status=OrderFilter.ACTIVE)
    await setup.provider.orders(ANNA, status=OrderFilter.ALL)
    await setup.provider.orders(ANNA, status=OrderFilter.ACTIVE)
    assert len(setup.crm.requests) == 2


async def test_cached_reads_are_served_while_the_crm_is_down(setup: Setup) -> None:
    await setup.provider.order("4512")
    await setup.crm.go_down()
    assert (await setup.provider.order("4512")).number == "4512"


async def test_not_found_is_cached_too_and_does_not_count_as_a_failure(setup: Setup) -> None:
    for number in ("99991", "99992", "99993", "99994", "99991"):
        with pytest.raises(NotFound):
            await setup.provider.order(number)
    assert len(setup.crm.requests) == 4
    assert setup.provider.breaker.state is BreakerState.CLOSED
    setup.clock.advance(10)
    with pytest.raises(NotFound):
        await setup.provider.order("99991")
    assert len(setup.crm.requests) == 5


async def test_actions_are_never_cached_and_carry_their_idempotency_key(setup: Setup) -> None:
    request = PromoCodeRequest(customer=ANNA, reason="late_delivery", order_number="4512", idempotency_key="c1:p")
    first, again = await setup.provider.send_promo_code(request), await setup.provider.send_promo_code(request)
    assert first == again
    message = DispatcherMessage(order_number="4512", text="Позвоните клиентке", author="bot", idempotency_key="c1:d")
    await setup.provider.message_dispatcher(message)
    await setup.provider.message_dispatcher(message)
    posts = [r for r in setup.crm.requests if r.method == "POST"]
    assert [r.headers["idempotency-key"] for r in posts] == ["c1:p", "c1:p", "c1:d", "c1:d"]
    assert posts[0].body == {"customer_id": "demo-anna", "reason": "late_delivery", "order_number": "4512"}
    assert posts[2].body == {"text": "Позвоните клиентке", "author": "bot", "conversation_id": None}


async def test_an_action_that_timed_out_can_be_repeated_with_its_key(setup: Setup) -> None:
    message = DispatcherMessage(order_number="4512", text="Позвоните", author="bot", idempotency_key="c1:d")
    setup.crm.delay = 5
    with pytest.raises(Unavailable):
        await setup.provider.message_dispatcher(message)
    setup.crm.delay = 0
    ticket = await setup.provider.message_dispatcher(message)
    assert ticket == await setup.provider.message_dispatcher(message)
    assert len(setup.crm.tickets) == 1
