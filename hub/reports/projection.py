"""The projection: each event on the events stream refreshes the fact of its conversation or case.

It reads the stored conversation (or case) the event names and derives the fact again, so the order
and repetition of events do not matter; CSAT answers are the one input carried by the event itself. Hence an
event this process published before the projection's last read of its conversation began is already in that
read (`ReadMarks`): a burst of events about one conversation costs one read, not one per event.
Events of kinds it does not know (another helper's, a newer version's) are read leniently as JSON.
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Callable, Coroutine
from datetime import datetime
from typing import TYPE_CHECKING, Any

from hub.bus.base import EVENTS, Handler
from hub.event_order import remember
from hub.events import head_of
from hub.reports.derive import case_fact, conversation_fact, store_of
from hub.stores.reports import ReportStore
from models.cases import CaseId
from models.conversations import Conversation
from models.errors import NotFound
from models.ids import ConversationId
from models.messages import InboundTally
from models.report_facts import REPEAT_WINDOW

if TYPE_CHECKING:
    from hub.core import Hub

log = logging.getLogger(__name__)
GROUP = "reports"
# Seconds a fresh event's refresh waits for the rest of its burst: reports lag by this much at most, and a bot
# turn (opened, received, replies sent) costs one read and one write of its fact instead of one per event.
GATHER = 0.25
Inputs = tuple[Conversation, InboundTally, str]  # what a conversation's fact is derived from (and its previous)
CSAT = "csat.answered"


def reported(entry: str) -> bool:
    """Whether an event names a conversation or a case (the rest, a customer's, are not reported on)."""
    head = head_of(entry)
    return head is None or bool(head.conversation_id or head.case_id)  # None: `handle` says what is wrong


class ReadMarks:
    """Per conversation, how many events this process had published when the projection's latest refresh of
    it began (the newest `limit` conversations): an event published by then is in that refresh's read. And the
    inputs (conversation, inbound tally, region) the stored fact was last derived from here (the newest
    `inputs_limit`): a refresh that reads the very same inputs would derive the same fact, so it stops there."""

    def __init__(self, limit: int = 10_000, inputs_limit: int = 1_000) -> None:
        self.limit = limit
        self.inputs_limit = inputs_limit
        self._began: dict[str, int] = {}
        self._inputs: dict[str, Inputs] = {}

    def stored_from(self, conversation_id: str) -> Inputs | None:
        """The inputs the conversation's stored fact was derived from by this process, if remembered."""
        return self._inputs.get(conversation_id)

    def derived(self, conversation_id: str, inputs: Inputs) -> None:
        """The conversation's stored fact is the one these inputs give."""
        remember(self._inputs, conversation_id, inputs, self.inputs_limit)

    def covers(self, conversation_id: str, published: int | None) -> bool:
        """Whether the event published as number `published` (None: not by this process) was already read."""
        return published is not None and published <= self._began.get(conversation_id, 0)

    def mark(self, conversation_id: str, began: int) -> None:
        """A refresh of the conversation that began when `began` events had been published is stored."""
        remember(self._began, conversation_id, max(began, self._began.get(conversation_id, 0)), self.limit)


async def handle(entry: str, hub: Hub, store: ReportStore, marks: ReadMarks | None = None, *,
                 gather: float = 0.0) -> None:
    """Refresh what one event touches; events without a conversation are not reported on. With `marks`, an
    event whose change an earlier refresh already read is skipped (CSAT answers never: they carry the input),
    and a refresh for an event this process published less than `gather` seconds ago waits until then, so the
    rest of its burst (a turn's message received, replies sent...) is in the same read."""
    event = json.loads(entry)
    kind, data = str(event.get("type", "")), event.get("data") or {}
    conversation_id = event.get("conversation_id") or data.get("conversation_id")
    if kind.startswith("case.") and data.get("case_id"):
        await refresh_case(hub, store, str(data["case_id"]))
    if not conversation_id:
        return
    conversation_id = str(conversation_id)
    if kind == CSAT:
        await refresh_conversation(hub, store, conversation_id)
        await record_csat(store, conversation_id, data)
        return
    if marks is None:
        await refresh_conversation(hub, store, conversation_id)
        return
    event_id = str(event.get("id", ""))
    if marks.covers(conversation_id, hub.published.seq_of(event_id)):
        return  # stored before the last refresh of this conversation began reading: nothing new for it
    age = hub.published.age(event_id)
    if age is not None and age < gather:
        await asyncio.sleep(gather - age)  # unacknowledged meanwhile: a crash here delivers it again
    began = hub.published.count
    await refresh_conversation(hub, store, conversation_id, marks)
    marks.mark(conversation_id, began)


async def refresh_conversation(hub: Hub, store: ReportStore, conversation_id: str,
                               marks: ReadMarks | None = None) -> None:
    """Derive the conversation's fact from the stored conversation and its inbound tally, and store it.

    With `marks`, inputs equal to those the stored fact was last derived from here end the refresh before the
    fact is read: the conversation's version and history only grow, so equal inputs mean no change since (a
    rating recorded meanwhile is on the stored fact already, and a derivation would carry it over anyway)."""
    try:
        conversation = await hub.stores.conversations.get(ConversationId(conversation_id))
    except NotFound:
        return  # gone (merged away): its fact stays as it was last seen
    inbound = await hub.stores.messages.inbound_tally(conversation.id)  # counted by the store: O(1) in Python
    region = await region_of(hub, store_of(conversation))
    inputs = (conversation, inbound, region)
    if marks is not None and marks.stored_from(conversation_id) == inputs:
        return
    previous = await store.conversation_fact(conversation_id)
    repeat = previous.repeat if previous is not None else await store.contacted_between(
        conversation.customer_id, _iso(conversation.created_at - REPEAT_WINDOW), _iso(conversation.created_at),
        besides=conversation_id)
    fact = conversation_fact(conversation, inbound, zone=hub.settings.timezone, region=region, previous=previous,
                             repeat=repeat)
    if fact != previous:  # most events (a reply sent, a status) change nothing a report counts: no write
        await store.put_conversation(fact)
    if marks is not None:
        marks.derived(conversation_id, inputs)


async def refresh_case(hub: Hub, store: ReportStore, case_id: str) -> None:
    """Derive the case's fact from the stored case, and store it."""
    try:
        case = await hub.stores.cases.get(CaseId(case_id))
    except NotFound:
        return
    region = "" if case.region else await region_of(hub, case.store_id or "")
    await store.put_case(case_fact(case, zone=hub.settings.timezone, region=region))


async def record_csat(store: ReportStore, conversation_id: str, data: dict[str, Any]) -> None:
    """Put the shopper's rating on the conversation's fact (a later rating replaces an earlier one)."""
    fact = await store.conversation_fact(conversation_id)
    score = data.get("score")
    if fact is None or not isinstance(score, int | float):
        log.warning("csat answer without a conversation fact or score", extra={"conversation_id": conversation_id})
        return
    operator = data.get("operator_id")
    await store.put_conversation(fact.with_csat(int(score), str(data.get("comment") or ""),
                                                str(operator) if operator else None))


async def region_of(hub: Hub, store_id: str) -> str:
    """The region of a retail store from the directory ('' when unknown)."""
    if not store_id:
        return ""
    try:
        return (await hub.stores.directory.get_store(store_id)).region or ""
    except NotFound:
        return ""


def _iso(moment: datetime) -> str:
    return moment.isoformat()


def consumers(
    hub: Hub, store: ReportStore, stop: asyncio.Event, name: str, wrap: Callable[[Handler], Handler], *,
    gather: float = GATHER,
) -> list[Coroutine[Any, Any, None]]:
    """The events consumer of the reports group, beside the worker's others."""
    marks = ReadMarks()

    async def on_event(entry: str) -> None:
        await handle(entry, hub, store, marks, gather=gather)

    return [hub.bus.consume(EVENTS, GROUP, name, wrap(on_event), stop=stop, wants=reported)]

