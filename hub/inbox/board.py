"""The supervisors' live board: queues, operators, SLA breaches and the longest waits, and reassignment.

It flags work nobody can take (hub/inbox/staffing.py): groups with a queue but no operator, or nobody
available, and the conversations that went to the overflow group instead of their own.

`board` gathers one snapshot through indexed queries (the page redraws it on `group:<id>` broadcasts);
`reassign` is a transfer only supervisors and admins may make.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from pydantic import BaseModel

from hub.core import Hub
from hub.inbox import transfers
from hub.inbox.assignment import operators_of
from hub.inbox.handover import HANDED_OVER
from hub.inbox.routing import inbox_config
from hub.inbox.staffing import Shortage
from models.clock import utcnow
from models.conversations import Conversation
from models.errors import Forbidden
from models.ids import ConversationId
from models.staff import Availability, GroupKind, User


class GroupRow(BaseModel):
    """One group's queue."""

    group: str
    queued: int
    oldest_wait_seconds: float | None
    breached: int
    available: int  # operators available now
    operators: int
    shortage: str | None = None  # why its queue cannot be worked now (staffing.Shortage), when it has one


class OperatorRow(BaseModel):
    """One operator's state and load."""

    id: str
    name: str
    availability: str
    load: int
    capacity: int
    groups: list[str]


class WaitingRow(BaseModel):
    """A conversation the board points at."""

    conversation_id: str
    group: str | None
    topic: str | None
    priority: str
    state: str
    assignee: str | None
    waited_seconds: float
    breached: list[str]
    overflow_from: str | None = None  # the group it was routed to, which could not take it


class Board(BaseModel):
    """The whole board at one instant."""

    at: datetime
    groups: list[GroupRow]
    operators: list[OperatorRow]
    breaches: list[WaitingRow]
    longest_waiting: list[WaitingRow]
    overflowed: list[WaitingRow] = []  # queued in the overflow group because their own could not take them


def _row(conversation: Conversation, now: datetime) -> WaitingRow:
    since = conversation.queued_at or conversation.updated_at
    return WaitingRow(conversation_id=conversation.id, group=conversation.group, topic=conversation.topic,
                      priority=conversation.priority.value, state=conversation.state.value,
                      assignee=conversation.assignee, waited_seconds=(now - since).total_seconds(),
                      breached=list(conversation.sla_breached), overflow_from=overflowed_from(conversation))


def overflowed_from(conversation: Conversation) -> str | None:
    """The group the conversation's last handover was routed to, when it went to the overflow group instead."""
    last = next((e for e in reversed(conversation.history) if e.kind == HANDED_OVER), None)
    if last is None or not last.data.get("overflow_from") or conversation.group != last.data.get("group"):
        return None  # never overflowed, or moved on since (a transfer)
    return str(last.data["overflow_from"])


def _shortage(queued: int, members: list[User]) -> str | None:
    """Why a group with a queue cannot work it now (None when it has no queue or someone available)."""
    if not queued:
        return None
    if not members:
        return Shortage.NO_MEMBER.value
    if not any(u.availability is Availability.AVAILABLE for u in members):
        return Shortage.NOBODY_AVAILABLE.value
    return None


async def _overflowed(hub: Hub, now: datetime, limit: int) -> list[WaitingRow]:
    """Conversations waiting in the overflow group because their own group could not take them."""
    overflow = inbox_config(hub).overflow_group
    if overflow is None:
        return []
    rows = [_row(c, now) for c in await hub.stores.inbox.queue([overflow], limit=max(limit * 5, 100))]
    return [r for r in rows if r.overflow_from][:limit]


async def _groups_in_view(hub: Hub, groups: Sequence[str] | None) -> list[str]:
    """The groups asked for, else every non-store group and any group with a queue."""
    if groups is not None:
        return list(groups)
    named = [g.id for kind in GroupKind if kind is not GroupKind.STORE  # 16,000 store groups are not on the board
             for g in await hub.stores.directory.list_groups(kind=kind, limit=1000)]
    queued = [s.group for s in await hub.stores.inbox.queue_stats()]
    return sorted(set(named) | set(queued))


async def board(hub: Hub, *, groups: Sequence[str] | None = None, now: datetime | None = None,
                limit: int = 20) -> Board:
    """A snapshot of the groups in view (all when None)."""
    now = now or utcnow()
    names = await _groups_in_view(hub, groups)
    stats = {s.group: s for s in await hub.stores.inbox.queue_stats(names)}
    breached = await hub.stores.inbox.count_breached(names)
    people: dict[str, User] = {}
    rows: list[GroupRow] = []
    for name in names:
        members = await operators_of(hub, name)
        people.update({u.id: u for u in members})
        stat = stats.get(name)
        oldest = stat.oldest_since if stat else None
        queued = stat.queued if stat else 0
        rows.append(GroupRow(group=name, queued=queued, breached=breached.get(name, 0),
                             oldest_wait_seconds=(now - oldest).total_seconds() if oldest else None,
                             available=sum(u.availability == "available" for u in members), operators=len(members),
                             shortage=_shortage(queued, members)))
    loads = await hub.stores.inbox.loads(list(people))
    operators = [OperatorRow(id=u.id, name=u.name, availability=u.availability.value, load=loads.get(u.id, 0),
                             capacity=u.capacity, groups=list(u.groups))
                 for u in sorted(people.values(), key=lambda u: u.name)]
    return Board(at=now, groups=rows, operators=operators,
                 breaches=[_row(c, now) for c in await hub.stores.inbox.breached(names, limit=limit)],
                 longest_waiting=[_row(c, now) for c in await hub.stores.inbox.longest_waiting(names, limit=limit)],
                 overflowed=await _overflowed(hub, now, limit))


async def reassign(
    hub: Hub, conversation_id: ConversationId, *, actor: User, note: str, to_user: str | None = None,
    to_group: str | None = None,
) -> Conversation:
    """A supervisor moves a conversation to another operator or group, with a note."""
    if not actor.oversees:
        raise Forbidden(f"{actor.login} may not reassign conversations")
    return await transfers.transfer(hub, conversation_id, actor=actor, note=note, to_group=to_group, to_user=to_user)
