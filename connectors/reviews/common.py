"""What both Google review APIs share: bearer tokens, the error body, and turning failures into our errors.

Google APIs answer errors as `{"error": {"code", "message", "status"}}` (https://cloud.google.com/apis/design/errors):
429 / 5xx are retryable (Retry-After when given), 404 means the review is gone, 400 a reply the platform refuses.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any, Protocol

import httpx

from models.errors import NotFound, PayloadError, SendError

TOKEN_URL = "https://oauth2.googleapis.com/token"


class Credentials(Protocol):
    """Where a source gets its OAuth access token."""

    async def token(self, http: httpx.AsyncClient) -> str:
        """A valid access token."""

    def expire(self) -> None:
        """Forget the token (the API answered 401)."""


class StaticToken:
    """An access token given as it is (OTKLIK_REVIEWS_*_TOKEN): renewed by someone else."""

    def __init__(self, value: str) -> None:
        self.value = value

    async def token(self, http: httpx.AsyncClient) -> str:
        """The token."""
        return self.value

    def expire(self) -> None:
        """Nothing to renew."""


class RefreshingToken:
    """Access tokens from a refresh token (Google's OAuth 2.0 token endpoint, grant_type=refresh_token),
    renewed a minute before `expires_in` runs out, or after a 401.
    https://developers.google.com/identity/protocols/oauth2/web-server#offline"""

    def __init__(self, client_id: str, client_secret: str, refresh_token: str, *, url: str = TOKEN_URL,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.client_id, self.client_secret, self.refresh_token, self.url = client_id, client_secret, refresh_token, url
        self.clock = clock
        self._token: str | None = None
        self._until = 0.0

    async def token(self, http: httpx.AsyncClient) -> str:
        """The current access token, fetched when missing or about to expire."""
        if self._token is None or self.clock() >= self._until:
            form = {"client_id": self.client_id, "client_secret": self.client_secret,
                    "refresh_token": self.refresh_token, "grant_type": "refresh_token"}
            try:
                response = await http.post(self.url, data=form)
            except httpx.HTTPError as e:
                raise SendError(f"oauth token: {type(e).__name__}", retryable=True) from e
            if response.status_code != 200:  # 400 invalid_grant: the refresh token was revoked
                raise SendError(f"oauth token: HTTP {response.status_code}: {response.text[:200]}",
                                retryable=response.status_code >= 500 or response.status_code == 429)
            body = response.json()
            self._token = str(body["access_token"])
            self._until = self.clock() + max(int(body.get("expires_in", 3600)) - 60, 0)
        return self._token

    def expire(self) -> None:
        """Fetch a new token next time."""
        self._token = None


async def authorised(http: httpx.AsyncClient, credentials: Credentials, method: str, url: str, what: str,
                     **kwargs: Any) -> dict[str, Any]:
    """One call with the bearer token; on 401 the token is renewed once and the call repeated."""
    for attempt in (1, 2):
        headers = {"Authorization": f"Bearer {await credentials.token(http)}"}
        try:
            response = await http.request(method, url, headers=headers, **kwargs)
        except httpx.HTTPError as e:
            raise SendError(f"{what}: {type(e).__name__}", retryable=True) from e
        if response.status_code == 401 and attempt == 1:
            credentials.expire()
            continue
        return check(response, what)
    raise AssertionError("unreachable")


def _reason(response: httpx.Response) -> str:
    try:
        body: Any = response.json()
        return str(body["error"]["message"])
    except (ValueError, KeyError, TypeError):
        return response.text[:200] or response.reason_phrase


def check(response: httpx.Response, what: str) -> dict[str, Any]:
    """The JSON body of a 2xx answer; else SendError (retryable or not), NotFound or PayloadError."""
    status = response.status_code
    if 200 <= status < 300:
        body = response.json() if response.content else {}
        if not isinstance(body, dict):
            raise SendError(f"{what}: the answer is not a JSON object", retryable=False)
        return body
    reason = f"{what}: HTTP {status}: {_reason(response)}"
    if status == 429 or status >= 500:
        after = response.headers.get("retry-after", "")
        delay = float(after) if after.isascii() and after.isdigit() else None
        raise SendError(reason, retryable=True, retry_after=delay)
    if status == 404:
        raise NotFound(reason)
    if status == 400:
        raise PayloadError(reason)
    raise SendError(reason, retryable=False)

