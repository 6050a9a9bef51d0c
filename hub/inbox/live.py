"""Live updates for the inbox: who must redraw what when a conversation enters or leaves a queue or changes
hands.

Besides the conversation's own topic (`hub.events.conversation_topic`), changes go to `group:<id>` (the
queue pages of that group's operators and the supervisors' board) and `operator:<user id>` (that
operator's list). The message is JSON:

    {"kind": "queue.entered" | "queue.left" | "assigned" | "unassigned" | "follow_up_due" | "sla_breached",
     "conversation_id": ..., "group": ..., "assignee": ..., "state": ..., "priority": ..., "version": ...}

Broadcasts are best-effort hints to redraw; the store is the truth a page reloads from.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

from models.conversations import Conversation, ConversationState

if TYPE_CHECKING:
    from hub.core import Hub

S = ConversationState


def group_topic(group_id: str) -> str:
    """The broadcast topic of one group's queue."""
    return f"group:{group_id}"


def operator_topic(user_id: str) -> str:
    """The broadcast topic of one operator's list."""
    return f"operator:{user_id}"


def _payload(kind: str, conversation: Conversation) -> str:
    return json.dumps({
        "kind": kind, "conversation_id": conversation.id, "group": conversation.group,
        "assignee": conversation.assignee, "state": conversation.state.value,
        "priority": conversation.priority.value, "version": conversation.version,
    })


async def announce(
    hub: Hub, conversation: Conversation, *, was_group: str | None, was_queued: bool, was_assignee: str | None,
) -> None:
    """Tell the groups and operators concerned that the conversation moved (compared with before)."""
    queued = conversation.state is S.QUEUED
    assignee = conversation.assignee if conversation.state is S.ASSIGNED else None
    sends: list[tuple[str, str]] = []
    if was_queued and was_group and (not queued or was_group != conversation.group):
        sends.append((group_topic(was_group), "queue.left"))
    if queued and conversation.group and (not was_queued or was_group != conversation.group):
        sends.append((group_topic(conversation.group), "queue.entered"))
    if was_assignee and was_assignee != assignee:
        sends.append((operator_topic(was_assignee), "unassigned"))
    if assignee and assignee != was_assignee:
        sends.append((operator_topic(assignee), "assigned"))
        if conversation.group:
            sends.append((group_topic(conversation.group), "assigned"))
    for topic, kind in sends:
        await hub.bus.broadcast(topic, _payload(kind, conversation))


async def notify(hub: Hub, kind: str, conversation: Conversation) -> None:
    """Tell the conversation's group and assignee about something else (a reminder, a breach)."""
    topics = [group_topic(conversation.group)] if conversation.group else []
    topics += [operator_topic(conversation.assignee)] if conversation.assignee else []
    for topic in topics:
        await hub.bus.broadcast(topic, _payload(kind, conversation))
