"""What the cases need to know about a group: its calendar and where its SLA breaches escalate."""

from __future__ import annotations

from typing import TYPE_CHECKING

from hub.cases.config import case_config
from hub.working_hours import Calendar
from models.errors import NotFound
from models.staff import Group, GroupId, GroupKind

if TYPE_CHECKING:
    from hub.core import Hub

STORES_CALENDAR = "stores"  # the calendar of store queues that name none


async def find_group(hub: Hub, group_id: str) -> Group | None:
    """The group record, if the directory has one (a case may name a group before it is set up)."""
    try:
        return await hub.stores.directory.get_group(GroupId(group_id))
    except NotFound:
        return None


async def calendar_of(hub: Hub, group_id: str) -> Calendar:
    """The working hours of a group: its own calendar, its region's, the stores' (store queues), the default."""
    book = case_config(hub).calendars
    group = await find_group(hub, group_id)
    is_store = group_id.startswith("store:") or (group is not None and group.kind is GroupKind.STORE)
    if group is not None and (group.calendar in book.calendars or f"region:{group.region}" in book.calendars):
        return book.for_group(group.calendar, group.region)
    return book.get(STORES_CALENDAR if is_store else None)


async def escalation_of(hub: Hub, group_id: str) -> str | None:
    """Where a breach in this group is raised: its escalation group, else the catalogue's default."""
    group = await find_group(hub, group_id)
    if group is not None and group.escalation_group:
        return group.escalation_group
    return case_config(hub).catalogue.defaults.escalation_group
