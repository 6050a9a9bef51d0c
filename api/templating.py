"""The one Jinja2 environment for every server-rendered page (autoescape on: starlette's default).

Every template sees `t(key, **params)` bound to the request's language, `lang`, `user` (the signed-in
User or None), `csrf_token`, `languages` and `zone` (the configured time zone that the `clock` and `when`
filters of api/local_time.py show every moment in). Render with:

    templates.TemplateResponse(request, "inbox/queue.html", {"view": view})

Never mark customer or user text `|safe`.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from fastapi import Request
from fastapi.templating import Jinja2Templates

from api import i18n, labels, local_time
from api.web_auth import LANG_COOKIE, csrf_token, signed_in_user

TEMPLATES_DIR = Path(__file__).parent / "templates"
STATIC_DIR = Path(__file__).parent / "static"


def _settings(request: Request) -> Any:
    hub = getattr(request.app.state, "hub", None)
    return None if hub is None else hub.settings


def request_lang(request: Request) -> i18n.Lang:
    """The user's language, else the language cookie, else the browser's Accept-Language, else the
    configured default (`OTKLIK_DEFAULT_LANGUAGE`)."""
    user = signed_in_user(request)
    if user is not None:
        return user.language
    settings = _settings(request)
    default = i18n.as_lang(getattr(settings, "default_language", None)) or i18n.DEFAULT_LANG
    return i18n.as_lang(request.cookies.get(LANG_COOKIE)) or i18n.from_accept_language(
        request.headers.get("accept-language"), default)


def page_zone(request: Request) -> ZoneInfo:
    """The configured time zone every page shows moments in (`OTKLIK_TIMEZONE`)."""
    return local_time.zone_named(getattr(_settings(request), "timezone", None) or local_time.DEFAULT_ZONE)


def _page_context(request: Request) -> dict[str, Any]:
    lang = request_lang(request)

    def translate(key: str, **params: object) -> str:
        return i18n.t(key, lang, **params)

    return {"t": translate, "lang": lang, "languages": i18n.LANGUAGES, "user": signed_in_user(request),
            "csrf_token": csrf_token(request), "zone": page_zone(request)}


def translator(request: Request) -> Callable[..., str]:
    """`t` bound to the request's language, for messages built in route code."""
    lang = request_lang(request)
    return lambda key, **params: i18n.t(key, lang, **params)


templates = Jinja2Templates(directory=TEMPLATES_DIR, context_processors=[_page_context])
templates.env.filters.update(local_time.FILTERS)
templates.env.filters.update(labels.FILTERS)
