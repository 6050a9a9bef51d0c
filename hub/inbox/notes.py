"""Working on a conversation from outside the channel: internal notes, and its topic, priority and group.

A note is a Message with direction `internal`: it sits in the conversation's history for operators and
the CRM, but is never queued in the outbox (which refuses one anyway) nor shown on a customer's pull
endpoint or web chat.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from hub import events
from hub.versioned import update_versioned
from models.clock import utcnow
from models.conversations import Conversation, ConversationEvent, Priority
from models.errors import Conflict, NotFound, PayloadError
from models.ids import ConversationId
from models.messages import AuthorKind, Direction, Message
from models.staff import GroupId

if TYPE_CHECKING:
    from hub.core import Hub

TRIAGE_FIELDS = ("topic", "priority", "group")


async def add_note(
    hub: Hub, conversation_id: ConversationId, text: str, *, actor: str, author_name: str | None = None,
    key: str | None = None,
) -> tuple[Message, bool]:
    """Store an internal note (once per `key`, when given); the note and whether it is new."""
    if key is not None and (known := await hub.stores.messages.find_by_key(key)) is not None:
        if known.direction is not Direction.INTERNAL or known.conversation_id != conversation_id:
            raise Conflict(f"idempotency key {key!r} was used for another request")
        return known, False
    conversation = await hub.stores.conversations.get(conversation_id)
    note = Message(
        conversation_id=conversation.id, customer_id=conversation.customer_id, direction=Direction.INTERNAL,
        author=AuthorKind.OPERATOR, channel=conversation.channel, account_id=conversation.account_id,
        idempotency_key=key, text=text, raw={"actor": actor, "author_name": author_name},
    )
    if not await hub.stores.messages.add(note):  # the same key, a moment ago
        known = await hub.stores.messages.find_by_key(key or "")
        if known is None:
            raise Conflict(f"note for conversation {conversation_id} could not be stored; retry")
        return known, False
    await events.emit(hub, "conversation.note_added", note.id, customer_id=note.customer_id,
                      conversation_id=note.conversation_id, message_id=note.id)
    return note, True


async def change(
    hub: Hub, conversation_id: ConversationId, changes: dict[str, Any], *, actor: str
) -> Conversation:
    """Set topic, priority and/or group, each change recorded in the history and announced; PayloadError for a
    group the directory does not have (its queue would never be served)."""
    if changes.get("group") is not None:
        await _check_group(hub, str(changes["group"]))

    def apply(conversation: Conversation) -> list[str]:
        at, changed = utcnow(), []
        for field in TRIAGE_FIELDS:
            if field not in changes or getattr(conversation, field) == changes[field]:
                continue
            before, after = getattr(conversation, field), changes[field]
            setattr(conversation, field, Priority(after) if field == "priority" else after)
            conversation.history.append(ConversationEvent(
                at=at, kind=f"{field}_changed", actor=actor, data={"from": before, "to": after}))
            changed.append(field)
        if changed:
            conversation.updated_at = at
        return changed

    conversation, changed = await update(hub, conversation_id, apply)
    if changed:
        await events.emit(hub, "conversation.updated", f"{conversation.id}:{conversation.version}",
                          customer_id=conversation.customer_id, conversation_id=conversation.id,
                          changed=changed, actor=actor)
    if "topic" in changed:
        await _keep_correction(hub, conversation)
    return conversation


async def _keep_correction(hub: Hub, conversation: Conversation) -> None:
    """Store the operator's topic with the message the bot read last before handing over (`otklik nlu review`);
    a topic that agrees with the reading takes an earlier correction back."""
    handed = [e.at for e in conversation.history if e.kind == "handed_over"]
    messages = await hub.stores.messages.list_for_conversation(conversation.id)
    read = [m for m in messages if m.direction is Direction.INBOUND and m.nlu is not None
            and (not handed or m.created_at <= handed[-1])]
    reading = read[-1].nlu if read else None
    if reading is None:
        return
    misread = read[-1]
    corrected = None if conversation.topic in (None, reading.intent) else conversation.topic
    if corrected != misread.corrected_topic:
        await hub.stores.messages.set_corrected_topic(misread.id, corrected)


async def _check_group(hub: Hub, group: str) -> None:
    try:
        await hub.stores.directory.get_group(GroupId(group))
    except NotFound as e:
        raise PayloadError(f"group: there is no group {group!r} in the directory") from e


async def update(
    hub: Hub, conversation_id: ConversationId, apply: Callable[[Conversation], list[str]]
) -> tuple[Conversation, list[str]]:
    """Load, `apply` and save (unless nothing changed), again from a fresh copy if someone saved meanwhile."""
    store = hub.stores.conversations

    async def save(conversation: Conversation, version: int) -> None:
        await store.save(conversation, expected_version=version)

    async def change(conversation: Conversation) -> list[str]:
        return apply(conversation)

    return await update_versioned(lambda: store.get(conversation_id), save, change,
                                  what=f"conversation {conversation_id}")
