"""The queue page's view-model: follow-ups due, the operator's conversations, their groups' queue."""

from __future__ import annotations

from typing import TYPE_CHECKING

from api.inbox.access import check_group
from api.inbox.rows import group_name, rows_of, viewer_of
from api.inbox.views import QueuePage
from models.staff import User

if TYPE_CHECKING:
    from hub.core import Hub

PAGE_SIZE = 30  # a screenful; the rest is one click (or j past the end) away
MINE_LIMIT = 100


async def load_queue_page(hub: Hub, user: User, *, group: str | None = None, offset: int = 0) -> QueuePage:
    """The lists for this user: one group's queue when `group` is given (checked), else all of theirs."""
    if group is not None:
        check_group(user, group)
    groups = [group] if group is not None else list(user.groups)
    store = hub.stores.inbox
    queued = await store.queue(groups, limit=PAGE_SIZE + 1, offset=offset) if groups else []
    more = len(queued) > PAGE_SIZE
    return QueuePage(
        viewer=viewer_of(user),
        mine=await rows_of(hub, await store.assigned_to(user.id, limit=MINE_LIMIT)),
        queue=await rows_of(hub, queued[:PAGE_SIZE]),
        follow_ups=await rows_of(hub, await store.reminders_for(user.id)),
        group=group, group_name=await group_name(hub, group), offset=offset,
        next_cursor=str(offset + PAGE_SIZE) if more else None,
    )
