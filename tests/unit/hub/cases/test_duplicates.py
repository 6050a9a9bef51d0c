"""Idempotent opening, duplicates linked to the open case, and merging two cases into one piece of work."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import pytest

from hub.cases.service import comment, merge, open_case, relate, solve
from hub.stores.cases import CaseQuery
from models.cases import Case, CaseId, CaseState
from models.channels import Channel
from models.conversations import Conversation, ConversationState
from models.errors import Conflict, InvalidTransition, PayloadError
from models.ids import ConversationId, new_id
from tests.unit.hub.cases.conftest import T0, World


async def second_channel(world: World) -> Conversation:
    """The same shopper writing from WhatsApp: a second conversation (the first one closed meanwhile)."""
    first = await world.hub.stores.conversations.get(world.conversation.id)
    first.transition(ConversationState.CLOSED, actor="test")
    await world.hub.stores.conversations.save(first, expected_version=first.version)
    other = Conversation.open(world.customer.id, Channel.WHATSAPP, "shop", at=T0 + timedelta(hours=1))
    await world.hub.stores.conversations.create(other)
    return other


async def price_tag(world: World, conversation_id: ConversationId, key: str, *, store: str = "118",
                    hours: float = 0) -> tuple[Case, bool]:
    """A price-tag case about a store."""
    return await open_case(world.hub, conversation_id=conversation_id, request_type="price_tag_mismatch",
                           description=f"Ценник не совпадает ({key})", store_id=store, actor="user:olga", key=key,
                           at=T0 + timedelta(hours=hours))


async def test_a_repeated_key_returns_the_first_case(world: World) -> None:
    first, new = await price_tag(world, world.conversation.id, "k")
    again, new_again = await price_tag(world, world.conversation.id, "k")
    assert (new, new_again) == (True, False) and again.id == first.id
    with pytest.raises(Conflict, match="another conversation"):
        await price_tag(world, ConversationId("someone-elses"), "k")


async def test_the_same_shopper_type_and_store_within_the_window_is_linked_to_the_open_case(world: World) -> None:
    original, _ = await price_tag(world, world.conversation.id, "tg-1")
    whatsapp = await second_channel(world)
    returned, new = await price_tag(world, whatsapp.id, "wa-1", hours=2)
    assert not new and returned.id == original.id
    [duplicate] = [await world.hub.stores.cases.get(d) for d in returned.links.duplicates]
    assert duplicate.links.duplicate_of == original.id and duplicate.state is CaseState.CLOSED
    assert duplicate.conversation_id == whatsapp.id and duplicate.channel is Channel.WHATSAPP
    assert any(duplicate.label in c.text for c in returned.comments)
    repeat, _ = await price_tag(world, whatsapp.id, "wa-1", hours=3)  # the duplicate's key: still the original
    assert repeat.id == original.id and len(repeat.links.duplicates) == 1


async def test_another_store_or_an_expired_window_makes_a_new_case(world: World) -> None:
    original, _ = await price_tag(world, world.conversation.id, "a")
    other_store, new_store = await price_tag(world, world.conversation.id, "b", store="205")
    later, new_later = await price_tag(world, world.conversation.id, "c", hours=73)
    assert new_store and new_later and len({original.id, other_store.id, later.id}) == 3


async def test_a_solved_case_is_not_a_duplicate_target(world: World) -> None:
    original, _ = await price_tag(world, world.conversation.id, "a")
    await solve(world.hub, original.id, "Исправили", actor="user:ivan", key="s", notify=False)
    _, new = await price_tag(world, world.conversation.id, "b", hours=1)
    assert new


async def test_merging_closes_the_source_and_moves_its_content(world: World) -> None:
    target, _ = await price_tag(world, world.conversation.id, "a")
    source, _ = await open_case(world.hub, conversation_id=world.conversation.id, request_type="staff_behaviour",
                                description="И кассир нагрубил", store_id="118", actor="user:olga", key="b", at=T0)
    await comment(world.hub, source.id, "Записи с камер запрошены", actor="user:ivan")
    merged = await merge(world.hub, source.id, target.id, actor="user:boss", reason="one visit, one complaint")
    again = await merge(world.hub, source.id, target.id, actor="user:boss")
    closed = await world.hub.stores.cases.get(source.id)
    assert closed.state is CaseState.CLOSED and closed.links.merged_into == target.id
    assert merged.links.merged == [source.id] and again.links.merged == [source.id]
    assert any("Записи с камер" in c.text for c in merged.comments)
    assert [h.kind for h in merged.history][-1] == "merged_in" and [h.kind for h in closed.history][-1] == "merged"
    await world.settle()
    assert [e.data["merged_into"] for e in world.events.of("case.merged")] == [target.id]


async def test_merging_refuses_itself_a_closed_target_and_a_second_target(world: World) -> None:
    a, _ = await price_tag(world, world.conversation.id, "a")
    b, _ = await price_tag(world, world.conversation.id, "b", store="205")
    c, _ = await open_case(world.hub, conversation_id=world.conversation.id, request_type="refund",
                           description="Верните деньги", order_id="A-1", actor="user:olga", key="c", at=T0)
    with pytest.raises(PayloadError):
        await merge(world.hub, a.id, a.id, actor="user:boss")
    await merge(world.hub, a.id, b.id, actor="user:boss")
    with pytest.raises(Conflict, match="already merged"):
        await merge(world.hub, a.id, c.id, actor="user:boss")
    with pytest.raises(InvalidTransition, match="merge into an open case"):
        await merge(world.hub, c.id, a.id, actor="user:boss")


async def test_concurrent_opens_with_one_key_make_one_case(world: World) -> None:
    results = await asyncio.gather(*[price_tag(world, world.conversation.id, "same") for _ in range(5)])
    assert len({case.id for case, _ in results}) == 1 and sum(new for _, new in results) == 1
    assert await world.hub.stores.cases.count(CaseQuery()) == 1


async def test_concurrent_changes_all_land(world: World) -> None:
    case, _ = await price_tag(world, world.conversation.id, "a")
    await asyncio.gather(*[comment(world.hub, case.id, f"note {n}", actor="user:ivan") for n in range(4)])
    stored = await world.hub.stores.cases.get(case.id)
    assert sorted(c.text for c in stored.comments) == [f"note {n}" for n in range(4)]


async def test_related_cases_name_each_other_once(world: World) -> None:
    a, _ = await price_tag(world, world.conversation.id, "a")
    b, _ = await price_tag(world, world.conversation.id, "b", store="205")
    await relate(world.hub, a.id, b.id, actor="user:boss")
    again = await relate(world.hub, a.id, b.id, actor="user:boss")
    other = await world.hub.stores.cases.get(b.id)
    assert again.links.related == [b.id] and other.links.related == [a.id]
    assert again.state is other.state is CaseState.NEW


async def test_a_repeat_after_a_crash_before_the_announcement_publishes_case_opened(world: World) -> None:
    first, _ = await price_tag(world, world.conversation.id, "k-first")
    # What a first call that died between storing the case and announcing it leaves behind.
    crashed = first.model_copy(update={"id": CaseId(new_id()), "key": "k-crashed",
                                       "number": await world.hub.stores.cases.next_number()})
    await world.hub.stores.cases.create(crashed)

    again, new = await price_tag(world, world.conversation.id, "k-crashed")
    await world.settle()

    assert (again.id, new) == (crashed.id, False)
    opened = [e for e in world.events.of("case.opened") if e.data["case_id"] == crashed.id]
    assert [e.id for e in opened] == [f"case.opened:{crashed.id}:0"]
