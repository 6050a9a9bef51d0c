"""The caps hold when separate processes reserve at the same instant: on the SQLite store, on MongoDB, and on
Redis in front of the store. Never more offers than the budget, never more than the weekly limit per customer,
never two turns of one customer in one campaign."""

from __future__ import annotations

import asyncio
import json
import os
import sys
import uuid
from collections import Counter
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from redis.asyncio import Redis

from hub.stores.campaigns import CampaignStore
from hub.stores.mongo.campaigns import MongoCampaignStore
from hub.stores.mongo.db import MongoDatabase
from hub.stores.sqlite.campaigns import SqliteCampaignStore
from tests.redis_keys import REDIS_URL, drop_keys

ROOT = Path(__file__).resolve().parents[3]
PROCESSES = 4
BUDGET = 7
WEEKLY = 3


@pytest.fixture(params=["sqlite", pytest.param("mongo", marks=pytest.mark.mongo),
                        pytest.param("redis", marks=pytest.mark.redis)])
async def backend(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[tuple[str, dict[str, str]]]:
    """The kind of ledger and the variables the competitors find it by; cleaned up afterwards."""
    kind, database, prefix = request.param, f"otklik_race_{uuid.uuid4().hex}", f"otklik-test-{uuid.uuid4().hex}:"
    env = {"CAMPAIGN_RACE_SQLITE_PATH": str(tmp_path / "otklik.db"), "CAMPAIGN_RACE_DATABASE": database,
           "CAMPAIGN_RACE_REDIS_URL": REDIS_URL, "CAMPAIGN_RACE_PREFIX": prefix}
    if kind == "mongo":
        env["CAMPAIGN_RACE_MONGODB_URL"] = request.getfixturevalue("mongodb_url")
    yield kind, env
    if kind == "mongo":
        cleanup = MongoDatabase(env["CAMPAIGN_RACE_MONGODB_URL"], database)
        await cleanup.open()
        await cleanup.client.drop_database(database)
        await cleanup.close()
    if kind == "redis":
        await drop_keys(prefix)


async def race(kind: str, env: dict[str, str], turns_per_child: list[list[str]], logs: Path) -> list[dict[str, int]]:
    """One child per list of turns; once all are ready, one signal starts them together. Their stderr goes to
    files (a full pipe nobody reads would stall a child)."""
    store = opened(kind, env)  # tables and indexes made once, before the children race to open it
    await store.open()
    await store.close()
    errors = [(logs / f"child{n}.err").open("wb") for n in range(len(turns_per_child))]
    children = [await asyncio.create_subprocess_exec(
        sys.executable, "-m", "tests.integration.campaign_race_child", kind, str(BUDGET), str(WEEKLY),
        ",".join(turns), cwd=ROOT, env={**os.environ, **env}, stdin=asyncio.subprocess.PIPE,
        stdout=asyncio.subprocess.PIPE, stderr=err) for turns, err in zip(turns_per_child, errors, strict=True)]
    try:
        for n, child in enumerate(children):
            assert child.stdout is not None
            ready = await asyncio.wait_for(child.stdout.readline(), 300)
            assert ready.strip() == b"ready", (logs / f"child{n}.err").read_text()[-2000:]
        outputs = await asyncio.wait_for(asyncio.gather(*(c.communicate(b"go\n") for c in children)), 120)
    finally:
        for child in children:
            if child.returncode is None:
                child.kill()
        for err in errors:
            err.close()
    failed = [(logs / f"child{n}.err").read_text()[-2000:] for n, c in enumerate(children) if c.returncode != 0]
    assert not failed, failed
    return [json.loads(out) for out, _ in outputs]


def opened(kind: str, env: dict[str, str]) -> CampaignStore:
    """The store the competitors wrote to."""
    if kind == "mongo":
        return MongoCampaignStore(env["CAMPAIGN_RACE_MONGODB_URL"], env["CAMPAIGN_RACE_DATABASE"])
    return SqliteCampaignStore(env["CAMPAIGN_RACE_SQLITE_PATH"])


async def test_caps_are_never_exceeded_by_racing_processes(backend: tuple[str, dict[str, str]],
                                                           tmp_path: Path) -> None:
    kind, env = backend
    # budget: 4 processes × 6 customers of campaign "spring" (24 turns for 7 offers); weekly: customer "w" in 8
    # campaigns, 2 per process (8 turns for 3 offers); once: every process also claims "once:x" twice
    turns = [[f"spring:c{p}-{n}" for n in range(6)] + [f"wk{2 * p}:w", f"wk{2 * p + 1}:w", "once:x", "once:x"]
             for p in range(PROCESSES)]
    results = await race(kind, env, turns, tmp_path)
    store = opened(kind, env)
    await store.open()
    try:
        spring, weekly, once = (await store.offers("spring"), await store.offers_of("w"), await store.offers("once"))
    finally:
        await store.close()
    total: Counter[str] = Counter()
    for result in results:
        total.update(result)
    assert len(spring) == BUDGET, results  # spent to the last offer, and not one more
    assert len(weekly) == WEEKLY, results
    assert len(once) == 1, results
    assert total["won"] == BUDGET + WEEKLY + 1, results
    assert total["budget"] == PROCESSES * 6 - BUDGET and total["weekly_limit"] == 2 * PROCESSES - WEEKLY, results
    if kind == "redis":  # Redis counted exactly what the store holds
        redis = Redis.from_url(REDIS_URL)
        try:
            assert int(await redis.get(f"{env['CAMPAIGN_RACE_PREFIX']}campaign:made:spring") or 0) == BUDGET
        finally:
            await redis.aclose()
