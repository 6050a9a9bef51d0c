"""Browser hardening headers on every response: no MIME sniffing, no referrer to other sites, and no framing
of the staff pages (inbox, cases, admin, sign-in: clickjacking), whose HTML no cache keeps. The public web
chat under `/chat` may be framed by the chain's own site, so it keeps its own framing rules.

The policy allows scripts from this site only: every page loads htmx and its scripts from /static and has
no inline script or `on*=` handler (FastAPI's API docs pages, which have both, only refuse framing).
Pure ASGI, so SSE streams pass through untouched; a header a route set itself (a download's `no-referrer`)
is kept.
"""

from __future__ import annotations

from starlette.types import ASGIApp, Message, Receive, Scope, Send

FRAMEABLE_PREFIXES = ("/chat",)  # the web chat widget: embedded on the chain's site
API_DOCS = frozenset({"/docs", "/docs/oauth2-redirect", "/redoc"})  # FastAPI's pages: inline and CDN scripts
# Everything from this site only (default-src covers images, fonts and the SSE/fetch connections), styles
# from our stylesheets only (no inline style attributes), forms post back here only.
PAGE_CSP = ("default-src 'self'; script-src 'self'; style-src 'self'; object-src 'none'; base-uri 'self';"
            " form-action 'self'")
STAFF_CSP = f"{PAGE_CSP}; frame-ancestors 'none'"
CHAT_CSP = PAGE_CSP  # the web chat: the same, except that the chain's site may frame it
DOCS_CSP = "frame-ancestors 'none'"

ALWAYS: tuple[tuple[bytes, bytes], ...] = (
    (b"x-content-type-options", b"nosniff"),
    (b"referrer-policy", b"same-origin"),
)
CHAT: tuple[tuple[bytes, bytes], ...] = (*ALWAYS, (b"content-security-policy", CHAT_CSP.encode()))
NO_FRAMING: tuple[tuple[bytes, bytes], ...] = (
    (b"x-frame-options", b"DENY"),
    (b"content-security-policy", STAFF_CSP.encode()),
)
DOCS_NO_FRAMING: tuple[tuple[bytes, bytes], ...] = (
    (b"x-frame-options", b"DENY"),
    (b"content-security-policy", DOCS_CSP.encode()),
)
NO_STORE = (b"cache-control", b"no-store")  # staff pages hold customer data and the session's CSRF token


def frameable(path: str) -> bool:
    """Whether a page may be shown inside another site's frame (only the public web chat)."""
    return any(path == prefix or path.startswith(prefix + "/") for prefix in FRAMEABLE_PREFIXES)


class SecurityHeadersMiddleware:
    """Add the hardening headers a response does not set itself."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Wrap one HTTP request."""
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        path = scope["path"]
        staff = not frameable(path)
        extra = CHAT if not staff else ALWAYS + (DOCS_NO_FRAMING if path in API_DOCS else NO_FRAMING)

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                present = {name.lower(): value for name, value in headers}
                wanted = list(extra)
                if staff and present.get(b"content-type", b"").startswith(b"text/html"):
                    wanted.append(NO_STORE)
                headers.extend((name, value) for name, value in wanted if name not in present)
                message["headers"] = headers
            await send(message)

        await self.app(scope, receive, send_with_headers)
