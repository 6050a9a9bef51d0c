"""The web pages' plumbing in one call: static files, sign-in pages, admin pages and the way sign-in,
role and CSRF failures (and, for browsers, missing pages) become a redirect, a page or JSON."""

from __future__ import annotations

from urllib.parse import quote

from fastapi import FastAPI, Request
from fastapi.responses import RedirectResponse, Response
from fastapi.staticfiles import StaticFiles

from api import admin, invite_page, signin
from api.errors import error_response
from api.security_headers import SecurityHeadersMiddleware
from api.templating import STATIC_DIR, templates, translator
from api.web_auth import CsrfRejected, RoleRequired, SignInRequired, login_url, safe_next, wants_page
from models.errors import NotFound, OtklikError


def _browser(request: Request) -> bool:
    """A browser navigating or submitting a form (it asks for HTML; API clients and HTMX do not)."""
    return "text/html" in request.headers.get("accept", "") and "hx-request" not in request.headers


async def _sign_in_required(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, SignInRequired)
    target = login_url(request)
    if wants_page(request) and request.method in ("GET", "HEAD"):
        return RedirectResponse(target, status_code=303)
    if _browser(request):  # a form posted after the session ended: sign in, then back to the form's page
        referer = request.headers.get("referer", "")
        base = str(request.base_url).rstrip("/")
        back = safe_next(referer.removeprefix(base) if referer.startswith(base) else None)
        return RedirectResponse("/login?next=" + quote(back, safe="/"), status_code=303)
    headers = {"hx-redirect": target} if "hx-request" in request.headers else None
    return error_response(401, exc.code, exc.reason, headers)


def _error_page(request: Request, exc: OtklikError, title_key: str) -> Response:
    t = translator(request)
    return templates.TemplateResponse(request, "auth/error.html", {"title": t(title_key), "reason": exc.reason},
                                      status_code=exc.status_code)


async def _forbidden(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, RoleRequired | CsrfRejected)
    if wants_page(request):
        return _error_page(request, exc, "error.forbidden")
    return error_response(403, exc.code, exc.reason)


async def _not_found(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, NotFound)
    if _browser(request) and not request.url.path.startswith("/api/"):
        return _error_page(request, exc, "error.not_found")
    return error_response(exc.status_code, exc.code, exc.reason)


def install(app: FastAPI) -> None:
    """Mount /static, include the sign-in and admin pages, map web auth failures, add the hardening headers."""
    app.add_middleware(SecurityHeadersMiddleware)
    app.mount("/static", StaticFiles(directory=STATIC_DIR), name="static")
    app.include_router(signin.router)
    app.include_router(invite_page.router)  # new users set their password from a directory API invitation
    app.include_router(admin.router)
    app.add_exception_handler(SignInRequired, _sign_in_required)
    app.add_exception_handler(RoleRequired, _forbidden)
    app.add_exception_handler(CsrfRejected, _forbidden)
    app.add_exception_handler(NotFound, _not_found)
