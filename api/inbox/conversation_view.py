"""The conversation page's view-model: header, timeline, reply channels, canned answers, transfer targets."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from api.inbox.customer_panel import load_customer
from api.inbox.reply_files import attach_limits
from api.inbox.rows import also_topics, bot_unsure, group_name, sla_now, viewer_of
from api.inbox.timeline import load_timeline
from api.inbox.views import CannedView, ChannelChoice, ConversationPage, TargetChoice
from hub.customers import route_on
from hub.inbox import canned
from models.conversations import OPEN_STATES, Conversation, ConversationState
from models.customers import Customer
from models.errors import NotFound
from models.staff import GroupId, GroupKind, Role, User, UserId

if TYPE_CHECKING:
    from hub.core import Hub

S = ConversationState
CANNED_LIMIT = 50
TARGET_KINDS = (GroupKind.CONTACT_CENTRE, GroupKind.SPECIALIST)
TARGET_LIMIT = 200


async def load_conversation_page(hub: Hub, user: User, conversation: Conversation) -> ConversationPage:
    """Everything the conversation page shows, read through the stores."""
    timeline, truncated = await load_timeline(hub, conversation, user)
    customer, panel = await load_customer(hub, conversation, user)
    mine = conversation.state is S.ASSIGNED and conversation.assignee == user.id
    works_it = conversation.state in OPEN_STATES and (mine or user.oversees)
    return ConversationPage(
        viewer=viewer_of(user), id=conversation.id, state=conversation.state, channel=conversation.channel,
        account_id=conversation.account_id, topic=conversation.topic, priority=conversation.priority,
        group=conversation.group, group_name=await group_name(hub, conversation.group),
        assignee=conversation.assignee,
        assignee_name=await user_name(hub, conversation.assignee), mine=mine,
        can_claim=conversation.state is S.QUEUED and not mine, can_reply=works_it, can_resolve=works_it,
        outcome=conversation.outcome, sla=await sla_now(hub, conversation), timeline=timeline,
        timeline_truncated=truncated,
        customer=panel, channels=reply_channels(hub, customer, conversation),
        canned=await canned_for(hub, user, conversation.topic, panel.name) if works_it else [],
        targets=await transfer_targets(hub, conversation.group) if works_it else [],
        attach=attach_limits(hub.settings) if works_it else None,
        bot_unsure=bot_unsure(conversation), also=also_topics(conversation),
    )


async def user_name(hub: Hub, user_id: str | None) -> str | None:
    """A user's display name (their id if unknown)."""
    if user_id is None:
        return None
    try:
        return (await hub.stores.directory.get_user(UserId(user_id))).name
    except NotFound:
        return user_id


_NAME_SLOT = re.compile(r",?\s*\{(?:name|customer)\}")


def reply_channels(hub: Hub, customer: Customer, conversation: Conversation) -> list[ChannelChoice]:
    """The channel accounts that reach this customer, the conversation's own first."""
    choices = [ChannelChoice(value=f"{channel.value}:{account}", channel=channel, account_id=account,
                             origin=(channel, account) == (conversation.channel, conversation.account_id))
               for channel, account in hub.senders if route_on(hub, customer, channel, account) is not None]
    return sorted(choices, key=lambda c: not c.origin)


async def canned_for(hub: Hub, user: User, topic: str | None, customer: str) -> list[CannedView]:
    """The topic's scripts, then the canned responses in the user's language, placeholders filled."""
    values = {"name": customer, "customer": customer, "operator": user.name}
    items = [*await canned.scripts_for(hub, topic, language=user.language),
             *await canned.search(hub, "", language=user.language, limit=CANNED_LIMIT)]
    return [CannedView(id=c.id, title=c.title, text=canned.expand(_unnamed(c.text, customer), values),
                       kind=c.kind.value,
                       shortcut=c.shortcut) for c in items]



def _unnamed(text: str, customer: str) -> str:
    """Without a name, "Здравствуйте, {name}!" reads "Здравствуйте!" rather than greeting nobody."""
    return text if customer else _NAME_SLOT.sub("", text)


async def transfer_targets(hub: Hub, group: str | None) -> list[TargetChoice]:
    """Contact-centre and specialist groups, then the operators of the conversation's group."""
    directory = hub.stores.directory
    groups = [g for kind in TARGET_KINDS for g in await directory.list_groups(kind=kind, limit=TARGET_LIMIT)]
    targets = [TargetChoice(value=f"group:{g.id}", label=f"{g.name} ({g.id})") for g in groups]
    if group is not None:
        operators = await directory.list_users(group=GroupId(group), role=Role.OPERATOR, active=True,
                                               limit=TARGET_LIMIT)
        targets += [TargetChoice(value=f"user:{u.id}", label=f"{u.name} · {u.availability.value}") for u in operators]
    return targets
