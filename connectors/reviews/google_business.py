"""Google Business Profile reviews of the chain's stores (API v4, `accounts.locations.reviews`).

https://developers.google.com/my-business/reference/rest/v4/accounts.locations.reviews/list
    GET {base}/v4/accounts/{a}/locations/{l}/reviews?pageSize=50&pageToken=…&orderBy=updateTime desc
    -> {"reviews": [Review], "averageRating", "totalReviewCount", "nextPageToken"?}
    Review: {"name", "reviewId", "reviewer": {"displayName", "isAnonymous"}, "starRating": ONE..FIVE |
             STAR_RATING_UNSPECIFIED, "comment", "createTime", "updateTime", "reviewReply": {"comment", "updateTime"}}
https://developers.google.com/my-business/reference/rest/v4/accounts.locations.reviews/updateReply
    PUT {base}/v4/{review name}/reply  {"comment"}  -> ReviewReply; the comment is at most 4096 bytes.

An edited review comes back with a later `updateTime`; a deleted one is simply absent from the listing, so a
complete listing of a location also names the reviews that are gone (`Listing.complete`).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import httpx
from pydantic import BaseModel, ConfigDict, Field

from connectors.reviews.common import Credentials, authorised
from models.errors import PayloadError
from models.reviews import Listing, PlatformReview

PLATFORM = "google_business"
API_BASE = "https://mybusiness.googleapis.com"
MAX_REPLY_BYTES = 4096
PAGE_SIZE = 50  # the API's maximum
STARS = {"ONE": 1, "TWO": 2, "THREE": 3, "FOUR": 4, "FIVE": 5}


class _Reviewer(BaseModel):
    displayName: str | None = None
    isAnonymous: bool = False


class _Reply(BaseModel):
    comment: str = ""


class _Review(BaseModel):
    model_config = ConfigDict(extra="ignore")

    name: str
    reviewId: str
    reviewer: _Reviewer = Field(default_factory=_Reviewer)
    starRating: str = "STAR_RATING_UNSPECIFIED"
    comment: str = ""
    createTime: datetime
    updateTime: datetime
    reviewReply: _Reply | None = None


class _Page(BaseModel):
    model_config = ConfigDict(extra="ignore")

    reviews: list[_Review] = Field(default_factory=list)
    nextPageToken: str | None = None


def parse_page(body: dict[str, Any], location: str) -> tuple[list[PlatformReview], str | None]:
    """One list answer -> our reviews and the next page's token (None on the last page). Pure."""
    page = _Page.model_validate(body)
    reviews = [
        PlatformReview(
            platform=PLATFORM, review_id=r.reviewId, place_id=location, rating=STARS.get(r.starRating),
            text=r.comment, author_name=None if r.reviewer.isAnonymous else r.reviewer.displayName,
            created_at=r.createTime, updated_at=r.updateTime,
            reply_text=r.reviewReply.comment if r.reviewReply else None)
        for r in page.reviews
    ]
    return reviews, page.nextPageToken or None


def check_reply(text: str) -> None:
    """PayloadError for a reply Google would refuse (empty, or over 4096 bytes of UTF-8)."""
    if not text.strip():
        raise PayloadError("reply: empty")
    if len(text.encode()) > MAX_REPLY_BYTES:
        raise PayloadError(f"reply: Google allows {MAX_REPLY_BYTES} bytes, this one has {len(text.encode())}")


class GoogleBusinessSource:
    """Reads every mapped location's reviews and answers them (satisfies hub.reviews.ports.ReviewSource)."""

    platform = PLATFORM

    def __init__(self, http: httpx.AsyncClient, credentials: Credentials, locations: list[str], *,
                 base: str = API_BASE) -> None:
        self.http, self.credentials, self.locations, self.base = http, credentials, locations, base.rstrip("/")

    async def fetch(self) -> Listing:
        """Every page of every location (locations as "accounts/{a}/locations/{l}")."""
        listing = Listing()
        for location in self.locations:
            token: str | None = None
            while True:
                params: dict[str, str | int] = {"pageSize": PAGE_SIZE, "orderBy": "updateTime desc"}
                if token:
                    params["pageToken"] = token
                url = f"{self.base}/v4/{location}/reviews"
                body = await authorised(self.http, self.credentials, "GET", url, "reviews.list", params=params)
                reviews, token = parse_page(body, location)
                listing.reviews.extend(reviews)
                if token is None:
                    break
            listing.complete.append(location)
        return listing

    def check_reply(self, text: str) -> None:
        """PayloadError for a reply the platform would refuse."""
        check_reply(text)

    async def reply(self, place_id: str, review_id: str, text: str) -> None:
        """updateReply; NotFound when the review was deleted, SendError(retryable) on 429 / 5xx."""
        check_reply(text)
        url = f"{self.base}/v4/{place_id}/reviews/{review_id}/reply"
        await authorised(self.http, self.credentials, "PUT", url, "reviews.updateReply", json={"comment": text})
