"""The outbox's retry policy: exponential backoff with full jitter, capped, honouring Retry-After."""

from __future__ import annotations

import random
from dataclasses import dataclass


@dataclass(frozen=True)
class RetryPolicy:
    """How often and how patiently a send is retried; base_delay=0 removes the sleeps in tests."""

    max_attempts: int = 8
    base_delay: float = 0.5
    max_delay: float = 30.0

    def delay(self, attempt: int, retry_after: float | None = None) -> float:
        """Seconds to wait before attempt `attempt + 1` (attempt counts from 1)."""
        if retry_after is not None:  # the provider said when; waiting less only earns another 429
            return min(retry_after, self.max_delay) if self.base_delay else 0.0
        ceiling = min(self.max_delay, self.base_delay * 2 ** (attempt - 1))
        return random.uniform(0, ceiling)
