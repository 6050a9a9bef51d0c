"""Live updates of inbox pages over SSE: the queue lists, a conversation, the supervisor board.

Each stream listens only where its user may look (their groups' and their own topics; a conversation
they may see, checked again on every redraw) and redraws with the same loaders as the pages.
"""

from __future__ import annotations

import secrets

from fastapi import APIRouter, Request
from fastapi.responses import StreamingResponse

from api.deps import HubDep
from api.inbox.access import InboxUser, SupervisorUser, may_see, visible_conversation
from api.inbox.board_view import load_board
from api.inbox.conversation_view import load_conversation_page
from api.inbox.queue_view import load_queue_page
from api.inbox.rendering import render_fragment
from api.inbox.sse import stream
from hub.events import conversation_topic
from hub.inbox_live import group_topic, operator_topic
from models.errors import NotFound
from models.ids import ConversationId

router = APIRouter(prefix="/inbox/live", tags=["inbox"], include_in_schema=False)

BOARD_REFRESH_SECONDS = 10.0  # the board also redraws on a timer: waits and SLA clocks move by themselves


@router.get("/queue")
async def queue_stream(request: Request, hub: HubDep, user: InboxUser) -> StreamingResponse:
    """The viewer's lists, redrawn when their groups' queues or their own list change."""
    topics = [*map(group_topic, user.groups), operator_topic(user.id)]

    async def draw() -> dict[str, str]:
        view = await load_queue_page(hub, user)
        return {"lists": render_fragment(request, "queue_lists.html", {"view": view})}

    return stream(request, hub, topics, draw)


@router.get("/conversations/{conversation_id}")
async def conversation_stream(
    request: Request, hub: HubDep, user: InboxUser, conversation_id: str,
) -> StreamingResponse:
    """One conversation's header and timeline, redrawn on its events; ends once it leaves the viewer's sight."""
    conversation = await visible_conversation(hub, user, conversation_id)

    async def draw() -> dict[str, str] | None:
        try:
            current = await hub.stores.conversations.get(ConversationId(conversation.id))
        except NotFound:
            return None
        if not may_see(user, current):
            return None
        view = await load_conversation_page(hub, user, current)
        context = {"view": view, "action_key": secrets.token_urlsafe(16)}
        return {"header": render_fragment(request, "conversation_header.html", context),
                "timeline": render_fragment(request, "timeline.html", context)}

    return stream(request, hub, [conversation_topic(conversation.id), operator_topic(user.id)], draw)


@router.get("/board")
async def board_stream(request: Request, hub: HubDep, user: SupervisorUser) -> StreamingResponse:
    """The supervisors' board, redrawn on changes in the viewer's groups and every few seconds."""
    topics = [*map(group_topic, user.groups), operator_topic(user.id)]

    async def draw() -> dict[str, str]:
        return {"board": render_fragment(request, "board_body.html", {"view": await load_board(hub, user)})}

    return stream(request, hub, topics, draw, every=BOARD_REFRESH_SECONDS)
