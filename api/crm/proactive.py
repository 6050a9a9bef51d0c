"""Proactive messages: the CRM notifies a customer (or sends a promo code) through their best channel."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Response

from api.crm.deps import CONFLICT, NOT_FOUND, MessagesSend, actor, scoped_key
from api.crm.schemas import ProactiveMessageCreate, ProactiveReceipt
from api.deps import HubDep
from hub.outbound import proactive
from models.ids import CustomerId

router = APIRouter(tags=["proactive messages"])


@router.post(
    "/customers/{customer_id}/messages", response_model=ProactiveReceipt, status_code=202,
    responses={200: {"model": ProactiveReceipt, "description": "A repeat of the idempotency key: the first answer",
                     "headers": {"Idempotent-Replayed": {"schema": {"type": "string"}}}},
               **NOT_FOUND, **CONFLICT},
    summary="Send a notification or promo code to a customer",
)
async def send_message(
    customer_id: Annotated[str, Path(min_length=1, max_length=64)], body: ProactiveMessageCreate, response: Response,
    hub: HubDep, token: MessagesSend,
) -> ProactiveReceipt:
    """Queued (202) for the channel asked for if the customer can be reached there, else their
    `preferred_channel` attribute, else the channel they last wrote through; `template` names one of the
    channel account's templates (WhatsApp needs one outside its 24-hour window). The message joins the
    customer's current conversation, or opens one already resolved, which their reply reopens. The same
    idempotency key again sends nothing and answers 200 with the first receipt. 409 when no channel reaches
    the customer."""
    notification = proactive.Notification(text=body.text, template=body.template, template_vars=body.template_vars,
                                          channel=body.channel)
    stored, created = await proactive.send(hub, CustomerId(customer_id), notification,
                                           key=scoped_key(token, "message", body.idempotency_key), actor=actor(token))
    if not created:
        response.status_code = 200
        response.headers["idempotent-replayed"] = "true"
    return ProactiveReceipt(message_id=stored.id, conversation_id=stored.conversation_id,
                            customer_id=stored.customer_id, channel=stored.channel, account_id=stored.account_id,
                            idempotency_key=body.idempotency_key)
