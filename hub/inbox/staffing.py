"""Whether a group can take work, and where work goes when it cannot: the configured overflow group.

A conversation's group cannot take it when the group is not in the directory, has no active operator, or
has operators but none available. A case's group cannot take it when nobody active belongs to it. Work
for a group without people goes to the overflow group (`overflow_group` in the inbox config) when that
group has people; work for a group whose people are all away goes there only when someone is available
there (else it waits for its own people). Either way it is never silent: the move is logged and kept in
the history, and the supervisors' board lists the groups that cannot take work (`hub/inbox/board.py`).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from enum import StrEnum
from typing import TYPE_CHECKING

from hub.inbox.assignment import operators_of
from hub.inbox.routing import inbox_config
from models.errors import NotFound
from models.staff import Availability, GroupId

if TYPE_CHECKING:
    from hub.core import Hub

log = logging.getLogger("otklik.staffing")


class Shortage(StrEnum):
    """Why a group cannot take work."""

    NO_GROUP = "no_group"                  # not in the directory
    NO_MEMBER = "no_member"                # nobody active belongs to it
    NOBODY_AVAILABLE = "nobody_available"  # operators, but all away or offline


UNSTAFFED = (Shortage.NO_GROUP, Shortage.NO_MEMBER)


@dataclass(frozen=True)
class Destination:
    """Where work goes (`group`), the group routing chose (`wanted`) and why that one could not take it."""

    group: str
    wanted: str
    shortage: Shortage | None = None

    @property
    def overflowed(self) -> bool:
        """Whether the work went to the overflow group instead of its own."""
        return self.group != self.wanted


async def _exists(hub: Hub, group: str) -> bool:
    try:
        await hub.stores.directory.get_group(GroupId(group))
    except NotFound:
        return False
    return True


async def conversation_shortage(hub: Hub, group: str) -> Shortage | None:
    """Why the group cannot take a conversation now; None when it can."""
    if not await _exists(hub, group):
        return Shortage.NO_GROUP
    operators = await operators_of(hub, group)
    if not operators:
        return Shortage.NO_MEMBER
    if not any(u.availability is Availability.AVAILABLE for u in operators):
        return Shortage.NOBODY_AVAILABLE
    return None


async def case_shortage(hub: Hub, group: str) -> Shortage | None:
    """Why the group cannot take a case: nobody active belongs to it (a store's queue: its staff)."""
    members = await hub.stores.directory.list_users(group=GroupId(group), active=True, limit=1)
    return None if members else Shortage.NO_MEMBER


async def conversation_destination(hub: Hub, group: str) -> Destination:
    """Where a conversation routed to `group` is queued: the group, or the overflow group (see the module)."""
    shortage = await conversation_shortage(hub, group)
    if shortage is None:
        return Destination(group, group)
    overflow = inbox_config(hub).overflow_group
    if overflow and overflow != group:
        there = await conversation_shortage(hub, overflow)
        if there is None or (shortage in UNSTAFFED and there not in UNSTAFFED):
            return _moved(Destination(overflow, group, shortage), "conversation")
    log.warning("group %s cannot take a conversation (%s); it waits there", group, shortage.value)
    return Destination(group, group, shortage)


async def case_destination(hub: Hub, group: str) -> Destination:
    """Where a case routed to `group` is opened: the group, or the overflow group when nobody works `group`."""
    shortage = await case_shortage(hub, group)
    if shortage is None:
        return Destination(group, group)
    overflow = inbox_config(hub).overflow_group
    if overflow and overflow != group and await case_shortage(hub, overflow) is None:
        return _moved(Destination(overflow, group, shortage), "case")
    log.warning("group %s cannot take a case (%s); it stays there", group, shortage.value)
    return Destination(group, group, shortage)


def _moved(destination: Destination, what: str) -> Destination:
    log.warning("group %s cannot take a %s (%s): sent to the overflow group %s", destination.wanted, what,
                destination.shortage.value if destination.shortage else "", destination.group)
    return destination
