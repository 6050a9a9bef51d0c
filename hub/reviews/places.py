"""Which store a platform's place is: the mapping people keep, and suggestions for places nobody mapped.

A suggestion scores each store of the directory by the words its name, city and address share with the
place's name and address (house numbers count double: "Тверская, 1" and "Тверская, 11" are not the same).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import TYPE_CHECKING

from models.errors import NotFound
from models.reviews import PlaceMapping, PlatformReview

if TYPE_CHECKING:
    from hub.core import Hub
    from hub.stores.reviews import ReviewStore

WORD = re.compile(r"\w+")
NOISE = frozenset({"ул", "улица", "д", "дом", "г", "город", "пр", "проспект", "магазин", "st", "street", "store",
                   "shop", "the", "и", "на"})


@dataclass(frozen=True)
class Suggestion:
    """A store the place may be, with how sure we are (0..1)."""

    store_id: str
    name: str
    score: float


def _words(text: str | None) -> set[str]:
    return {w for w in WORD.findall((text or "").casefold().replace("ё", "е")) if w not in NOISE}


def _similarity(place: set[str], store: set[str]) -> float:
    """Weighted overlap: numbers (house, store number) weigh twice as much as words."""
    if not place or not store:
        return 0.0

    def weight(words: set[str]) -> float:
        return sum(2.0 if w.isdigit() else 1.0 for w in words)

    return weight(place & store) / weight(place | store)


async def suggest(hub: Hub, mapping: PlaceMapping, *, limit: int = 3) -> list[Suggestion]:
    """The directory's stores most like the place, best first (score above 0.2)."""
    place = _words(mapping.place_name) | _words(mapping.place_address)
    found: list[Suggestion] = []
    for store in await hub.stores.directory.list_stores(limit=100_000):
        score = _similarity(place, _words(store.name) | _words(store.city) | _words(store.address) | {store.id})
        if score > 0.2:
            found.append(Suggestion(store.id, store.name, round(score, 2)))
    return sorted(found, key=lambda s: -s.score)[:limit]


async def place_of(store: ReviewStore, review: PlatformReview) -> PlaceMapping:
    """The place's mapping, remembering a place seen for the first time (unmapped)."""
    known = await store.get_place(review.platform, review.place_id)
    if known is not None:
        return known
    mapping = PlaceMapping(platform=review.platform, place_id=review.place_id, place_name=review.place_name,
                           place_address=review.place_address)
    await store.save_place(mapping)
    return mapping


async def map_place(hub: Hub, store: ReviewStore, platform: str, place_id: str, store_id: str, *,
                    actor: str) -> PlaceMapping:
    """Say which store a place is (NotFound for a store the directory lacks); its reviews so far follow."""
    region = (await hub.stores.directory.get_store(store_id)).region  # NotFound names the unknown store
    known = await store.get_place(platform, place_id)
    if known is None:
        raise NotFound(f"no {platform} place {place_id!r} seen yet")
    mapped = known.model_copy(update={"store_id": store_id, "mapped_by": actor})
    await store.save_place(mapped)
    for review in await store.find(platform=platform):
        if review.place_id == place_id and review.store_id != store_id:
            review.store_id, review.region = store_id, region
            await store.save(review, expected_version=review.version)
    return mapped
