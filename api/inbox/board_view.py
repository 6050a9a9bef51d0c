"""The supervisor board's view-model: queues per group, operators' state and load, SLA breaches, longest waits.

The numbers come from `hub.board.board` (one snapshot through indexed queries); the two lists of
conversations are read as rows with customer names and SLA clocks, like the queue page's.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from api.inbox.conversation_view import transfer_targets
from api.inbox.rows import group_name, rows_of, viewer_of
from api.inbox.views import BoardPage, GroupLoad, OverflowRow, TargetChoice
from hub.inbox import board
from models.ids import ConversationId
from models.staff import Availability, User

if TYPE_CHECKING:
    from hub.core import Hub

ROWS_LIMIT = 20
ORDER = {Availability.AVAILABLE: 0, Availability.AWAY: 1, Availability.OFFLINE: 2}


async def load_board(hub: Hub, user: User) -> BoardPage:
    """The whole chain's inbox right now, as a supervisor sees it."""
    snapshot = await board.board(hub, limit=ROWS_LIMIT)
    groups = [GroupLoad(id=g.group, name=await group_name(hub, g.group) or g.group, queued=g.queued,
                        oldest_wait_seconds=g.oldest_wait_seconds, breaches=g.breached, available=g.available,
                        operators=g.operators, shortage=g.shortage) for g in snapshot.groups]
    operators = sorted(snapshot.operators, key=lambda o: (ORDER[Availability(o.availability)], -o.load, o.name))
    names = [g.group for g in snapshot.groups]
    operator_groups = {gid for o in snapshot.operators for gid in o.groups}
    store = hub.stores.inbox
    return BoardPage(
        viewer=viewer_of(user), groups=groups, operators=operators,
        group_names={gid: await group_name(hub, gid) or gid for gid in operator_groups},
        breaches=await rows_of(hub, await store.breached(names, limit=ROWS_LIMIT)),
        longest=await rows_of(hub, await store.longest_waiting(names, limit=ROWS_LIMIT)),
        overflowed=await _overflowed(hub, snapshot.overflowed),
        targets=[*await transfer_targets(hub, None),
                 *(TargetChoice(value=f"user:{o.id}", label=f"{o.name} · {o.availability} · {o.load}/{o.capacity}")
                   for o in operators)],
    )


async def _overflowed(hub: Hub, waiting: list[board.WaitingRow]) -> list[OverflowRow]:
    """The overflow group's conversations as queue rows, each with the group it was meant for."""
    wanted = {w.conversation_id: w.overflow_from or "" for w in waiting}
    conversations = [await hub.stores.conversations.get(ConversationId(w.conversation_id)) for w in waiting]
    return [OverflowRow(row=row, wanted=wanted[row.id], wanted_name=await group_name(hub, wanted[row.id]) or "")
            for row in await rows_of(hub, conversations)]
