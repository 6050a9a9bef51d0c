"""The customer's timeline across every channel: messages, internal notes, the conversation's own events and
the cases opened from it (each linking to its case page).

Bounded: the newest `TIMELINE_LIMIT` messages of the customer (an indexed read), so a shopper with years
of history opens as fast as a new one; the page says when older lines are left out.
"""

from __future__ import annotations

import asyncio
from datetime import datetime
from typing import TYPE_CHECKING

from api.inbox.cache import cache_for
from api.inbox.other_groups import collapse_foreign
from api.inbox.reply_files import our_file_id
from api.inbox.rows import group_name, shown_text
from api.inbox.views import AttachmentView, FactView, TimelineItem
from hub import campaigns
from hub.stores.cases import CaseQuery
from models.cases import Case
from models.conversations import Conversation, ConversationEvent
from models.errors import NotFound
from models.messages import Attachment, Direction, Message
from models.staff import User, UserId

if TYPE_CHECKING:
    from hub.core import Hub

TIMELINE_LIMIT = 100
HANDOVER_ACTORS = frozenset({"bot"})  # hand_over stores its note as written by the bot
PEOPLE_KEYS = ("assignee", "from_assignee", "to_assignee")
GROUP_KEYS = ("group", "from_group", "to_group")
NOT_PEOPLE = frozenset({"bot", "system", "customer", "auto", ""})
# How an event's data reads: topics and priorities by their names, moments in the page's zone.
VALUE_KINDS = {"topic": "topic", "priority": "priority", "at": "moment"}
CHANGED_KINDS = {"topic_changed": "topic", "priority_changed": "priority", "group_changed": "group"}
CASES_SHOWN = 20


async def load_timeline(hub: Hub, conversation: Conversation, user: User) -> tuple[list[TimelineItem], bool]:
    """The newest lines of the customer's timeline, oldest first, and whether older ones were left out;
    conversations `user` may not open show as one content-free line each (api/inbox/other_groups.py)."""
    messages = await hub.stores.messages.list_for_customer(conversation.customer_id, limit=TIMELINE_LIMIT + 1)
    truncated = len(messages) > TIMELINE_LIMIT
    messages = messages[-TIMELINE_LIMIT:]
    items = [message_item(m, conversation.id) for m in messages]
    since = messages[0].created_at if truncated and messages else None
    events = [(n, e) for n, e in enumerate(conversation.history) if since is None or e.at >= since]
    names = await people_names(hub, {e.actor for _, e in events}
                               | {str(e.data[k]) for _, e in events for k in PEOPLE_KEYS if e.data.get(k)})
    groups = await _group_names(hub, events)
    items += [_event_item(e, conversation, n, names, groups) for n, e in events]
    items += [case_item(c) for c in await _cases_of(hub, conversation) if since is None or c.created_at >= since]
    items += [i for i in await offer_items(hub, conversation) if since is None or i.at >= since]
    items.sort(key=lambda item: item.at)
    return await collapse_foreign(hub, user, items), truncated


def message_item(message: Message, current_conversation: str) -> TimelineItem:
    """A stored message (or note) as a timeline line."""
    note = message.direction is Direction.INTERNAL
    raw_actor = message.raw.get("actor") if note else None
    nlu = message.nlu
    return TimelineItem(
        kind="note" if note else "message", id=message.id, at=message.created_at if note else message.sent_at,
        conversation_id=message.conversation_id, current=message.conversation_id == current_conversation,
        channel=message.channel, direction=message.direction, author=message.author,
        author_name=_author_name(message), text=shown_text(message),
        attachments=[_attachment_view(message, a) for a in message.attachments],
        status=message.status if message.direction is Direction.OUTBOUND else None,
        status_reason=message.status_reason,
        nlu_intent=nlu.intent if nlu else None, nlu_confidence=nlu.confidence if nlu else None,
        handover=note and raw_actor in HANDOVER_ACTORS,
    )


def _attachment_view(message: Message, attachment: Attachment) -> AttachmentView:
    """A file's name and link; files operators sent link to the signed-in download (theirs never expires)."""
    url = str(attachment.url) if attachment.url else None
    file_id = our_file_id(url) if message.direction is Direction.OUTBOUND else None
    if file_id is not None:
        url = f"/inbox/conversations/{message.conversation_id}/files/{file_id}"
    return AttachmentView(name=attachment.name or attachment.kind, url=url)


def _author_name(message: Message) -> str | None:
    if message.author_name:
        return message.author_name
    name = message.raw.get("author_name")  # notes keep their author in `raw` (hub/casework.add_note)
    return str(name) if name else None


