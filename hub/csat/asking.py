"""Asking for a rating after a resolve, once, in the channel of origin, in the shape that channel takes.

- web chat, Telegram, Viber, the api channel: the question with five buttons (inline keyboard, Viber keyboard);
- WhatsApp inside its 24-hour window: the buttons when the account has a 5-button quick-reply template
  (`options.quick_reply_templates["5"]`), else the question asks for a digit; outside the window the account's
  `templates.csat` Content template with `{{1}}` = the question (the connector's ContentSid + ContentVariables
  shape), or, without one, the connector's session template;
- e-mail: five signed one-click links (hub/csat/links.py).

Idempotent: the request id derives from the resolve's event id, the message is queued under `csat:<request>`
and the history entry is written once, so a redelivered event asks nothing twice.
"""

from __future__ import annotations

import hashlib
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from hub import events
from hub.csat import links
from hub.customers import profiles
from hub.customers.addresses import Route, proactive_route, route_on
from hub.inbox.notes import update
from hub.inbox.routing import inbox_config
from hub.outbound import outbox
from models.channels import Channel
from models.conversations import Conversation, ConversationEvent, ConversationState
from models.csat import REQUESTED, CsatConfig, asked, button_payload
from models.errors import Conflict
from models.messages import AuthorKind, Button, OutboundMessage

if TYPE_CHECKING:
    from hub.core import Hub

# WhatsApp's free-form window, less the minute the connector keeps in hand (connectors/whatsapp.py WINDOW).
WHATSAPP_WINDOW = timedelta(hours=24) - timedelta(minutes=1)
TEMPLATE = "csat"  # the WhatsApp account's options.templates key of the rating template
QUESTION = "Оцените, пожалуйста, как мы решили ваш вопрос: от 1 (плохо) до 5 (отлично)."
TYPE_DIGIT = "Ответьте одной цифрой от 1 до 5; следующим сообщением можно добавить комментарий."
PRESS = "Нажмите оценку; следующим сообщением можно добавить комментарий."


def request_id(trigger: str) -> str:
    """The request's id, from the id of the event that caused it (one resolve, one request)."""
    return hashlib.sha256(trigger.encode()).hexdigest()[:16]


def bot_only(conversation: Conversation) -> bool:
    """Nobody but the bot ever had the conversation."""
    return conversation.group is None and conversation.assignee is None and not any(
        e.kind == "handed_over" for e in conversation.history)


async def ask(
    hub: Hub, conversation: Conversation, *, trigger: str, now: datetime, case: dict[str, Any] | None = None,
) -> OutboundMessage | None:
    """Ask the shopper to rate the resolve `trigger` names; None when it is not to be asked."""
    config, request = inbox_config(hub).csat, request_id(trigger)
    key = f"csat:{request}"
    if asked(conversation, request) and await hub.stores.messages.find_by_key(key) is not None:
        return None  # a redelivered event: asked already
    if not _wanted(config, conversation, case):
        return None
    route = await _route(hub, conversation, case is not None)
    if route is None:
        return None  # unsubscribed, or no channel reaches them
    facts = rated(conversation, route.channel, case)
    # Recorded before it is sent, so an answer that comes at once finds its request; a crash after the record
    # is finished by the redelivered event (the question is queued and announced under the same keys).
    await _record(hub, conversation, request, facts, now)
    out = await _question(hub, conversation, route, request, config, now, case)
    await outbox.enqueue(out, hub)
    await events.emit(hub, "csat.requested", request, **payload(conversation, request, facts))
    return out


def _wanted(config: CsatConfig, conversation: Conversation, case: dict[str, Any] | None) -> bool:
    if not config.enabled:
        return False
    if case is None and conversation.state is not ConversationState.RESOLVED:
        return False  # reopened (or closed) since: this resolve is no longer the last word
    return case is not None or config.after_bot_only or not bot_only(conversation)


async def _route(hub: Hub, conversation: Conversation, for_case: bool) -> Route | None:
    """The channel of origin (a call: the customer's best channel); None when nothing reaches the shopper."""
    customer = await profiles.current(hub, conversation.customer_id)
    route = route_on(hub, customer, conversation.channel, conversation.account_id)
    if route is None and (conversation.channel is Channel.VOICE or for_case):
        try:
            return await proactive_route(hub, customer, None)
        except Conflict:
            return None
    return route


