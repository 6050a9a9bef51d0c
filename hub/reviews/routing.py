"""A negative review becomes a case: the store's queue, quality control for quality topics, or the contact
centre for the app and for places nobody mapped to a store yet.

A case hangs off a conversation and a customer, so each review gets a closed conversation of its own (it
never takes a shopper's messages) under its author: the known customer when the source proved who wrote it,
else a customer record of the review's own. Both ids derive from the review's id and the case is opened under
the key `review:<id>`, so a retry after a crash finds what the first attempt made: never a second case.
"""

from __future__ import annotations

import contextlib
import hashlib
from datetime import datetime
from typing import TYPE_CHECKING

from hub.cases.service import comment, open_case
from models.cases import CaseId
from models.channels import Channel
from models.conversations import Conversation, ConversationState, Priority
from models.customers import Customer
from models.errors import Conflict
from models.ids import ConversationId, CustomerId
from models.reviews import Review

if TYPE_CHECKING:
    from hub.core import Hub
    from hub.ports import ReviewRules

ACTOR = "reviews"


def _derived(prefix: str, review: Review) -> str:
    return f"{prefix}-{hashlib.sha256(review.id.encode()).hexdigest()[:24]}"


def request_type(review: Review, rules: ReviewRules) -> str:
    """Which case type (and so which group) the review's case is."""
    if review.store_id is None:
        return rules.request_types["app"]
    if rules.quality_topics & set(review.topics):
        return rules.request_types["quality"]
    return rules.request_types["store"]


def describe(review: Review) -> str:
    """The case's description: platform, stars, topics, the text."""
    stars = f"{review.rating}★" if review.rating else "без оценки"
    topics = f" [{', '.join(review.topics)}]" if review.topics else ""
    return f"Отзыв {review.platform} ({stars}, {review.sentiment}){topics}: {review.text or '(без текста)'}"[:20_000]


async def _conversation(hub: Hub, review: Review, at: datetime) -> Conversation:
    """The review's own closed conversation (created once)."""
    customer_id = CustomerId(review.customer_id or _derived("rvc", review))
    if review.customer_id is None:
        with contextlib.suppress(Conflict):  # made by an earlier attempt
            await hub.stores.customers.create(Customer(id=customer_id, name=review.author_name,
                                                       attributes={"review_author": review.platform}))
    conversation_id = ConversationId(_derived("rv", review))
    conversation = Conversation(id=conversation_id, customer_id=customer_id, state=ConversationState.CLOSED,
                                channel=Channel.API, account_id=f"reviews:{review.platform}",
                                topic=review.topics[0] if review.topics else None, created_at=at, updated_at=at)
    try:
        await hub.stores.conversations.create(conversation)
    except Conflict:
        return await hub.stores.conversations.get(conversation_id)
    return conversation


async def open_review_case(hub: Hub, review: Review, rules: ReviewRules, *, at: datetime) -> str:
    """Open (or find) the review's case; its id."""
    conversation = await _conversation(hub, review, at)
    priority = Priority.HIGH if review.rating == 1 else Priority.NORMAL
    case, _ = await open_case(
        hub, conversation_id=conversation.id, request_type=request_type(review, rules), description=describe(review),
        store_id=review.store_id, priority=priority, actor=ACTOR, key=f"review:{review.id}", at=at,
        fields={"review_id": review.id, "platform": review.platform, "rating": review.rating,
                "sentiment": review.sentiment.value, "topics": list(review.topics)})
    return case.id


async def note_deleted(hub: Hub, review: Review) -> None:
    """Tell the review's case that the review is gone from the platform (a reply can no longer be posted)."""
    if review.case_id is not None:
        await comment(hub, CaseId(review.case_id), f"Отзыв удалён на {review.platform}: ответить на него уже нельзя.",
                      actor=ACTOR, key=f"review-deleted:{review.id}")


async def note_edit(hub: Hub, review: Review, *, at: datetime) -> None:
    """Tell the review's case that its author edited it."""
    if review.case_id is None:
        return
    from_ = review.revisions[-1]
    text = f"Автор изменил отзыв ({from_.rating}★ → {review.rating}★): {review.text}"
    await comment(hub, CaseId(review.case_id), text[:20_000], actor=ACTOR,
                  key=f"review-edit:{review.id}:{review.updated_at.isoformat()}", at=at)
