"""What the two fake Google review APIs share: bearer checks, Google's error body, scripted 429s, a recorder."""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass, field
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse


def google_error(code: int, status: str, message: str, **headers: str) -> JSONResponse:
    """Google's error body: {"error": {"code", "message", "status"}}."""
    return JSONResponse({"error": {"code": code, "message": message, "status": status}}, status_code=code,
                        headers=headers)


@dataclass
class Call:
    """One request as a fake saw it."""

    method: str
    path: str
    query: dict[str, str]
    body: dict[str, Any] | None


@dataclass
class GoogleFakeBase:
    """Token, recorded calls, and scripted rate limits (the next N requests get 429 with Retry-After)."""

    token: str
    port: int = 0
    calls: list[Call] = field(default_factory=list)
    rate_limited: deque[int] = field(default_factory=deque)  # Retry-After seconds of each scripted 429
    refresh_token: str = "refresh-test-token"  # what the OAuth token endpoint takes
    issued: int = 0                            # access tokens handed out by the token endpoint

    @property
    def url(self) -> str:
        """Base URL the connector is pointed at."""
        return f"http://127.0.0.1:{self.port}"

    async def gate(self, request: Request) -> tuple[JSONResponse | None, dict[str, Any] | None]:
        """Record the call; the error to answer (401 / 429) or None, and the JSON body."""
        raw = await request.body()
        body = await request.json() if raw else None
        self.calls.append(Call(request.method, request.url.path, dict(request.query_params), body))
        if request.headers.get("authorization") != f"Bearer {self.token}":
            return google_error(401, "UNAUTHENTICATED", "Request had invalid authentication credentials."), body
        if self.rate_limited:
            return google_error(429, "RESOURCE_EXHAUSTED", "Quota exceeded.",
                                **{"Retry-After": str(self.rate_limited.popleft())}), body
        return None, body

    async def oauth_token(self, request: Request) -> JSONResponse:
        """Google's token endpoint, grant_type=refresh_token: each call issues a new access token (and the old
        one stops working, as if it had expired)."""
        async with request.form() as form:
            valid = form.get("grant_type") == "refresh_token" and form.get("refresh_token") == self.refresh_token
        if not valid:
            return JSONResponse({"error": "invalid_grant", "error_description": "Bad Request"}, status_code=400)
        self.issued += 1
        self.token = f"access-{self.issued}"
        return JSONResponse({"access_token": self.token, "expires_in": 3599, "token_type": "Bearer",
                             "scope": "https://www.googleapis.com/auth/business.manage"})

    def replies(self) -> list[Call]:
        """The reply calls that were made."""
        return [c for c in self.calls if c.method in ("PUT", "POST")]
