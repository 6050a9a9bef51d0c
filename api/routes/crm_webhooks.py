"""CRM REST API: webhook subscriptions, the delivery log and replay (scope webhooks:manage).

Deliveries are signed per the Standard Webhooks specification; the secret of a subscription is shown when
it is created and by `GET /api/v1/webhooks/{id}/secret`, never in lists. Requests count against the token's
rate limit, as every /api/v1 route does (api/crm/ratelimit.py).
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Query, Response

from api.auth import require
from api.crm.ratelimit import rate_limit
from api.deps import HubDep
from api.schemas_webhooks import (
    DeliveryPage,
    DeliveryPublic,
    EventTypes,
    RangeReplay,
    RangeReplayResult,
    SubscriptionCreate,
    SubscriptionCreated,
    SubscriptionPublic,
    SubscriptionSecret,
    SubscriptionUpdate,
)
from hub.webhooks import replay, subscriptions
from models.errors import NotFound, PayloadError
from models.tokens import Scope
from models.webhooks import DELIVERY_ID, SUBSCRIPTION_ID, WebhookStatus

_ERROR = 'Body: {"error": {"code": ..., "reason": ...}}. '
_RESPONSES: dict[int | str, dict[str, Any]] = {
    400: {"description": _ERROR + "The body is not JSON"},
    401: {"description": _ERROR + "Missing, malformed, unknown or revoked token"},
    403: {"description": _ERROR + "The token lacks the scope webhooks:manage"},
    413: {"description": _ERROR + "The body is over OTKLIK_MAX_BODY_BYTES"},
    422: {"description": _ERROR + "The request does not validate; the reason says where"},
    429: {"description": _ERROR + "Over the token's rate limit; see Retry-After",
          "headers": {"Retry-After": {"description": "Seconds to wait", "schema": {"type": "integer"}}}},
    503: {"description": _ERROR + "Store unavailable; retry later"},
}
_NOT_FOUND: dict[int | str, dict[str, Any]] = {404: {"description": _ERROR + "No such subscription or delivery"}}

SubscriptionId = Annotated[str, Path(pattern=SUBSCRIPTION_ID, examples=["wh_3f9a0c2b7d1e4a5b6c7d"])]
DeliveryId = Annotated[str, Path(pattern=DELIVERY_ID, description="The delivery's webhook-id",
                                 examples=["msg_5d1c0b8e2f7a4c3d9e6b1a0f2c4d6e8a"])]

# The same per-token limit as the rest of the CRM API (shared in Redis on the Redis bus): each registration and
# replay costs work, so an unlimited token could make the dispatcher do unbounded work.
router = APIRouter(prefix="/api/v1/webhooks", tags=["webhooks"], responses=_RESPONSES,
                   dependencies=[Depends(require(Scope.WEBHOOKS_MANAGE)), Depends(rate_limit)])


@router.get("/event-types", summary="Event types a subscription may name")
async def event_types() -> EventTypes:
    """The types published now and those planned; a subscription may also name 'family.*' or '*'."""
    published = subscriptions.published()
    return EventTypes(published=sorted(published),
                      planned=sorted(set(subscriptions.catalogue()) - published))


@router.get("/deliveries", summary="The delivery log, newest first")
async def list_deliveries(
    hub: HubDep,
    status: Annotated[WebhookStatus | None, Query(description="Only deliveries in this state.")] = None,
    subscription_id: Annotated[str | None, Query(description="Only this subscription's deliveries.")] = None,
    cursor: Annotated[str | None, Query(description="`next_cursor` of the previous page.")] = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
) -> DeliveryPage:
    """One page of deliveries: status, attempts, last error, HTTP status and latency of each."""
    page = await hub.stores.webhooks.list_deliveries(
        status=status, subscription_id=subscription_id, before_seq=_cursor(cursor), limit=limit)
    next_cursor = str(page[-1].seq) if len(page) == limit else None
    return DeliveryPage(items=[DeliveryPublic.of(d) for d in page], next_cursor=next_cursor)


@router.post("/deliveries/replay", status_code=202, summary="Send again every delivery created in a time range")
async def replay_range(body: RangeReplay, hub: HubDep) -> RangeReplayResult:
    """Deliveries created in [since, until) (optionally one subscription's or one status) are due again."""
    done = await replay.replay_range(hub.stores.webhooks, since=body.since, until=body.until,
                                     subscription_id=body.subscription_id, status=body.status)
    return RangeReplayResult(replayed=done.replayed, busy=done.busy)


@router.get("/deliveries/{delivery_id}", responses=_NOT_FOUND, summary="One delivery with its attempts")
async def get_delivery(delivery_id: DeliveryId, hub: HubDep) -> DeliveryPublic:
    """The delivery, its state and its last attempts."""
    return DeliveryPublic.of(await hub.stores.webhooks.get_delivery(delivery_id))


_BUSY: dict[int | str, dict[str, Any]] = {409: {"description": _ERROR + "An attempt is under way; try after it"}}


@router.post("/deliveries/{delivery_id}/replay", responses={**_NOT_FOUND, **_BUSY}, status_code=202,
             summary="Send one delivery again")
async def replay_one(delivery_id: DeliveryId, hub: HubDep) -> DeliveryPublic:
    """The same delivery (same `webhook-id`, same body) is due again now, with a fresh retry budget."""
    return DeliveryPublic.of(await replay.replay_one(hub.stores.webhooks, delivery_id))


@router.post("", status_code=201, summary="Subscribe a URL to events")
async def create_subscription(body: SubscriptionCreate, hub: HubDep) -> SubscriptionCreated:
    """A new subscription; its signing secret (generated unless given) is in the response."""
    created = await subscriptions.create(hub.stores.webhooks, body.url, body.events, secret=body.secret,
                                         description=body.description, active=body.active,
                                         egress=hub.settings.egress)
    return SubscriptionCreated.of(created, secret=created.secret.get_secret_value())


@router.get("", summary="Every subscription")
async def list_subscriptions(hub: HubDep) -> list[SubscriptionPublic]:
    """Subscriptions, oldest first (without secrets)."""
    return [SubscriptionPublic.of(s) for s in await hub.stores.webhooks.list_subscriptions()]


@router.get("/{subscription_id}", responses=_NOT_FOUND, summary="One subscription")
async def get_subscription(subscription_id: SubscriptionId, hub: HubDep) -> SubscriptionPublic:
    """The subscription (without its secret)."""
    return SubscriptionPublic.of(await hub.stores.webhooks.get_subscription(subscription_id))


@router.get("/{subscription_id}/secret", responses=_NOT_FOUND, summary="A subscription's signing secret")
async def get_secret(subscription_id: SubscriptionId, hub: HubDep) -> SubscriptionSecret:
    """The `whsec_…` secret receivers verify signatures with."""
    found = await hub.stores.webhooks.get_subscription(subscription_id)
    return SubscriptionSecret(id=found.id, secret=found.secret.get_secret_value())


@router.patch("/{subscription_id}", responses=_NOT_FOUND, summary="Switch a subscription on or off")
async def update_subscription(
    subscription_id: SubscriptionId, body: SubscriptionUpdate, hub: HubDep
) -> SubscriptionPublic:
    """Switched off, it gets no new deliveries and its queued ones die (replay them once it is on again)."""
    if not await hub.stores.webhooks.set_active(subscription_id, body.active):
        raise NotFound(f"webhook subscription {subscription_id} not found")
    return SubscriptionPublic.of(await hub.stores.webhooks.get_subscription(subscription_id))


@router.delete("/{subscription_id}", responses=_NOT_FOUND, status_code=204, summary="Remove a subscription")
async def delete_subscription(subscription_id: SubscriptionId, hub: HubDep) -> Response:
    """The subscription is gone; its delivery log stays."""
    if not await hub.stores.webhooks.remove_subscription(subscription_id):
        raise NotFound(f"webhook subscription {subscription_id} not found")
    return Response(status_code=204)


def _cursor(cursor: str | None) -> int | None:
    if cursor is None:
        return None
    if not (cursor.isascii() and cursor.isdigit() and len(cursor) <= 18):  # a seq: fits SQLite's INTEGER
        raise PayloadError("cursor: not a cursor this API gave")
    return int(cursor)
