"""A circuit breaker: stop calling a dependency that keeps failing, try again after a cool-down.

    closed ──(failure_threshold consecutive failures)──► open ──(reset_timeout passed)──► half-open
      ▲                                                    ▲                                  │
      └──────────────(the one trial call succeeds)─────────┼──────────────────────────────────┤
                                                           └──────(the trial call fails)──────┘

While open, `admit` raises Unavailable at once: callers degrade without waiting for a timeout each time.
Half-open lets exactly one trial call through; others are refused until it ends. The clock is injected,
so tests step time instead of sleeping.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from enum import StrEnum

from prometheus_client import Gauge

from models.errors import Unavailable

_log = logging.getLogger(__name__)

OPEN_GAUGE = Gauge("otklik_circuit_open", "1 while a circuit breaker refuses calls", ["name"])


class BreakerState(StrEnum):
    """Where the breaker is."""

    CLOSED = "closed"
    OPEN = "open"
    HALF_OPEN = "half_open"


class CircuitBreaker:
    """Counts consecutive failures of calls it admitted; refuses calls while open."""

    def __init__(
        self, name: str, *, failure_threshold: int = 5, reset_timeout: float = 30.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.name = name
        self.failure_threshold = failure_threshold
        self.reset_timeout = reset_timeout
        self._clock = clock
        self._state = BreakerState.CLOSED
        self._failures = 0
        self._opened_at = 0.0
        self._trial_running = False

    @property
    def state(self) -> BreakerState:
        """The current state (an open breaker whose cool-down has passed still says open until a call)."""
        return self._state

    def admit(self) -> None:
        """Let a call through, or raise Unavailable while open (or while the half-open trial runs)."""
        if self._state is BreakerState.CLOSED:
            return
        if self._state is BreakerState.OPEN:
            wait = self._opened_at + self.reset_timeout - self._clock()
            if wait > 0:
                raise Unavailable(f"{self.name} is failing; circuit open, next try in {wait:.0f}s")
            self._move(BreakerState.HALF_OPEN)
        if self._trial_running:
            raise Unavailable(f"{self.name} is failing; a trial call is in progress")
        self._trial_running = True

    def succeeded(self) -> None:
        """An admitted call worked: the dependency is back."""
        self._failures = 0
        self._trial_running = False
        self._move(BreakerState.CLOSED)

    def failed(self) -> None:
        """An admitted call failed (timeout, connection refused, 5xx)."""
        self._trial_running = False
        if self._state is BreakerState.HALF_OPEN:
            self._open()
        elif self._state is BreakerState.CLOSED:
            self._failures += 1
            if self._failures >= self.failure_threshold:
                self._open()

    def abandoned(self) -> None:
        """An admitted call ended without an answer either way (cancelled): free the trial slot."""
        self._trial_running = False

    def _open(self) -> None:
        self._opened_at = self._clock()
        self._failures = 0
        self._move(BreakerState.OPEN)

    def _move(self, state: BreakerState) -> None:
        if state is self._state:
            return
        _log.warning("circuit %s: %s -> %s", self.name, self._state, state)
        self._state = state
        OPEN_GAUGE.labels(self.name).set(1 if state is BreakerState.OPEN else 0)
