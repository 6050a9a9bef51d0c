"""Inbox pages: the queue, a conversation (and its lazily loaded CRM panel), the supervisor board."""

from __future__ import annotations

import secrets

from fastapi import APIRouter, Query, Request
from starlette.responses import HTMLResponse

from api.deps import HubDep
from api.inbox.access import InboxUser, SupervisorUser, visible_conversation
from api.inbox.board_view import load_board
from api.inbox.conversation_view import load_conversation_page
from api.inbox.customer_panel import load_context
from api.inbox.queue_view import load_queue_page
from api.inbox.rendering import render
from hub import privacy
from hub.customers import profiles
from models.privacy import ReadKind

router = APIRouter(prefix="/inbox", tags=["inbox"], include_in_schema=False)


@router.get("", response_class=HTMLResponse)
async def queue_page(
    request: Request, hub: HubDep, user: InboxUser, group: str | None = Query(default=None, max_length=64),
    offset: int = Query(default=0, ge=0, le=100_000),
) -> HTMLResponse:
    """The operator's lists: follow-ups due, their conversations, their groups' queue."""
    view = await load_queue_page(hub, user, group=group, offset=offset)
    return render(request, "queue.html", {"view": view, "page": "queue"})


@router.get("/conversations/{conversation_id}", response_class=HTMLResponse)
async def conversation_page(request: Request, hub: HubDep, user: InboxUser, conversation_id: str) -> HTMLResponse:
    """One conversation: the customer's timeline, reply box, notes, actions and customer panel."""
    conversation = await visible_conversation(hub, user, conversation_id)
    view = await load_conversation_page(hub, user, conversation)
    await privacy.record_read(hub, actor=f"user:{user.id}", customer_id=view.customer.id, kind=ReadKind.PANEL_VIEW,
                              via=request.url.path)  # the customer panel is on every conversation page
    return render(request, "conversation.html",
                  {"view": view, "page": "conversation", "action_key": secrets.token_urlsafe(16)})


@router.get("/conversations/{conversation_id}/context", response_class=HTMLResponse)
async def customer_context(request: Request, hub: HubDep, user: InboxUser, conversation_id: str) -> HTMLResponse:
    """The CRM's view of the customer (asked for by the page once shown: a slow CRM never delays it)."""
    conversation = await visible_conversation(hub, user, conversation_id)
    context = await load_context(hub, await profiles.current(hub, conversation.customer_id))
    return render(request, "_partials/context.html", {"context": context})


@router.get("/board", response_class=HTMLResponse)
async def board_page(request: Request, hub: HubDep, user: SupervisorUser) -> HTMLResponse:
    """The supervisors' live board."""
    return render(request, "board.html", {"view": await load_board(hub, user), "page": "board"})
