"""Conversation SLA: first-response and resolution deadlines in working hours, and the breach scanner.

Targets come per topic and priority from the inbox config (`hub/inbox/config.py`); the hours count on the
calendar of the group the conversation is queued in (`hub/working_hours.py`). Deadlines are stored on
the conversation when it enters a queue; `sla_next_due` holds the earliest one neither met nor breached,
so `scan_breaches` finds due conversations through one index. A breach's event is published before it
is marked on the conversation (under its version), with an id naming the deadline: scanners racing, or
one retrying after a failed publish, repeat the same id (subscribers drop it), and none is ever lost.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache
from typing import TYPE_CHECKING

from prometheus_client import Counter, Gauge

from hub import events
from hub.inbox import live, notes
from hub.inbox.routing import inbox_config
from hub.working_hours import Calendar, CalendarBook, add_working_hours, load_calendars, working_seconds_between
from models.conversations import Conversation, ConversationState
from models.errors import Conflict, NotFound, Unavailable
from models.ids import ConversationId
from models.staff import GroupId

if TYPE_CHECKING:
    from hub.core import Hub

log = logging.getLogger(__name__)

FIRST_RESPONSE = "first_response"
RESOLUTION = "resolution"
S = ConversationState
WATCHED = frozenset({S.QUEUED, S.ASSIGNED})

BREACHES = Counter("otklik_sla_breaches_total", "Conversation SLA breaches raised", ["kind", "priority"])
BREACHED_NOW = Gauge("otklik_sla_breached_conversations", "Queued or assigned conversations past an SLA deadline")


@lru_cache(maxsize=8)
def _book(path: str | None) -> CalendarBook:
    return load_calendars(path)


async def calendar_for(hub: Hub, group_id: str | None) -> Calendar:
    """The working-hours calendar of a group (its own, its region's, else the default)."""
    book = _book(hub.settings.calendars_path)
    if group_id is None:
        return book.get(None)
    try:
        group = await hub.stores.directory.get_group(GroupId(group_id))
    except NotFound:
        return book.get(None)  # a group named in routing but not (yet) created must not stop the clock
    return book.for_group(group.calendar, group.region)


def start_clock(hub: Hub, conversation: Conversation, calendar: Calendar, at: datetime) -> None:
    """Set the deadlines of a conversation entering a queue now (kept if it already has them)."""
    target = inbox_config(hub).target(conversation.topic, conversation.priority)
    if conversation.sla_first_response_due is None:
        conversation.sla_first_response_due = add_working_hours(calendar, at, target.first_response_hours)
    if conversation.sla_resolution_due is None:
        conversation.sla_resolution_due = add_working_hours(calendar, at, target.resolution_hours)
    refresh_next_due(conversation)


def reset(conversation: Conversation) -> None:
    """Forget an earlier round's deadlines (a conversation the bot had again is handed over afresh)."""
    conversation.sla_first_response_due = conversation.sla_resolution_due = conversation.sla_next_due = None
    conversation.first_response_at = None
    conversation.sla_breached = []


def refresh_next_due(conversation: Conversation) -> None:
    """Recompute `sla_next_due`: the earliest deadline still running."""
    running = []
    if conversation.first_response_at is None and FIRST_RESPONSE not in conversation.sla_breached:
        running.append(conversation.sla_first_response_due)
    if RESOLUTION not in conversation.sla_breached:
        running.append(conversation.sla_resolution_due)
    conversation.sla_next_due = min((d for d in running if d is not None), default=None)


def note_first_response(conversation: Conversation, at: datetime) -> bool:
    """Record the first operator reply (once); whether this was it."""
    if conversation.first_response_at is not None:
        return False
    conversation.first_response_at = at
    refresh_next_due(conversation)
    return True


async def record_first_response(hub: Hub, conversation_id: ConversationId, at: datetime) -> Conversation:
    """Store that an operator answered the customer at `at` (the first time only counts)."""

    def apply(conversation: Conversation) -> list[str]:
        return ["first_response_at"] if note_first_response(conversation, at) else []

    conversation, _ = await notes.update(hub, conversation_id, apply)
    return conversation


def newly_breached(conversation: Conversation, now: datetime) -> list[str]:
    """The deadlines that have passed unmet and are not yet marked breached."""
    if conversation.state not in WATCHED:
        return []
    found = []
    first, resolution = conversation.sla_first_response_due, conversation.sla_resolution_due
    if first is not None and first <= now and conversation.first_response_at is None:
        found.append(FIRST_RESPONSE)
    if resolution is not None and resolution <= now:
        found.append(RESOLUTION)
    return [kind for kind in found if kind not in conversation.sla_breached]


async def scan_breaches(hub: Hub, now: datetime, *, batch: int = 500) -> int:
    """Mark and announce every breach due by `now`; how many breaches this call raised."""
    raised = 0
    for due in await hub.stores.inbox.sla_due(now, limit=batch):
        try:
            # Announced before marked, under ids that name the deadline: if publishing fails (bus down) or
            # the process dies in between, the next scan announces it again rather than never.
            for kind in newly_breached(due, now):
                await _announce(hub, due, kind)
            conversation, kinds = await _mark(hub, due, now)
        except (Conflict, NotFound) as e:  # busy or gone: the next scan looks again
            log.info("sla scan skipped a conversation", extra={"conversation_id": due.id, "reason": str(e)})
            continue
        except Unavailable:  # the store or bus is down: the whole round stops, the next one retries
            raise
        except Exception:  # one bad record must not hold up every conversation behind it, round after round
            log.exception("sla scan failed on a conversation", extra={"conversation_id": due.id})
            continue
        for kind in kinds:
            BREACHES.labels(kind, conversation.priority.value).inc()
            await live.notify(hub, "sla_breached", conversation)
        raised += len(kinds)
    BREACHED_NOW.set(sum((await hub.stores.inbox.count_breached()).values()))
    return raised


async def _mark(hub: Hub, due: Conversation, now: datetime) -> tuple[Conversation, list[str]]:
    """Mark the conversation's new breaches in one conditional write; it and what this write marked."""
    kinds: list[str] = []

    def apply(conversation: Conversation) -> list[str]:
        kinds[:] = newly_breached(conversation, now)
        conversation.sla_breached.extend(kinds)
        refresh_next_due(conversation)
        return list(kinds) or (["sla_next_due"] if conversation.sla_next_due != due.sla_next_due else [])

    conversation, _ = await notes.update(hub, due.id, apply)
    return conversation, kinds


async def _announce(hub: Hub, conversation: Conversation, kind: str) -> None:
    """Publish the `kind` breach of the conversation's current deadline."""
    due = conversation.sla_first_response_due if kind == FIRST_RESPONSE else conversation.sla_resolution_due
    # The deadline names the round: a conversation reopened and breached again is a new happening, and
    # subscribers would drop it as a repeat under the first round's id.
    round_key = due.isoformat() if due else "none"
    await events.emit(hub, "conversation.sla_breached", f"{conversation.id}:{kind}:{round_key}",
                      customer_id=conversation.customer_id, conversation_id=conversation.id, breach=kind,
                      due=due.isoformat() if due else None, group=conversation.group,
                      assignee=conversation.assignee, topic=conversation.topic,
                      priority=conversation.priority.value)


@dataclass(frozen=True)
class SlaClock:
    """What an inbox row shows: working seconds left to each deadline (negative when past)."""

    first_response_left: float | None
    resolution_left: float | None
    breached: tuple[str, ...]


def clock(conversation: Conversation, calendar: Calendar, now: datetime) -> SlaClock:
    """Working time left to the deadlines still running (None for a met or missing one)."""

    def left(due: datetime | None) -> float | None:
        if due is None:
            return None
        if due >= now:
            return working_seconds_between(calendar, now, due)
        return -working_seconds_between(calendar, due, now)

    first = None if conversation.first_response_at else left(conversation.sla_first_response_due)
    resolution = left(conversation.sla_resolution_due) if conversation.state in WATCHED else None
    return SlaClock(first, resolution, tuple(conversation.sla_breached))
