"""Assignment: who works a queued conversation.

Automatic: the least-loaded available operator of the group with free capacity (`User.capacity`), on a
tie the one who got a conversation longest ago (round robin). Manual: an operator claims from their
group's queue. Both end in one conditional write (`save(expected_version=...)`): of two operators or
processes racing for one conversation exactly one wins, the other gets Conflict. Transfers, release and
availability live here too; each change is announced live (`hub/inbox/live.py`) and as an event.
"""

from __future__ import annotations

import asyncio
import json
import random
from collections.abc import Iterable
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from hub import events
from hub.inbox import live, notes
from models.conversations import Conversation, ConversationState
from models.errors import Conflict, Forbidden
from models.ids import ConversationId
from models.staff import Availability, GroupId, Role, User, UserId

if TYPE_CHECKING:
    from hub.core import Hub

S = ConversationState
NEVER = datetime(1970, 1, 1, tzinfo=UTC)
PAGE = 500
RETRY_JITTER = 0.05  # seconds: two processes that undid a clash do not clash again in step


async def operators_of(hub: Hub, group_id: str) -> list[User]:
    """Every active operator of the group."""
    users: list[User] = []
    after: str | None = None
    while True:
        page = await hub.stores.directory.list_users(group=GroupId(group_id), role=Role.OPERATOR, active=True,
                                                     limit=PAGE, after=after)
        users += page
        if len(page) < PAGE:
            return users
        after = page[-1].login


async def pick_operator(hub: Hub, group_id: str, *, exclude: Iterable[str] = ()) -> User | None:
    """The available operator with free capacity and the fewest conversations; round robin on ties."""
    skip = set(exclude)
    candidates = [u for u in await operators_of(hub, group_id)
                  if u.availability is Availability.AVAILABLE and u.capacity > 0 and u.id not in skip]
    if not candidates:
        return None
    ids = [u.id for u in candidates]
    loads = await hub.stores.inbox.loads(ids)
    free = [u for u in candidates if loads.get(u.id, 0) < u.capacity]
    if not free:
        return None
    last = await hub.stores.inbox.last_assigned(ids)
    return min(free, key=lambda u: (loads.get(u.id, 0), last.get(u.id, NEVER), u.id))


async def auto_assign(hub: Hub, group_id: str, *, exclude: Iterable[str] = (), limit: int = 100) -> list[Conversation]:
    """Give the group's queue, head first, to free operators until either runs out; what was assigned."""
    done: list[Conversation] = []
    skip = list(exclude)
    async with hub.assign_lock:  # within a process, turns: two hand-offs never fill one last slot twice
        for _ in range(limit):
            head = await hub.stores.inbox.queue([group_id], limit=1)
            operator = await pick_operator(hub, group_id, exclude=skip) if head else None
            if operator is None:
                break
            try:
                done.append(await _assign(hub, head[0].id, operator.id, actor="auto", queued_only=True,
                                          capacity=operator.capacity))
            except OverCapacity:  # another process filled the operator's last slot at the same moment
                await asyncio.sleep(random.uniform(0, RETRY_JITTER))  # jitter, not secrecy
            except Conflict:
                continue  # claimed by someone else meanwhile: take the next head
    return done


class OverCapacity(Conflict):
    """An automatic assignment undone: the operator was full once every process's write was in."""


async def claim(hub: Hub, conversation_id: ConversationId, user: User) -> Conversation:
    """The operator takes a queued conversation of their group; Conflict if someone else has it."""
    conversation = await hub.stores.conversations.get(conversation_id)
    if conversation.state is S.ASSIGNED and conversation.assignee == user.id:
        return conversation  # a repeated click
    if not (user.oversees or (user.has(Role.OPERATOR) and conversation.group in user.groups)):
        raise Forbidden(f"{user.login} may not take conversations of group {conversation.group}")
    return await _assign(hub, conversation_id, user.id, actor=user.id, queued_only=True)


async def _assign(
    hub: Hub, conversation_id: ConversationId, user_id: str, *, actor: str, queued_only: bool,
    group: str | None = None, note: str | None = None, kind: str = "conversation.assigned",
    capacity: int | None = None,
) -> Conversation:
    """Assign in one conditional write; Conflict if it is no longer queued (when `queued_only`), OverCapacity
    (undone) if the operator then holds more than `capacity`."""
    before: list[Conversation] = []

    def apply(conversation: Conversation) -> list[str]:
        if queued_only and conversation.state is not S.QUEUED:
            holder = f" by {conversation.assignee}" if conversation.assignee else ""
            raise Conflict(f"conversation {conversation_id} was already taken{holder} ({conversation.state})")
        before[:] = [conversation.model_copy()]
        conversation.transition(S.ASSIGNED, actor=actor, assignee=user_id, group=group, note=note)
        return ["assignee"]

    conversation, _ = await notes.update(hub, conversation_id, apply)
    # Checked after the write, so two processes filling one last slot cannot both miss the other.
    over = capacity is not None and (await hub.stores.inbox.loads([user_id])).get(user_id, 0) > capacity
    if over and await _undo(hub, conversation, user_id):
        raise OverCapacity(f"operator {user_id} is at capacity {capacity}")
    await hub.stores.inbox.mark_assigned(user_id, conversation.updated_at)
    await announce_change(hub, kind, conversation, before[0], actor=actor, note=note)
    return conversation


