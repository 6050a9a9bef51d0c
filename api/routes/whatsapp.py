"""WhatsApp (Twilio) webhooks: incoming messages and delivery status callbacks, each per account.

Register `<public URL>/webhooks/whatsapp/<account>` as the sender's "A message comes in" URL (HTTP POST) in
Twilio; outbound messages name `<...>/status` as their StatusCallback. Both routes verify X-Twilio-Signature
against the public URL and share one parser, which tells a status callback from a message by its fields, so a
Messaging Service posting both to one URL works too. The answer is empty TwiML: the bot replies later, through
the outbox, never in the webhook response.
"""

from __future__ import annotations

from fastapi import APIRouter, Request, Response

from api.deps import HubDep, read_body
from connectors import whatsapp
from connectors.twilio_common import signed_url
from hub.inbound import accept
from models.channels import Channel

router = APIRouter(prefix="/webhooks/whatsapp", tags=["whatsapp"])

EMPTY_TWIML = '<?xml version="1.0" encoding="UTF-8"?><Response></Response>'


@router.post("/{account_id}")
async def incoming_message(account_id: str, request: Request, hub: HubDep) -> Response:
    """A customer's WhatsApp message (form-encoded, signed by Twilio)."""
    return await _webhook(account_id, request, hub)


@router.post("/{account_id}/status")
async def status_callback(account_id: str, request: Request, hub: HubDep) -> Response:
    """What happened to a message we sent: sent, delivered, read, failed, undelivered."""
    return await _webhook(account_id, request, hub)


async def _webhook(account_id: str, request: Request, hub: HubDep) -> Response:
    account = hub.account(Channel.WHATSAPP, account_id)
    body = await read_body(request, hub.settings.max_body_bytes)
    query = request.scope.get("query_string", b"").decode("latin-1")  # as sent: Twilio signs it still encoded
    url = signed_url(hub.settings.public_url, account, request.url.path, query, root=f"{router.prefix}/{account.id}")
    whatsapp.verify(request.headers, body, url, account)
    for event in whatsapp.parse_inbound(body, account):
        await accept(event, hub)
    return Response(EMPTY_TWIML, media_type="text/xml")
