"""A burst of negative reviews of one store alerts its queue's group: the `review.burst` event (to the CRM's
webhooks and whoever listens) and a comment on the newest review's case, once per store per 24-hour window."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from hub import events
from hub.cases.service import comment
from hub.reviews.report import bursts
from models.cases import CaseId
from models.reviews import Review
from models.staff import store_group_id

if TYPE_CHECKING:
    from hub.core import Hub
    from hub.ports import ReviewsRuntime

THRESHOLD = 3
WINDOW = timedelta(hours=24)


async def check_burst(hub: Hub, rt: ReviewsRuntime, review: Review, at: datetime) -> bool:
    """Alert when this negative review makes its store's count in the last 24 hours reach THRESHOLD."""
    if review.store_id is None or not review.negative:
        return False
    recent = await rt.store.find(store_id=review.store_id, since=review.created_at - WINDOW)
    recent = [r for r in recent if r.created_at <= review.created_at]
    found = dict(bursts(recent, review.created_at + timedelta(microseconds=1), threshold=THRESHOLD))
    if found.get(review.store_id) != THRESHOLD:
        return False  # below it, or an alert was already raised at the THRESHOLD-th review
    group = store_group_id(review.store_id)
    key = f"{review.store_id}:{review.id}"
    await events.emit(hub, "review.burst", key, store_id=review.store_id, group=group, count=THRESHOLD,
                      hours=int(WINDOW.total_seconds() // 3600), review_id=review.id)
    if review.case_id is not None:
        await comment(hub, CaseId(review.case_id),
                      f"Всплеск негатива: {THRESHOLD} негативных отзыва о магазине {review.store_id} за сутки.",
                      actor="reviews", key=f"review-burst:{key}", at=at)
    return True
