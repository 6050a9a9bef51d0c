"""Sign-in pages: `/login`, `/logout`, `/language` and `/` (each role's start page).

The login form is protected against login CSRF by a double-submit cookie (there is no session yet);
a successful sign-in always starts a fresh session, so a planted cookie is never promoted.
"""

from __future__ import annotations

import hmac
import secrets
from datetime import timedelta
from typing import Annotated

from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from api import i18n
from api.deps import HubDep
from api.templating import templates, translator
from api.web_auth import (
    LANG_COOKIE,
    SESSION_COOKIE,
    CsrfRejected,
    CurrentUser,
    OptionalSignIn,
    safe_next,
    secure_cookies,
)
from hub.directory import sessions, users
from models.clock import utcnow
from models.errors import RateLimited
from models.staff import Role, User

router = APIRouter(include_in_schema=False)
LOGIN_CSRF_COOKIE = "otklik_login_csrf"

# Where "/" sends each role (first match); features register their pages here.
HOME_BY_ROLE: list[tuple[Role, str]] = [
    (Role.OPERATOR, "/inbox"), (Role.SUPERVISOR, "/inbox"), (Role.SPECIALIST, "/cases"),
    (Role.STORE_STAFF, "/cases"), (Role.CONTENT_EDITOR, "/dialogs"), (Role.ADMIN, "/admin/users"),
]


def home_for(user: User) -> str:
    """The start page of a user's first role."""
    return next((path for role, path in HOME_BY_ROLE if role in user.roles), "/admin/users")


def _login_page(request: Request, *, next_url: str, status: int = 200, error: str | None = None,
                message: str | None = None, login: str = "") -> HTMLResponse:
    token = request.cookies.get(LOGIN_CSRF_COOKIE) or secrets.token_urlsafe(24)
    response = templates.TemplateResponse(
        request, "auth/login.html",
        {"next": next_url, "error": error, "message": message, "login": login, "login_csrf": token},
        status_code=status)
    response.set_cookie(LOGIN_CSRF_COOKIE, token, httponly=True, samesite="strict", path="/login",
                        secure=secure_cookies(request.app.state.hub.settings.public_url))
    response.headers["cache-control"] = "no-store"
    return response


@router.get("/login")
async def login_form(
    request: Request, signed: OptionalSignIn, next_url: Annotated[str | None, Query(alias="next")] = None,
) -> Response:
    """The sign-in form (straight on to `next` when already signed in)."""
    if signed is not None:
        return RedirectResponse(safe_next(next_url, home_for(signed.user)), status_code=303)
    t = translator(request)
    message = t("auth.session_expired") if next_url else None
    return _login_page(request, next_url=safe_next(next_url, ""), message=message)


@router.post("/login")
async def login(
    request: Request, hub: HubDep, login: Annotated[str, Form(max_length=200)],
    password: Annotated[str, Form(max_length=1024)], csrf_token: Annotated[str, Form()] = "",
    next_url: Annotated[str, Form(alias="next")] = "",
) -> Response:
    """Check the password, start a session, go on to `next`."""
    expected = request.cookies.get(LOGIN_CSRF_COOKIE, "")
    if not expected or not hmac.compare_digest(expected.encode(), csrf_token.encode()):
        raise CsrfRejected("sign-in form expired or forged; reload the page")
    t, settings = translator(request), hub.settings
    address = request.client.host if request.client else "unknown"
    try:
        user = await users.authenticate(
            hub.stores.directory, login, password, address=address, max_failures=settings.login_max_failures,
            window=timedelta(minutes=settings.login_failure_window_minutes))
    except RateLimited:
        return _login_page(request, next_url=next_url, status=429, error=t("auth.locked"), login=login)
    except users.SignInFailed:
        return _login_page(request, next_url=next_url, status=401, error=t("auth.failed"), login=login)
    old = request.cookies.get(SESSION_COOKIE)
    if old:
        await sessions.end(hub.stores.directory, old)
    token, _ = await sessions.start(hub.stores.directory, user, now=utcnow(), ip=address,
                                    user_agent=request.headers.get("user-agent"))
    response = RedirectResponse(safe_next(next_url, home_for(user)), status_code=303)
    response.set_cookie(SESSION_COOKIE, token, httponly=True, samesite="lax", path="/",
                        secure=secure_cookies(settings.public_url),
                        max_age=int(settings.session_absolute_hours * 3600))
    response.delete_cookie(LOGIN_CSRF_COOKIE, path="/login")
    return response


@router.post("/logout")
async def logout(request: Request, hub: HubDep, user: CurrentUser) -> Response:
    """End this browser's session."""
    token = request.cookies.get(SESSION_COOKIE, "")
    await sessions.end(hub.stores.directory, token)
    response = RedirectResponse("/login", status_code=303)
    response.delete_cookie(SESSION_COOKIE, path="/")
    return response


@router.post("/language")
async def set_language(
    request: Request, hub: HubDep, signed: OptionalSignIn, lang: Annotated[str, Form()],
    next_url: Annotated[str, Form(alias="next")] = "/",
) -> Response:
    """Switch the interface language: saved on the user when signed in, in a cookie either way."""
    chosen = i18n.as_lang(lang) or i18n.DEFAULT_LANG
    if signed is not None and signed.user.language != chosen:
        await users.update_user(hub.stores.directory, signed.user.id, language=chosen)
    response = RedirectResponse(safe_next(next_url), status_code=303)
    response.set_cookie(LANG_COOKIE, chosen, samesite="lax", path="/", max_age=365 * 86400,
                        secure=secure_cookies(hub.settings.public_url))
    return response


@router.get("/")
async def home(user: CurrentUser) -> Response:
    """Each role's start page."""
    return RedirectResponse(home_for(user), status_code=303)
