"""The operator's "next best offer": the campaign the decision picks for this customer now, shown beside the
conversation (asked for by the page once shown), and sent with one click.

Showing decides without reserving anything; sending reserves the turn under the caps (another operator or the
bot may have spent it meanwhile: the panel then says why nothing was sent) and queues the offer keyed on it, so
a double click sends one message.
"""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from api.deps import HubDep
from api.inbox.access import InboxUser, visible_conversation
from api.inbox.rendering import render
from api.web_auth import wants_page
from hub import campaigns
from hub.core import Hub
from hub.customers import profiles
from models.campaigns import Contact, Moment
from models.clock import utcnow
from models.conversations import Conversation
from models.customers import Customer
from models.errors import OtklikError, Unavailable

router = APIRouter(prefix="/inbox", tags=["inbox"], include_in_schema=False)


async def _contact(hub: Hub, conversation: Conversation, customer: Customer) -> Contact:
    return await campaigns.contact_for(hub, customer, moment=Moment.OPERATOR, channel=conversation.channel,
                                       now=utcnow(), conversation_id=conversation.id, topic=conversation.topic)


@router.get("/conversations/{conversation_id}/offer", response_class=HTMLResponse)
async def next_best_offer(request: Request, hub: HubDep, user: InboxUser, conversation_id: str) -> HTMLResponse:
    """The panel: the best campaign's offer for this customer now, or why there is none."""
    conversation = await visible_conversation(hub, user, conversation_id)
    customer = await profiles.current(hub, conversation.customer_id)
    try:
        contact = await _contact(hub, conversation, customer)
        decision, _ = await campaigns.best_offer(hub, customer, contact, utcnow())
        campaign = await campaigns.manage.get(hub, decision.campaign_id) if decision.campaign_id else None
    except Unavailable:
        return render(request, "_partials/offer.html", {"view_id": conversation.id, "reason": "unavailable"})
    text = campaign.offer.text_for(contact.language, "•••") if campaign else None  # the code is issued on sending
    return render(request, "_partials/offer.html", {
        "view_id": conversation.id, "campaign": campaign, "control": decision.control, "text": text,
        "reason": decision.reason})


@router.post("/conversations/{conversation_id}/offer", response_class=HTMLResponse)
async def send_next_best_offer(request: Request, hub: HubDep, user: InboxUser, conversation_id: str) -> Response:
    """Make the best offer now and send it through the conversation's channel."""
    conversation = await visible_conversation(hub, user, conversation_id)
    customer = await profiles.current(hub, conversation.customer_id)
    now = utcnow()
    try:
        made = await campaigns.make_offer(hub, customer, await _contact(hub, conversation, customer), now)
        if made.offered and made.record is not None:
            await campaigns.send_offer(hub, made.record.id, actor=user.id)
    except OtklikError as e:
        if not wants_page(request) and "hx-request" not in request.headers:
            raise
        return render(request, "_partials/offer.html", {"view_id": conversation.id, "reason": e.reason},
                      status_code=e.status_code)
    return render(request, "_partials/offer.html", {
        "view_id": conversation.id, "sent": made.offered, "control": made.decision.control, "reason": made.reason,
        "code": made.record.code if made.record else None, "campaign_id": made.decision.campaign_id})

