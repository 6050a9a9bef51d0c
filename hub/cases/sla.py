"""The SLA clock of a case: a deadline in working hours, paused while waiting (where the type says so),
reminders at fractions of the budget, and escalation on breach, each raised once.

The clock keeps `check_at`, the next instant something is due (a reminder or the deadline), so the scan
reads only the cases whose moment has come. Reminder and breach events have ids derived from the clock's
start and what happened, so a scan repeated after a crash raises the same ids and subscribers drop them.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from hub.cases.config import case_config
from hub.cases.groups import calendar_of, escalation_of
from hub.cases.records import announce
from hub.working_hours import Calendar, add_working_hours, working_seconds_between
from models.cases import Case, Reason
from models.errors import Conflict, Unavailable

if TYPE_CHECKING:
    from hub.core import Hub

log = logging.getLogger(__name__)
SCAN_BATCH = 200
SLACK = 1.0  # seconds: float round trips through the calendar must not leave a moment a hair short of due


def start(case: Case, hours: float, calendar: Calendar, at: datetime, fractions: list[float]) -> None:
    """Start a fresh clock of `hours` working hours at `at` (no deadline when 0)."""
    sla = case.sla
    sla.hours, sla.calendar, sla.started_at = hours, calendar.name, at
    sla.due_at = add_working_hours(calendar, at, hours) if hours > 0 else None
    sla.paused_at, sla.reminders_sent, sla.breached, sla.breached_at, sla.escalated_to = None, 0, False, None, None
    plan(case, calendar, at, fractions)


def plan(case: Case, calendar: Calendar, at: datetime, fractions: list[float]) -> None:
    """Set `check_at`: the next reminder still to raise, else the deadline; None when nothing can come."""
    sla = case.sla
    if sla.due_at is None or sla.breached or sla.paused_at is not None or not case.is_open:
        sla.check_at = None
        return
    remaining = working_seconds_between(calendar, at, sla.due_at)
    if sla.reminders_sent >= len(fractions):
        sla.check_at = sla.due_at
        return
    threshold = (1 - fractions[sla.reminders_sent]) * sla.hours * 3600  # working seconds left at the reminder
    # passed already (say, after a pause ended late): the next scan raises it
    sla.check_at = add_working_hours(calendar, at, max(remaining - threshold, 0.0) / 3600)


def pause(case: Case, at: datetime) -> None:
    """Stop the clock (waiting on someone else, and the type allows it)."""
    if case.sla.paused_at is None and case.sla.due_at is not None and not case.sla.breached:
        case.sla.paused_at = at
        case.sla.check_at = None


def resume(case: Case, calendar: Calendar, at: datetime, fractions: list[float]) -> None:
    """Run the clock again: the deadline moves on by the working time spent paused."""
    sla = case.sla
    if sla.paused_at is None:
        return
    paused_at, sla.paused_at = sla.paused_at, None
    sla.paused_seconds += working_seconds_between(calendar, paused_at, at)
    if sla.due_at is not None and not sla.breached:
        left = working_seconds_between(calendar, paused_at, sla.due_at)
        sla.due_at = add_working_hours(calendar, at, left / 3600)
    plan(case, calendar, at, fractions)


def rebase(case: Case, old: Calendar, new: Calendar, at: datetime, fractions: list[float]) -> None:
    """The case moved to a group with other working hours: the time left is counted in the new calendar."""
    sla = case.sla
    sla.calendar = new.name
    if sla.due_at is None or sla.breached or old == new:
        return
    since = sla.paused_at or at
    left = working_seconds_between(old, since, sla.due_at)
    sla.due_at = add_working_hours(new, since, left / 3600)
    plan(case, new, at, fractions)


def check(case: Case, calendar: Calendar, now: datetime, fractions: list[float]) -> tuple[list[int], bool]:
    """Advance the clock to `now`: the reminders (1-based) now due and whether the deadline just passed."""
    sla = case.sla
    if sla.due_at is None or sla.breached or sla.paused_at is not None or not case.is_open:
        sla.check_at = None
        return [], False
    if now >= sla.due_at - timedelta(seconds=SLACK):  # late reminders are pointless once breached: not raised
        sla.reminders_sent = len(fractions)
        sla.breached, sla.breached_at, sla.check_at = True, sla.due_at, None
        return [], True
    remaining, budget = working_seconds_between(calendar, now, sla.due_at), sla.hours * 3600
    raised = []
    while sla.reminders_sent < len(fractions) and remaining <= (1 - fractions[sla.reminders_sent]) * budget + SLACK:
        sla.reminders_sent += 1
        raised.append(sla.reminders_sent)
    plan(case, calendar, now, fractions)
    return raised, False


async def scan(hub: Hub, now: datetime) -> int:
    """Raise every reminder and breach due by `now` (run periodically); how many cases were advanced."""
    advanced = 0
    for case in await hub.stores.cases.due_for_sla(now, limit=SCAN_BATCH):
        try:
            advanced += await _advance(hub, case, now)
        except Conflict:
            log.info("case changed during the SLA scan; the next scan sees it", extra={"case_id": case.id})
        except Unavailable:  # the store or bus is down: the whole round stops, the next one retries
            raise
        except Exception:  # one bad case (say, a group's broken calendar) must not block every case behind it
            log.exception("case SLA check failed", extra={"case_id": case.id})
    return advanced


async def _advance(hub: Hub, case: Case, now: datetime) -> int:
    """Check one case, announce what came due (before saving: a retry repeats the same event ids), save."""
    config = case_config(hub)
    fractions = config.reminders_of(case.request_type)
    calendar = await calendar_of(hub, case.group)
    version, clock = case.version, case.sla.started_at.isoformat() if case.sla.started_at else ""
    reminders, breached = check(case, calendar, now, fractions)
    for n in reminders:
        await announce(hub, "case.sla_warning", case, key=f"{case.id}:{clock}:{n}", reminder=n,
                       due_at=case.sla.due_at.isoformat() if case.sla.due_at else None)
    if breached:
        await _escalate(hub, case, now, clock)
    await hub.stores.cases.save(case, expected_version=version)
    return 1


async def _escalate(hub: Hub, case: Case, now: datetime, clock: str) -> None:
    """Record the breach and raise it to the group's escalation group."""
    target = await escalation_of(hub, case.group)
    case.sla.escalated_to = target
    due = case.sla.due_at.isoformat() if case.sla.due_at else None
    case.record("sla_breached", actor="sla", at=now, code=Reason.DEADLINE_PASSED, due_at=due)
    await announce(hub, "case.sla_breached", case, key=f"{case.id}:{clock}", due_at=due,
                   code=Reason.DEADLINE_PASSED.value)
    if target is not None:
        case.record("escalated", actor="sla", at=now, code=Reason.SLA_BREACHED, to_group=target)
        await announce(hub, "case.escalated", case, key=f"{case.id}:{clock}", escalated_to=target, due_at=due,
                       code=Reason.SLA_BREACHED.value)
