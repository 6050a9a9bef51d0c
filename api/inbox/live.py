"""Live updates of inbox pages over SSE: the queue lists, a conversation, the supervisor board.

Each stream listens only where its user may look (their groups' and their own topics; a conversation
they may see, checked again on every redraw) and redraws with the same loaders as the pages.
"""

from __future__ import annotations

import secrets
from collections.abc import Sequence

from fastapi import APIRouter, Query, Request
from fastapi.responses import StreamingResponse

from api.deps import HubDep
from api.inbox.access import (
    INBOX_ROLES,
    SUPERVISOR_ROLES,
    InboxUser,
    SupervisorUser,
    check_group,
    in_group,
    may_see,
    visible_conversation,
)
from api.inbox.board_view import load_board
from api.inbox.conversation_view import load_conversation_page
from api.inbox.queue_view import load_queue_page
from api.inbox.rendering import render_fragment
from api.inbox.sse import stream
from api.web_auth import OptionalSignIn, WebSignIn
from hub.core import Hub
from hub.directory import SessionPolicy, sessions
from hub.events import conversation_topic
from hub.inbox import group_topic, operator_topic
from models.clock import utcnow
from models.errors import NotFound
from models.ids import ConversationId
from models.staff import Role, User

router = APIRouter(prefix="/inbox/live", tags=["inbox"], include_in_schema=False)

BOARD_REFRESH_SECONDS = 10.0  # the board also redraws on a timer: waits and SLA clocks move by themselves
LIST_REDRAW_SECONDS = 1.0  # lists and the board redraw at most once a second, however busy their groups are


async def current_viewer(hub: Hub, signed: WebSignIn | None, roles: Sequence[Role] = INBOX_ROLES) -> User | None:
    """The stream's user as the directory has them now, or None once the session is gone or expired, the
    user deactivated or without `roles` (sign-out, expiry, deactivation and a lost role end open streams at
    their next redraw; a changed group list applies to it)."""
    if signed is None:
        return None
    found = await sessions.live(hub.stores.directory, signed.session.id, SessionPolicy.of(hub.settings), utcnow(),
                                touch=False)
    return found[1] if found is not None and found[1].has(*roles) else None


@router.get("/queue")
async def queue_stream(
    request: Request, hub: HubDep, user: InboxUser, signed: OptionalSignIn,
    group: str | None = Query(default=None, max_length=64), offset: int = Query(default=0, ge=0, le=100_000),
) -> StreamingResponse:
    """The viewer's lists (one group's, when asked and allowed), redrawn when their groups' queues or their
    own list change."""
    if group is not None:
        check_group(user, group)
    topics = [*map(group_topic, [group] if group else user.groups), operator_topic(user.id)]

    async def draw() -> dict[str, str] | None:
        viewer = await current_viewer(hub, signed)
        if viewer is None or (group is not None and not in_group(viewer, group)):
            return None
        view = await load_queue_page(hub, viewer, group=group, offset=offset)
        return {"lists": render_fragment(request, "queue_lists.html", {"view": view})}

    return stream(request, hub, topics, draw, min_interval=LIST_REDRAW_SECONDS)


@router.get("/conversations/{conversation_id}")
async def conversation_stream(
    request: Request, hub: HubDep, user: InboxUser, signed: OptionalSignIn, conversation_id: str,
) -> StreamingResponse:
    """One conversation's header and timeline, redrawn on its events; ends once it leaves the viewer's sight."""
    conversation = await visible_conversation(hub, user, conversation_id)

    async def draw() -> dict[str, str] | None:
        viewer = await current_viewer(hub, signed)
        if viewer is None:
            return None
        try:
            current = await hub.stores.conversations.get(ConversationId(conversation.id))
        except NotFound:
            return None
        if not may_see(viewer, current):
            return None
        view = await load_conversation_page(hub, viewer, current)
        context = {"view": view, "action_key": secrets.token_urlsafe(16)}
        return {"header": render_fragment(request, "conversation_header.html", context),
                "timeline": render_fragment(request, "timeline.html", context)}

    return stream(request, hub, [conversation_topic(conversation.id), operator_topic(user.id)], draw)


@router.get("/board")
async def board_stream(
    request: Request, hub: HubDep, user: SupervisorUser, signed: OptionalSignIn,
) -> StreamingResponse:
    """The supervisors' board, redrawn on changes in the viewer's groups and every few seconds."""
    topics = [*map(group_topic, user.groups), operator_topic(user.id)]

    async def draw() -> dict[str, str] | None:
        viewer = await current_viewer(hub, signed, SUPERVISOR_ROLES)
        if viewer is None:
            return None
        return {"board": render_fragment(request, "board_body.html", {"view": await load_board(hub, viewer)})}

    return stream(request, hub, topics, draw, every=BOARD_REFRESH_SECONDS, min_interval=LIST_REDRAW_SECONDS)
