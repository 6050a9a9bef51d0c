"""What both Google review APIs share: bearer tokens, the error body, and turning failures into our errors.

Google APIs answer errors as `{"error": {"code", "message", "status"}}` (https://cloud.google.com/apis/design/errors):
429 / 5xx are retryable (Retry-After when given), 404 means the review is gone, 400 a reply the platform refuses.
"""

from __future__ import annotations

from typing import Any

import httpx

from models.errors import NotFound, PayloadError, SendError


def bearer(token: str) -> dict[str, str]:
    """The OAuth access token as Google expects it."""
    return {"Authorization": f"Bearer {token}"}


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


async def call(http: httpx.AsyncClient, method: str, url: str, what: str, **kwargs: Any) -> dict[str, Any]:
    """One request; a network failure is a retryable SendError."""
    try:
        response = await http.request(method, url, **kwargs)
    except httpx.HTTPError as e:
        raise SendError(f"{what}: {type(e).__name__}", retryable=True) from e
    return check(response, what)
