"""Public replies: drafted by an operator or store manager, approved by a second person when the rules say
so, posted by the worker through the platform's API, and the outcome written on the review's case.

    draft ──(second person)──► approved ──worker──► posted ──► case solved
                                   │                  └─ refused for good (too long, review deleted): failed
                                   └─ platform without an API (an import's source): manual, post it by hand
"""

from __future__ import annotations

import re
from datetime import datetime
from typing import TYPE_CHECKING

from hub.cases.service import comment, get_case, solve
from hub.reviews.ingest import runtime_of
from models.cases import CaseId
from models.clock import utcnow
from models.errors import Conflict, Forbidden, NotFound, PayloadError, SendError
from models.reviews import Reply, ReplyState, Review

if TYPE_CHECKING:
    from hub.core import Hub
    from hub.ports import ReviewsRuntime

TAG = re.compile(r"<\s*/?\s*[a-zA-Z][^>]*>")
MAX_ATTEMPTS = 8
GENERIC_LIMIT = 4000  # platforms without an API: what the map services' forms take


async def _review(rt: ReviewsRuntime, review_id: str) -> Review:
    review = await rt.store.get(review_id)
    if review is None:
        raise NotFound(f"no review {review_id!r}")
    return review


def check_text(rt: ReviewsRuntime, platform: str, text: str) -> str:
    """The reply's text, or PayloadError naming the platform's rule it breaks."""
    text = text.strip()
    if TAG.search(text):
        raise PayloadError("reply: plain text only, no HTML tags (the platforms strip or refuse them)")
    source = rt.sources.get(platform)
    if source is not None:
        source.check_reply(text)
    elif not text or len(text) > GENERIC_LIMIT:
        raise PayloadError(f"reply: 1 to {GENERIC_LIMIT} characters")
    return text


async def draft(hub: Hub, review_id: str, text: str, *, actor: str, at: datetime | None = None) -> Review:
    """Write (or rewrite) the reply; approved at once when no second approver is required."""
    rt = runtime_of(hub)
    review = await _review(rt, review_id)
    if review.reply is not None and review.reply.state in (ReplyState.POSTED, ReplyState.APPROVED):
        raise Conflict(f"review {review_id}: the reply is already {review.reply.state}")
    at = at or utcnow()
    reply = Reply(text=check_text(rt, review.platform, text), drafted_by=actor, drafted_at=at)
    if not rt.rules.second_approver:
        reply = reply.model_copy(update={"state": ReplyState.APPROVED, "approved_by": actor, "approved_at": at})
    review.reply = reply
    await rt.store.save(review, expected_version=review.version)
    return review


async def approve(hub: Hub, review_id: str, *, actor: str, at: datetime | None = None) -> Review:
    """Approve the draft (Forbidden for its own author when a second person is required)."""
    rt = runtime_of(hub)
    review = await _review(rt, review_id)
    reply = review.reply
    if reply is None or reply.state is not ReplyState.DRAFT:
        raise Conflict(f"review {review_id}: no draft to approve")
    if rt.rules.second_approver and reply.drafted_by == actor:
        raise Forbidden("a reply is approved by someone other than its author")
    review.reply = reply.model_copy(update={"state": ReplyState.APPROVED, "approved_by": actor,
                                            "approved_at": at or utcnow()})
    await rt.store.save(review, expected_version=review.version)
    return review


async def post_approved(hub: Hub, *, at: datetime | None = None) -> int:
    """Post every approved reply through its platform; how many were posted. SendError(retryable) stops the
    round so the poller backs off (the platform's rate limit applies to all our calls)."""
    rt = runtime_of(hub)
    posted = 0
    for review in await rt.store.find(reply_state=ReplyState.APPROVED, limit=200):
        if await _post(hub, rt, review, at or utcnow()):
            posted += 1
    return posted


async def _post(hub: Hub, rt: ReviewsRuntime, review: Review, at: datetime) -> bool:
    assert review.reply is not None
    source, reply = rt.sources.get(review.platform), review.reply
    if source is None:
        return await _finish(hub, rt, review, reply.model_copy(update={"state": ReplyState.MANUAL}), at,
                             f"Ответ одобрен; у {review.platform} нет API, опубликуйте его вручную: {reply.text}")
    try:
        await source.reply(review.place_id, review.review_id, reply.text)
    except SendError as e:
        attempts = reply.attempts + 1
        if e.retryable and attempts < MAX_ATTEMPTS:
            review.reply = reply.model_copy(update={"attempts": attempts, "error": e.reason})
            await rt.store.save(review, expected_version=review.version)
            raise
        return await _fail(hub, rt, review, e.reason, at)
    except PayloadError as e:
        return await _fail(hub, rt, review, e.reason, at)
    except NotFound as e:
        review.deleted = True
        return await _fail(hub, rt, review, f"the review was deleted on {review.platform}: {e.reason}", at)
    done = reply.model_copy(update={"state": ReplyState.POSTED, "posted_at": at, "error": None})
    return await _finish(hub, rt, review, done, at, f"Ответ опубликован на {review.platform}: {reply.text}")


async def _fail(hub: Hub, rt: ReviewsRuntime, review: Review, reason: str, at: datetime) -> bool:
    assert review.reply is not None
    review.reply = review.reply.model_copy(update={"state": ReplyState.FAILED, "error": reason})
    await rt.store.save(review, expected_version=review.version)
    if review.case_id is not None:
        await comment(hub, CaseId(review.case_id), f"Ответ не опубликован: {reason}"[:20_000], actor="reviews",
                      key=f"review-reply-failed:{review.id}:{review.reply.drafted_at.isoformat()}", at=at)
    return False


async def _finish(hub: Hub, rt: ReviewsRuntime, review: Review, reply: Reply, at: datetime, outcome: str) -> bool:
    """Record the reply, then solve the case with the outcome (the shopper is answered in public, not messaged)."""
    review.reply = reply
    await rt.store.save(review, expected_version=review.version)
    if review.case_id is not None:
        case = await get_case(hub, review.case_id)
        if case.is_open:
            await solve(hub, case.id, outcome[:20_000], actor=f"reviews:{reply.approved_by or reply.drafted_by}",
                        key=f"review-reply:{review.id}", notify=False, at=at)
    return reply.state is ReplyState.POSTED
