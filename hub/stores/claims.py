"""Store port of identity claims and the one-time codes that verify them.

Adapters: `sqlite_claims.py`, `mongo_claims.py`; contract in `tests/contract/test_claims_store.py`.
A claim is one record per (claimer, identity): saying it again only moves `last_at`. A code's attempts
are counted and its use is compare-and-set, so two racing guesses never both pass.
"""

from __future__ import annotations

from datetime import datetime
from typing import Protocol

from models.claims import Challenge, Claim, ClaimStatus
from models.ids import CustomerId


class ClaimStore(Protocol):
    """Claims by claimer, and one-time codes."""

    async def note(self, claim: Claim) -> Claim:
        """Keep a new claim, or move an existing one's `last_at` (its status stays); the stored claim."""
        ...

    async def of_customer(self, customer_id: CustomerId) -> list[Claim]:
        """The customer's claims, the most recently made first."""
        ...

    async def decide(self, customer_id: CustomerId, identity_key: str, status: ClaimStatus, *, by: str,
                     at: datetime) -> Claim | None:
        """Set a claim's status and who decided it; None if there is no such claim."""
        ...

    async def add_challenge(self, challenge: Challenge) -> None:
        """Keep a new one-time code record."""
        ...

    async def latest_challenge(self, customer_id: CustomerId) -> Challenge | None:
        """The customer's most recent code record, if any."""
        ...

    async def count_challenges(self, *, since: datetime, customer_id: CustomerId | None = None,
                               identity_key: str | None = None) -> int:
        """How many codes were created since `since` for this claimer and/or this claimed identity."""
        ...

    async def count_attempt(self, challenge_id: str) -> int:
        """Add one to the code's attempts; the new count (0 if there is no such code)."""
        ...

    async def use(self, challenge_id: str, *, at: datetime) -> bool:
        """Mark the code used; False if it was used already (or does not exist)."""
        ...
