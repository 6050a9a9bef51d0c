"""Public reviews of the chain's stores (map services) and of its app (app stores), as every source hands
them to hub/reviews: one `PlatformReview` per review and revision, whatever the platform's own shape.

    PlatformReview ──► hub/reviews: dedupe (platform, review id), store mapping, reading ──► Review
    Review.revisions: every earlier (rating, text) of an edited review, oldest first
    Review.reply: the draft ─► approved ─► posted (or failed with the platform's reason)
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from pydantic import BaseModel, ConfigDict, Field

from models.clock import utcnow

MAX_REVIEW_TEXT = 20_000


class Sentiment(StrEnum):
    """How the author feels about the store or app."""

    NEGATIVE = "negative"
    NEUTRAL = "neutral"
    POSITIVE = "positive"


class ReplyState(StrEnum):
    """Where a public reply is on its way to the platform."""

    DRAFT = "draft"          # waiting for a second person's approval
    APPROVED = "approved"    # the worker posts it on its next round
    POSTED = "posted"
    FAILED = "failed"        # the platform refused it for good (too long, review deleted): see `error`
    MANUAL = "manual"        # approved, but the platform has no API (an import's source): posted by hand


class PlatformReview(BaseModel):
    """A review as a source read it: a poller page, an import row or an aggregator's webhook."""

    model_config = ConfigDict(frozen=True)

    platform: str = Field(min_length=1, max_length=40)    # google_business, google_play, yandex_maps, 2gis...
    review_id: str = Field(min_length=1, max_length=400)  # the platform's own id: with `platform`, the key
    place_id: str = Field(min_length=1, max_length=400)   # the location or app package the review is about
    place_name: str | None = Field(default=None, max_length=400)
    place_address: str | None = Field(default=None, max_length=1000)
    rating: int | None = Field(default=None, ge=1, le=5)  # None: the platform had no stars (unspecified)
    text: str = Field(default="", max_length=MAX_REVIEW_TEXT)
    language: str | None = Field(default=None, max_length=16)
    author_name: str | None = Field(default=None, max_length=400)
    # The author's address on one of our proven channels, only when the source vouches for it (the chain's own
    # app forwarding its signed-in user): "<identity kind>:<value>". A display name never identifies anyone.
    author_identity: str | None = Field(default=None, max_length=400)
    created_at: datetime
    updated_at: datetime                                  # differs from created_at once the author edited it
    reply_text: str | None = Field(default=None, max_length=10_000)  # a reply already on the platform
    deleted: bool = False                                 # the platform no longer shows it


class Listing(BaseModel):
    """What a source read in one round; for the places in `complete` it read every page, so a review of
    theirs that is not in `reviews` was deleted on the platform."""

    reviews: list[PlatformReview] = Field(default_factory=list)
    complete: list[str] = Field(default_factory=list)


class Revision(BaseModel):
    """An earlier version of an edited review."""

    model_config = ConfigDict(frozen=True)

    rating: int | None
    text: str
    updated_at: datetime


class Reply(BaseModel):
    """Our public answer to a review."""

    text: str = Field(min_length=1, max_length=10_000)
    state: ReplyState = ReplyState.DRAFT
    drafted_by: str
    drafted_at: datetime = Field(default_factory=utcnow)
    approved_by: str | None = None
    approved_at: datetime | None = None
    posted_at: datetime | None = None
    attempts: int = 0
    error: str | None = None


class Reading(BaseModel):
    """What a review is about and how its author feels (nlu/reviews, behind hub/reviews' ReviewReader port)."""

    model_config = ConfigDict(frozen=True)

    sentiment: Sentiment
    topics: tuple[str, ...] = ()
    language: str | None = None


class Review(BaseModel):
    """A review as the hub keeps it: normalised, mapped to a store, read, linked to its case and reply."""

    id: str                                                # "<platform>:<review id>"
    platform: str
    review_id: str
    place_id: str
    store_id: str | None = None                            # None: the place is not mapped yet (or the app)
    region: str | None = None
    rating: int | None = None
    text: str = ""
    language: str | None = None
    author_name: str | None = None
    author_identity: str | None = None
    customer_id: str | None = None                         # only through a proven identity
    sentiment: Sentiment = Sentiment.NEUTRAL
    topics: list[str] = Field(default_factory=list)
    created_at: datetime
    updated_at: datetime
    revisions: list[Revision] = Field(default_factory=list)
    deleted: bool = False
    case_id: str | None = None
    reply: Reply | None = None
    platform_reply: str | None = None                      # a reply someone made in the platform's own tools
    version: int = 0

    @property
    def negative(self) -> bool:
        """Needs an answer and a look at the store: 3 stars or fewer, or a negative text."""
        return (self.rating is not None and self.rating <= 3) or self.sentiment is Sentiment.NEGATIVE


class PlaceMapping(BaseModel):
    """A platform's place (a map location, an app package) and the store it is, set by a person."""

    model_config = ConfigDict(frozen=True)

    platform: str
    place_id: str
    store_id: str | None = None                            # None: seen, not mapped yet
    place_name: str | None = None
    place_address: str | None = None
    mapped_by: str | None = None
