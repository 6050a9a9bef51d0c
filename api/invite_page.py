"""`/invite`: where a user created by the directory API sets their own password from a single-use link.

The token travels in the query (the access log records paths only) and in a hidden field; the form is
protected by a double-submit cookie like the sign-in form, since nobody is signed in yet.
"""

from __future__ import annotations

import hmac
import secrets
from typing import Annotated

from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from api.deps import HubDep
from api.templating import templates, translator
from api.web_auth import CsrfRejected, secure_cookies
from hub.directory import INVITE_PATH, InvitationInvalid, accept, invited_user
from models.clock import utcnow
from models.errors import PayloadError

router = APIRouter(include_in_schema=False)
INVITE_CSRF_COOKIE = "otklik_invite_csrf"


def _page(request: Request, *, token: str, login: str | None, status: int = 200,
          error: str | None = None) -> HTMLResponse:
    csrf = request.cookies.get(INVITE_CSRF_COOKIE) or secrets.token_urlsafe(24)
    response = templates.TemplateResponse(
        request, "auth/invite.html", {"token": token, "login": login, "error": error, "invite_csrf": csrf},
        status_code=status, headers={"referrer-policy": "no-referrer", "cache-control": "no-store"})
    response.set_cookie(INVITE_CSRF_COOKIE, csrf, httponly=True, samesite="strict", path=INVITE_PATH,
                        secure=secure_cookies(request.app.state.hub.settings.public_url))
    return response


@router.get(INVITE_PATH)
async def invite_form(request: Request, hub: HubDep,
                      token: Annotated[str, Query(max_length=200)] = "") -> Response:
    """The set-a-password form, or why the link does not work (410)."""
    try:
        user = await invited_user(hub.stores.directory, token, utcnow())
    except InvitationInvalid:
        return _page(request, token="", login=None, status=410, error=translator(request)("auth.invite_invalid"))
    return _page(request, token=token, login=user.login)


@router.post(INVITE_PATH)
async def invite_accept(
    request: Request, hub: HubDep, token: Annotated[str, Form(max_length=200)],
    password: Annotated[str, Form(max_length=1024)], repeat: Annotated[str, Form(max_length=1024)],
    csrf_token: Annotated[str, Form()] = "",
) -> Response:
    """Set the password, spend the link, go on to the sign-in form."""
    expected = request.cookies.get(INVITE_CSRF_COOKIE, "")
    if not expected or not hmac.compare_digest(expected.encode(), csrf_token.encode()):
        raise CsrfRejected("the form expired or was forged; open the link again")
    t, store = translator(request), hub.stores.directory
    try:
        user = await invited_user(store, token, utcnow())
        if not hmac.compare_digest(password.encode(), repeat.encode()):
            return _page(request, token=token, login=user.login, status=422, error=t("auth.invite_mismatch"))
        await accept(store, token, password, utcnow())
    except InvitationInvalid:
        return _page(request, token="", login=None, status=410, error=t("auth.invite_invalid"))
    except PayloadError as e:  # too short or too long
        return _page(request, token=token, login=user.login, status=422, error=e.reason)
    response = RedirectResponse("/login", status_code=303)
    response.delete_cookie(INVITE_CSRF_COOKIE, path=INVITE_PATH)
    return response
