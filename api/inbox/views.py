"""View-models of the inbox pages: what a template may show, loaded by the handlers, never by templates."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from hub.inbox import OperatorRow
from models.channels import Channel
from models.conversations import ConversationState, Priority
from models.messages import AuthorKind, DeliveryStatus, Direction


class _View(BaseModel):
    """Views are read-only snapshots."""

    model_config = ConfigDict(frozen=True)


class Viewer(_View):
    """The signed-in user as pages see them."""

    id: str
    name: str
    language: str
    availability: str
    is_supervisor: bool
    groups: list[str]


class SlaView(_View):
    """Time left to a conversation's next SLA target; negative when breached."""

    target: str  # first_response | resolution
    due_at: datetime
    seconds_left: float
    breached: bool


class QueueRow(_View):
    """One conversation in a list: who, what, since when, how urgent."""

    id: str
    customer_name: str
    channel: Channel
    state: ConversationState
    topic: str | None
    priority: Priority
    group: str | None
    assignee: str | None
    waiting_since: datetime
    preview: str  # the customer's last message
    group_name: str | None = None
    handover_note: str = ""  # why the bot handed over (shown on hover)
    bot_unsure: bool = False  # the handover came from an unsure reading (a close call, the fallback)
    sla: SlaView | None = None
    follow_up_at: datetime | None = None
    follow_up_note: str | None = None


class QueuePage(_View):
    """The operator's home: their conversations, then their groups' queue."""

    viewer: Viewer
    mine: list[QueueRow]
    queue: list[QueueRow]
    follow_ups: list[QueueRow]
    group: str | None  # the group filter, if any
    group_name: str | None = None
    offset: int = 0
    next_cursor: str | None


class AttachmentView(_View):
    """A file on a message: its name (or kind) and, when the channel gave one, an http(s) link."""

    name: str
    url: str | None = None


class AttachLimits(_View):
    """What the reply box says about attaching files: possible at all (a public URL is set) and the limits."""

    enabled: bool
    count: int
    size: str
    types: str
    accept: str


class FactView(_View):
    """One detail of a conversation event: its key (a string key names it) and how its value reads."""

    key: str
    kind: Literal["text", "topic", "priority", "moment"]
    value: str
    moment: datetime | None = None


class TimelineItem(_View):
    """One line of the customer's cross-channel timeline: a message, a note, a conversation event or a case
    opened from the conversation."""

    kind: Literal["message", "note", "event", "case", "offer", "elsewhere"]  # elsewhere: another group's, no content
    id: str
    at: datetime
    conversation_id: str
    current: bool  # belongs to the conversation on screen
    channel: Channel | None = None
    direction: Direction | None = None
    author: AuthorKind | None = None
    author_name: str | None = None
    text: str = ""
    attachments: list[AttachmentView] = []
    status: DeliveryStatus | None = None
    status_reason: str | None = None
    nlu_intent: str | None = None
    nlu_confidence: float | None = None
    handover: bool = False  # the bot's handover note
    event: str | None = None  # state_changed, topic_changed, ...
    event_detail: str | None = None  # the event's note, when it has one
    from_state: str | None = None
    to_state: str | None = None
    facts: list[FactView] = []
    case_id: str | None = None
    case_label: str | None = None  # '#1042'
    case_type: str | None = None  # the request type's id (the page shows its title)
    case_state: str | None = None
    group_name: str | None = None  # of an `elsewhere` line
    offer_event: str | None = None  # an `offer` line: offer_made, offer_held_back or offer_redeemed
    offer_campaign: str | None = None
    offer_code: str | None = None


class IdentityView(_View):
    """A linked identity, as kind and value."""

    kind: str
    value: str


class ClaimView(_View):
    """A contact the customer gave that no channel proved: shown as "claimed, not verified" until it is."""

    kind: str
    value: str
    key: str  # the identity key the manual link posts
    status: str  # claimed, verified, linked
    channel: str
    owner_name: str | None = None  # another customer proven to own it, if any
    decided_by: str | None = None


class PastConversation(_View):
    """An earlier conversation of the customer."""

    id: str
    state: ConversationState
    channel: Channel
    topic: str | None
    created_at: datetime
    outcome: str | None
    group_name: str | None = None  # set, with topic and outcome left out, when the viewer may not open it


class ContextView(_View):
    """What the customer-context provider knows, or why nothing is shown."""

    available: bool
    reason: str | None = None  # not_found | unavailable
    crm_name: str | None = None
    city: str | None = None
    loyalty_number: str | None = None
    loyalty_tier: str | None = None
    loyalty_points: int | None = None
    purchases: list[str] = []  # "12.03 · store 118 · 1 234.00 ₽"
    orders: list[str] = []  # "4512 · in_delivery · 2 340.00 ₽"


class CustomerPanel(_View):
    """The customer beside the conversation."""

    id: str
    name: str
    identities: list[IdentityView]
    claims: list[ClaimView] = []
    attributes: dict[str, str]
    previous: list[PastConversation]
    context: ContextView


class ChannelChoice(_View):
    """A channel account the reply can go through."""

    value: str  # "<channel>:<account>"
    channel: Channel
    account_id: str
    origin: bool


class CannedView(_View):
    """A canned response or script the reply box can insert."""

    id: str
    title: str
    text: str
    kind: str  # canned | script
    shortcut: str | None = None


class TargetChoice(_View):
    """Where a transfer can go: a group or an operator."""

    value: str  # "group:<id>" | "user:<id>"
    label: str


class ConversationPage(_View):
    """Everything the conversation page shows."""

    viewer: Viewer
    id: str
    state: ConversationState
    channel: Channel
    account_id: str
    topic: str | None
    priority: Priority
    group: str | None
    group_name: str | None
    assignee: str | None
    assignee_name: str | None
    mine: bool
    can_claim: bool
    can_reply: bool
    can_resolve: bool
    outcome: str | None
    sla: SlaView | None
    timeline: list[TimelineItem]
    timeline_truncated: bool
    customer: CustomerPanel
    channels: list[ChannelChoice]
    canned: list[CannedView]
    targets: list[TargetChoice]
    attach: AttachLimits | None = None  # reply attachments (api/inbox/reply_files.py)
    bot_unsure: bool = False  # the bot handed over because it was unsure of the topic
    also: list[str] = Field(default_factory=list)  # further topics the shopper raised in the bot's part


class GroupLoad(_View):
    """One group on the supervisor board."""

    id: str
    name: str
    queued: int
    oldest_wait_seconds: float | None
    breaches: int
    available: int  # operators available now
    operators: int
    shortage: str | None = None  # work waits here but nobody can take it (hub/inbox/staffing.py's Shortage)


class OverflowRow(_View):
    """A conversation in the overflow group, and the group it was meant for."""

    row: QueueRow
    wanted: str
    wanted_name: str = ""  # the directory's name of that group


class BoardPage(_View):
    """The supervisor's live board."""

    viewer: Viewer
    groups: list[GroupLoad]
    operators: list[OperatorRow]  # hub.inbox.board's rows, as they are
    group_names: dict[str, str] = {}  # the operators' groups by id, as the directory names them
    breaches: list[QueueRow]
    longest: list[QueueRow]
    targets: list[TargetChoice]
    overflowed: list[OverflowRow] = []  # flagged: their own group could not take them
