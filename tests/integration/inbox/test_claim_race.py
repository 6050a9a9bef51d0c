"""Two operators never get the same conversation, even when separate processes claim it at the same instant."""

from __future__ import annotations

import asyncio
import sys
import time
from pathlib import Path
from typing import Any

import pytest

from hub.inbox import handover
from models.conversations import ConversationState
from models.staff import Availability
from tests.conftest import REDIS_URL
from tests.inbox_fixtures import bot_conversation, hub_on, operator
from tests.integration.processes import clean_env
from tests.redis_keys import drop_keys

pytestmark = pytest.mark.redis
ROOT = Path(__file__).resolve().parents[3]
PROCESSES = 4


async def test_concurrent_claims_from_separate_processes_have_one_winner(make_settings: Any, tmp_path: Path) -> None:
    settings = make_settings(bus="redis", redis_url=REDIS_URL)
    async with hub_on(settings) as hub:
        people = [await operator(hub, f"op{i}", ["general"], availability=Availability.AWAY) for i in range(PROCESSES)]
        conversation = await handover.hand_over(hub, (await bot_conversation(hub)).id, topic=None, note="")
    start = time.time() + 4  # every child is connected by then
    children = []
    for i, person in enumerate(people):
        env = clean_env(OTKLIK_SECRET_KEY="test-secret-key-0123456789", OTKLIK_SQLITE_PATH=settings.sqlite_path,
                        OTKLIK_BUS="redis", OTKLIK_REDIS_URL=REDIS_URL, OTKLIK_REDIS_PREFIX=settings.redis_prefix,
                        OTKLIK_BUS_JOURNAL_PATH="", OTKLIK_NLU_MODEL_DIR=str(tmp_path / f"nlu{i}"),
                        OTKLIK_LOG_JSON="false")
        children.append(await asyncio.create_subprocess_exec(
            sys.executable, "-m", "tests.integration.claim_race_child", conversation.id, person.id, str(start),
            cwd=ROOT, env=env, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE))
    try:
        outputs = [await asyncio.wait_for(child.communicate(), 60) for child in children]
    finally:
        await drop_keys(settings.redis_prefix)
    results = [out.decode().strip() for out, _ in outputs]
    assert sorted(results) == ["lost"] * (PROCESSES - 1) + ["won"], [err.decode()[-2000:] for _, err in outputs]
    async with hub_on(settings) as hub:
        stored = await hub.stores.conversations.get(conversation.id)
    winner = people[results.index("won")]
    assert (stored.state, stored.assignee) == (ConversationState.ASSIGNED, winner.id)
    assert sum(1 for entry in stored.history if entry.to_state is ConversationState.ASSIGNED) == 1
