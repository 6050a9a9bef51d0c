"""GCRA rate limiting: a token gets its whole minute's rate as a burst, then one request per 60/rate seconds."""

from __future__ import annotations

from api.crm.ratelimit import MemoryRateLimiter, gcra


def test_a_burst_of_the_rate_passes_and_the_next_request_waits_one_interval() -> None:
    tat, waits = 0.0, []
    for _ in range(4):
        wait, tat = gcra(tat, 1000.0, 3)
        waits.append(wait)
    assert waits == [0.0, 0.0, 0.0, 20.0]


def test_after_the_wait_one_more_request_passes_and_refusals_are_not_counted() -> None:
    tat = 0.0
    for _ in range(3):
        _, tat = gcra(tat, 1000.0, 3)
    refused, tat = gcra(tat, 1000.0, 3)
    assert refused == 20.0
    allowed, tat = gcra(tat, 1020.0, 3)
    again, _ = gcra(tat, 1020.0, 3)
    assert (allowed, again) == (0.0, 20.0)


def test_a_quiet_token_starts_again_with_a_full_burst() -> None:
    tat = 0.0
    for _ in range(3):
        _, tat = gcra(tat, 1000.0, 3)
    waits = []
    for _ in range(3):
        wait, tat = gcra(tat, 2000.0, 3)
        waits.append(wait)
    assert waits == [0.0, 0.0, 0.0]


async def test_the_memory_limiter_counts_each_key_separately() -> None:
    limiter = MemoryRateLimiter()
    first = [await limiter.wait("a", 2) for _ in range(3)]
    other = await limiter.wait("b", 2)
    assert first[:2] == [0.0, 0.0] and 29 < first[2] <= 30 and other == 0.0