async def _question(
    hub: Hub, conversation: Conversation, route: Route, request: str, config: CsatConfig, now: datetime,
    case: dict[str, Any] | None,
) -> OutboundMessage:
    question = QUESTION if case is None else (
        f"Оцените, пожалуйста, как решено обращение {case['label']}: от 1 (плохо) до 5 (отлично).")
    buttons = [Button(title=str(n), payload=button_payload(conversation.id, n)) for n in range(1, 6)]
    fields: dict[str, Any] = {"text": f"{question}\n{PRESS}", "buttons": buttons}
    if route.channel is Channel.EMAIL:
        fields = {"text": _with_links(hub, conversation.id, request, question, now + timedelta(
            hours=config.answer_hours))}
    elif route.channel is Channel.WHATSAPP:
        fields = await _whatsapp(hub, conversation, route, question, buttons, now)
    return OutboundMessage(
        conversation_id=conversation.id, customer_id=conversation.customer_id, channel=route.channel,
        account_id=route.account_id, recipient=route.recipient, author=AuthorKind.BOT,
        idempotency_key=f"csat:{request}", **fields)  # the key `ask` looks for


async def _whatsapp(
    hub: Hub, conversation: Conversation, route: Route, question: str, buttons: list[Button], now: datetime,
) -> dict[str, Any]:
    options = hub.account(route.channel, route.account_id).options
    text = f"{question}\n{TYPE_DIGIT}"
    last = await hub.stores.messages.last_inbound_at(conversation.customer_id, route.channel, route.account_id)
    if last is not None and now - last < WHATSAPP_WINDOW:
        has_buttons = "5" in (options.get("quick_reply_templates") or {})
        return {"text": f"{question}\n{PRESS}", "buttons": buttons} if has_buttons else {"text": text}
    if TEMPLATE in (options.get("templates") or {}):
        return {"text": text, "template": TEMPLATE, "template_vars": {"1": question}}
    return {"text": text}  # the connector sends it as the session template ({{1}} = the text)


def _with_links(hub: Hub, conversation_id: str, request: str, question: str, expires: datetime) -> str:
    public = hub.settings.public_url
    if not public:
        return f"{question}\n{TYPE_DIGIT}"  # no address to link to: a reply with a digit still counts
    secret = hub.settings.secret_key.get_secret_value()
    lines = [f"{n} — {links.link(public, secret, conversation_id, request, n, expires=expires)}"
             for n in range(5, 0, -1)]
    return "\n".join([question, "Нажмите на ссылку с вашей оценкой:", *lines,
                      "Или ответьте на это письмо одной цифрой от 1 до 5."])


def rated(conversation: Conversation, channel: Channel, case: dict[str, Any] | None) -> dict[str, Any]:
    """What was rated, as it was when asked (a low score moves the conversation on): kept on the request."""
    facts = {"channel": channel.value, "group": (case or {}).get("group") or conversation.group,
             "assignee": (case or {}).get("assignee") or conversation.assignee, "topic": conversation.topic,
             "case": (case or {}).get("id")}
    return {k: v for k, v in facts.items() if v is not None}


async def _record(hub: Hub, conversation: Conversation, request: str, facts: dict[str, Any], now: datetime) -> None:
    data = {"request": request, **facts}

    def apply(current: Conversation) -> list[str]:
        if asked(current, request):
            return []
        current.history.append(ConversationEvent(at=now, kind=REQUESTED, actor="system", data=data))
        return ["history"]

    await update(hub, conversation.id, apply)


def payload(
    conversation: Conversation, request: str, facts: dict[str, Any], *, score: int | None = None,
    comment: str | None = None, revision: int | None = None,
) -> dict[str, Any]:
    """The csat.* event's fields: who rated what, about whom, through which channel (the reports' dimensions)."""
    return {
        "customer_id": conversation.customer_id, "conversation_id": conversation.id, "request_id": request,
        "case_id": facts.get("case"), "channel": facts.get("channel"), "group": facts.get("group"),
        "operator_id": facts.get("assignee"), "topic": facts.get("topic"), "score": score, "comment": comment,
        "revision": revision,
    }
