"""The inbound pipeline, top to bottom: dedupe, identify, thread, store, follow up.

Each step is idempotent, so a redelivered message (a webhook sent twice, a worker killed halfway)
ends in exactly one stored message, one customer, one conversation and one reply. A message is
marked `handled` only after its follow-ups are done; a redelivery of an unhandled one resumes there.
"""

from __future__ import annotations

import time
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from hub import csat, events, metrics
from hub.customers import claims, identity
from hub.inbound.threads import Attached, attach
from hub.inbox import handover
from models.clock import local_date, utcnow
from models.conversations import Conversation, ConversationState
from models.customers import Customer, Identity
from models.messages import Direction, InboundMessage, Message

if TYPE_CHECKING:
    from hub.core import Hub

# A redelivery after a crash comes within the bus's reclaim window: only a customer or conversation this young
# can be one a crashed delivery created without announcing it.
LEFTOVER_AGE = timedelta(minutes=30)


async def handle_inbound(msg: InboundMessage, hub: Hub) -> None:
    """Take one customer message all the way: stored, threaded, announced and answered."""
    started = time.perf_counter()
    messages = hub.stores.messages
    stored = await messages.find_external(msg.channel, msg.account_id, Direction.INBOUND, msg.external_id)
    if stored is not None and stored.handled:
        metrics.INBOUND.labels(msg.channel, "duplicate").inc()
        return
    owners = identity.Owners(hub.stores.customers)  # the sender's customer, read once for both steps below
    if await csat.take_reply(msg, stored, hub, now=utcnow(), owners=owners):  # a rating answer: not a new issue
        return
    conversation: Conversation | None = None
    if stored is None:
        added = await _store(msg, hub, owners)
        stored, conversation = added or (await messages.find_external(
            msg.channel, msg.account_id, Direction.INBOUND, msg.external_id), None)
        # A concurrent delivery stored it first, but stored is not handled: if that one dies, nobody else
        # would finish it, so this one does too (every follow-up step is idempotent).
        if stored is None or stored.handled:
            metrics.INBOUND.labels(msg.channel, "duplicate").inc()
            return
    await _follow_up(msg, stored, hub, conversation)
    await messages.mark_handled(stored.id)
    metrics.INBOUND.labels(msg.channel, "stored").inc()
    metrics.INGEST_SECONDS.observe(time.perf_counter() - started)


async def _store(msg: InboundMessage, hub: Hub, owners: identity.Owners) -> tuple[Message, Conversation] | None:
    """Resolve, thread and store: the message and its conversation as threading left it; None if a concurrent
    delivery stored the same message first."""
    found = await identity.resolve(msg, hub.stores.customers, trusted=_trusted(msg, hub), owners=owners)
    customer, created = found.customer, found.created
    now = utcnow()
    conversation, how = await attach(msg, customer, hub.stores.conversations, window=hub.reopen_window, at=now)
    # Only a joined conversation still empty, or a new one, can follow a crashed delivery's new customer: the
    # customer is looked at then, not on every message of a young customer.
    left_empty = how is Attached.JOINED and await _left_unannounced(hub, conversation, now)
    if created or ((left_empty or how is Attached.OPENED) and await _left_unannounced(hub, customer, now)):
        await events.emit(hub, "customer.created", customer.id, customer_id=customer.id)
    if how is not Attached.JOINED:
        kind = "conversation.opened" if how is Attached.OPENED else "conversation.reopened"
        await events.emit(hub, kind, f"{conversation.id}:{conversation.version}",
                          customer_id=customer.id, conversation_id=conversation.id)
    elif left_empty:
        await events.emit(hub, "conversation.opened", f"{conversation.id}:0",  # its version when it was opened
                          customer_id=customer.id, conversation_id=conversation.id)
    await claims.record(hub, customer.id, found.claims, channel=msg.channel, conversation_id=conversation.id,
                        at=utcnow())  # shown to operators as "claimed, not verified"; never linked
    stored = Message.from_inbound(msg, conversation.id, customer.id)
    return (stored, conversation) if await hub.stores.messages.add(stored) else None


async def _left_unannounced(hub: Hub, record: Customer | Conversation, now: datetime) -> bool:
    """Whether a delivery that crashed after creating this customer (or opening this conversation) and before
    storing its message may have left it unannounced: it is young and has no message yet. Announcing it again
    is harmless: the event id is the same, and subscribers drop the repeat."""
    if record.created_at < now - LEFTOVER_AGE:
        return False
    messages = hub.stores.messages
    if isinstance(record, Customer):
        return not await messages.list_for_customer(record.id, limit=1)
    return not await messages.list_for_conversation(record.id, limit=1)


async def _owns(hub: Hub, stored: Message, identity: Identity) -> bool:
    """Whether the message's own customer already has this identity (their own number proves nothing new)."""
    owner = await hub.stores.customers.find_by_identity(identity)
    return owner is not None and owner.id == stored.customer_id


def _trusted(msg: InboundMessage, hub: Hub) -> bool:
    """Whether the message came through an api account configured as trusted (its contacts are proven)."""
    return any(a.trusted and a.channel is msg.channel and a.id == msg.account_id for a in hub.accounts)


async def _follow_up(msg: InboundMessage, stored: Message, hub: Hub, threaded: Conversation | None) -> None:
    """Announce the message and let the bot answer while the conversation is in its hands. `threaded`: the
    conversation as this delivery's threading just saved it (not read again); None on a redelivery."""
    await events.emit(hub, "message.received", stored.id, customer_id=stored.customer_id,
                      conversation_id=stored.conversation_id, message_id=stored.id, channel=stored.channel.value)
    await _read_topic(stored, hub)
    conversation = threaded or await hub.stores.conversations.get(stored.conversation_id)
    conversation = await handover.requeue_reopened(hub, conversation)  # back to people: a new SLA round
    if conversation.state is ConversationState.BOT and not msg.auto_submitted and hub.participant is not None:
        await hub.participant.answer(msg, stored, conversation)  # the bot; never a machine's mail: loops


async def _read_topic(stored: Message, hub: Hub) -> None:
    """Store the NLU engine's reading with the message (for the bot, the inbox and reports)."""
    reader = hub.reader
    if reader is None or not stored.text.strip() or stored.nlu is not None:
        return
    await reader.refresh()
    if reader.has_model:  # without one, a reading would only say "out of scope": store nothing
        today = local_date(stored.sent_at, hub.settings.timezone)  # "вчера" is the shopper's yesterday
        stored.nlu = await reader.parse(stored.text, today=today)  # kept on the object too: the bot reads it next
        await hub.stores.messages.set_nlu(stored.id, stored.nlu)
        # a number or address typed in the text is a claim like a contact form's: kept, shown, never linked
        typed = [i for i in claims.in_text(stored.nlu) if not await _owns(hub, stored, i)]
        await claims.record(hub, stored.customer_id, typed, channel=stored.channel,
                            conversation_id=stored.conversation_id, at=utcnow())
