"""A review's page (/reviews/r/{id}): the review, its edits and case, and its public reply: drafted from a
canned template by an operator or the store's staff, approved by a second person, then posted by the worker.
Store staff see only their own store's reviews."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from api.cases.rendering import page_errors
from api.deps import HubDep
from api.templating import templates
from api.web_auth import require_role
from hub.reviews import approve, draft, mask, reply_templates, runtime_of
from models.errors import NotFound
from models.reviews import ReplyState, Review
from models.staff import Role, User

router = APIRouter(tags=["review pages"], include_in_schema=False)
AnswerUser = Annotated[User, Depends(require_role(Role.OPERATOR, Role.SUPERVISOR, Role.ADMIN, Role.STORE_STAFF))]
Text = Annotated[str, Form(min_length=1, max_length=10_000)]


def actor(user: User) -> str:
    """How a review's reply names a person."""
    return f"user:{user.login}"


async def visible_review(hub: HubDep, user: User, review_id: str) -> Review:
    """The review if the user may see it; NotFound otherwise (the same answer either way)."""
    review = await runtime_of(hub).store.get(review_id)
    own_store = user.has(Role.OPERATOR, Role.SUPERVISOR, Role.ADMIN) or (
        review is not None and review.store_id is not None and review.store_id == user.store_id)
    if review is None or not own_store:
        raise NotFound(f"review {review_id} not found")
    return review


@router.get("/reviews/r/{review_id}", response_class=HTMLResponse)
async def review_page(request: Request, hub: HubDep, user: AnswerUser, review_id: str) -> Response:
    """The review and its reply form."""

    async def show() -> Response:
        review = await visible_review(hub, user, review_id)
        reply = review.reply
        view = {"review": review, "section": "reviews", "author": mask(review.author_name),
                "templates": reply_templates(review.language, review.author_name),
                "can_draft": reply is None or reply.state in (ReplyState.DRAFT, ReplyState.FAILED),
                "can_approve": reply is not None and reply.state is ReplyState.DRAFT and (
                    reply.drafted_by != actor(user) or not runtime_of(hub).rules.second_approver)}
        response = templates.TemplateResponse(request, "reviews/review.html", view)
        response.headers["cache-control"] = "no-store"
        return response

    return await page_errors(request, show)


@router.post("/reviews/r/{review_id}/reply")
async def draft_reply(request: Request, hub: HubDep, user: AnswerUser, review_id: str, text: Text) -> Response:
    """Write the reply (approved at once when no second person is required)."""

    async def run() -> Response:
        review = await visible_review(hub, user, review_id)
        await draft(hub, review.id, text, actor=actor(user))
        return RedirectResponse(f"/reviews/r/{review.id}", status_code=303)

    return await page_errors(request, run)


@router.post("/reviews/r/{review_id}/approve")
async def approve_reply(request: Request, hub: HubDep, user: AnswerUser, review_id: str) -> Response:
    """Approve someone else's draft; the worker posts it."""

    async def run() -> Response:
        review = await visible_review(hub, user, review_id)
        await approve(hub, review.id, actor=actor(user))
        return RedirectResponse(f"/reviews/r/{review.id}", status_code=303)

    return await page_errors(request, run)
