"""The CRM REST API under /api/v1: customers, conversations, proactive messages.

Every request carries `Authorization: Bearer otk_…` (see `otklik tokens create`); routes check the
scope they need. Errors have one shape, `{"error": {"code", "reason"}}`; lists page with opaque cursors.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends

from api.crm import campaigns, cases, conversations, customers, directory, proactive
from api.crm.ratelimit import lifespan, rate_limit
from api.crm.schemas import ErrorBody
from api.routes import privacy as privacy_routes

_ERRORS: dict[int | str, dict[str, Any]] = {
    400: {"model": ErrorBody, "description": "The body is not JSON"},
    401: {"model": ErrorBody, "description": "Missing, malformed, unknown or revoked token"},
    403: {"model": ErrorBody, "description": "The token lacks the scope this route needs"},
    413: {"model": ErrorBody, "description": "The body is over OTKLIK_MAX_BODY_BYTES"},
    422: {"model": ErrorBody, "description": "The request does not validate; the reason says where"},
    429: {"model": ErrorBody, "description": "Over the token's rate limit; see Retry-After",
          "headers": {"Retry-After": {"description": "Seconds to wait", "schema": {"type": "integer"}}}},
    503: {"model": ErrorBody, "description": "Store or bus unavailable; retry later"},
}

router = APIRouter(prefix="/api/v1", dependencies=[Depends(rate_limit)], responses=_ERRORS, lifespan=lifespan)
router.include_router(customers.router)
router.include_router(conversations.router)
router.include_router(proactive.router)
router.include_router(cases.router)
router.include_router(directory.router)
router.include_router(campaigns.router)  # campaigns and redemptions (issue 19)
router.include_router(privacy_routes.router)  # export, erase, audit: personal-data requests
