"""The review store's contract, on SQLite and on MongoDB."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from hub.stores.mongo.db import MongoDatabase
from hub.stores.mongo.reviews import MongoReviewStore
from hub.stores.reviews import ReviewStore
from hub.stores.sqlite.reviews import SqliteReviewStore
from models.errors import Conflict
from models.reviews import PlaceMapping, Reply, ReplyState, Review

T0 = datetime(2026, 10, 1, 12, tzinfo=UTC)


@pytest.fixture(params=["sqlite", pytest.param("mongo", marks=pytest.mark.mongo)])
async def store(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[ReviewStore]:
    """An opened review store of each backend, on data of its own."""
    name = f"otklik_reviews_{uuid.uuid4().hex}"
    opened: ReviewStore
    if request.param == "sqlite":
        opened = SqliteReviewStore(str(tmp_path / "reviews.db"))
    else:
        opened = MongoReviewStore(request.getfixturevalue("mongodb_url"), name)
    await opened.open()
    yield opened
    await opened.close()
    if request.param == "mongo":
        cleanup = MongoDatabase(request.getfixturevalue("mongodb_url"), name)
        await cleanup.open()
        await cleanup.client.drop_database(name)
        await cleanup.close()


def review(n: int, *, platform: str = "google_business", store_id: str | None = "118", hours: int = 0) -> Review:
    return Review(id=f"{platform}:r{n}", platform=platform, review_id=f"r{n}", place_id="accounts/1/locations/9",
                  store_id=store_id, rating=n % 5 + 1, text=f"отзыв {n}", created_at=T0 + timedelta(hours=hours),
                  updated_at=T0 + timedelta(hours=hours))


async def test_create_refuses_a_second_review_with_the_same_id(store: ReviewStore) -> None:
    assert await store.create(review(1))
    assert not await store.create(review(1).model_copy(update={"text": "другой"}))
    found = await store.get("google_business:r1")
    assert found is not None and found.text == "отзыв 1"


async def test_save_rejects_stale_version(store: ReviewStore) -> None:
    await store.create(review(1))
    first, second = await store.get("google_business:r1"), await store.get("google_business:r1")
    assert first is not None and second is not None
    first.text = "правка"
    await store.save(first, expected_version=0)
    second.text = "другая правка"
    with pytest.raises(Conflict):
        await store.save(second, expected_version=0)
    saved = await store.get("google_business:r1")
    assert saved is not None and (saved.text, saved.version) == ("правка", 1)


async def test_find_filters_and_orders_newest_first(store: ReviewStore) -> None:
    for n in range(4):
        await store.create(review(n, hours=n, store_id="118" if n % 2 else "205"))
    await store.create(review(9, platform="google_play", store_id=None, hours=10))
    assert [r.review_id for r in await store.find()] == ["r9", "r3", "r2", "r1", "r0"]
    assert [r.review_id for r in await store.find(store_id="118")] == ["r3", "r1"]
    assert [r.review_id for r in await store.find(platform="google_play")] == ["r9"]
    assert [r.review_id for r in await store.find(since=T0 + timedelta(hours=2))] == ["r9", "r3", "r2"]


async def test_find_by_reply_state_follows_saves(store: ReviewStore) -> None:
    await store.create(review(1))
    found = await store.get("google_business:r1")
    assert found is not None
    found.reply = Reply(text="Спасибо", state=ReplyState.APPROVED, drafted_by="user:ivan")
    await store.save(found, expected_version=0)
    assert [r.id for r in await store.find(reply_state=ReplyState.APPROVED)] == ["google_business:r1"]
    assert await store.find(reply_state=ReplyState.DRAFT) == []


async def test_live_ids_leave_out_deleted_reviews(store: ReviewStore) -> None:
    await store.create(review(1))
    await store.create(review(2).model_copy(update={"deleted": True}))
    assert await store.live_ids("google_business", "accounts/1/locations/9") == ["google_business:r1"]


async def test_place_mapping_is_replaced_and_unmapped_places_listed(store: ReviewStore) -> None:
    await store.save_place(PlaceMapping(platform="2gis", place_id="70000001", place_name="Магазин у дома"))
    await store.save_place(PlaceMapping(platform="2gis", place_id="70000002"))
    await store.save_place(PlaceMapping(platform="2gis", place_id="70000001", store_id="118", mapped_by="user:sam"))
    mapped = await store.get_place("2gis", "70000001")
    assert mapped is not None and (mapped.store_id, mapped.mapped_by) == ("118", "user:sam")
    assert [p.place_id for p in await store.places(unmapped_only=True)] == ["70000002"]
    assert len(await store.places()) == 2
    assert await store.get_place("2gis", "nope") is None
