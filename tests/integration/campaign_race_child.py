"""One competitor in the caps race: `python -m tests.integration.campaign_race_child KIND BUDGET WEEKLY TURNS`.

Opens its own connection to the campaign store KIND names ("sqlite" PATH, "mongo" URL, or "redis" SQLITE-PATH
REDIS-URL PREFIX: the Redis ledger in front of SQLite, as the wiring builds it with the Redis bus) from
CAMPAIGN_RACE_* variables, prints "ready", waits for a line on stdin (the parent's start signal, sent once every
competitor is ready), then reserves each of TURNS ("campaign:customer,…") at the same time and prints how many
it won and why the others were refused, as JSON. It imports only the adapters: the whole app would take
longer to import than the race lasts on a busy machine.
"""

from __future__ import annotations

import asyncio
import json
import os
import sys
from collections import Counter
from datetime import UTC, datetime

from redis.asyncio import Redis

from hub.stores.campaigns import CampaignStore, CapLedger
from hub.stores.redis_caps import RedisCapLedger
from hub.stores.sqlite.campaigns import SqliteCampaignStore
from models.campaigns import CapLimits, Moment, OfferRecord, OfferState
from models.channels import Channel

NOW = datetime(2026, 12, 7, 12, tzinfo=UTC)


def store_of(kind: str) -> CampaignStore:
    """The store this competitor opens."""
    if kind == "mongo":
        from hub.stores.mongo.campaigns import MongoCampaignStore

        return MongoCampaignStore(os.environ["CAMPAIGN_RACE_MONGODB_URL"], os.environ["CAMPAIGN_RACE_DATABASE"])
    return SqliteCampaignStore(os.environ["CAMPAIGN_RACE_SQLITE_PATH"])


async def main(kind: str, budget: int, weekly: int, turns: list[str]) -> dict[str, int]:
    """Reserve every turn once the parent says go; the outcomes counted."""
    store = store_of(kind)
    await store.open()
    redis = Redis.from_url(os.environ["CAMPAIGN_RACE_REDIS_URL"]) if kind == "redis" else None
    ledger: CapLedger = store if redis is None else RedisCapLedger(redis, store, os.environ["CAMPAIGN_RACE_PREFIX"])
    records = [OfferRecord(id=t, campaign_id=t.split(":")[0], customer_id=t.split(":")[1], moment=Moment.OPERATOR,
                           channel=Channel.TELEGRAM, week="2026-W50", made_at=NOW, state=OfferState.MADE)
               for t in turns]
    limits = CapLimits(budget=budget, weekly_limit=weekly)
    try:
        if redis is not None:
            await redis.ping()  # connected before the start signal
        print("ready", flush=True)
        await asyncio.to_thread(sys.stdin.readline)
        outcomes = await asyncio.gather(*(ledger.reserve(r, limits) for r in records))
    finally:
        if redis is not None:
            await redis.aclose()
        await store.close()
    return dict(Counter("won" if o.record is not None and not o.replayed else o.refused or "replayed"
                        for o in outcomes))


if __name__ == "__main__":
    result = asyncio.run(main(sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), sys.argv[4].split(",")))
    print(json.dumps(result), flush=True)
