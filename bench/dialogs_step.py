"""The engine's own cost per turn, without I/O: turn 1 of a conversation vs. turn 1,000 of one long one.

    .venv/bin/python -m bench.dialogs_step            # shipped flows, a few seconds
    .venv/bin/python -m bench.dialogs_step --turns 3000

A turn's cost must not grow with the conversation: the state is compact (bounded recent messages) and
the engine never reads history. Each turn also round-trips the state through JSON, as the bot stores it.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from dialogs.engine import DialogState, Turn, step
from dialogs.loader import load_flows
from dialogs.model import FlowSet
from dialogs.testing import StubActions
from models.nlu import Entity, ParseResult

FLOWS = Path(__file__).resolve().parents[1] / "dialogs" / "flows"
NOW = datetime(2026, 11, 25, 9, 0, tzinfo=UTC)
# one loop of a typical exchange: a question with its entity, a topic, a thanks (flows start and end)
SCRIPT = [("где мой заказ 104512", "order_status", {"order_id": "104512"}),
          ("до скольки работает магазин 118", "store_info", {"store_id": "118"}),
          ("спасибо, всё отлично", "praise", {})]
ANSWERS: dict[str, dict[str, Any] | list[dict[str, Any]]] = {
    "order_status": {"ok": True, "order_id": "104512", "status": "in_delivery", "status_text": "в пути",
                     "slot": "25.11 10:00–12:00", "late": False},
    "find_store": {"ok": True, "store_id": "118", "address": "ул. Ленина, 5", "hours": "08:00-23:00",
                   "phone": "+74951234567"},
    "record_praise": {"ok": True},
}


def turn_of(i: int) -> Turn:
    """The i-th shopper turn of the scripted mix."""
    text, intent, entities = SCRIPT[i % len(SCRIPT)]
    found = [Entity(entity=k, value=v, start=0, end=len(text), extractor="bench", canonical=v)
             for k, v in entities.items()]
    nlu = ParseResult(text=text, intent=intent, confidence=0.95, engine="bench", entities=found, language="ru")
    return Turn(text=text, nlu=nlu, channel="api", now=NOW, conversation_id="bench")


async def one_turn(flows: FlowSet, state_json: str, i: int, actions: StubActions) -> tuple[str, float]:
    """Load the state, step, dump the state; the new state and the seconds it took."""
    started = time.perf_counter()
    result = await step(flows, DialogState.model_validate_json(state_json), turn_of(i), actions)
    dumped = result.state.model_dump_json()
    return dumped, time.perf_counter() - started


async def main(turns: int, fresh: int) -> None:
    """Print per-turn latency at turn 1 (fresh conversations) and along one long conversation."""
    flows = load_flows(FLOWS)
    actions = StubActions(set(ANSWERS), ANSWERS)
    empty = DialogState().model_dump_json()
    for i in range(30):  # warm up: regexes compiled, time zones loaded
        await one_turn(flows, empty, i, actions)
    firsts = [(await one_turn(flows, empty, i, actions))[1] for i in range(fresh)]
    state, long_run = empty, []
    for i in range(turns):
        state, seconds = await one_turn(flows, state, i, actions)
        long_run.append(seconds)
    tail = long_run[-100:]
    print(f"flows: {len(flows.flows)} from {FLOWS}")
    print(f"turn 1 (fresh conversations, n={fresh}): p50 {statistics.median(firsts) * 1e6:.0f} µs, "
          f"p99 {sorted(firsts)[int(len(firsts) * 0.99)] * 1e6:.0f} µs")
    print(f"turns 1-100 of one conversation: p50 {statistics.median(long_run[:100]) * 1e6:.0f} µs")
    print(f"turns {turns - 99}-{turns} of the same conversation: p50 {statistics.median(tail) * 1e6:.0f} µs")
    print(f"state after {turns} turns: {len(state)} bytes of JSON")
    print(f"throughput: {turns / sum(long_run):.0f} turns/s (engine only, one core)")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--turns", type=int, default=1000)
    parser.add_argument("--fresh", type=int, default=300)
    args = parser.parse_args()
    asyncio.run(main(args.turns, args.fresh))
