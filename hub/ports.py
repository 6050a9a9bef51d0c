"""What the hub's core calls but does not implement, in one place.

- `Participant`: who answers a customer message while its conversation is in the bot's hands (bots/).
- `TopicReader`: what a message is about (nlu/).
- `ReviewSource` (a review platform, connectors/reviews/), `ReviewReader` (a review's sentiment and topics,
  nlu/reviews/), bundled with the review store and rules as `ReviewsRuntime`.
- re-exported: `Sender` (a channel account's delivery, connectors/), `Stores` and `Bus`, each with adapters
  that only api/wiring.py names.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from typing import Protocol

from hub.bus.base import Bus
from hub.stores.base import Stores
from hub.stores.campaigns import CampaignStore, CapLedger
from hub.stores.reviews import ReviewStore
from models.campaigns import Campaign, Policy
from models.conversations import Conversation
from models.messages import InboundMessage, Message
from models.nlu import ParseResult
from models.reviews import Listing, Reading
from models.sending import Sender, SendReceipt

__all__ = [
    "Bus",
    "CampaignsRuntime",
    "Participant",
    "ReviewReader",
    "ReviewRules",
    "ReviewSource",
    "ReviewStore",
    "ReviewsRuntime",
    "SendReceipt",
    "Sender",
    "Stores",
    "TopicReader",
]


class Participant(Protocol):
    """Takes the bot's turn for a stored customer message (replies through the outbox, or a handover)."""

    async def answer(self, msg: InboundMessage, stored: Message, conversation: Conversation) -> None:
        """Answer `stored` (received as `msg`) in `conversation`; a redelivery of it must not answer twice."""
        ...

    async def serving(self) -> str | None:
        """The version of what it answers with now (edited flows picked up first); None for fixed replies."""
        ...


class TopicReader(Protocol):
    """Reads a customer message's topic, entities and confidence."""

    @property
    def has_model(self) -> bool:
        """Whether a reading can say anything beyond "out of scope"."""
        ...

    @property
    def model_version(self) -> str | None:
        """The model version served, if known."""
        ...

    async def parse(self, text: str, *, today: date | None = None) -> ParseResult:
        """The reading of `text`; relative dates count from `today` (the conversation's)."""
        ...

    async def refresh(self) -> None:
        """Pick up a newly trained or activated model (cheap, rate-limited)."""
        ...

    async def reload_if_changed(self) -> bool:
        """Load a newly activated model now; True if one was loaded."""
        ...


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


@dataclass(frozen=True)
class ReviewRules:
    """How reviews are worked."""

    second_approver: bool = True  # a reply needs a second person's approval before it is posted
    poll_seconds: float = 300.0  # how often the worker reads each platform
    request_types: dict[str, str] = field(
        default_factory=lambda: {  # case type per route (hub/cases/catalogue.yml)
            "store": "review_store",
            "app": "review_app",
            "quality": "review_quality",
        }
    )
    quality_topics: frozenset[str] = frozenset({"product_quality", "expired_goods"})  # go to quality control


@dataclass
class ReviewsRuntime:
    """The review store, the sources by platform and the reader, filled by api/wiring.py."""

    store: ReviewStore
    reader: ReviewReader
    sources: dict[str, ReviewSource] = field(default_factory=dict)
    rules: ReviewRules = field(default_factory=ReviewRules)
    webhook_secret: str | None = None  # the aggregator webhook's HMAC key (None: the route answers 404)
    webhook_window: int = 300  # seconds a signed delivery stays acceptable


@dataclass
class CampaignsRuntime:
    """Targeted promotions (hub/campaigns/): the campaign store, where caps are counted, the cross-campaign rules;
    filled by api/wiring.py."""

    store: CampaignStore
    ledger: CapLedger  # the store itself, or Redis in front of it when processes share a Redis
    policy: Policy = field(default_factory=Policy)
    # Every contact reads the campaigns: this process keeps them this long (changes made here drop it at once).
    cache_seconds: float = 5.0
    clock: Callable[[], float] = time.monotonic
    cached: tuple[float, list[Campaign]] | None = None  # (read at, campaigns)
