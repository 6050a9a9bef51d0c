"""Rendering inbox pages with the site's one Jinja2 environment (api/templating.py: autoescape on, `t`,
`csrf_token`, `user`), plus the few filters the inbox templates use."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from fastapi import Request
from starlette.responses import HTMLResponse

from api.templating import page_zone, request_lang, templates, translator
from api.web_auth import csrf_token
from models.clock import utcnow


def duration(seconds: float | None) -> str:
    """'1:05:00'-style span, with '−' when overdue; '' for None."""
    if seconds is None:
        return ""
    sign, total = ("−" if seconds < 0 else ""), int(abs(seconds))
    hours, rest = divmod(total, 3600)
    return f"{sign}{hours}:{rest // 60:02d}:{rest % 60:02d}"


def percent(value: float | None) -> str:
    """0.873 → '87%'; '' for None."""
    return "" if value is None else f"{round(value * 100)}%"


def waited(since: datetime) -> float:
    """Seconds from `since` to now."""
    return (utcnow() - since).total_seconds()


templates.env.filters.update(duration=duration, percent=percent, waited=waited)  # `clock`: api/local_time.py


def render(request: Request, name: str, context: dict[str, Any], *, status_code: int = 200) -> HTMLResponse:
    """A page or partial from `api/templates/inbox/`, never cached (customer data, CSRF tokens)."""
    response = templates.TemplateResponse(request, f"inbox/{name}", context, status_code=status_code)
    response.headers["cache-control"] = "no-store"
    return response


def render_fragment(request: Request, name: str, context: dict[str, Any]) -> str:
    """A partial as a string for an SSE event, with the same globals a page gets."""
    base = {"t": translator(request), "lang": request_lang(request), "csrf_token": csrf_token(request),
            "request": request, "zone": page_zone(request)}
    return templates.get_template(f"inbox/_partials/{name}").render({**base, **context})