async def people_names(hub: Hub, ids: set[str]) -> dict[str, str]:
    """Display names of the users among `ids` (others, such as 'bot' or 'system', stay as they are)."""

    async def load(user_id: str) -> object:
        try:
            return (await hub.stores.directory.get_user(UserId(user_id))).name
        except NotFound:
            return user_id

    cache = cache_for(hub.stores, "user_names")
    return {i: str(await cache.get(i, load)) for i in ids - NOT_PEOPLE}


async def _group_names(hub: Hub, events: list[tuple[int, ConversationEvent]]) -> dict[str, str]:
    ids = {str(e.data[k]) for _, e in events for k in GROUP_KEYS if e.data.get(k)}
    ids |= {str(e.data[k]) for _, e in events if e.kind == "group_changed" for k in ("from", "to") if e.data.get(k)}
    found = await asyncio.gather(*(group_name(hub, i) for i in ids))
    return {i: name or i for i, name in zip(ids, found, strict=True)}


async def _cases_of(hub: Hub, conversation: Conversation) -> list[Case]:
    """The cases opened from this conversation, newest first (an indexed read)."""
    return await hub.stores.cases.find(CaseQuery(conversation_id=conversation.id), order="newest", limit=CASES_SHOWN)


async def offer_items(hub: Hub, conversation: Conversation) -> list[TimelineItem]:
    """The customer's campaign offers (made or held back) and their redemptions; none when campaigns are off."""
    if hub.campaigns is None:
        return []
    items = []
    for record in await campaigns.manage.offers_of(hub, conversation.customer_id):
        where = record.conversation_id or conversation.id
        common = {"kind": "offer", "conversation_id": where, "current": where == conversation.id,
                  "channel": record.channel, "offer_campaign": record.campaign_id, "offer_code": record.code}
        made = "offer_held_back" if record.control else "offer_made"
        items.append(TimelineItem(id=f"offer-{record.id}", at=record.made_at, offer_event=made, **common))
        if record.redeemed_at is not None and not record.control:
            items.append(TimelineItem(id=f"redeemed-{record.id}", at=record.redeemed_at,
                                      offer_event="offer_redeemed", **common))
    return items


def case_item(case: Case) -> TimelineItem:
    """A case opened from the conversation, as a timeline line linking to the case page."""
    return TimelineItem(
        kind="case", id=f"case-{case.id}", at=case.created_at, conversation_id=case.conversation_id, current=True,
        case_id=case.id, case_label=case.label, case_type=case.request_type, case_state=case.state.value,
    )


def _fact(key: str, value: object, kind: str, names: dict[str, str], groups: dict[str, str]) -> FactView:
    if kind == "moment":
        try:
            return FactView(key=key, kind=kind, value=str(value), moment=datetime.fromisoformat(str(value)))
        except ValueError:
            kind = "text"
    if kind == "group":
        return FactView(key=key, kind="text", value=groups.get(str(value), str(value)))
    if kind == "person":
        return FactView(key=key, kind="text", value=names.get(str(value), str(value)))
    return FactView(key=key, kind=kind, value=str(value))


def _kind_of(event: ConversationEvent, key: str) -> str:
    if key in PEOPLE_KEYS:
        return "person"
    if key in GROUP_KEYS:
        return "group"
    if key in ("from", "to") and event.kind in CHANGED_KINDS:
        return CHANGED_KINDS[event.kind]
    return VALUE_KINDS.get(key, "text")


def _detail(event: ConversationEvent) -> str:
    """An event's note, except the bot's handover note on its state change: the handover line shows it once."""
    if event.kind == "state_changed" and event.actor in HANDOVER_ACTORS:
        return ""
    return event.note or ""


def _event_item(event: ConversationEvent, conversation: Conversation, n: int, names: dict[str, str],
                groups: dict[str, str]) -> TimelineItem:
    facts = [_fact(k, v, _kind_of(event, k), names, groups) for k, v in event.data.items() if v is not None]
    return TimelineItem(
        kind="event", id=f"{conversation.id}:{n}", at=event.at, conversation_id=conversation.id, current=True,
        author_name=names.get(event.actor, event.actor), event=event.kind, event_detail=_detail(event),
        from_state=event.from_state.value if event.kind == "state_changed" and event.from_state else None,
        to_state=event.to_state.value if event.kind == "state_changed" and event.to_state else None,
        facts=[] if event.note else facts,
    )
