"""The campaign store's contract, on SQLite and on MongoDB; the caps' ledger also on Redis in front of each."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from redis.asyncio import Redis

from hub.stores.campaigns import CampaignStore, CapLedger
from hub.stores.mongo.campaigns import MongoCampaignStore
from hub.stores.mongo.db import MongoDatabase
from hub.stores.redis_caps import RedisCapLedger
from hub.stores.sqlite.campaigns import SqliteCampaignStore
from models.campaigns import Campaign, CapLimits, Moment, Offer, OfferRecord, OfferSource, OfferState
from models.channels import Channel
from models.errors import Conflict, NotFound
from tests.redis_keys import REDIS_URL, drop_keys

T0 = datetime(2026, 12, 7, 12, tzinfo=UTC)


@pytest.fixture(params=["sqlite", pytest.param("mongo", marks=pytest.mark.mongo)])
async def store(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[CampaignStore]:
    """An opened campaign store of each backend, on data of its own."""
    name = f"otklik_campaigns_{uuid.uuid4().hex}"
    opened: CampaignStore
    if request.param == "sqlite":
        opened = SqliteCampaignStore(str(tmp_path / "campaigns.db"))
    else:
        opened = MongoCampaignStore(request.getfixturevalue("mongodb_url"), name)
    await opened.open()
    yield opened
    await opened.close()
    if request.param == "mongo":
        cleanup = MongoDatabase(request.getfixturevalue("mongodb_url"), name)
        await cleanup.open()
        await cleanup.client.drop_database(name)
        await cleanup.close()


@pytest.fixture(params=["store", "redis"])
async def ledger(request: pytest.FixtureRequest, store: CampaignStore) -> AsyncIterator[CapLedger]:
    """The caps counted by the store itself, or by Redis in front of it."""
    if request.param == "store":
        yield store
        return
    prefix = f"test:campaigns:{uuid.uuid4().hex}:"
    redis = Redis.from_url(REDIS_URL)
    yield RedisCapLedger(redis, store, prefix)
    await redis.aclose()
    await drop_keys(prefix)


def campaign(cid: str = "winter", **changes: object) -> Campaign:
    offer = Offer(source=OfferSource.POOL, text={"ru": "Код {code}", "en": "Code {code}"})
    return Campaign.model_validate({"id": cid, "name": "Зима", "placements": [Moment.COMPLAINT_RESOLVED],
                                    "offer": offer, **changes})


def turn(cid: str, customer: str, *, week: str = "2026-W50", control: bool = False, minutes: int = 0) -> OfferRecord:
    return OfferRecord(id=OfferRecord.id_for(cid, customer), campaign_id=cid, customer_id=customer,
                       moment=Moment.COMPLAINT_RESOLVED, channel=Channel.TELEGRAM, week=week, control=control,
                       made_at=T0 + timedelta(minutes=minutes),
                       state=OfferState.HELD_BACK if control else OfferState.MADE)


async def test_campaigns_round_trip_and_refuse_a_taken_id(store: CampaignStore) -> None:
    assert await store.create_campaign(campaign(budget=10))
    assert not await store.create_campaign(campaign(name="другая"))
    found = await store.get_campaign("winter")
    assert found == campaign(budget=10)
    assert [c.id for c in await store.campaigns()] == ["winter"]


async def test_save_campaign_rejects_stale_version(store: CampaignStore) -> None:
    await store.create_campaign(campaign())
    first, second = await store.get_campaign("winter"), await store.get_campaign("winter")
    assert first is not None and second is not None
    first.name = "Зима-2"
    await store.save_campaign(first, expected_version=0)
    assert first.version == 1
    with pytest.raises(Conflict):
        await store.save_campaign(second, expected_version=0)
    with pytest.raises(NotFound):
        await store.save_campaign(campaign("nobody"), expected_version=0)
    assert (await store.get_campaign("winter")) == first


async def test_delete_campaign_keeps_its_offers(store: CampaignStore) -> None:
    await store.create_campaign(campaign())
    await store.reserve(turn("winter", "c1"), CapLimits(weekly_limit=2))
    assert await store.delete_campaign("winter")
    assert not await store.delete_campaign("winter")
    assert [o.id for o in await store.offers("winter")] == ["winter:c1"]


async def test_a_pool_code_goes_to_one_offer_and_the_same_offer_gets_it_again(store: CampaignStore) -> None:
    assert await store.add_codes("winter", ["A1", "A2"]) == 2
    assert await store.add_codes("winter", ["A2", "A3"]) == 1
    first = await store.take_code("winter", "winter:c1")
    assert first is not None
    assert await store.take_code("winter", "winter:c1") == first
    second = await store.take_code("winter", "winter:c2")
    assert second not in (None, first)
    assert await store.codes_left("winter") == 1


async def test_racing_takes_of_one_offer_get_one_code(store: CampaignStore) -> None:
    await store.add_codes("winter", [f"C{n}" for n in range(10)])
    codes = await asyncio.gather(*(store.take_code("winter", "winter:c1") for _ in range(5)))
    assert len(set(codes)) == 1
    assert await store.codes_left("winter") == 9


async def test_an_empty_pool_gives_none(store: CampaignStore) -> None:
    await store.add_codes("winter", ["ONLY"])
    assert await store.take_code("winter", "winter:c1") == "ONLY"
    assert await store.take_code("winter", "winter:c2") is None


async def test_a_customer_gets_one_turn_per_campaign(ledger: CapLedger, store: CampaignStore) -> None:
    made = await ledger.reserve(turn("winter", "c1"), CapLimits(weekly_limit=5))
    assert made.record is not None and not made.replayed
    again = await ledger.reserve(turn("winter", "c1", minutes=5), CapLimits(weekly_limit=5))
    assert again.replayed and again.record is not None and again.record.made_at == T0
    assert len(await store.offers("winter")) == 1


async def test_the_budget_is_never_exceeded(ledger: CapLedger, store: CampaignStore) -> None:
    limits = CapLimits(budget=3, weekly_limit=5)
    outcomes = await asyncio.gather(*(ledger.reserve(turn("winter", f"c{n}"), limits) for n in range(8)))
    assert sum(o.record is not None for o in outcomes) == 3
    assert {o.refused for o in outcomes if o.record is None} == {"budget"}
    assert len(await store.offers("winter")) == 3


async def test_the_weekly_limit_counts_across_campaigns(ledger: CapLedger, store: CampaignStore) -> None:
    limits = CapLimits(weekly_limit=2)
    outcomes = [await ledger.reserve(turn(cid, "c1"), limits) for cid in ("a", "b", "c")]
    assert [o.refused for o in outcomes] == [None, None, "weekly_limit"]
    assert (await ledger.reserve(turn("c", "c1", week="2026-W51"), limits)).record is not None
    counters = await store.counters("c1", "2026-W50")
    assert counters.customer_week == 2 and counters.customer_campaigns == {"a", "b", "c"}


async def test_a_holdout_takes_the_turn_but_spends_no_cap(ledger: CapLedger, store: CampaignStore) -> None:
    limits = CapLimits(budget=1, weekly_limit=1)
    assert (await ledger.reserve(turn("winter", "c1", control=True), limits)).record is not None
    assert (await ledger.reserve(turn("winter", "c2"), limits)).record is not None
    assert (await ledger.reserve(turn("winter", "c1"), limits)).replayed
    counters = await store.counters("c1", "2026-W50")
    assert counters.customer_week == 0 and counters.customer_campaigns == {"winter"}


async def test_offers_are_found_by_code_and_saved_under_their_version(store: CampaignStore) -> None:
    reserved = (await store.reserve(turn("winter", "c1"), CapLimits(weekly_limit=2))).record
    assert reserved is not None
    reserved.code = "A1"
    await store.save_offer(reserved, expected_version=0)
    found = await store.offer_by_code("A1")
    assert found is not None and found.id == "winter:c1" and found.version == 1
    stale = reserved.model_copy(update={"state": OfferState.REDEEMED})
    with pytest.raises(Conflict):
        await store.save_offer(stale, expected_version=0)
    other = (await store.reserve(turn("winter", "c2"), CapLimits(weekly_limit=2))).record
    assert other is not None
    other.code = "A1"
    with pytest.raises(Conflict):
        await store.save_offer(other, expected_version=0)
    assert [o.id for o in await store.offers_of("c1")] == ["winter:c1"]
    assert await store.offer_by_code("nope") is None


async def test_offers_made_are_counted_per_campaign_whether_reserved_or_recorded(store: CampaignStore) -> None:
    await store.reserve(turn("a", "c1"), CapLimits(weekly_limit=9))
    await store.reserve(turn("a", "c2", control=True), CapLimits(weekly_limit=9))
    await store.reserve(turn("b", "c1"), CapLimits(budget=5, weekly_limit=9))
    await store.record(turn("a", "c3"))  # reserved in Redis, stored here
    await store.record(turn("a", "c3"))
    await store.record(turn("a", "c4", control=True))
    assert (await store.counters("c1", "2026-W50")).made == {"a": 2, "b": 1}
