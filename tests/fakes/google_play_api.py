"""A fake Google Play Developer API v3 (reviews) on 127.0.0.1, speaking its wire format over real HTTP.

    GET  /androidpublisher/v3/applications/{package}/reviews?maxResults&token -> {"reviews", "tokenPagination"?,
         "pageInfo"}, newest `lastModified` first
    POST /androidpublisher/v3/applications/{package}/reviews/{id}:reply {"replyText"} -> {"result": {"replyText",
         "lastEdited"}}; 400 INVALID_ARGUMENT over 350 characters, 404 NOT_FOUND for a deleted review
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


def _stamp(at: datetime) -> dict[str, Any]:
    return {"seconds": str(int(at.timestamp())), "nanos": at.microsecond * 1000}


@dataclass
class FakeGooglePlay(GoogleFakeBase):
    """The app's reviews as Play keeps them (review id -> Review JSON)."""

    package: str = "ru.chain.delivery"
    reviews: dict[str, dict[str, Any]] = field(default_factory=dict)

    def add(self, review_id: str, stars: int, text: str, author: str, at: datetime, language: str = "ru") -> None:
        """A new review with its user comment."""
        self.reviews[review_id] = {"reviewId": review_id, "authorName": author, "comments": [{"userComment": {
            "text": f"\t{text}", "lastModified": _stamp(at), "starRating": stars, "reviewerLanguage": language,
            "device": "a52q", "androidOsVersion": 33, "appVersionCode": 4120, "appVersionName": "4.12.0",
            "thumbsUpCount": 0, "thumbsDownCount": 0}}]}

    def edit(self, review_id: str, stars: int, text: str, at: datetime) -> None:
        """The author changes their review."""
        user = self.reviews[review_id]["comments"][0]["userComment"]
        user.update(text=f"\t{text}", starRating=stars, lastModified=_stamp(at))

    def delete(self, review_id: str) -> None:
        """The review is gone."""
        del self.reviews[review_id]

    async def list_reviews(self, request: Request) -> Response:
        refused, _ = await self.gate(request)
        if refused:
            return refused
        size = int(request.query_params.get("maxResults", "10"))
        token = request.query_params.get("token")
        start = int(base64.urlsafe_b64decode(token).decode()) if token else 0
        ordered = sorted(self.reviews.values(), reverse=True,
                         key=lambda r: int(r["comments"][0]["userComment"]["lastModified"]["seconds"]))
        page: dict[str, Any] = {"reviews": ordered[start:start + size],
                                "pageInfo": {"totalResults": len(ordered), "resultPerPage": size, "startIndex": start}}
        if start + size < len(ordered):
            page["tokenPagination"] = {"nextPageToken": base64.urlsafe_b64encode(str(start + size).encode()).decode()}
        return JSONResponse(page)

    async def reply(self, request: Request) -> Response:
        refused, body = await self.gate(request)
        if refused:
            return refused
        review_id = request.path_params["review"].removesuffix(":reply")
        text = str((body or {}).get("replyText", ""))
        if review_id not in self.reviews:
            return google_error(404, "NOT_FOUND", "Requested entity was not found.")
        if not text or len(text) > 350:
            return google_error(400, "INVALID_ARGUMENT", "Reply text is too long.")
        edited = self.reviews[review_id]["comments"][0]["userComment"]["lastModified"]
        self.reviews[review_id]["comments"].append({"developerComment": {"text": text, "lastModified": edited}})
        return JSONResponse({"result": {"replyText": text, "lastEdited": edited}})


@asynccontextmanager
async def running_google_play(token: str = "play-test-token") -> AsyncIterator[FakeGooglePlay]:
    """Serve the fake on a free port for the block."""
    fake = FakeGooglePlay(token=token, port=free_port())
    app = Starlette(routes=[
        Route("/androidpublisher/v3/applications/{package}/reviews", fake.list_reviews, methods=["GET"]),
        Route("/androidpublisher/v3/applications/{package}/reviews/{review}", fake.reply, methods=["POST"]),
        Route("/token", fake.oauth_token, methods=["POST"])])
    async with serving(app, fake.port):
        yield fake
