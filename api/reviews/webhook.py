"""The review aggregator's webhook: verify, parse, take each review in (deduplicated), answer with counts."""

from __future__ import annotations

from zoneinfo import ZoneInfo

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse

from api.deps import HubDep, read_body
from connectors.reviews import aggregator
from hub.reviews import runtime_of, take
from models.clock import utcnow
from models.errors import NotFound

router = APIRouter(prefix="/webhooks/reviews", tags=["reviews"])


@router.post("/aggregator")
async def aggregator_webhook(request: Request, hub: HubDep) -> JSONResponse:
    """Take a signed batch of reviews; 401 unsigned or stale, 422 malformed, 200 with what each review did."""
    rt = runtime_of(hub)
    if rt.webhook_secret is None:
        raise NotFound("the review aggregator webhook is not configured (OTKLIK_REVIEWS_WEBHOOK_SECRET)")
    body = await read_body(request, hub.settings.max_body_bytes)
    aggregator.verify(request.headers, body, rt.webhook_secret, now=utcnow().timestamp(), window=rt.webhook_window)
    outcomes: dict[str, int] = {}
    for incoming in aggregator.parse_inbound(body, zone=ZoneInfo(hub.settings.timezone)):
        _, outcome = await take(hub, incoming)
        outcomes[outcome.value] = outcomes.get(outcome.value, 0) + 1
    return JSONResponse({"taken": outcomes})
