"""Handover: the bot gives a conversation to people.

`hand_over` picks the group for the topic (`hub/inbox/routing.py`), or the overflow group when that group
cannot take work (`hub/inbox/staffing.py`; the handover's history entry names the group it overflowed from),
moves the conversation from `bot` to `queued` in that group with its priority, SLA deadlines and the
bot's note (also stored as an internal note), announces `conversation.handed_over`, and lets automatic
assignment give it to an operator.

Idempotent: a repeat for a conversation already queued or assigned changes nothing (it only republishes
the same event id and retries assignment, finishing what a crashed first call left undone); the note is
stored under a key derived from the handover, so it is never doubled.
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any

from hub import events
from hub.inbox import assignment, live, notes, routing, sla, staffing
from models.clock import utcnow
from models.conversations import Conversation, ConversationEvent, ConversationState, Priority
from models.errors import InvalidTransition
from models.ids import ConversationId

if TYPE_CHECKING:
    from hub.core import Hub
    from hub.working_hours import Calendar

S = ConversationState
HANDED_OVER = "handed_over"


async def hand_over(
    hub: Hub, conversation_id: ConversationId, *, topic: str | None, priority: Priority = Priority.NORMAL,
    note: str, summary: dict[str, Any] | None = None, actor: str = "bot",
) -> Conversation:
    """Queue the conversation in its topic's group with the bot's note; then assign it if someone is free."""
    conversation = await hub.stores.conversations.get(conversation_id)
    if conversation.state in (S.QUEUED, S.ASSIGNED):
        return await _finish(hub, conversation)
    if conversation.state is not S.BOT:
        raise InvalidTransition(f"conversation {conversation_id} is {conversation.state}: it cannot be handed over")
    topic = topic or conversation.topic
    destination = await staffing.conversation_destination(hub, await routing.group_for(hub, topic))
    group = destination.group
    calendar = await sla.calendar_for(hub, group)
    ordinal = _handovers(conversation)
    # Published before the state moves (same id on a retry): a crash or a bus outage after the move would
    # otherwise lose it for good, since a queued conversation's redelivered message never reaches the bot.
    await _publish(hub, conversation, ordinal, group=group, topic=topic, priority=Priority(priority).value,
                   actor=actor, note=note)
    if note.strip():
        await notes.add_note(hub, conversation_id, note, actor=actor, author_name=actor,
                                key=f"handover:{conversation_id}:{ordinal}")

    def apply(current: Conversation) -> list[str]:
        if current.state is not S.BOT:
            return []  # a concurrent handover won
        at = utcnow()
        current.topic, current.priority = topic, Priority(priority)
        current.handover_note, current.handover_summary = note, dict(summary or {})
        data: dict[str, Any] = {"topic": topic, "priority": current.priority.value, "group": group, "ordinal": ordinal}
        if destination.overflowed and destination.shortage is not None:
            data.update(overflow_from=destination.wanted, shortage=destination.shortage.value)
        current.history.append(ConversationEvent(at=at, kind=HANDED_OVER, actor=actor, note=note, data=data))
        current.transition(S.QUEUED, actor=actor, note=note, at=at, group=group)
        _new_round(hub, current, calendar, at)  # reopened for the bot and handed over again: a new round
        return ["state"]

    conversation, changed = await notes.update(hub, conversation_id, apply)
    if changed:
        await live.announce(hub, conversation, was_group=None, was_queued=False, was_assignee=None)
    return await _assign(hub, conversation)


def _handovers(conversation: Conversation) -> int:
    """How many handovers the conversation has had (the next one's ordinal)."""
    return sum(1 for entry in conversation.history if entry.kind == HANDED_OVER)


async def _publish(
    hub: Hub, conversation: Conversation, ordinal: int, *, group: str | None, topic: str | None,
    priority: str | None, actor: str, note: str | None,
) -> None:
    """Publish handover number `ordinal` of the conversation (its id names the ordinal: repeats are dropped)."""
    await events.emit(hub, "conversation.handed_over", f"{conversation.id}:{ordinal}",
                      customer_id=conversation.customer_id, conversation_id=conversation.id, group=group,
                      topic=topic, priority=priority, actor=actor, note=note)


async def _finish(hub: Hub, conversation: Conversation) -> Conversation:
    """Publish the last handover's event again (same id on a repeat) and try to assign the queue."""
    last = next((e for e in reversed(conversation.history) if e.kind == HANDED_OVER), None)
    if last is not None:
        await _publish(hub, conversation, int(last.data.get("ordinal", 0)), group=last.data.get("group"),
                       topic=last.data.get("topic"), priority=last.data.get("priority"), actor=last.actor,
                       note=last.note)
    return await _assign(hub, conversation)


async def _assign(hub: Hub, conversation: Conversation) -> Conversation:
    """Try to assign the queue the conversation waits in; the conversation as it is now."""
    if conversation.state is S.QUEUED and conversation.group:
        await assignment.auto_assign(hub, conversation.group)
        return await hub.stores.conversations.get(conversation.id)
    return conversation


async def requeue_reopened(hub: Hub, conversation: Conversation) -> Conversation:
    """A customer reopened a conversation people had: a new SLA round, the group told, someone assigned.

    Idempotent: done once the queue time is the reopen time, so a redelivered message changes nothing.
    """
    reopened = next((e for e in reversed(conversation.history) if e.kind == "reopened"), None)
    if conversation.state is not S.QUEUED or reopened is None or not conversation.group:
        return conversation
    if conversation.queued_at is not None and conversation.queued_at >= reopened.at:
        return conversation
    calendar = await sla.calendar_for(hub, conversation.group)

    def apply(current: Conversation) -> list[str]:
        if current.state is not S.QUEUED or (current.queued_at is not None and current.queued_at >= reopened.at):
            return []
        _new_round(hub, current, calendar, reopened.at)
        return ["queued_at"]

    conversation, changed = await notes.update(hub, conversation.id, apply)
    if changed:
        await live.announce(hub, conversation, was_group=None, was_queued=False, was_assignee=None)
    return await _assign(hub, conversation)


def _new_round(hub: Hub, conversation: Conversation, calendar: Calendar, at: datetime) -> None:
    """The conversation enters its queue at `at`: waiting time and SLA deadlines start afresh."""
    conversation.queued_at = at
    sla.reset(conversation)
    sla.start_clock(hub, conversation, calendar, at)
