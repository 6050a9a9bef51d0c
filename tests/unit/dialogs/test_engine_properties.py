"""Whatever the shopper does, a turn never fails, the state survives JSON and stays small."""

from __future__ import annotations

import asyncio
import random
from pathlib import Path
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from dialogs.engine import DialogState, Turn, step
from dialogs.loader import load_flows
from dialogs.testing import StubActions
from tests.unit.dialogs.helpers import NOON, parse

SHIPPED = load_flows(Path(__file__).resolve().parents[3] / "dialogs" / "flows")
INTENTS = [*sorted(SHIPPED.by_intent), "human_request", "out_of_scope", "no_such_intent"]
ENTITIES = {"order_id": "104512", "store_id": "118", "loyalty_card": "2000123456781234", "date": "2026-11-24",
            "city": "Казань", "promo": "SALE20"}
ANSWERS: dict[str, dict[str, Any] | list[dict[str, Any]]] = {"order_status": [
    {"ok": True, "order_id": "104512", "status_text": "в пути", "late": False},
    {"error": "down"}, {"ok": False, "reason": "not_found"}]}
TEXTS = ["104512", "118", "да", "нет", "1", "2", "вчера", "Нет, спасибо", "Позвать оператора", "", "ыва",
         "where is my order", "x" * 5000]

turns = st.lists(st.tuples(st.sampled_from(TEXTS), st.sampled_from(INTENTS), st.floats(0.0, 1.0),
                           st.sets(st.sampled_from(sorted(ENTITIES)), max_size=2),
                           st.sampled_from([None, "conversation_started", "deep_link"])),
                 min_size=1, max_size=25)


@settings(max_examples=60, deadline=None)
@given(turns)
def test_any_conversation_steps_without_errors_and_a_bounded_state(script: list[tuple[str, str, float, set[str],
                                                                                   str | None]]) -> None:
    async def run() -> None:
        actions = StubActions({"order_status", "find_store", "loyalty_balance", "create_case", "record_praise",
                               "issue_promo_code", "store_hours", "nearest_store"}, dict(ANSWERS))
        state = DialogState()
        for i, (text, intent, confidence, entities, event) in enumerate(script):
            nlu = parse(text, intent, confidence, **{e: ENTITIES[e] for e in entities}) if text else None
            turn = Turn(text=text, nlu=nlu, event=event, deep_link="order" if event == "deep_link" else None,
                        channel="webchat", now=NOON)
            result = await step(SHIPPED, state, turn, actions, rng=random.Random(i))
            state = DialogState.model_validate_json(result.state.model_dump_json())
            assert all(r.text for r in result.replies)
            assert (result.handover is None) or state.handed_over
            assert len(state.recent) <= SHIPPED.rules.keep_messages
            assert len(state.model_dump_json()) < 16_000

    asyncio.run(run())
