"""The one-click rating links of CSAT e-mails: GET records the link's score, POST adds a comment.

The signed link is the permission (hub/csat/links.py): no sign-in, and a bad, tampered, expired or stale link
gets the same 404 page. Clicking again (or another score's link) shows what was recorded and changes nothing.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import HTMLResponse, Response

from api.deps import HubDep
from api.templating import templates
from hub import csat
from hub.csat import MAX_COMMENT, Recorded
from models.clock import utcnow
from models.errors import NotFound

router = APIRouter(prefix="/csat", tags=["csat"], include_in_schema=False)


def now(request: Request) -> datetime:
    """The moment of the request: the app's injected clock (`app.state.clock`, tests) or UTC now."""
    clock: Callable[[], datetime] | None = getattr(request.app.state, "clock", None)
    return clock() if clock is not None else utcnow()


NowDep = Annotated[datetime, Depends(now)]


def _page(request: Request, token: str, recorded: Recorded | None, *, status: int = 200,
          commented: bool = False) -> Response:
    return templates.TemplateResponse(request, "csat/rated.html", {
        "token": token, "recorded": recorded, "commented": commented, "max_comment": MAX_COMMENT},
        status_code=status, headers={"cache-control": "no-store", "referrer-policy": "no-referrer"})


@router.get("/{token}", response_class=HTMLResponse)
async def rate(request: Request, hub: HubDep, at: NowDep, token: str) -> Response:
    """Record the link's score (the first score wins) and offer a comment."""
    try:
        recorded = await csat.answer_by_link(hub, token, now=at)
    except NotFound:
        return _page(request, token, None, status=404)
    return _page(request, token, recorded, commented=recorded.comment is not None)


@router.post("/{token}/comment", response_class=HTMLResponse)
async def comment(request: Request, hub: HubDep, at: NowDep, token: str,
                  text: Annotated[str, Form(alias="comment", max_length=MAX_COMMENT)] = "") -> Response:
    """Add the shopper's comment to the score the link recorded (once)."""
    try:
        recorded = await csat.answer_by_link(hub, token, now=at)  # the score first, if the GET never came
        added = await csat.comment_by_link(hub, token, text, now=at)
    except NotFound:
        return _page(request, token, None, status=404)
    return _page(request, token, added or recorded, commented=True)
