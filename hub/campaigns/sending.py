"""Offers on their way: sending one as its own message (the operator's one click, a proactive offer), and
noticing when the message carrying an offer was sent (`offer.delivered`).

The operator's and proactive sends are keyed `offer:<offer id>`, so a double click or a retried request sends
one message. The bot's offers travel inside its reply: a sent bot message to the customer carrying the code
of one of their offers delivers it.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Coroutine
from datetime import datetime
from typing import TYPE_CHECKING, Any

from hub import events
from hub.bus.base import EVENTS, Handler
from hub.campaigns.issuing import attach_code
from hub.campaigns.offering import Made, contact_for, make_offer, runtime
from hub.customers import profiles
from hub.customers.addresses import proactive_route
from hub.outbound import proactive
from models.campaigns import Moment, OfferRecord, OfferState
from models.clock import utcnow
from models.errors import Conflict, NotFound
from models.events import Event
from models.ids import CustomerId, MessageId
from models.messages import AuthorKind, Message

if TYPE_CHECKING:
    from hub.core import Hub

GROUP = "campaigns"  # the consumer group on the events stream
KEY_PREFIX = "offer:"
SENT = "message.sent"  # the one kind of event the group reads


async def send_offer(hub: Hub, offer_id: str, *, actor: str) -> tuple[OfferRecord, Message]:
    """Send a made offer as its own message on the channel it was made for (once per offer)."""
    rt = runtime(hub)
    record = await rt.store.get_offer(offer_id)
    campaign = await rt.store.get_campaign(record.campaign_id) if record is not None else None
    if record is None or campaign is None:
        raise NotFound(f"no offer {offer_id!r}")
    if record.control:
        raise Conflict("the customer is in the campaign's control group: nothing is sent")
    customer = await profiles.current(hub, CustomerId(record.customer_id))
    record = await attach_code(hub, campaign, customer, record)
    if record.code is None:
        raise Conflict("no code could be issued for this offer now (empty pool or CRM unavailable)")
    note = proactive.Notification(text=campaign.offer.text_for(record.language, record.code),
                                  template=campaign.offer.whatsapp_template, channel=record.channel,
                                  template_vars={"1": record.code})
    message, _ = await proactive.send(hub, customer.id, note, key=f"{KEY_PREFIX}{record.id}", actor=actor)
    return record, message


async def offer_proactively(hub: Hub, customer_id: str, campaign_id: str, *, now: datetime, actor: str) -> Made:
    """Offer this campaign to the customer out of the blue, through the channel proactive messages take: the
    decision's rules hold (placement, audience, caps, quiet hours, consent, the WhatsApp template), and an offer
    is sent at once (once per turn)."""
    customer = await profiles.current(hub, CustomerId(customer_id))
    route = await proactive_route(hub, customer, None)  # Conflict when no channel reaches them
    contact = await contact_for(hub, customer, moment=Moment.PROACTIVE, channel=route.channel, now=now)
    made = await make_offer(hub, customer, contact, now, only=campaign_id)
    if made.offered and made.record is not None:
        await send_offer(hub, made.record.id, actor=actor)
    return made


async def on_event(hub: Hub, event: Event, *, now: datetime) -> None:
    """Mark delivered the offers a sent message carried."""
    if event.type != SENT or event.message_id is None or event.customer_id is None:
        return
    rt = runtime(hub)
    offers = await rt.store.offers_of(event.customer_id)
    if not offers:
        return  # most sent messages go to customers never offered anything: no message to read
    try:
        message = await hub.stores.messages.get(MessageId(event.message_id))
    except NotFound:
        return  # erased since (a personal-data request): nothing to match
    key = message.idempotency_key or ""
    if key.startswith(KEY_PREFIX):
        found = await rt.store.get_offer(key.removeprefix(KEY_PREFIX))
        carried = [found] if found is not None else []
    elif message.author is AuthorKind.BOT:
        carried = [o for o in offers if o.state is OfferState.MADE and o.code and o.code in message.text]
    else:
        carried = []
    for record in carried:
        await _delivered(hub, record, message, now)


async def _delivered(hub: Hub, record: OfferRecord, message: Message, now: datetime) -> None:
    if record.state is OfferState.MADE:
        record.state, record.delivered_at, record.message_id = OfferState.DELIVERED, now, message.id
        try:
            await runtime(hub).store.save_offer(record, expected_version=record.version)
        except Conflict:
            return  # redeemed or delivered meanwhile: that write already told the story
    if record.state is OfferState.DELIVERED:  # also when repeating a lost announcement
        await events.emit(hub, "offer.delivered", record.id, customer_id=record.customer_id,
                          conversation_id=message.conversation_id, message_id=message.id, offer_id=record.id,
                          campaign_id=record.campaign_id, channel=record.channel.value)


def consumers(hub: Hub, stop: asyncio.Event, name: str, wrap: Callable[[Handler], Handler],
              clock: Callable[[], datetime] = utcnow) -> list[Coroutine[Any, Any, None]]:
    """The worker's loop over the events stream (none when this process has no campaigns)."""
    if hub.campaigns is None:
        return []

    async def handle(entry: str) -> None:
        await on_event(hub, Event.model_validate_json(entry), now=clock())

    return [hub.bus.consume(EVENTS, GROUP, name, wrap(handle), stop=stop, wants=events.of_kinds({SENT}))]
