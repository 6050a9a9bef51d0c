"""Google Play reviews of the chain's delivery app (Google Play Developer API v3, `reviews`).

https://developers.google.com/android-publisher/api-ref/rest/v3/reviews/list
    GET {base}/androidpublisher/v3/applications/{package}/reviews?maxResults=…&token=…
    -> {"reviews": [{"reviewId", "authorName", "comments": [{"userComment": {"text", "lastModified":
        {"seconds", "nanos"}, "starRating", "reviewerLanguage", ...}}, {"developerComment": {...}}]}],
        "tokenPagination": {"nextPageToken"}?, "pageInfo": {...}}
    Only reviews with text, created or modified during the last week, newest first.
https://developers.google.com/android-publisher/api-ref/rest/v3/reviews/reply
    POST {base}/androidpublisher/v3/applications/{package}/reviews/{reviewId}:reply  {"replyText"}
    -> {"result": {"replyText", "lastEdited"}}; replies over about 350 characters are rejected.

The list has no creation time: the first `lastModified` we see stands for it, and a later one is an edit.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import httpx
from pydantic import BaseModel, ConfigDict, Field

from connectors.reviews.common import Credentials, authorised
from models.errors import PayloadError
from models.reviews import Listing, PlatformReview

PLATFORM = "google_play"
API_BASE = "https://androidpublisher.googleapis.com"
MAX_REPLY_CHARS = 350
PAGE_SIZE = 100


class _Timestamp(BaseModel):
    seconds: int
    nanos: int = 0

    def at(self) -> datetime:
        return datetime.fromtimestamp(self.seconds + self.nanos / 1e9, tz=UTC)


class _UserComment(BaseModel):
    model_config = ConfigDict(extra="ignore")

    text: str = ""
    lastModified: _Timestamp
    starRating: int | None = Field(default=None, ge=1, le=5)
    reviewerLanguage: str | None = None


class _DeveloperComment(BaseModel):
    model_config = ConfigDict(extra="ignore")

    text: str = ""


class _Comment(BaseModel):
    model_config = ConfigDict(extra="ignore")

    userComment: _UserComment | None = None
    developerComment: _DeveloperComment | None = None


class _Review(BaseModel):
    model_config = ConfigDict(extra="ignore")

    reviewId: str
    authorName: str | None = None
    comments: list[_Comment] = Field(default_factory=list)


class _Pagination(BaseModel):
    nextPageToken: str | None = None


class _Page(BaseModel):
    model_config = ConfigDict(extra="ignore")

    reviews: list[_Review] = Field(default_factory=list)
    tokenPagination: _Pagination | None = None


def parse_page(body: dict[str, Any], package: str) -> tuple[list[PlatformReview], str | None]:
    """One list answer -> our reviews and the next page's token (None on the last page). Pure."""
    page = _Page.model_validate(body)
    reviews = []
    for r in page.reviews:
        user = next((c.userComment for c in r.comments if c.userComment), None)
        if user is None:
            continue  # no user comment: nothing to read
        developer = next((c.developerComment for c in r.comments if c.developerComment), None)
        modified = user.lastModified.at()
        reviews.append(PlatformReview(
            platform=PLATFORM, review_id=r.reviewId, place_id=package, rating=user.starRating, text=user.text.strip(),
            language=user.reviewerLanguage, author_name=r.authorName or None, created_at=modified,
            updated_at=modified, reply_text=developer.text if developer else None))
    token = page.tokenPagination.nextPageToken if page.tokenPagination else None
    return reviews, token or None


def check_reply(text: str) -> None:
    """PayloadError for a reply Google Play would refuse (empty, or over 350 characters)."""
    if not text.strip():
        raise PayloadError("reply: empty")
    if len(text) > MAX_REPLY_CHARS:
        raise PayloadError(f"reply: Google Play allows {MAX_REPLY_CHARS} characters, this one has {len(text)}")


class GooglePlaySource:
    """Reads the app's recent reviews and answers them (satisfies hub.reviews.ports.ReviewSource)."""

    platform = PLATFORM

    def __init__(self, http: httpx.AsyncClient, credentials: Credentials, package: str, *,
                 base: str = API_BASE) -> None:
        self.http, self.credentials, self.package, self.base = http, credentials, package, base.rstrip("/")

    @property
    def _reviews_url(self) -> str:
        return f"{self.base}/androidpublisher/v3/applications/{self.package}/reviews"

    async def fetch(self) -> Listing:
        """Every page of the last week's reviews. The list only covers a week: never complete."""
        listing = Listing()
        token: str | None = None
        while True:
            params: dict[str, str | int] = {"maxResults": PAGE_SIZE}
            if token:
                params["token"] = token
            body = await authorised(self.http, self.credentials, "GET", self._reviews_url, "reviews.list",
                                    params=params)
            reviews, token = parse_page(body, self.package)
            listing.reviews.extend(reviews)
            if token is None:
                return listing

    def check_reply(self, text: str) -> None:
        """PayloadError for a reply the platform would refuse."""
        check_reply(text)

    async def reply(self, place_id: str, review_id: str, text: str) -> None:
        """reviews.reply; NotFound when the review was deleted, SendError(retryable) on 429 / 5xx."""
        check_reply(text)
        await authorised(self.http, self.credentials, "POST", f"{self._reviews_url}/{review_id}:reply",
                         "reviews.reply", json={"replyText": text})
