"""The review store's port (review monitoring, hub/reviews/): reviews with their edits and replies, and the
platform places mapped to stores. Adapters: hub/stores/sqlite/reviews.py, hub/stores/mongo/reviews.py."""

from __future__ import annotations

from datetime import datetime
from typing import Protocol

from models.reviews import PlaceMapping, ReplyState, Review


class ReviewStore(Protocol):
    """Reviews by (platform, review id), and the mapping of platform places to stores."""

    async def open(self) -> None:
        """Connect and create tables or indexes."""

    async def close(self) -> None:
        """Release the connection."""

    async def get(self, review_id: str) -> Review | None:
        """The review by our id ("<platform>:<review id>"), or None."""

    async def create(self, review: Review) -> bool:
        """Insert; False when a review with this id is already stored (a repeat delivery)."""

    async def save(self, review: Review, *, expected_version: int) -> None:
        """Replace the stored review and bump its version; Conflict if someone saved it since."""

    async def find(self, *, platform: str | None = None, store_id: str | None = None, since: datetime | None = None,
                   reply_state: ReplyState | None = None, limit: int = 10_000) -> list[Review]:
        """Reviews matching every given filter, newest first (by creation)."""

    async def live_ids(self, platform: str, place_id: str) -> list[str]:
        """Our ids of the place's reviews not marked deleted."""

    async def get_place(self, platform: str, place_id: str) -> PlaceMapping | None:
        """The place's mapping, or None for a place never seen."""

    async def save_place(self, mapping: PlaceMapping) -> None:
        """Insert or replace the place's mapping."""

    async def places(self, *, unmapped_only: bool = False) -> list[PlaceMapping]:
        """Every place seen (only those without a store, if asked)."""
