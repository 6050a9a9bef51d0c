"""What review monitoring needs in a process: its store, the platforms' sources, the reader and its rules."""

from __future__ import annotations

from dataclasses import dataclass, field

from hub.reviews.ports import ReviewReader, ReviewSource, ReviewStore


@dataclass(frozen=True)
class ReviewRules:
    """How reviews are worked."""

    second_approver: bool = True          # a reply needs a second person's approval before it is posted
    poll_seconds: float = 300.0           # how often the worker reads each platform
    request_types: dict[str, str] = field(default_factory=lambda: {  # case type per route (hub/cases/catalogue.yml)
        "store": "review_store", "app": "review_app", "quality": "review_quality"})
    quality_topics: frozenset[str] = frozenset({"product_quality", "expired_goods"})  # go to quality control


@dataclass
class ReviewsRuntime:
    """The review store, the sources by platform and the reader, filled by api/reviews/wiring.py."""

    store: ReviewStore
    reader: ReviewReader
    sources: dict[str, ReviewSource] = field(default_factory=dict)
    rules: ReviewRules = field(default_factory=ReviewRules)
    webhook_secret: str | None = None     # the aggregator webhook's HMAC key (None: the route answers 404)
    webhook_window: int = 300             # seconds a signed delivery stays acceptable
