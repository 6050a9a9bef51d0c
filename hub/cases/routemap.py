"""The route map of a case: each stay in a group and with a person, with the wall and working time spent.

Read from the history, where every entry carries the group and assignee as they were after it; a hop
starts whenever either changes and ends at the next change, or when the case was solved or closed.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime

from hub.working_hours import Calendar, working_seconds_between
from models.cases import Case, CaseEvent, CaseState, RouteHop

ENDS = frozenset({CaseState.SOLVED, CaseState.CLOSED})


def hops(case: Case, calendars: Mapping[str, Calendar], now: datetime) -> list[RouteHop]:
    """The case's path through groups and people, oldest first (the last hop open while the case is)."""
    starts: list[tuple[datetime, str, str | None, CaseEvent]] = []
    ended_at: datetime | None = None
    for event in case.history:
        if event.group is None:
            continue
        if ended_at is None and event.to_state in ENDS and event.kind in ("state_changed", "merged"):
            ended_at = event.at
        elif event.kind == "reopened":
            ended_at = None
        if not starts or (starts[-1][1], starts[-1][2]) != (event.group, event.assignee):
            starts.append((event.at, event.group, event.assignee, event))
    result = []
    for index, (entered, group, assignee, why) in enumerate(starts):
        left = starts[index + 1][0] if index + 1 < len(starts) else ended_at
        until = left or now
        calendar = calendars[group]
        result.append(RouteHop(
            group=group, assignee=assignee, entered_at=entered, left_at=left,
            wall_seconds=max((until - entered).total_seconds(), 0.0),
            working_seconds=working_seconds_between(calendar, entered, until), reason=why.reason, code=why.code,
            data=why.data, actor=why.actor))
    return result
