"""The circuit breaker's states, stepped with a manual clock."""

from __future__ import annotations

import pytest

from hub.context.breaker import BreakerState, CircuitBreaker
from models.errors import Unavailable
from tests.manual_clock import ManualClock


@pytest.fixture
def clock() -> ManualClock:
    """Time that moves only when told."""
    return ManualClock()


@pytest.fixture
def breaker(clock: ManualClock) -> CircuitBreaker:
    """Opens after 3 consecutive failures, tries again after 30 s."""
    return CircuitBreaker("crm", failure_threshold=3, reset_timeout=30.0, clock=clock)


def fail(breaker: CircuitBreaker, times: int) -> None:
    """Admitted calls that failed."""
    for _ in range(times):
        breaker.admit()
        breaker.failed()


def test_stays_closed_while_failures_are_below_the_threshold(breaker: CircuitBreaker) -> None:
    fail(breaker, 2)
    breaker.admit()
    assert breaker.state is BreakerState.CLOSED


def test_a_success_resets_the_count_of_consecutive_failures(breaker: CircuitBreaker) -> None:
    fail(breaker, 2)
    breaker.admit()
    breaker.succeeded()
    fail(breaker, 2)
    assert breaker.state is BreakerState.CLOSED


def test_opens_after_the_threshold_and_refuses_calls(breaker: CircuitBreaker, clock: ManualClock) -> None:
    fail(breaker, 3)
    clock.advance(29)
    with pytest.raises(Unavailable, match="circuit open"):
        breaker.admit()
    assert breaker.state is BreakerState.OPEN


def test_after_the_cool_down_lets_exactly_one_trial_through(breaker: CircuitBreaker, clock: ManualClock) -> None:
    fail(breaker, 3)
    clock.advance(30)
    breaker.admit()
    assert breaker.state is BreakerState.HALF_OPEN
    with pytest.raises(Unavailable, match="trial"):
        breaker.admit()


def test_a_successful_trial_closes_it(breaker: CircuitBreaker, clock: ManualClock) -> None:
    fail(breaker, 3)
    clock.advance(30)
    breaker.admit()
    breaker.succeeded()
    assert breaker.state is BreakerState.CLOSED
    breaker.admit()
    breaker.admit()


def test_a_failed_trial_opens_it_for_another_cool_down(breaker: CircuitBreaker, clock: ManualClock) -> None:
    fail(breaker, 3)
    clock.advance(30)
    fail(breaker, 1)
    assert breaker.state is BreakerState.OPEN
    clock.advance(29)
    with pytest.raises(Unavailable):
        breaker.admit()
    clock.advance(1)
    breaker.admit()


def test_an_abandoned_trial_lets_the_next_caller_try(breaker: CircuitBreaker, clock: ManualClock) -> None:
    fail(breaker, 3)
    clock.advance(30)
    breaker.admit()
    breaker.abandoned()
    breaker.admit()
    assert breaker.state is BreakerState.HALF_OPEN


def test_late_failures_of_calls_admitted_before_it_opened_do_not_extend_the_cool_down(
    breaker: CircuitBreaker, clock: ManualClock
) -> None:
    for _ in range(4):
        breaker.admit()  # four calls in flight together
    for _ in range(3):
        breaker.failed()
    clock.advance(20)
    breaker.failed()  # the fourth fails later
    clock.advance(10)
    breaker.admit()
    assert breaker.state is BreakerState.HALF_OPEN
