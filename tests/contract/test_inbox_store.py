"""The inbox store contract (hub/stores/inbox.py), run over every adapter by the `stores` fixture."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from hub.stores.base import Stores
from models.canned import CannedKind, CannedResponse
from models.channels import Channel
from models.conversations import Conversation, ConversationState, Priority
from models.errors import Conflict, NotFound
from models.ids import CustomerId, new_id

S = ConversationState
T0 = datetime(2025, 3, 1, 9, 30, 15, 123000, tzinfo=UTC)


def at(minutes: float) -> datetime:
    """T0 plus some minutes (millisecond-exact)."""
    return T0 + timedelta(minutes=minutes)


async def queued(
    stores: Stores, group: str, minute: float, *, priority: Priority = Priority.NORMAL, assignee: str | None = None,
) -> Conversation:
    """A conversation queued in `group` at T0+minute (assigned to `assignee` when given)."""
    conversation = Conversation.open(CustomerId(new_id()), Channel.TELEGRAM, "tg", at=at(0))
    conversation.transition(S.QUEUED, group=group, at=at(minute))
    conversation.priority, conversation.queued_at = priority, at(minute)
    if assignee:
        conversation.transition(S.ASSIGNED, assignee=assignee, at=at(minute))
    await stores.conversations.create(conversation)
    return conversation


async def test_queue_orders_by_priority_then_waiting_time_within_the_groups(stores: Stores) -> None:
    late_urgent = await queued(stores, "delivery", 9, priority=Priority.URGENT)
    first = await queued(stores, "delivery", 1)
    other_group = await queued(stores, "returns", 0)
    second = await queued(stores, "returns", 2)
    low = await queued(stores, "delivery", 0, priority=Priority.LOW)
    await queued(stores, "delivery", 0, assignee="u-1")  # taken: not in the queue
    await queued(stores, "elsewhere", 0)

    page = await stores.inbox.queue(["delivery", "returns"])
    assert [c.id for c in page] == [late_urgent.id, other_group.id, first.id, second.id, low.id]
    assert [c.id for c in await stores.inbox.queue(["delivery", "returns"], limit=2, offset=2)] == [first.id, second.id]
    assert await stores.inbox.queue([]) == []


async def test_queue_reflects_saves_of_the_conversation(stores: Stores) -> None:
    conversation = await queued(stores, "delivery", 1)
    conversation.transition(S.ASSIGNED, assignee="u-1", at=at(2))
    await stores.conversations.save(conversation, expected_version=conversation.version)
    assert await stores.inbox.queue(["delivery"]) == []
    assert [c.id for c in await stores.inbox.assigned_to("u-1")] == [conversation.id]
    assert await stores.inbox.loads(["u-1", "u-2"]) == {"u-1": 1}


async def test_queue_stats_and_longest_waiting(stores: Stores) -> None:
    oldest = await queued(stores, "delivery", 1)
    await queued(stores, "delivery", 5, priority=Priority.URGENT)
    other = await queued(stores, "returns", 3)
    stats = {s.group: s for s in await stores.inbox.queue_stats()}
    assert (stats["delivery"].queued, stats["delivery"].oldest_since) == (2, at(1))
    assert (stats["returns"].queued, stats["returns"].oldest_since) == (1, at(3))
    assert [s.group for s in await stores.inbox.queue_stats(["returns"])] == ["returns"]
    waiting = await stores.inbox.longest_waiting(limit=2)
    assert [c.id for c in waiting] == [oldest.id, other.id]


async def test_loads_count_assigned_conversations_per_operator(stores: Stores) -> None:
    for _ in range(3):
        await queued(stores, "delivery", 0, assignee="u-1")
    await queued(stores, "returns", 0, assignee="u-2")
    await queued(stores, "returns", 0)
    assert await stores.inbox.loads(["u-1", "u-2", "u-3"]) == {"u-1": 3, "u-2": 1}
    assert await stores.inbox.loads([]) == {}


async def test_sla_due_and_breached(stores: Stores) -> None:
    due = await queued(stores, "delivery", 0)
    due.sla_next_due = at(10)
    later = await queued(stores, "delivery", 0, assignee="u-1")
    later.sla_next_due = at(30)
    for conversation in (due, later):
        await stores.conversations.save(conversation, expected_version=conversation.version)
    assert [c.id for c in await stores.inbox.sla_due(at(10))] == [due.id]
    assert [c.id for c in await stores.inbox.sla_due(at(60))] == [due.id, later.id]
    assert await stores.inbox.breached() == []

    due.sla_breached = ["first_response"]
    await stores.conversations.save(due, expected_version=due.version)
    assert [c.id for c in await stores.inbox.breached(["delivery"])] == [due.id]
    assert await stores.inbox.count_breached() == {"delivery": 1}
    due.transition(S.RESOLVED, at=at(70))
    await stores.conversations.save(due, expected_version=due.version)
    assert await stores.inbox.count_breached() == {}
    assert [c.id for c in await stores.inbox.sla_due(at(60))] == [later.id]  # resolved: no longer watched


async def test_follow_ups_due_and_reminders(stores: Stores) -> None:
    conversation = await queued(stores, "delivery", 0, assignee="u-1")
    conversation.transition(S.RESOLVED, at=at(1))
    conversation.follow_up_at, conversation.follow_up_state = at(60), "scheduled"
    await stores.conversations.save(conversation, expected_version=conversation.version)
    assert await stores.inbox.follow_ups_due(at(59)) == []
    assert [c.id for c in await stores.inbox.follow_ups_due(at(60))] == [conversation.id]
    assert await stores.inbox.reminders_for("u-1") == []

    conversation.follow_up_state = "due"
    await stores.conversations.save(conversation, expected_version=conversation.version)
    assert await stores.inbox.follow_ups_due(at(120)) == []
    assert [c.id for c in await stores.inbox.reminders_for("u-1")] == [conversation.id]


async def test_routes_are_set_replaced_and_removed(stores: Stores) -> None:
    assert await stores.inbox.routes() == {}
    await stores.inbox.set_route("return_refund", "returns")
    await stores.inbox.set_route("return_refund", "quality")
    await stores.inbox.set_route("promo_code", "loyalty")
    assert await stores.inbox.routes() == {"return_refund": "quality", "promo_code": "loyalty"}
    await stores.inbox.set_route("promo_code", None)
    assert await stores.inbox.routes() == {"return_refund": "quality"}


async def test_last_assigned_never_moves_backwards(stores: Stores) -> None:
    await stores.inbox.mark_assigned("u-1", at(5))
    await stores.inbox.mark_assigned("u-1", at(2))
    await stores.inbox.mark_assigned("u-2", at(1))
    assert await stores.inbox.last_assigned(["u-1", "u-2", "u-3"]) == {"u-1": at(5), "u-2": at(1)}


def canned(shortcut: str, *, language: str = "ru", kind: CannedKind = CannedKind.RESPONSE,
           topic: str | None = None) -> CannedResponse:
    """A canned response."""
    return CannedResponse.model_validate({"shortcut": shortcut, "title": shortcut, "text": f"text of {shortcut}",
                                          "language": language, "kind": kind, "topic": topic, "updated_at": T0})


async def test_canned_responses_search_by_prefix_language_kind_and_topic(stores: Stores) -> None:
    for item in (canned("order-status"), canned("order-late"), canned("refund"), canned("order-status", language="en"),
                 canned("returns-script", kind=CannedKind.SCRIPT, topic="return_refund")):
        await stores.inbox.save_canned(item)
    found = await stores.inbox.search_canned(language="ru", prefix="ORD")
    assert [c.shortcut for c in found] == ["order-late", "order-status"]
    assert [c.shortcut for c in await stores.inbox.search_canned(language="en")] == ["order-status"]
    scripts = await stores.inbox.search_canned(language="ru", kind=CannedKind.SCRIPT, topic="return_refund")
    assert [c.shortcut for c in scripts] == ["returns-script"]


async def test_canned_save_is_optimistic_and_shortcuts_unique_per_language(stores: Stores) -> None:
    item = canned("hello")
    await stores.inbox.save_canned(item)
    assert item.version == 1
    with pytest.raises(Conflict):
        await stores.inbox.save_canned(canned("hello"))
    stale = (await stores.inbox.get_canned(item.id)).model_copy(update={"text": "stale"})
    item.text = "new"
    await stores.inbox.save_canned(item, expected_version=1)
    with pytest.raises(Conflict):
        await stores.inbox.save_canned(stale, expected_version=1)
    assert (await stores.inbox.get_canned(item.id)).text == "new"
    assert await stores.inbox.delete_canned(item.id) is True
    assert await stores.inbox.delete_canned(item.id) is False
    with pytest.raises(NotFound):
        await stores.inbox.get_canned(item.id)
