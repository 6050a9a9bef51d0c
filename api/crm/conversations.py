"""Conversations: list and filter (cursor pages), read with messages, notes, triage, resolve with an outcome."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated

from fastapi import APIRouter, Path, Query, Request, Response

from api.crm import pagination
from api.crm.deps import CONFLICT, NOT_FOUND, ConversationsRead, ConversationsWrite, actor, scoped_key
from api.crm.schemas import (
    ConversationDetail,
    ConversationPage,
    ConversationPublic,
    ConversationUpdate,
    MessagePublic,
    NoteCreate,
    ResolutionPublic,
    ResolveRequest,
)
from api.deps import HubDep
from hub import privacy
from hub.customers import profiles
from hub.inbox import notes, resolution
from hub.stores.crm import ConversationQuery
from models.channels import Channel
from models.conversations import Conversation, ConversationState
from models.errors import NotFound
from models.ids import ConversationId, CustomerId
from models.messages import Message
from models.privacy import ReadKind

router = APIRouter(tags=["conversations"])
ConversationIdPath = Annotated[str, Path(min_length=1, max_length=64, description="A conversation id")]
Name = Annotated[str | None, Query(min_length=1, max_length=100)]


def public(conversation: Conversation) -> ConversationPublic:
    """The HTTP shape of a conversation."""
    return ConversationPublic.model_validate(conversation, from_attributes=True)


def message_public(message: Message) -> MessagePublic:
    """The HTTP shape of a message."""
    return MessagePublic.model_validate(message, from_attributes=True)


def _utc(at: datetime | None) -> datetime | None:
    """A query's time as UTC; one without a zone is taken as UTC."""
    if at is None:
        return None
    return at.replace(tzinfo=UTC) if at.tzinfo is None else at.astimezone(UTC)


@router.get("/conversations", response_model=ConversationPage, summary="List conversations, filtered, page by page")
async def list_conversations(
    hub: HubDep, _: ConversationsRead,
    state: Annotated[list[ConversationState] | None, Query(description="Repeat for several states")] = None,
    channel: Channel | None = None,
    group: Name = None,
    topic: Name = None,
    customer: Annotated[str | None, Query(min_length=1, max_length=64, description="A customer id")] = None,
    updated_after: Annotated[datetime | None, Query(description="ISO 8601; without a zone it is UTC")] = None,
    cursor: Annotated[str | None, Query(min_length=1, max_length=1000, description="next_cursor of a page")] = None,
    limit: Annotated[int, Query(ge=1, le=pagination.MAX_LIMIT)] = pagination.DEFAULT_LIMIT,
) -> ConversationPage:
    """Oldest change first, by (updated_at, id): a conversation that changes while you page shows up again
    on a later page, one added meanwhile on the last; none is skipped."""
    owner = None if customer is None else await _customer_or_none(hub, CustomerId(customer))
    if customer is not None and owner is None:
        return ConversationPage(items=[], next_cursor=None)
    query = ConversationQuery(states=frozenset(state or ()), channel=channel, group=group, topic=topic,
                              customer_id=owner, updated_after=_utc(updated_after))
    after = None if cursor is None else pagination.decode(cursor)
    found = await hub.stores.crm.conversations_page(query, after=after, limit=limit + 1)
    items, next_cursor = pagination.split_page(found, limit)
    return ConversationPage(items=[public(c) for c in items], next_cursor=next_cursor)


async def _customer_or_none(hub: HubDep, customer_id: CustomerId) -> CustomerId | None:
    try:
        return (await profiles.current(hub, customer_id)).id
    except NotFound:
        return None


@router.get("/conversations/{conversation_id}", response_model=ConversationDetail, responses=NOT_FOUND,
            summary="Read a conversation with its messages")
async def get_conversation(
    request: Request, conversation_id: ConversationIdPath, hub: HubDep, token: ConversationsRead
) -> ConversationDetail:
    """The latest 200 messages, oldest first, internal notes included (direction `internal`)."""
    conversation = await hub.stores.conversations.get(ConversationId(conversation_id))
    await privacy.record_read(hub, actor=actor(token), customer_id=conversation.customer_id,
                              kind=ReadKind.API_READ, via=f"{request.method} {request.url.path}")
    messages = await hub.stores.messages.list_for_conversation(conversation.id)
    return ConversationDetail(**public(conversation).model_dump(), messages=[message_public(m) for m in messages])


@router.patch("/conversations/{conversation_id}", response_model=ConversationPublic, responses=NOT_FOUND,
              summary="Change topic, priority or group")
async def update_conversation(
    conversation_id: ConversationIdPath, body: ConversationUpdate, hub: HubDep, token: ConversationsWrite
) -> ConversationPublic:
    """Each change is recorded in the history (topic_changed, priority_changed, group_changed) and announced
    as `conversation.updated`."""
    changes = body.model_dump(mode="json", include=body.model_fields_set)
    updated = await notes.change(hub, ConversationId(conversation_id), changes, actor=actor(token))
    return public(updated)


@router.post("/conversations/{conversation_id}/notes", response_model=MessagePublic, status_code=201,
             responses={200: {"model": MessagePublic, "description": "A repeat of an idempotency key"}, **NOT_FOUND,
                        **CONFLICT}, summary="Add an internal note")
async def add_note(
    conversation_id: ConversationIdPath, body: NoteCreate, response: Response, hub: HubDep, token: ConversationsWrite
) -> MessagePublic:
    """Operators and the CRM see the note in the conversation; it is never sent to the customer."""
    key = None if body.idempotency_key is None else scoped_key(token, "note", body.idempotency_key)
    note, created = await notes.add_note(hub, ConversationId(conversation_id), body.text, actor=actor(token),
                                            author_name=body.author_name, key=key)
    response.status_code = 201 if created else 200
    return message_public(note)


@router.post("/conversations/{conversation_id}/resolve", response_model=ResolutionPublic,
             responses={**NOT_FOUND, **CONFLICT}, summary="Resolve with an outcome sent to the shopper")
async def resolve_conversation(
    conversation_id: ConversationIdPath, body: ResolveRequest, hub: HubDep, token: ConversationsWrite
) -> ResolutionPublic:
    """The outcome goes to the shopper through the conversation's channel of origin, as an operator's message
    (after a phone call: through their best channel); the conversation becomes resolved, from any open state,
    the bot's included. Repeating the idempotency key changes nothing and answers the same."""
    conversation, sent = await resolution.resolve(
        hub, ConversationId(conversation_id), body.outcome, key=scoped_key(token, "resolve", body.idempotency_key),
        actor=actor(token), notify=body.notify)
    return ResolutionPublic(conversation=public(conversation), message=None if sent is None else message_public(sent))
