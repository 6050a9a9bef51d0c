"""The one place where errors become HTTP responses: `{"error": {"code": ..., "reason": ...}}`."""

from __future__ import annotations

import logging

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from models.errors import OtklikError, RateLimited

log = logging.getLogger(__name__)


def error_response(status: int, code: str, reason: str, headers: dict[str, str] | None = None) -> JSONResponse:
    """The consistent error body."""
    return JSONResponse({"error": {"code": code, "reason": reason}}, status_code=status, headers=headers)


async def _otklik_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, OtklikError)
    if exc.status_code >= 500:
        log.warning("request failed", extra={"code": exc.code, "reason": exc.reason, "path": request.url.path})
    headers = {"retry-after": "5"} if exc.status_code == 503 else None
    if isinstance(exc, RateLimited):
        headers = {"retry-after": str(exc.retry_after)}
    return error_response(exc.status_code, exc.code, exc.reason, headers)


async def _http_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, StarletteHTTPException)
    return error_response(exc.status_code, "http_error", str(exc.detail))


async def _validation_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    problems = [f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in exc.errors()[:5]]
    return error_response(422, "invalid_payload", "; ".join(problems))


async def _unexpected(request: Request, exc: Exception) -> JSONResponse:
    # A bug, not an outage: log it whole, tell the client the same JSON shape, never a stack trace.
    log.error("unhandled error", exc_info=exc, extra={"path": request.url.path})
    return error_response(500, "internal_error", "internal error; it has been logged")


def install(app: FastAPI) -> None:
    """Register the handlers on the app."""
    app.add_exception_handler(Exception, _unexpected)
    app.add_exception_handler(OtklikError, _otklik_error)
    app.add_exception_handler(StarletteHTTPException, _http_error)
    app.add_exception_handler(RequestValidationError, _validation_error)
