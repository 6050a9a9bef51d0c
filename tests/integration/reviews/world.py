"""The places of the review tests: store 118 (mapped to a Google location), its queue, quality control and
the contact centre; review monitoring configured from the environment as in production."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from hub.core import Hub
from models.retail_stores import RetailStore
from models.reviews import PlaceMapping
from models.staff import Group, GroupId, GroupKind

LOCATION = "accounts/7001/locations/118"
PACKAGE = "ru.chain.delivery"
T0 = datetime(2026, 11, 2, 9, 30, tzinfo=UTC)


def configure(monkeypatch: pytest.MonkeyPatch, *, business_url: str | None = None, play_url: str | None = None,
              second_approver: bool = True) -> None:
    """OTKLIK_REVIEWS_* as an operator would set them, pointed at the fakes."""
    if business_url:
        monkeypatch.setenv("OTKLIK_REVIEWS_GOOGLE_BUSINESS_TOKEN", "gbp-test-token")
        monkeypatch.setenv("OTKLIK_REVIEWS_GOOGLE_BUSINESS_LOCATIONS", f'["{LOCATION}"]')
        monkeypatch.setenv("OTKLIK_REVIEWS_GOOGLE_BUSINESS_URL", business_url)
    if play_url:
        monkeypatch.setenv("OTKLIK_REVIEWS_GOOGLE_PLAY_TOKEN", "play-test-token")
        monkeypatch.setenv("OTKLIK_REVIEWS_GOOGLE_PLAY_PACKAGE", PACKAGE)
        monkeypatch.setenv("OTKLIK_REVIEWS_GOOGLE_PLAY_URL", play_url)
    monkeypatch.setenv("OTKLIK_REVIEWS_POLL_SECONDS", "0.1")
    monkeypatch.setenv("OTKLIK_REVIEWS_SECOND_APPROVER", "true" if second_approver else "false")


async def build_review_world(hub: Hub) -> None:
    """Store 118 with its queue, the specialist groups, and the Google location mapped to the store."""
    await hub.stores.directory.upsert_stores([
        RetailStore(id="118", name="Магазин 118", region="central", city="Москва", address="Тверская, 1"),
        RetailStore(id="205", name="Магазин 205", region="north", city="Мурманск", address="Ленина, 5")])
    await hub.stores.directory.upsert_groups([
        Group(id=GroupId("store:118"), name="Магазин 118", kind=GroupKind.STORE, store_id="118"),
        Group(id=GroupId("store:205"), name="Магазин 205", kind=GroupKind.STORE, store_id="205"),
        Group(id=GroupId("quality_control"), name="Контроль качества", kind=GroupKind.SPECIALIST),
        Group(id=GroupId("contact_centre"), name="Контакт-центр")])
    assert hub.reviews is not None
    await hub.reviews.store.save_place(PlaceMapping(platform="google_business", place_id=LOCATION, store_id="118",
                                                    mapped_by="test"))
