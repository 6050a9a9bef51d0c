"""The case page and the actions on it: take, release, wait, resume, solve, close, reopen, move, comment.

Each action is a form POST checked for the session's CSRF token (by the user dependency). A plain form
post answers 303 back to the case page; the comment box posts with HTMX and gets the redrawn comments.
A refusal answers with its status (403, 404, 409, 422) and, for a browser, a short page saying why.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Annotated, Literal

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, Response

from api.cases.page_view import case_page_view
from api.cases.rendering import page_errors, render, to_case
from api.cases.viewer import CaseUser, actor, check_works_on, visible_case
from api.deps import HubDep
from api.templating import request_lang, translator
from hub.cases import service
from hub.core import Hub
from models.cases import Case, CaseState, WaitingFor
from models.cases import Reason as Why
from models.errors import Forbidden
from models.ids import new_id
from models.staff import User

router = APIRouter()

Text = Annotated[str, Form(min_length=1, max_length=20_000)]
Reason = Annotated[str, Form(max_length=2_000)]
Key = Annotated[str, Form(min_length=8, max_length=64, pattern=r"^[\w-]+$")]
Step = Callable[[Case], Awaitable[object]]


@router.get("/{case_id}", response_class=HTMLResponse)
async def case_page(request: Request, hub: HubDep, user: CaseUser, case_id: str, linked: bool = False) -> Response:
    """The case: what, for whom, where, its deadline, files, comments, route map and history."""

    async def run() -> Response:
        case = await visible_case(hub, user, case_id)
        view = await case_page_view(hub, case, user, translator(request), request_lang(request))
        return render(request, "case.html", {"view": view, "form_key": new_id(), "linked": linked})

    return await page_errors(request, run)


async def _act(request: Request, hub: Hub, user: User, case_id: str, step: Step, *, works: bool = True) -> Response:
    """Load the case the user may see (and work, when `works`), run `step`, go back to the page."""

    async def run() -> Response:
        case = await visible_case(hub, user, case_id)
        if works:
            check_works_on(user, case)
        await step(case)
        return to_case(case.id)

    return await page_errors(request, run)


@router.post("/{case_id}/take")
async def take(request: Request, hub: HubDep, user: CaseUser, case_id: str) -> Response:
    """Become the case's assignee (a new case goes in progress)."""

    async def step(case: Case) -> object:
        return await service.assign(hub, case.id, user.id, actor=actor(user), code=Why.TAKEN)

    return await _act(request, hub, user, case_id, step, works=False)


@router.post("/{case_id}/release")
async def release(request: Request, hub: HubDep, user: CaseUser, case_id: str) -> Response:
    """Give the case back to its group's queue."""

    async def step(case: Case) -> object:
        if case.assignee != user.id:
            raise Forbidden(f"case {case.label} is not yours to give back")
        return await service.assign(hub, case.id, None, actor=actor(user), code=Why.RELEASED)

    return await _act(request, hub, user, case_id, step, works=False)


@router.post("/{case_id}/wait")
async def wait(
    request: Request, hub: HubDep, user: CaseUser, case_id: str,
    waiting_for: Annotated[Literal["customer", "group"], Form()], reason: Reason = "",
) -> Response:
    """Wait for the customer or another group (the type decides whether the SLA clock stops)."""

    async def step(case: Case) -> object:
        return await service.transition(hub, case.id, CaseState.WAITING, actor=actor(user),
                                        waiting_for=WaitingFor(waiting_for), reason=reason.strip() or None)

    return await _act(request, hub, user, case_id, step)


@router.post("/{case_id}/resume")
async def resume(request: Request, hub: HubDep, user: CaseUser, case_id: str, reason: Reason = "") -> Response:
    """Back to work from waiting."""

    async def step(case: Case) -> object:
        return await service.transition(hub, case.id, CaseState.IN_PROGRESS, actor=actor(user),
                                        reason=reason.strip() or None)

    return await _act(request, hub, user, case_id, step)


@router.post("/{case_id}/solve")
async def solve(request: Request, hub: HubDep, user: CaseUser, case_id: str, solution: Text, key: Key) -> Response:
    """Solve with a solution text: the operator's conversation gets a note, the shopper the outcome."""

    async def step(case: Case) -> object:
        return await service.solve(hub, case.id, solution, actor=actor(user), key=key)

    return await _act(request, hub, user, case_id, step)


@router.post("/{case_id}/close")
async def close(request: Request, hub: HubDep, user: CaseUser, case_id: str, reason: Reason = "") -> Response:
    """Close (a case that is not solved needs a reason)."""

    async def step(case: Case) -> object:
        return await service.close(hub, case.id, actor=actor(user), reason=reason.strip() or None)

    return await _act(request, hub, user, case_id, step)


@router.post("/{case_id}/reopen")
async def reopen(request: Request, hub: HubDep, user: CaseUser, case_id: str, reason: Reason = "") -> Response:
    """Back to work from solved or closed, with a fresh SLA clock."""

    async def step(case: Case) -> object:
        return await service.reopen(hub, case.id, actor=actor(user), reason=reason)

    return await _act(request, hub, user, case_id, step)


@router.post("/{case_id}/move")
async def move(
    request: Request, hub: HubDep, user: CaseUser, case_id: str,
    group: Annotated[str, Form(min_length=1, max_length=64)], reason: Reason = "",
) -> Response:
    """Hand the case to another group's queue, saying why."""

    async def step(case: Case) -> object:
        return await service.move_to_group(hub, case.id, group, actor=actor(user), reason=reason)

    return await _act(request, hub, user, case_id, step)


@router.post("/{case_id}/comments")
async def add_comment(
    request: Request, hub: HubDep, user: CaseUser, case_id: str, text: Text, key: Key,
) -> Response:
    """A staff comment (once per form key); HTMX gets the comment list back, a form post the page."""

    async def run() -> Response:
        case = await visible_case(hub, user, case_id)
        case, _ = await service.comment(hub, case.id, text, actor=actor(user), key=f"web:{user.id}:{key}")
        if "hx-request" not in request.headers:
            return to_case(case.id)
        view = await case_page_view(hub, case, user, translator(request), request_lang(request))
        return render(request, "_partials/comments.html", {"view": view, "form_key": new_id()})

    return await page_errors(request, run)
