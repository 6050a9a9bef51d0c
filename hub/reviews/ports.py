"""The ports of review monitoring: where reviews are kept, where they come from, who reads them.

`api/reviews/wiring.py` fills them: the store adapters beside this file, the platform connectors
(connectors/reviews/) and the review reader (nlu/reviews/). hub never imports those.
"""

from __future__ import annotations

from datetime import datetime
from typing import Protocol

from models.reviews import Listing, PlaceMapping, Reading, ReplyState, Review


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


class ReviewSource(Protocol):
    """A platform with an API: pull reviews, post replies."""

    platform: str

    async def fetch(self) -> Listing:
        """Every review the platform shows now (SendError on 429 / outages)."""

    def check_reply(self, text: str) -> None:
        """PayloadError for a reply the platform would refuse (length, empty)."""

    async def reply(self, place_id: str, review_id: str, text: str) -> None:
        """Post or replace our reply; NotFound if the review is gone, SendError if the platform refused."""


class ReviewReader(Protocol):
    """Sentiment and topics of a review's text."""

    def read(self, text: str, *, rating: int | None, language: str | None) -> Reading:
        """What the review is about and how its author feels."""
