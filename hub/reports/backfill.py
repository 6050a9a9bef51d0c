"""Rebuild every fact and rollup from the stored conversations and cases (history), in batches.

Repeat contacts need each customer's earlier conversations, which arrive in id order, not time order:
a first pass notes (customer, opened) of every conversation, the second derives and loads the facts.
Ratings (CSAT) live only in facts, so they are kept across the rebuild.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import AsyncIterator, Callable
from datetime import datetime
from itertools import pairwise
from typing import TYPE_CHECKING

from hub.reports.derive import case_fact, conversation_fact, store_of
from hub.stores.cases import CasePosition, CaseQuery
from hub.stores.reports import ReportStore
from models.cases import Case
from models.conversations import Conversation
from models.errors import NotFound
from models.report_facts import REPEAT_WINDOW, CaseFact, ConversationFact

if TYPE_CHECKING:
    from hub.core import Hub

BATCH = 500
Progress = Callable[[int], None]  # called with how many records were just done


async def conversations(hub: Hub) -> AsyncIterator[list[Conversation]]:
    """Every stored conversation, a batch at a time."""
    after = ""
    while batch := await hub.stores.conversations.page(after=after, limit=BATCH):
        yield batch
        after = batch[-1].id


async def cases(hub: Hub) -> AsyncIterator[list[Case]]:
    """Every stored case, newest number first, a batch at a time."""
    after: CasePosition | None = None
    while batch := await hub.stores.cases.find(CaseQuery(), order="newest", after=after, limit=BATCH):
        yield batch
        after = CasePosition(0, 0, "", batch[-1].number)


def repeats(openings: dict[str, list[tuple[datetime, str]]]) -> set[str]:
    """Conversations whose customer opened another one in the 7 days before."""
    found = set()
    for started in openings.values():
        started.sort()
        for (before, _), (at, conversation_id) in pairwise(started):
            if at - before <= REPEAT_WINDOW:
                found.add(conversation_id)
    return found


async def backfill(hub: Hub, store: ReportStore, *, progress: Progress | None = None) -> tuple[int, int]:
    """Replace the report store's contents with facts derived from history; (conversations, cases) done."""
    tick = progress or (lambda n: None)
    openings: dict[str, list[tuple[datetime, str]]] = defaultdict(list)
    async for batch in conversations(hub):
        for c in batch:
            openings[c.customer_id].append((c.created_at, c.id))
    repeated = repeats(openings)
    ratings = await _ratings(store, openings)
    await store.clear()
    regions: dict[str, str] = {}
    done_conversations = done_cases = 0
    async for batch in conversations(hub):
        facts = []
        for c in batch:
            inbound = await hub.stores.messages.inbound_tally(c.id)  # the projection's input: the same facts
            facts.append(conversation_fact(c, inbound, zone=hub.settings.timezone,
                                           region=await _region(hub, store_of(c), regions),
                                           previous=ratings.get(c.id), repeat=c.id in repeated))
        await store.load(facts, [])
        done_conversations += len(facts)
        tick(len(facts))
    async for case_batch in cases(hub):
        case_facts: list[CaseFact] = [
            case_fact(k, zone=hub.settings.timezone, region=await _region(hub, k.store_id or "", regions))
            for k in case_batch]
        await store.load([], case_facts)
        done_cases += len(case_facts)
        tick(len(case_facts))
    return done_conversations, done_cases


async def count_history(hub: Hub) -> int:
    """How many records a backfill walks (for the progress bar's length)."""
    total = 0
    async for batch in conversations(hub):
        total += len(batch)
    async for case_batch in cases(hub):
        total += len(case_batch)
    return total


async def _ratings(store: ReportStore, openings: dict[str, list[tuple[datetime, str]]]) -> dict[str, ConversationFact]:
    """The stored facts that carry a rating, to keep it across the rebuild."""
    kept = {}
    for started in openings.values():
        for _, conversation_id in started:
            fact = await store.conversation_fact(conversation_id)
            if fact is not None and fact.csat is not None:
                kept[conversation_id] = fact
    return kept


async def _region(hub: Hub, store_id: str, cache: dict[str, str]) -> str:
    if not store_id:
        return ""
    if store_id not in cache:
        try:
            cache[store_id] = (await hub.stores.directory.get_store(store_id)).region or ""
        except NotFound:
            cache[store_id] = ""
    return cache[store_id]
