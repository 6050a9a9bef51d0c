"""Rendering case pages with the site's one Jinja2 environment (api/templating.py: autoescape on, `t`,
`csrf_token`, `user`), and the way a refused action reads in a browser."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from fastapi import Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from api.templating import templates
from api.web_auth import wants_page
from models.errors import OtklikError


def render(request: Request, name: str, context: dict[str, Any], *, status_code: int = 200) -> HTMLResponse:
    """A page or partial from `api/templates/cases/`, never cached (customer data, CSRF tokens)."""
    response = templates.TemplateResponse(request, f"cases/{name}", context, status_code=status_code)
    response.headers["cache-control"] = "no-store"
    return response


def to_case(case_id: str) -> RedirectResponse:
    """After a form post: back to the case page (303, so a reload does not post again)."""
    return RedirectResponse(f"/cases/{case_id}", status_code=303)


async def page_errors(request: Request, action: Callable[[], Awaitable[Response]]) -> Response:
    """Run `action`; a refusal becomes a short page for a browser (same status), the JSON error otherwise."""
    try:
        return await action()
    except OtklikError as e:
        if not wants_page(request) or e.status_code >= 500:
            raise
        return render(request, "error.html", {"status": e.status_code, "reason": e.reason},
                      status_code=e.status_code)
