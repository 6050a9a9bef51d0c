"""Places nobody mapped (suggested, then mapped with their reviews), the export's masked authors, and the
burst alert on a store's queue."""

from __future__ import annotations

import csv
from datetime import timedelta
from pathlib import Path

from api.wiring import running_hub
from hub.cases.service import get_case
from hub.reviews import take
from models.reviews import PlatformReview
from tests.conftest import SettingsFactory
from tests.integration.reviews.test_import_and_webhook import otklik
from tests.integration.reviews.world import LOCATION, T0, build_review_world


def review(n: int, place: str, stars: int, text: str, hours: float, **extra: str) -> PlatformReview:
    at = T0 + timedelta(hours=hours)
    return PlatformReview(platform="yandex_maps" if place.isdigit() else "google_business", review_id=f"r{n}",
                          place_id=place, rating=stars, text=text, created_at=at, updated_at=at, **extra)


async def test_unmapped_place_is_suggested_then_mapped_from_the_cli(make_settings: SettingsFactory) -> None:
    settings = make_settings()
    async with running_hub(settings) as hub:
        await build_review_world(hub)
        await take(hub, review(1, "1124715036", 4, "Нормально", 0, place_name="Супермаркет",
                               place_address="Мурманск, улица Ленина, 5"))
    listed = await otklik(settings, "reviews", "places")
    assert "yandex_maps 1124715036  Супермаркет · Мурманск, улица Ленина, 5  -> 205 Магазин 205" in listed.output
    unknown = await otklik(settings, "reviews", "map", "yandex_maps", "1124715036", "999")
    assert unknown.exit_code == 1 and "999" in unknown.output
    mapped = await otklik(settings, "reviews", "map", "yandex_maps", "1124715036", "205")
    assert mapped.exit_code == 0, mapped.output
    async with running_hub(settings) as hub:
        assert hub.reviews is not None
        stored = await hub.reviews.store.get("yandex_maps:r1")
        assert stored is not None and (stored.store_id, stored.region) == ("205", "north")
        assert (await otklik(settings, "reviews", "places")).output == ""


async def test_export_masks_authors(make_settings: SettingsFactory, tmp_path: Path) -> None:
    settings = make_settings()
    async with running_hub(settings) as hub:
        await build_review_world(hub)
        await take(hub, review(1, LOCATION, 5, "Отлично", 0, author_name="Ирина Карпова"))
    out = tmp_path / "reviews.csv"
    result = await otklik(settings, "reviews", "export", str(out))
    assert result.exit_code == 0, result.output
    rows = list(csv.DictReader(out.read_text(encoding="utf-8").splitlines()))
    assert [(r["review_id"], r["author"], r["store_id"]) for r in rows] == [("r1", "И*** К***", "118")]
    assert "Карпова" not in out.read_text(encoding="utf-8")


async def test_a_burst_of_negative_reviews_alerts_the_stores_queue_once(make_settings: SettingsFactory) -> None:
    async with running_hub(make_settings()) as hub:
        await build_review_world(hub)
        taken = [await take(hub, review(n, LOCATION, 1, "Грязно и очередь", hours)) for n, hours in
                 enumerate([0, 30, 31, 32, 33])]  # the first is more than a day before the others
        cases = [await get_case(hub, r.case_id or "") for r, _ in taken]
        alerted = [any("Всплеск" in c.text for c in case.comments) for case in cases]
        assert alerted == [False, False, False, True, False]
        assert cases[3].group == "store:118"
