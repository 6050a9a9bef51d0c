"""Sign-in for the web pages: the session cookie, `CurrentUser`, `require_role`, CSRF.

    @router.get("/inbox")
    async def queue(request: Request, user: CurrentUser) -> HTMLResponse: ...

    @router.post("/admin/users")
    async def create(user: Annotated[User, Depends(require_role(Role.ADMIN))], ...) -> Response: ...

Anonymous: page GETs get 303 to `/login?next=<path>`, HTMX and JSON calls 401 (HTMX also gets
`HX-Redirect`). Wrong role: 403 (a page for browsers, JSON otherwise); no role implies another, so list
every role a route admits. Every POST/PUT/PATCH/DELETE that carries a session cookie must carry the
session's CSRF token (form field `csrf_token` or header `X-CSRF-Token`; base.html puts the header on every
HTMX request); the check runs when the route asks for the user, which every state-changing page route does.
"""

from __future__ import annotations

import hmac
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Annotated
from urllib.parse import quote, urlsplit

from fastapi import Depends, Request

from api.deps import HubDep
from hub.directory import SessionPolicy, sessions
from models.clock import utcnow
from models.errors import Forbidden, SignatureError
from models.staff import Role, User
from models.web_sessions import WebSession

SESSION_COOKIE = "otklik_session"
LANG_COOKIE = "otklik_lang"
CSRF_HEADER = "x-csrf-token"
CSRF_FIELD = "csrf_token"
UNSAFE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})
_SCOPE_KEY = "otklik.web_sign_in"


class SignInRequired(SignatureError):
    """No live session: the page asks the browser to sign in."""

    code = "sign_in_required"


class RoleRequired(Forbidden):
    """Signed in, but without a role the route admits."""

    code = "forbidden"


class CsrfRejected(Forbidden):
    """A state change from a session without the session's CSRF token."""

    code = "csrf_failed"


@dataclass(frozen=True)
class WebSignIn:
    """The request's session and its user."""

    session: WebSession
    user: User


def safe_next(value: str | None, default: str = "/") -> str:
    """`value` if it is a path on this site (never another host, scheme or a protocol-relative URL)."""
    if not value or not value.startswith("/") or value.startswith(("//", "/\\")):
        return default
    parts = urlsplit(value)
    if parts.scheme or parts.netloc or any(ord(ch) < 32 for ch in value):
        return default
    return value


def login_url(request: Request) -> str:
    """`/login?next=` the current page (or, for HTMX, the page the browser shows)."""
    here = request.url.path + (f"?{request.url.query}" if request.url.query else "")
    current = request.headers.get("hx-current-url")
    if current:
        parts = urlsplit(current)
        here = parts.path + (f"?{parts.query}" if parts.query else "")
    return "/login?next=" + quote(safe_next(here), safe="/")


def wants_page(request: Request) -> bool:
    """Whether the request is a browser navigation (not HTMX, not a JSON call)."""
    accept = request.headers.get("accept", "")
    return "hx-request" not in request.headers and "application/json" not in accept


async def _read_csrf(request: Request) -> str:
    presented = request.headers.get(CSRF_HEADER, "")
    content_type = request.headers.get("content-type", "")
    if not presented and content_type.startswith(("application/x-www-form-urlencoded", "multipart/form-data")):
        form = await request.form()  # cached by starlette: the route's own Form() parameters still work
        value = form.get(CSRF_FIELD)
        presented = value if isinstance(value, str) else ""
    return presented


async def check_csrf(request: Request, session: WebSession) -> None:
    """CsrfRejected unless a state-changing request carries the session's token."""
    if request.method not in UNSAFE_METHODS:
        return
    presented = await _read_csrf(request)
    if not presented:
        raise CsrfRejected("missing CSRF token (form field csrf_token or header X-CSRF-Token)")
    if not hmac.compare_digest(presented.encode(), session.csrf_token.encode()):
        raise CsrfRejected("CSRF token does not match this session")


async def web_sign_in(request: Request, hub: HubDep) -> WebSignIn | None:
    """The request's live session and user (CSRF checked for state changes), or None when anonymous."""
    if _SCOPE_KEY in request.scope:  # the scope, not request.state: test harnesses share one state dict
        cached: WebSignIn | None = request.scope[_SCOPE_KEY]
        return cached
    found = None
    token = request.cookies.get(SESSION_COOKIE)
    if token:
        found = await sessions.resume(hub.stores.directory, token, SessionPolicy.of(hub.settings), utcnow())
    signed = None if found is None else WebSignIn(*found)
    request.scope[_SCOPE_KEY] = signed
    if signed is not None:
        await check_csrf(request, signed.session)
    return signed


OptionalSignIn = Annotated[WebSignIn | None, Depends(web_sign_in)]


async def optional_user(signed: OptionalSignIn) -> User | None:
    """The signed-in user, or None."""
    return None if signed is None else signed.user


async def current_user(signed: OptionalSignIn) -> User:
    """The signed-in user; SignInRequired when anonymous."""
    if signed is None:
        raise SignInRequired("sign in first")
    return signed.user


OptionalUser = Annotated[User | None, Depends(optional_user)]
CurrentUser = Annotated[User, Depends(current_user)]


def require_role(*roles: Role) -> Callable[[User], Awaitable[User]]:
    """A dependency admitting signed-in users holding any of `roles` (403 otherwise)."""
    if not roles:
        raise ValueError("require_role needs at least one role")
    names = ", ".join(r.value for r in roles)

    async def check(user: CurrentUser) -> User:
        if not user.has(*roles):
            raise RoleRequired(f"this needs the role {names}")
        return user

    return check


AdminUser = Annotated[User, Depends(require_role(Role.ADMIN))]


def csrf_token(request: Request) -> str:
    """The CSRF token of the request's session, for forms and `hx-headers` ("" when anonymous)."""
    signed: WebSignIn | None = request.scope.get(_SCOPE_KEY)
    return "" if signed is None else signed.session.csrf_token


def signed_in_user(request: Request) -> User | None:
    """The user a dependency has already resolved for this request (templates use it for the top bar)."""
    signed: WebSignIn | None = request.scope.get(_SCOPE_KEY)
    return None if signed is None else signed.user


def secure_cookies(public_url: str | None) -> bool:
    """Cookies get `Secure` when the site is served over https."""
    return bool(public_url and public_url.startswith("https://"))
