"""Conversations as list rows: who, what they last wrote, since when, SLA time left; and the signed-in viewer."""

from __future__ import annotations

import asyncio
from datetime import datetime
from typing import TYPE_CHECKING

from api.inbox.cache import cache_for
from api.inbox.views import QueueRow, SlaView, Viewer
from connectors.webchat import BUTTON_TITLE
from hub.customers import profiles
from hub.inbox import sla
from hub.working_hours import Calendar
from models.channels import Channel
from models.clock import utcnow
from models.conversations import Conversation, ConversationState
from models.customers import Customer, IdentityKind
from models.errors import NotFound
from models.ids import CustomerId
from models.messages import Direction, Message
from models.staff import GroupId, User

if TYPE_CHECKING:
    from hub.core import Hub

S = ConversationState
FIRST_RESPONSE, RESOLUTION = "first_response", "resolution"
PREVIEW_LOOKBACK = 20  # messages read back for the customer's last one (bot replies and notes come between)
PREVIEW_CHARS = 2000  # the row shows one line of it, the tooltip the rest (a rare longer text ends in "…")


def viewer_of(user: User) -> Viewer:
    """The user as pages show them."""
    return Viewer(id=user.id, name=user.name, language=user.language, availability=user.availability.value,
                  is_supervisor=user.oversees, groups=list(user.groups))


def sla_of(conversation: Conversation, calendar: Calendar, now: datetime) -> SlaView | None:
    """The next SLA deadline of a queued or assigned conversation and the working time left to it (negative
    once passed): first response until answered, then resolution."""
    if conversation.state not in (S.QUEUED, S.ASSIGNED):
        return None
    left = sla.clock(conversation, calendar, now)
    if left.first_response_left is not None and conversation.sla_first_response_due is not None:
        target, due, seconds = FIRST_RESPONSE, conversation.sla_first_response_due, left.first_response_left
    elif left.resolution_left is not None and conversation.sla_resolution_due is not None:
        target, due, seconds = RESOLUTION, conversation.sla_resolution_due, left.resolution_left
    else:
        return None
    return SlaView(target=target, due_at=due, seconds_left=seconds,
                   breached=seconds < 0 or bool(left.breached))


async def sla_now(hub: Hub, conversation: Conversation) -> SlaView | None:
    """`sla_of` on the calendar of the conversation's group, now."""
    return sla_of(conversation, await group_calendar(hub, conversation.group), utcnow())


async def rows_of(hub: Hub, conversations: list[Conversation]) -> list[QueueRow]:
    """List rows, each with its customer's display name, last words, group name and SLA clock (reads cached
    briefly, sent together)."""
    now = utcnow()
    groups = list({c.group for c in conversations})
    calendars = dict(zip(groups, await asyncio.gather(*(group_calendar(hub, g) for g in groups)), strict=True))
    group_names = dict(zip(groups, await asyncio.gather(*(group_name(hub, g) for g in groups)), strict=True))
    names = await asyncio.gather(*(_customer_name(hub, c) for c in conversations))
    last = await asyncio.gather(*(last_words(hub, c) for c in conversations))
    return [_row(c, name, words, group_names[c.group], calendars[c.group], now)
            for c, name, words in zip(conversations, names, last, strict=True)]


async def group_name(hub: Hub, group: str | None) -> str | None:
    """A group's display name from the directory (its id when the directory lacks it; remembered briefly)."""
    if group is None:
        return None

    async def load(group_id: str) -> object:
        try:
            return (await hub.stores.directory.get_group(GroupId(group_id))).name or group_id
        except NotFound:
            return group_id

    return str(await cache_for(hub.stores, "group_names").get(group, load))


async def last_words(hub: Hub, conversation: Conversation) -> str:
    """The customer's last message in the conversation ('' when they sent none with text). Cached per
    conversation and last-message time, so a new message shows at once and a redraw costs no read."""

    async def load(_: str) -> object:
        messages = await hub.stores.messages.list_for_conversation(conversation.id, limit=PREVIEW_LOOKBACK)
        found = next((m for m in reversed(messages) if m.direction is Direction.INBOUND and m.text.strip()), None)
        text = "" if found is None else " ".join(shown_text(found).split())
        return text if len(text) <= PREVIEW_CHARS else text[:PREVIEW_CHARS - 1] + "…"

    key = f"{conversation.id}@{conversation.last_message_at.isoformat()}"
    return str(await cache_for(hub.stores, "last_words").get(key, load))


def shown_text(message: Message) -> str:
    """What the shopper saw: a pressed web-chat button by its title («Оператор»), not its payload ("human")."""
    title = message.raw.get(BUTTON_TITLE) if message.direction is Direction.INBOUND else None
    return title if isinstance(title, str) and message.channel is Channel.WEBCHAT else message.text


async def group_calendar(hub: Hub, group: str | None) -> Calendar:
    """The working-hours calendar of a group (remembered for a few seconds)."""

    async def load(_: str) -> object:
        return await sla.calendar_for(hub, group)

    calendar = await cache_for(hub.stores, "calendars").get(group or "", load)
    assert isinstance(calendar, Calendar)
    return calendar


def _row(conversation: Conversation, customer_name: str, words: str, group: str | None, calendar: Calendar,
         now: datetime) -> QueueRow:
    return QueueRow(
        id=conversation.id, customer_name=customer_name, channel=conversation.channel,
        state=conversation.state, topic=conversation.topic, priority=conversation.priority,
        group=conversation.group, group_name=group, assignee=conversation.assignee,
        waiting_since=conversation.queued_at or conversation.updated_at,
        preview=words, handover_note=(conversation.handover_note or "")[:PREVIEW_CHARS],
        bot_unsure=bot_unsure(conversation),
        sla=sla_of(conversation, calendar, now),
        follow_up_at=conversation.follow_up_at, follow_up_note=conversation.follow_up_note,
    )


def bot_unsure(conversation: Conversation) -> bool:
    """Whether the bot's last handover came from an unsure reading (its summary says so)."""
    return conversation.handover_summary.get("unsure") is True


def also_topics(conversation: Conversation) -> list[str]:
    """Further topics the shopper raised while with the bot (its last handover's summary)."""
    found = conversation.handover_summary.get("also")
    return [str(t) for t in found] if isinstance(found, list) else []


PERSONAL_KINDS = (IdentityKind.PHONE, IdentityKind.EMAIL)  # what a person recognises as theirs


def display_name(customer: Customer) -> str:
    """The customer's name, else a phone or e-mail they are known by, else "" (pages say "guest"): never a
    web chat visitor's random id or an api client's user id, which mean nothing to an operator."""
    if customer.name:
        return customer.name
    return next((i.value for i in customer.identities if i.kind in PERSONAL_KINDS), "")


async def _customer_name(hub: Hub, conversation: Conversation) -> str:
    async def load(customer_id: str) -> object:
        try:
            return display_name(await profiles.current(hub, CustomerId(customer_id)))
        except NotFound:
            return ""

    return str(await cache_for(hub.stores, "customer_names").get(conversation.customer_id, load))
