"""Who may see what in the inbox: operators their groups' conversations (and those assigned to them),
supervisors and admins every group."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

from fastapi import Depends

from api.web_auth import require_role
from models.conversations import Conversation
from models.errors import Forbidden, NotFound
from models.ids import ConversationId
from models.staff import Role, User

if TYPE_CHECKING:
    from hub.core import Hub

INBOX_ROLES = (Role.OPERATOR, Role.SUPERVISOR, Role.ADMIN)
SUPERVISOR_ROLES = (Role.SUPERVISOR, Role.ADMIN)

InboxUser = Annotated[User, Depends(require_role(*INBOX_ROLES))]
SupervisorUser = Annotated[User, Depends(require_role(*SUPERVISOR_ROLES))]


def may_see(user: User, conversation: Conversation) -> bool:
    """Supervisors see all; an operator the conversations of their groups and those they hold."""
    if user.oversees:
        return True
    return conversation.assignee == user.id or (conversation.group is not None and conversation.group in user.groups)


def in_group(user: User, group: str) -> bool:
    """Whether the user works in `group` (supervisors work in all)."""
    return user.oversees or group in user.groups


def check_group(user: User, group: str) -> None:
    """Forbidden unless the user works in `group` (supervisors work in all)."""
    if not in_group(user, group):
        raise Forbidden(f"you are not a member of group {group!r}")


async def visible_conversation(hub: Hub, user: User, conversation_id: str) -> Conversation:
    """The conversation if the user may see it; NotFound if absent or not theirs to see (the same answer, so
    ids probed one by one do not tell which conversations exist)."""
    conversation = await hub.stores.conversations.get(ConversationId(conversation_id))
    if not may_see(user, conversation):
        raise NotFound(f"conversation {conversation_id} not found")
    return conversation
