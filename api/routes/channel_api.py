"""The generic JSON channel: systems post customer messages; they read a user's thread back."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from pydantic import BaseModel

from api.deps import HubDep, read_body
from connectors import api
from hub.customers import identity_on
from hub.inbound import accept
from models.channels import Channel
from models.messages import DeliveryStatus, Direction, Message

router = APIRouter(prefix="/channels/api", tags=["api channel"])


class Accepted(BaseModel):
    """The message is queued; sending the same message_id again changes nothing."""

    status: str = "accepted"
    message_id: str


class ThreadPublic(BaseModel):
    """A user's messages on this account, oldest first, with delivery status of replies."""

    user_id: str
    messages: list[dict[str, Any]]


@router.post(
    "/{account_id}/messages", status_code=202, response_model=Accepted,
    openapi_extra={"requestBody": {"required": True, "content": {"application/json": {
        "schema": api.ApiMessageIn.model_json_schema(),
        "example": {"user_id": "crm-1001", "message_id": "m-1", "text": "Где мой заказ 4512?",
                    "contact": {"phone": "+79161234567", "name": "Анна"}}}}}},
)
async def post_message(account_id: str, request: Request, hub: HubDep) -> Accepted:
    """Accept one customer message (Bearer token of the account); 503 means retry later."""
    account = hub.account(Channel.API, account_id)
    api.verify(request.headers, account)
    message = api.parse_inbound(await read_body(request, hub.settings.max_body_bytes), account)
    await accept(message, hub)
    return Accepted(message_id=message.external_id)


@router.get("/{account_id}/users/{user_id}/messages", response_model=ThreadPublic)
async def user_messages(account_id: str, user_id: str, request: Request, hub: HubDep) -> ThreadPublic:
    """What this account's user wrote and was answered here, for clients without a callback URL."""
    account = hub.account(Channel.API, account_id)
    api.verify(request.headers, account)
    who = identity_on(Channel.API, account.id, user_id)  # the same scoping the pipeline gave it
    customer = await hub.stores.customers.find_by_identity(who)
    found: list[Message] = [] if customer is None else await hub.stores.messages.list_for_customer(customer.id)
    mine = [m for m in found if m.channel is Channel.API and m.account_id == account.id
            and m.direction is not Direction.INTERNAL]  # operators' notes never reach the customer
    if not account.callback_url:  # for a pull account, being read is being delivered
        for m in mine:
            if m.direction is Direction.OUTBOUND and m.status is DeliveryStatus.SENT:
                await hub.stores.messages.set_status(m.id, DeliveryStatus.DELIVERED)
                m.status = DeliveryStatus.DELIVERED
    return ThreadPublic(user_id=user_id, messages=[_public(m) for m in mine])


def _public(m: Message) -> dict[str, Any]:
    return m.model_dump(mode="json", include={"id", "conversation_id", "direction", "author", "text",
                                              "status", "status_reason", "external_id", "sent_at"})
