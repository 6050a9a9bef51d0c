"""The one error tree; each edge (API, CLI, worker) maps it once.

    OtklikError (500)
    ├── PayloadError (422)        malformed or invalid input
    │   └── PayloadTooLarge (413)
    ├── SignatureError (401)      missing or wrong token / signature
    ├── Forbidden (403)
    ├── NotFound (404)
    ├── Conflict (409)            stale version, duplicate key
    │   └── InvalidTransition (409)
    ├── RateLimited (429)         a token's requests over its limit: retry after `retry_after` seconds
    ├── Unavailable (503)         store or bus down: the sender must retry
    └── SendError (502)           a channel refused or failed a send
"""

from __future__ import annotations


class OtklikError(Exception):
    """Base of every error Otklik raises on purpose."""

    status_code = 500
    code = "internal_error"

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class PayloadError(OtklikError):
    """Input that cannot be parsed or does not validate."""

    status_code = 422
    code = "invalid_payload"


class PayloadTooLarge(PayloadError):
    """A body over the configured size limit."""

    status_code = 413
    code = "payload_too_large"


class SignatureError(OtklikError):
    """A request whose token or signature is missing or wrong."""

    status_code = 401
    code = "unauthorized"


class Forbidden(OtklikError):
    """Authenticated, but not allowed."""

    status_code = 403
    code = "forbidden"


class NotFound(OtklikError):
    """The named thing does not exist."""

    status_code = 404
    code = "not_found"


class Conflict(OtklikError):
    """A write lost a race (stale version) or broke a uniqueness rule."""

    status_code = 409
    code = "conflict"


class InvalidTransition(Conflict):
    """A conversation was asked to move between states that are not connected."""

    code = "invalid_transition"


class RateLimited(OtklikError):
    """Too many requests for one API token just now."""

    status_code = 429
    code = "rate_limited"

    def __init__(self, reason: str, *, retry_after: int) -> None:
        super().__init__(reason)
        self.retry_after = retry_after


class Unavailable(OtklikError):
    """A store or the bus cannot be reached; the caller should retry later."""

    status_code = 503
    code = "unavailable"


class SendError(OtklikError):
    """A channel failed to deliver; `retryable` says whether the outbox may try again."""

    status_code = 502
    code = "send_failed"

    def __init__(self, reason: str, *, retryable: bool, retry_after: float | None = None) -> None:
        super().__init__(reason)
        self.retryable = retryable
        self.retry_after = retry_after
