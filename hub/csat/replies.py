"""A shopper's message that answers a rating request: recorded as the answer, never a new issue.

Read before threading (hub/inbound/ingest.py), because threading would reopen the resolved conversation. A message is
an answer when the shopper's current conversation (or the one a pressed button names) has a pending request
and the message is a score (a button's `csat:<conversation>:<score>` payload, or one typed digit 1–5), or,
right after a score (`comment_minutes`), any typed text: the comment. A second press or digit while the
comment may still come is taken and changes nothing (the first score wins). Once the shopper has reopened the
conversation with a new message, the request is over. Everything else goes on as usual.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from hub import events
from hub.csat.answers import may_comment, record_comment, record_score
from hub.customers import profiles
from hub.customers.addresses import route_on
from hub.customers.identity import Owners, channel_identity
from hub.inbox.routing import inbox_config
from hub.outbound import outbox
from models.conversations import Conversation
from models.csat import CsatConfig, Pending, Reading, latest_request, read_score
from models.errors import NotFound
from models.ids import ConversationId, CustomerId
from models.messages import AuthorKind, InboundMessage, Message, OutboundMessage

if TYPE_CHECKING:
    from hub.core import Hub

THANKS = "Спасибо за оценку! Если хотите, напишите комментарий одним сообщением."
THANKS_LOW = ("Спасибо за честную оценку. Мы передали обращение старшему смены, с вами свяжутся. "
              "Если хотите, опишите одним сообщением, что пошло не так.")
THANKS_COMMENT = "Спасибо, мы передали ваш комментарий."


async def take(
    msg: InboundMessage, stored: Message | None, hub: Hub, *, now: datetime, owners: Owners | None = None
) -> bool:
    """Record `msg` if it answers a rating request (and store it in that conversation); whether it did.
    `owners`: the message's identity lookups, shared with identity resolution (one read, not two)."""
    config = inbox_config(hub).csat
    if not config.enabled or msg.auto_submitted:
        return False
    customer = await (owners or Owners(hub.stores.customers)).of(channel_identity(msg))
    if customer is None:
        return False
    reading = read_score(msg.text)
    conversation = await _conversation(hub, customer.id, reading)
    pending = latest_request(conversation) if conversation is not None else None
    if conversation is None or pending is None:
        return False
    if stored is not None and _recorded(conversation, stored):  # a redelivery of an answer already taken
        await hub.stores.messages.mark_handled(stored.id)
        return True
    kind = _kind(conversation, pending, reading, msg, config, now)
    if kind is None:
        return False
    stored = stored or await _store(msg, conversation, hub)
    # Still a message the shopper sent (the CRM sees every one); `csat_request` tells reports it was an answer.
    await events.emit(hub, "message.received", stored.id, customer_id=stored.customer_id,
                      conversation_id=stored.conversation_id, message_id=stored.id, channel=stored.channel.value,
                      csat_request=pending.request)
    if kind == "score" and reading is not None and reading.score is not None:
        recorded = await record_score(hub, conversation.id, pending.request, reading.score, via="reply", now=now,
                                      message_id=stored.id)
        if recorded.new:
            await _thank(hub, msg, conversation, pending.request, THANKS_LOW if recorded.low else THANKS, "thanks")
    elif kind == "comment":
        commented = await record_comment(hub, conversation.id, pending.request, msg.text, now=now,
                                         within=timedelta(minutes=config.comment_minutes), message_id=stored.id)
        if commented is not None:
            await _thank(hub, msg, conversation, pending.request, THANKS_COMMENT, "comment-thanks")
    await hub.stores.messages.mark_handled(stored.id)
    return True


async def _conversation(hub: Hub, customer_id: CustomerId, reading: Reading | None) -> Conversation | None:
    """The conversation a pressed button names (if it is this customer's), else the customer's current one."""
    if reading is not None and reading.conversation_id is not None:
        try:
            named = await hub.stores.conversations.get(ConversationId(reading.conversation_id))
        except NotFound:
            return None
        owner = await profiles.current(hub, named.customer_id)
        return named if owner.id == customer_id or named.customer_id == customer_id else None
    return await hub.stores.conversations.current_for(customer_id)


def _kind(conversation: Conversation, pending: Pending, reading: Reading | None, msg: InboundMessage,
          config: CsatConfig, now: datetime) -> str | None:
    """'score', 'comment', 'repeat' (taken, changes nothing), or None (not an answer)."""
    asked_at = conversation.history[pending.asked_at_index].at
    current = now - asked_at <= timedelta(hours=config.answer_hours) and not _moved_on(conversation, pending)
    if reading is not None and reading.conversation_id is not None:  # our keyboard's button: never a new issue
        return "score" if current and not pending.answered else "repeat"
    if not current:
        return None
    comment_time = timedelta(minutes=config.comment_minutes)
    if reading is not None:
        if not pending.answered:
            return "score"
        return "repeat" if may_comment(conversation, pending, now, comment_time) else None
    if msg.text.strip() and not msg.button_press and may_comment(conversation, pending, now, comment_time):
        return "comment"
    return None


def _moved_on(conversation: Conversation, pending: Pending) -> bool:
    """The shopper reopened the conversation since the question (a new issue, perhaps a flow's own numbered
    choices): their digits are not ratings any more. A low score's own reopening does not count."""
    since = conversation.history[pending.asked_at_index + 1:]
    return any(e.kind == "reopened" and e.actor != "csat" for e in since)


def _recorded(conversation: Conversation, stored: Message) -> bool:
    return any(e.kind.startswith("csat_") and e.data.get("message") == stored.id for e in conversation.history)


async def _store(msg: InboundMessage, conversation: Conversation, hub: Hub) -> Message:
    """The answer, stored in the rated conversation (the timeline shows it); the copy a racing delivery stored."""
    message = Message.from_inbound(msg, conversation.id, conversation.customer_id)
    if await hub.stores.messages.add(message):
        return message
    found = await hub.stores.messages.find_external(msg.channel, msg.account_id, message.direction, msg.external_id)
    return found or message


async def _thank(hub: Hub, msg: InboundMessage, conversation: Conversation, request: str, text: str,
                 what: str) -> None:
    customer = await profiles.current(hub, conversation.customer_id)
    route = route_on(hub, customer, msg.channel, msg.account_id)
    if route is None:
        return
    await outbox.enqueue(OutboundMessage(
        conversation_id=conversation.id, customer_id=conversation.customer_id, channel=route.channel,
        account_id=route.account_id, recipient=route.recipient, text=text, author=AuthorKind.BOT,
        idempotency_key=f"csat:{request}:{what}", reply_to=msg.external_id), hub)
