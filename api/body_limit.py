"""ASGI middleware guarding request bodies: a size limit counted while the body streams, and credentials
checked before a body is read where only signed-in callers may send one.

A Content-Length header is only a claim (and chunked bodies have none), so the limit counts the bytes of
each `http.request` message as the app pulls them and answers 413 as soon as they pass it.
"""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable
from contextlib import suppress

from starlette.requests import Request
from starlette.responses import Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from api.auth import current_token
from api.errors import error_response
from api.web_auth import SESSION_COOKIE, SignInRequired
from hub.directory import SessionPolicy, sessions
from models.clock import utcnow
from models.errors import OtklikError

MULTIPART_OVERHEAD = 64 * 1024  # form fields and part headers around an uploaded file
READS_NO_BODY = frozenset({"GET", "HEAD", "OPTIONS"})


class BodyTooLarge(Exception):
    """Raised into the app's read of the body once it passes the limit (the app's answer is replaced)."""


class BodyLimitMiddleware:
    """413 once a request's body passes its limit: announced by Content-Length or counted as it streams."""

    def __init__(self, app: ASGIApp, *, max_body_bytes: int, upload_limits: dict[str, int] | None = None) -> None:
        self.app = app
        self.max_body_bytes = max_body_bytes
        # uploads (a case's photos, a reply's files) have their own, larger limit; routes check each file too
        self.upload_limits = [(re.compile(pattern), limit) for pattern, limit in (upload_limits or {}).items()]

    def body_limit(self, path: str) -> int:
        """The largest body a request to `path` may send."""
        return next((limit for pattern, limit in self.upload_limits if pattern.fullmatch(path)), self.max_body_bytes)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Pass the request on with a counting `receive`."""
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        limit = self.body_limit(scope["path"])
        declared = dict(scope["headers"]).get(b"content-length", b"").decode("latin-1").strip()
        if declared and not (declared.isascii() and declared.isdigit()):
            await error_response(400, "bad_content_length", "Content-Length is not a number")(scope, receive, send)
            return
        if declared and int(declared) > limit:
            await _too_large(limit)(scope, receive, send)
            return
        received, exceeded, started = 0, False, False

        async def counted() -> Message:
            nonlocal received, exceeded
            if exceeded:
                raise BodyTooLarge
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    exceeded = True
                    raise BodyTooLarge
            return message

        async def guarded(message: Message) -> None:
            nonlocal started
            if exceeded and not started:
                return  # whatever the app makes of the aborted read (FastAPI says 400) gives way to the 413
            started = started or message["type"] == "http.response.start"
            await send(message)

        with suppress(BodyTooLarge):
            await self.app(scope, counted, guarded)
        if exceeded and not started:
            await _too_large(limit)(scope, receive, send)


def _too_large(limit: int) -> Response:
    return error_response(413, "payload_too_large", f"body over {limit} bytes")


class CredentialsFirstMiddleware:
    """Refuse a request that may carry a body to the token API (`/api/v1/`) or to an upload route before a
    byte of it is read, when it has no live token or session: anonymous bodies are never parsed or spooled.

    Routes still check scopes, roles and CSRF themselves; this only decides whether reading is worth it.
    """

    def __init__(self, app: ASGIApp, *, token_prefix: str = "/api/v1/", session_paths: list[str]) -> None:
        self.app = app
        self.token_prefix = token_prefix
        self.session_paths = [re.compile(pattern) for pattern in session_paths]

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Answer the refusal, or pass the request on untouched."""
        if scope["type"] == "http" and scope["method"] not in READS_NO_BODY:
            refused = await self._refusal(Request(scope))
            if refused is not None:
                await refused(scope, receive, send)
                return
        await self.app(scope, receive, send)

    async def _refusal(self, request: Request) -> Response | None:
        hub = getattr(request.app.state, "hub", None)
        if hub is None:  # not started through the lifespan: nothing to check against
            return None
        path = request.url.path
        try:
            if path.startswith(self.token_prefix):
                await current_token(request, hub)
            elif any(pattern.fullmatch(path) for pattern in self.session_paths):
                token = request.cookies.get(SESSION_COOKIE, "")
                policy = SessionPolicy.of(hub.settings)
                if not token or await sessions.resume(hub.stores.directory, token, policy, utcnow()) is None:
                    raise SignInRequired("sign in first")
        except OtklikError as refusal:
            return await _handled(request, refusal)
        return None


async def _handled(request: Request, exc: OtklikError) -> Response:
    """The app's own answer to `exc` (its registered handler), so a refusal here looks like one from a route."""
    handlers: dict[object, Callable[[Request, Exception], Awaitable[Response]]] = request.app.exception_handlers
    for kind in type(exc).__mro__:
        if kind in handlers:
            return await handlers[kind](request, exc)
    return error_response(exc.status_code, exc.code, exc.reason)
