"""When a delivery is tried again: backoff with full jitter, Retry-After, final refusals, the budget."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from hub.webhooks.retries import DeliveryPolicy, Outcome, parse_retry_after, record, response_outcome
from models.webhooks import Delivery, WebhookStatus

T0 = datetime(2025, 3, 1, 9, 0, tzinfo=UTC)
POLICY = DeliveryPolicy(max_attempts=5, budget=timedelta(hours=1), backoff_base=1.0, backoff_max=60.0)


def claimed(attempts: int = 1, *, started: datetime = T0) -> Delivery:
    """A delivery held for its `attempts`-th attempt."""
    return Delivery(id="msg_1", subscription_id="wh_1", event_id="e:1", event_type="message.received", event_at=T0,
                    lane="c1", payload="{}", created_at=started, budget_started_at=started, attempts=attempts,
                    budget_attempts=attempts, lease_owner="w1", lease_until=T0 + timedelta(minutes=1))


def test_backoff_is_full_jitter_under_an_exponential_ceiling_capped_at_the_maximum() -> None:
    for attempt, ceiling in [(1, 1.0), (2, 2.0), (4, 8.0), (7, 60.0), (500, 60.0)]:
        waits = [POLICY.backoff(attempt) for _ in range(200)]
        assert all(0 <= w <= ceiling for w in waits) and max(waits) > ceiling / 2


def test_defaults_ride_out_a_receiver_down_for_an_hour() -> None:
    policy = DeliveryPolicy()
    assert policy.backoff_max <= 600 and policy.budget >= timedelta(hours=24)
    worst_case = sum(min(policy.backoff_max, policy.backoff_base * 2 ** (n - 1)) for n in range(1, 20))
    assert policy.max_attempts > 20 and worst_case > 3600  # still retrying after an hour, within the attempts


@pytest.mark.parametrize(("code", "retryable"), [
    (500, True), (502, True), (503, True), (429, True), (408, True), (302, True),
    (400, False), (401, False), (404, False), (410, False), (422, False),
])
def test_5xx_429_and_redirects_are_retried_other_4xx_are_final(code: int, retryable: bool) -> None:
    outcome = response_outcome(code, None, T0)
    assert not outcome.delivered and outcome.retryable is retryable
    assert outcome.gone is (code == 410)


def test_a_2xx_is_delivered_and_frees_the_lease() -> None:
    done = record(claimed(), response_outcome(204, None, T0), at=T0, latency_ms=12.34, policy=POLICY)
    assert (done.status, done.delivered_at, done.last_status_code, done.last_error) == (
        WebhookStatus.DELIVERED, T0, 204, None)
    assert done.lease_owner is None and done.lease_until is None
    assert [(a.number, a.outcome, a.latency_ms) for a in done.log] == [(1, WebhookStatus.DELIVERED, 12.3)]


def test_a_final_refusal_is_dead_at_once() -> None:
    dead = record(claimed(), response_outcome(400, None, T0), at=T0, latency_ms=5, policy=POLICY)
    assert (dead.status, dead.last_error) == (WebhookStatus.DEAD, "HTTP 400")


def test_a_failure_is_retried_after_the_backoff() -> None:
    failed = record(claimed(3), Outcome(error="ConnectError"), at=T0, latency_ms=1, policy=POLICY)
    assert failed.status is WebhookStatus.FAILED and failed.last_error == "ConnectError"
    assert T0 <= failed.next_attempt_at <= T0 + timedelta(seconds=4)


def test_retry_after_is_honoured_instead_of_the_backoff() -> None:
    failed = record(claimed(), response_outcome(429, "30", T0), at=T0, latency_ms=1, policy=POLICY)
    assert failed.next_attempt_at == T0 + timedelta(seconds=30)


def test_the_budget_of_attempts_ends_in_dead() -> None:
    dead = record(claimed(POLICY.max_attempts), response_outcome(503, None, T0), at=T0, latency_ms=1, policy=POLICY)
    assert dead.status is WebhookStatus.DEAD and "budget" in (dead.last_error or "")


def test_the_budget_of_time_ends_in_dead_and_the_last_attempt_is_at_its_end() -> None:
    late = T0 + timedelta(minutes=59, seconds=50)
    failed = record(claimed(2), response_outcome(429, "3600", late), at=late, latency_ms=1, policy=POLICY)
    assert failed.status is WebhookStatus.FAILED and failed.next_attempt_at == T0 + POLICY.budget
    dead = record(claimed(3), Outcome(error="timed out"), at=T0 + POLICY.budget, latency_ms=1, policy=POLICY)
    assert dead.status is WebhookStatus.DEAD


def test_the_log_keeps_the_last_twenty_attempts() -> None:
    delivery = claimed()
    for n in range(1, 26):
        delivery = record(delivery.model_copy(update={"attempts": n, "budget_attempts": 1}),
                          Outcome(error="ConnectError"), at=T0, latency_ms=1, policy=POLICY)
    assert [a.number for a in delivery.log] == list(range(6, 26))


@pytest.mark.parametrize(("header", "seconds"), [
    ("120", 120.0), (" 5 ", 5.0), ("Sat, 01 Mar 2025 09:01:00 GMT", 60.0), ("Sat, 01 Mar 2025 08:00:00 GMT", 0.0),
    ("soon", None), ("", None), (None, None), ("-5", None),
])
def test_retry_after_is_delta_seconds_or_an_http_date(header: str | None, seconds: float | None) -> None:
    assert parse_retry_after(header, T0) == seconds


@given(st.text(max_size=60))
def test_retry_after_parsing_never_raises(header: str) -> None:
    parsed = parse_retry_after(header, T0)
    assert parsed is None or parsed >= 0
