"""Twelve weeks of reviews of two stores, taken in through the real ingest: store 118 good for two months and
bad for the last three weeks (a significant drop, a burst today), store 205 steady; some answered."""

from __future__ import annotations

from datetime import datetime, timedelta

from hub.core import Hub
from hub.reviews import take
from models.reviews import PlatformReview, Reply, ReplyState

LOCATION_205 = "accounts/7001/locations/205"


async def write_history(hub: Hub, now: datetime, location_118: str) -> None:
    """The reviews, and replies on two of the negative ones (posted 3 and 5 hours after the review)."""
    assert hub.reviews is not None
    from models.reviews import PlaceMapping

    await hub.reviews.store.save_place(PlaceMapping(platform="google_business", place_id=LOCATION_205,
                                                    store_id="205"))
    good = ["Чисто, быстро, вежливо", "Хороший магазин у дома", "Всё свежее, спасибо"]
    bad = ["Грязно и очередь на полчаса", "Просроченный творог на полке", "Кассир нагрубил, очередь"]
    n = 0
    for days in range(80, 22, -4):  # the baseline: 4-5 stars at 118, 4 at 205
        for place, stars in ((location_118, 5 if days % 8 else 4), (LOCATION_205, 4)):
            n += 1
            await take(hub, PlatformReview(platform="google_business", review_id=f"h{n}", place_id=place,
                                           rating=stars, text=good[n % 3], created_at=now - timedelta(days=days),
                                           updated_at=now - timedelta(days=days)))
    for hours in (20 * 24, 12 * 24, 6 * 24, 10, 6, 2):  # the last three weeks at 118: bad, three of them today
        n += 1
        await take(hub, PlatformReview(platform="google_business", review_id=f"h{n}", place_id=location_118,
                                       rating=1 + n % 2, text=bad[n % 3], created_at=now - timedelta(hours=hours),
                                       updated_at=now - timedelta(hours=hours)))
    for rid, after in (("google_business:h31", 3), ("google_business:h32", 5)):
        review = await hub.reviews.store.get(rid)
        assert review is not None
        review.reply = Reply(text="Спасибо, разбираемся", state=ReplyState.POSTED, drafted_by="user:ivan",
                             approved_by="user:sam", posted_at=review.created_at + timedelta(hours=after))
        await hub.reviews.store.save(review, expected_version=review.version)
