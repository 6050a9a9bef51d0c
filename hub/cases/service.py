"""The case service: every operation on cases, for the CRM API, the web pages, bots and the worker.

    open_case        from a conversation (operator, bot action, CRM API); idempotent; links duplicates
    transition       new / in_progress / waiting (customer | group)
    assign           to a person of the case's group (None: back to the queue)
    move_to_group    to another group's queue, with the reason
    comment, add_attachment, update_details
    solve            solution -> operator's conversation (note) and the shopper (their channel)
    close, reopen, merge, relate
    route_map        hops through groups and people with wall and working time
    cases_visible_to, can_see (hub.cases.access): what a user may see

Functions take `actor` (who: "user:<login>", "api:<token name>", "bot") and an optional `at` (now).
Errors: PayloadError (422, bad input: unknown type, missing required field, unknown store or user),
NotFound (404), InvalidTransition / Conflict (409).
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from hub.cases.access import can_see, cases_visible_to, count_visible_to, require_visible, visible_query
from hub.cases.groups import calendar_of
from hub.cases.merging import merge, relate
from hub.cases.opening import open_case
from hub.cases.routemap import hops
from hub.cases.solving import solve
from hub.cases.work import (
    add_attachment,
    assign,
    close,
    comment,
    move_to_group,
    reopen,
    transition,
    update_details,
)
from hub.stores.cases import position
from models.cases import Case, CaseId, RouteHop
from models.clock import utcnow

if TYPE_CHECKING:
    from hub.core import Hub

__all__ = [
    "add_attachment", "assign", "can_see", "cases_visible_to", "close", "comment", "count_visible_to", "get_case",
    "merge", "move_to_group", "open_case", "position", "relate", "reopen", "require_visible", "route_map", "solve",
    "transition", "update_details", "visible_query",
]


async def get_case(hub: Hub, case_ref: str) -> Case:
    """The case by id, or by number when given as digits ("1042" or "#1042"); NotFound otherwise."""
    text = case_ref.removeprefix("#")
    if text.isascii() and text.isdigit() and len(text) < 12:  # '²' is a digit to str
        return await hub.stores.cases.get_by_number(int(text))
    return await hub.stores.cases.get(CaseId(case_ref))


async def route_map(hub: Hub, case: Case, *, now: datetime | None = None) -> list[RouteHop]:
    """The case's path through groups and people, with the time spent at each hop."""
    groups = {event.group for event in case.history if event.group is not None}
    calendars = {group: await calendar_of(hub, group) for group in groups}
    return hops(case, calendars, now or utcnow())
