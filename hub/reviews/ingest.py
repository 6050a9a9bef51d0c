"""Taking a review in, from any source: dedupe on (platform, review id), map its place to a store, read it,
keep an edit's earlier versions, mark deletions, and open a case for a negative one.

Idempotent: the same review again changes nothing; an edit (a later `updated_at` with another rating or
text) updates it in place and keeps the earlier version in `revisions`.
"""

from __future__ import annotations

from enum import StrEnum
from typing import TYPE_CHECKING

from hub.reviews import alerts, routing
from hub.reviews.places import place_of
from models.clock import utcnow
from models.customers import Identity, IdentityKind, normalize_phone
from models.errors import Conflict, NotFound
from models.reviews import PlatformReview, Review, Revision

if TYPE_CHECKING:
    from datetime import datetime

    from hub.core import Hub
    from hub.ports import ReviewsRuntime


class Outcome(StrEnum):
    """What taking a review in did."""

    NEW = "new"
    EDITED = "edited"
    SAME = "same"
    DELETED = "deleted"


def runtime_of(hub: Hub) -> ReviewsRuntime:
    """The process's review monitoring; NotFound when it is not wired."""
    if hub.reviews is None:
        raise NotFound("review monitoring is not configured in this process")
    return hub.reviews


def review_key(platform: str, review_id: str) -> str:
    """Our id of a platform's review."""
    return f"{platform}:{review_id}"


async def _known_customer(hub: Hub, author_identity: str | None) -> str | None:
    """The customer a proven identity belongs to; never guessed from a name."""
    if not author_identity or ":" not in author_identity:
        return None
    kind, _, value = author_identity.partition(":")
    if kind not in {k.value for k in IdentityKind}:
        return None
    if kind == IdentityKind.PHONE:
        try:
            value = normalize_phone(value)
        except ValueError:
            return None
    customer = await hub.stores.customers.find_by_identity(Identity(kind=IdentityKind(kind), value=value))
    return None if customer is None else customer.id


async def _new_review(hub: Hub, rt: ReviewsRuntime, incoming: PlatformReview) -> Review:
    mapping = await place_of(rt.store, incoming)
    region = None
    if mapping.store_id is not None:
        try:
            region = (await hub.stores.directory.get_store(mapping.store_id)).region
        except NotFound:
            region = None
    reading = rt.reader.read(incoming.text, rating=incoming.rating, language=incoming.language)
    return Review(
        id=review_key(incoming.platform, incoming.review_id), platform=incoming.platform,
        review_id=incoming.review_id, place_id=incoming.place_id, store_id=mapping.store_id, region=region,
        rating=incoming.rating, text=incoming.text, language=incoming.language or reading.language,
        author_name=incoming.author_name, author_identity=incoming.author_identity,
        customer_id=await _known_customer(hub, incoming.author_identity), sentiment=reading.sentiment,
        topics=list(reading.topics), created_at=incoming.created_at, updated_at=incoming.updated_at,
        deleted=incoming.deleted, platform_reply=incoming.reply_text)


def _apply(rt: ReviewsRuntime, review: Review, incoming: PlatformReview) -> Outcome:
    """Fold a newer sighting into the stored review; what changed."""
    if incoming.deleted and not review.deleted:
        review.deleted = True
        return Outcome.DELETED
    review.platform_reply = incoming.reply_text or review.platform_reply
    edited = (incoming.rating, incoming.text) != (review.rating, review.text)
    if not edited or incoming.updated_at <= review.updated_at:
        return Outcome.SAME
    review.revisions.append(Revision(rating=review.rating, text=review.text, updated_at=review.updated_at))
    reading = rt.reader.read(incoming.text, rating=incoming.rating, language=incoming.language or review.language)
    review.rating, review.text, review.updated_at = incoming.rating, incoming.text, incoming.updated_at
    review.sentiment, review.topics = reading.sentiment, list(reading.topics)
    return Outcome.EDITED


async def take(hub: Hub, incoming: PlatformReview, *, at: datetime | None = None) -> tuple[Review, Outcome]:
    """Store or update one review and open its case if it is negative; the review and what happened."""
    rt, at = runtime_of(hub), at or utcnow()
    key = review_key(incoming.platform, incoming.review_id)
    for _ in range(5):  # optimistic locking: another worker may save the same review meanwhile
        review = await rt.store.get(key)
        if review is None:
            review = await _new_review(hub, rt, incoming)
            if not await rt.store.create(review):
                continue  # stored by someone else a moment ago: fold into theirs
            outcome = Outcome.NEW
        else:
            version = review.version
            outcome = _apply(rt, review, incoming)
            if outcome is not Outcome.SAME:
                try:
                    await rt.store.save(review, expected_version=version)
                except Conflict:
                    continue
        return await _follow_up(hub, rt, review, outcome, at), outcome
    raise Conflict(f"review {key} keeps changing; try again")


async def _follow_up(hub: Hub, rt: ReviewsRuntime, review: Review, outcome: Outcome, at: datetime) -> Review:
    """Open the case of a negative review (again safe after a crash), note an edit on it."""
    if review.case_id is None and review.negative and not review.deleted:
        case_id = await routing.open_review_case(hub, review, rt.rules, at=at)
        review = await link_case(rt, review, case_id)
        if outcome is Outcome.NEW:
            await alerts.check_burst(hub, rt, review, at)
        return review
    if outcome is Outcome.EDITED:
        await routing.note_edit(hub, review, at=at)
    elif outcome is Outcome.DELETED:
        await routing.note_deleted(hub, review)
    return review


async def link_case(rt: ReviewsRuntime, review: Review, case_id: str) -> Review:
    """Remember the review's case (re-reading on a concurrent save)."""
    for _ in range(5):
        if review.case_id == case_id:
            return review
        review.case_id = case_id
        try:
            await rt.store.save(review, expected_version=review.version)
            return review
        except Conflict:
            fresh = await rt.store.get(review.id)
            if fresh is None:
                raise
            review = fresh
    raise Conflict(f"review {review.id}: could not link case {case_id}")


async def mark_gone(hub: Hub, platform: str, place_id: str, seen: set[str]) -> list[str]:
    """After a complete listing of a place: mark its stored reviews that the platform no longer shows."""
    rt = runtime_of(hub)
    gone = [rid for rid in await rt.store.live_ids(platform, place_id) if rid not in seen]
    for rid in gone:
        review = await rt.store.get(rid)
        if review is not None and not review.deleted:
            review.deleted = True
            await rt.store.save(review, expected_version=review.version)
            await routing.note_deleted(hub, review)
    return gone