async def _undo(hub: Hub, assigned: Conversation, user_id: str) -> bool:
    """Put an automatic assignment not yet announced back in the queue; False if it changed meanwhile
    (the operator already works it: it stands, and is announced)."""

    def apply(conversation: Conversation) -> list[str]:
        if conversation.version != assigned.version or conversation.assignee != user_id:
            return []
        conversation.transition(S.QUEUED, actor="auto", note="operator at capacity")
        return ["state"]

    _, changed = await notes.update(hub, assigned.id, apply)
    return bool(changed)


async def announce_change(
    hub: Hub, kind: str, conversation: Conversation, before: Conversation, *, actor: str, note: str | None,
) -> None:
    """Publish the `kind` event of a change of hands and tell the queues and operators concerned."""
    await events.emit(hub, kind, f"{conversation.id}:{conversation.version}", customer_id=conversation.customer_id,
                      conversation_id=conversation.id, group=conversation.group, assignee=conversation.assignee,
                      from_group=before.group, from_assignee=before.assignee, actor=actor, note=note)
    await live.announce(hub, conversation, was_group=before.group, was_queued=before.state is S.QUEUED,
                              was_assignee=before.assignee if before.state is S.ASSIGNED else None)


def may_work_on(user: User, conversation: Conversation) -> bool:
    """Its holder, an operator of its group, or a supervisor/admin may answer and resolve a conversation."""
    if user.oversees:
        return True
    return user.has(Role.OPERATOR) and (conversation.assignee == user.id or conversation.group in user.groups)


def may_move(user: User, conversation: Conversation) -> bool:
    """Supervisors and admins move anything; an operator what they hold or what waits in their group."""
    if user.oversees:
        return True
    if not user.has(Role.OPERATOR):
        return False
    return conversation.assignee == user.id or (conversation.state is S.QUEUED and conversation.group in user.groups)


async def release(hub: Hub, conversation_id: ConversationId, user: User) -> Conversation:
    """Put an assigned conversation back in its group's queue (its holder, a supervisor or an admin)."""
    before: list[Conversation] = []

    def apply(conversation: Conversation) -> list[str]:
        if conversation.state is not S.ASSIGNED:
            return []
        if conversation.assignee != user.id and not user.oversees:
            raise Forbidden(f"conversation {conversation_id} is not {user.login}'s to release")
        before[:] = [conversation.model_copy()]
        conversation.transition(S.QUEUED, actor=user.id, note="released")
        conversation.queued_at = conversation.updated_at
        return ["state"]

    conversation, changed = await notes.update(hub, conversation_id, apply)
    if changed:
        await announce_change(hub, "conversation.transferred", conversation, before[0], actor=user.id, note="released")
        if conversation.group:
            await auto_assign(hub, conversation.group, exclude=[before[0].assignee or ""])
    return await hub.stores.conversations.get(conversation_id)


async def set_availability(hub: Hub, user_id: str, availability: Availability, *, actor: User) -> User:
    """Available, away or offline (oneself, or anyone for a supervisor/admin); available fills free slots."""
    if actor.id != user_id and not actor.oversees:
        raise Forbidden(f"{actor.login} may not change another operator's availability")
    user = await hub.stores.directory.set_availability(UserId(user_id), availability)
    message = json.dumps({"kind": "availability", "user_id": user.id, "availability": availability.value})
    for topic in [live.operator_topic(user.id), *map(live.group_topic, user.groups)]:
        await hub.bus.broadcast(topic, message)
    if availability is Availability.AVAILABLE:
        await refill(hub, user)
    return user


async def refill(hub: Hub, user: User) -> None:
    """Offer the operator's groups' queues again (their load dropped or they came back)."""
    for group in user.groups:
        await auto_assign(hub, group)


async def sweep(hub: Hub) -> int:
    """Assign whatever waits in any queue to whoever is free (a loop step); how many were assigned."""
    assigned = 0
    for stat in await hub.stores.inbox.queue_stats():
        assigned += len(await auto_assign(hub, stat.group))
    return assigned
