"""A fake Google Business Profile API v4 (reviews) on 127.0.0.1, speaking its wire format over real HTTP.

    GET /v4/accounts/{a}/locations/{l}/reviews?pageSize&pageToken&orderBy  -> ListReviewsResponse, paged with
        an opaque nextPageToken (pageSize at most 50), newest `updateTime` first
    PUT /v4/accounts/{a}/locations/{l}/reviews/{r}/reply  {"comment"}      -> ReviewReply; 400 INVALID_ARGUMENT
        over 4096 bytes, 404 NOT_FOUND for a deleted review
Tests add, edit (a later updateTime) and delete reviews, and script 429s (RESOURCE_EXHAUSTED, Retry-After).
"""

from __future__ import annotations

import base64
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from tests.fakes.google_reviews_common import GoogleFakeBase, google_error
from tests.fakes.serving import free_port, serving

STARS = {1: "ONE", 2: "TWO", 3: "THREE", 4: "FOUR", 5: "FIVE"}


def _zulu(at: datetime) -> str:
    return at.strftime("%Y-%m-%dT%H:%M:%S.%fZ")


@dataclass
class FakeGoogleBusiness(GoogleFakeBase):
    """Locations' reviews as Google keeps them (name -> Review JSON)."""

    reviews: dict[str, dict[str, Any]] = field(default_factory=dict)

    def add(self, location: str, review_id: str, stars: int, comment: str, author: str, at: datetime) -> str:
        """A new review; its resource name."""
        name = f"{location}/reviews/{review_id}"
        self.reviews[name] = {"name": name, "reviewId": review_id,
                              "reviewer": {"displayName": author, "profilePhotoUrl": "https://example.invalid/p.png",
                                           "isAnonymous": False},
                              "starRating": STARS[stars], "comment": comment, "createTime": _zulu(at),
                              "updateTime": _zulu(at)}
        return name

    def edit(self, name: str, stars: int, comment: str, at: datetime) -> None:
        """The author changes their review."""
        self.reviews[name].update(starRating=STARS[stars], comment=comment, updateTime=_zulu(at))

    def delete(self, name: str) -> None:
        """The author (or Google) removes the review."""
        del self.reviews[name]

    async def list_reviews(self, request: Request) -> Response:
        refused, _ = await self.gate(request)
        if refused:
            return refused
        location = request.url.path.removeprefix("/v4/").removesuffix("/reviews")
        size = min(int(request.query_params.get("pageSize", "50")), 50)
        token = request.query_params.get("pageToken")
        start = int(base64.urlsafe_b64decode(token).decode()) if token else 0
        mine = sorted((r for r in self.reviews.values() if r["name"].startswith(f"{location}/reviews/")),
                      key=lambda r: str(r["updateTime"]), reverse=True)
        page: dict[str, Any] = {"reviews": mine[start:start + size], "totalReviewCount": len(mine)}
        if mine:
            stars = [list(STARS.values()).index(r["starRating"]) + 1 for r in mine]
            page["averageRating"] = round(sum(stars) / len(stars), 1)
        if start + size < len(mine):
            page["nextPageToken"] = base64.urlsafe_b64encode(str(start + size).encode()).decode()
        return JSONResponse(page)

    async def update_reply(self, request: Request) -> Response:
        refused, body = await self.gate(request)
        if refused:
            return refused
        name = request.url.path.removeprefix("/v4/").removesuffix("/reply")
        comment = str((body or {}).get("comment", ""))
        if name not in self.reviews:
            return google_error(404, "NOT_FOUND", "Requested entity was not found.")
        if not comment or len(comment.encode()) > 4096:
            return google_error(400, "INVALID_ARGUMENT", "Request contains an invalid argument.")
        reply = {"comment": comment, "updateTime": self.reviews[name]["updateTime"]}
        self.reviews[name]["reviewReply"] = reply
        return JSONResponse(reply)


@asynccontextmanager
async def running_google_business(token: str = "gbp-test-token") -> AsyncIterator[FakeGoogleBusiness]:
    """Serve the fake on a free port for the block."""
    fake = FakeGoogleBusiness(token=token, port=free_port())
    app = Starlette(routes=[
        Route("/v4/accounts/{a}/locations/{l}/reviews", fake.list_reviews, methods=["GET"]),
        Route("/v4/accounts/{a}/locations/{l}/reviews/{r}/reply", fake.update_reply, methods=["PUT"]),
        Route("/token", fake.oauth_token, methods=["POST"])])
    async with serving(app, fake.port):
        yield fake
