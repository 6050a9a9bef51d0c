"""The interactive API docs at `/docs`, working without the internet: Swagger UI's script, stylesheet and icon
come from the `fastapi-swagger` package (Swagger UI 5, which reads the OpenAPI 3.1 that FastAPI writes),
mounted here as static files, instead of FastAPI's default CDN links (a blank page offline). ReDoc, which
only exists on a CDN, is off.
"""

from __future__ import annotations

from importlib import resources
from pathlib import Path

from fastapi import FastAPI, Request
from fastapi.openapi.docs import get_swagger_ui_html, get_swagger_ui_oauth2_redirect_html
from fastapi.responses import HTMLResponse
from fastapi.staticfiles import StaticFiles

DOCS_URL = "/docs"
OAUTH2_REDIRECT_URL = "/docs/oauth2-redirect"
ASSETS_URL = "/docs-assets"  # not under /static: that mount would answer first and 404


def assets_dir() -> Path:
    """Where the installed package keeps Swagger UI's files."""
    return Path(str(resources.files("fastapi_swagger") / "resources"))


def install(app: FastAPI) -> None:
    """Serve `/docs` (and its OAuth2 redirect page) from local assets; the app must be made with
    `docs_url=None, redoc_url=None`."""
    app.mount(ASSETS_URL, StaticFiles(directory=assets_dir()), name="docs-assets")

    @app.get(DOCS_URL, include_in_schema=False)
    async def swagger_ui(request: Request) -> HTMLResponse:
        root = request.scope.get("root_path", "").rstrip("/")
        return get_swagger_ui_html(
            openapi_url=root + (app.openapi_url or "/openapi.json"), title=f"{app.title} · API",
            swagger_js_url=f"{root}{ASSETS_URL}/swagger-ui-bundle.js",
            swagger_css_url=f"{root}{ASSETS_URL}/swagger-ui.css",
            swagger_favicon_url=f"{root}{ASSETS_URL}/favicon-32x32.png",
            oauth2_redirect_url=root + OAUTH2_REDIRECT_URL,
        )

    @app.get(OAUTH2_REDIRECT_URL, include_in_schema=False)
    async def oauth2_redirect() -> HTMLResponse:
        return get_swagger_ui_oauth2_redirect_html()
