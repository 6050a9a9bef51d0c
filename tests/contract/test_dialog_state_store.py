"""The dialog-state store contract (hub/stores/dialog_state.py), run over every adapter."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import pytest

from hub.stores.base import Stores
from hub.stores.dialog_state import SavedDialogState
from models.ids import ConversationId

StoresFactory = Callable[[], Stores]
T0 = datetime(2025, 3, 1, 9, 30, 15, 123000, tzinfo=UTC)
CONV = ConversationId("conv-1")


def state(version: int, turn: str, **data: object) -> SavedDialogState:
    """A state at `version` produced by the turn of message `turn`."""
    return SavedDialogState(conversation_id=CONV, version=version, turn_key=turn, data=dict(data), updated_at=T0)


async def test_get_before_the_first_turn_is_none(stores: Stores) -> None:
    assert await stores.dialog_states.get(CONV) is None


async def test_first_save_round_trips_with_nested_data(stores: Stores) -> None:
    first = state(1, "m1", flow="order_status", slots={"order_id": "4512", "attempts": 1}, last=["a", "б"])
    first = first.model_copy(update={"earlier_turns": ["m0a", "m0b"]})
    assert await stores.dialog_states.save(first, expected_version=0)
    assert await stores.dialog_states.get(CONV) == first


async def test_save_at_the_expected_version_replaces_it(stores: Stores) -> None:
    await stores.dialog_states.save(state(1, "m1", flow="greeting"), expected_version=0)
    second = state(2, "m2", flow="order_status")
    assert await stores.dialog_states.save(second, expected_version=1)
    assert await stores.dialog_states.get(CONV) == second


async def test_save_rejects_a_stale_version_and_keeps_the_newer(stores: Stores) -> None:
    await stores.dialog_states.save(state(1, "m1"), expected_version=0)
    await stores.dialog_states.save(state(2, "m2", flow="new"), expected_version=1)
    assert not await stores.dialog_states.save(state(2, "m2-again", flow="stale"), expected_version=1)
    assert not await stores.dialog_states.save(state(1, "m1-again"), expected_version=0)
    kept = await stores.dialog_states.get(CONV)
    assert kept is not None and kept.turn_key == "m2" and kept.data == {"flow": "new"}


async def test_save_rejects_a_version_that_skips(stores: Stores) -> None:
    with pytest.raises(ValueError):
        await stores.dialog_states.save(state(3, "m1"), expected_version=0)


async def test_concurrent_first_saves_let_exactly_one_win(stores: Stores) -> None:
    results = await asyncio.gather(*(stores.dialog_states.save(state(1, f"m{n}"), expected_version=0)
                                     for n in range(5)))
    assert sorted(results) == [False, False, False, False, True]


async def test_states_are_per_conversation(stores: Stores) -> None:
    other = SavedDialogState(conversation_id=ConversationId("conv-2"), version=1, turn_key="x", updated_at=T0)
    await stores.dialog_states.save(state(1, "m1"), expected_version=0)
    await stores.dialog_states.save(other, expected_version=0)
    assert await stores.dialog_states.get(ConversationId("conv-2")) == other
    assert (await stores.dialog_states.get(CONV)) == state(1, "m1")


async def test_delete_forgets_the_state_once(stores: Stores) -> None:
    await stores.dialog_states.save(state(1, "m1"), expected_version=0)
    assert await stores.dialog_states.delete(CONV)
    assert await stores.dialog_states.get(CONV) is None
    assert not await stores.dialog_states.delete(CONV)
    assert await stores.dialog_states.save(state(1, "m9"), expected_version=0)  # a fresh start is allowed


async def test_remember_code_keeps_the_first_code_per_conversation_and_kind(stores: Stores) -> None:
    assert await stores.dialog_states.kept_code(CONV, "promo") is None
    assert await stores.dialog_states.remember_code(CONV, "promo", "SORRY15") == "SORRY15"
    assert await stores.dialog_states.remember_code(CONV, "promo", "OTHER20") == "SORRY15"
    assert await stores.dialog_states.remember_code(CONV, "welcome", "HELLO5") == "HELLO5"
    assert await stores.dialog_states.remember_code(ConversationId("conv-2"), "promo", "OTHER20") == "OTHER20"
    assert await stores.dialog_states.kept_code(CONV, "promo") == "SORRY15"


async def test_state_survives_reopening_the_store(stores_factory: StoresFactory) -> None:
    first = stores_factory()
    await first.open()
    try:
        await first.dialog_states.save(state(1, "m1", flow="praise"), expected_version=0)
        await first.dialog_states.remember_code(CONV, "promo", "SORRY15")
    finally:
        await first.close()
    again = stores_factory()
    await again.open()
    try:
        assert await again.dialog_states.get(CONV) == state(1, "m1", flow="praise")
        assert await again.dialog_states.remember_code(CONV, "promo", "X") == "SORRY15"
    finally:
        await again.close()


async def test_purge_stale_forgets_idle_states_and_their_codes_oldest_first_in_batches(stores: Stores) -> None:
    store = stores.dialog_states
    for n, days in enumerate((40, 35, 31, 5)):  # three idle past 30 days, one recent
        conversation = ConversationId(f"conv-p{n}")
        saved = SavedDialogState(conversation_id=conversation, version=1, turn_key=f"m{n}",
                                 updated_at=T0 - timedelta(days=days))
        assert await store.save(saved, expected_version=0)
        await store.remember_code(conversation, "promo", f"CODE{n}")
    cutoff = T0 - timedelta(days=30)

    assert await store.purge_stale(cutoff, limit=2) == 2
    assert [await store.get(ConversationId(f"conv-p{n}")) is None for n in range(4)] == [True, True, False, False]
    assert await store.kept_code(ConversationId("conv-p0"), "promo") is None
    assert await store.kept_code(ConversationId("conv-p2"), "promo") == "CODE2"

    assert await store.purge_stale(cutoff, limit=2) == 1
    assert await store.purge_stale(cutoff, limit=2) == 0
    assert await store.get(ConversationId("conv-p3")) is not None
    assert await store.kept_code(ConversationId("conv-p3"), "promo") == "CODE3"
