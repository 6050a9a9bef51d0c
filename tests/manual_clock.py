"""A clock that moves only when a test says so: time-dependent code tested without sleeping."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass
class ManualClock:
    """Monotonic seconds, starting at `now`."""

    now: float = 1000.0

    def __call__(self) -> float:
        """The current reading."""
        return self.now

    def advance(self, seconds: float) -> None:
        """Let `seconds` pass."""
        self.now += seconds
