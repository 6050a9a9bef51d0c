"""The one Jinja2 environment for every server-rendered page (autoescape on: starlette's default).

Every template sees `t(key, **params)` bound to the request's language, `lang`, `user` (the signed-in
User or None), `csrf_token`, and `languages`. Render with:

    templates.TemplateResponse(request, "inbox/queue.html", {"view": view})

Never mark customer or user text `|safe`.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from fastapi import Request
from fastapi.templating import Jinja2Templates

from api import i18n
from api.web_auth import LANG_COOKIE, csrf_token, signed_in_user

TEMPLATES_DIR = Path(__file__).parent / "templates"
STATIC_DIR = Path(__file__).parent / "static"


def request_lang(request: Request) -> i18n.Lang:
    """The user's language, else the language cookie, else the browser's Accept-Language."""
    user = signed_in_user(request)
    if user is not None:
        return user.language
    return i18n.as_lang(request.cookies.get(LANG_COOKIE)) or i18n.from_accept_language(
        request.headers.get("accept-language"))


def _page_context(request: Request) -> dict[str, Any]:
    lang = request_lang(request)

    def translate(key: str, **params: object) -> str:
        return i18n.t(key, lang, **params)

    return {"t": translate, "lang": lang, "languages": i18n.LANGUAGES, "user": signed_in_user(request),
            "csrf_token": csrf_token(request)}


def translator(request: Request) -> Callable[..., str]:
    """`t` bound to the request's language, for messages built in route code."""
    lang = request_lang(request)
    return lambda key, **params: i18n.t(key, lang, **params)


templates = Jinja2Templates(directory=TEMPLATES_DIR, context_processors=[_page_context])
