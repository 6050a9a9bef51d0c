"""Inbox actions: claim, reply, note, transfer, topic and priority, resolve (with a follow-up), availability.

Each is a form POST checked for the session's CSRF token (by the user dependency). Plain form posts answer
303 to the page to show next; the reply and note boxes post with HTMX and get the redrawn timeline back.
A refusal answers with its status (403, 404, 409, 422) and, for a browser, a short page saying why.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import date, datetime, time
from typing import Annotated
from zoneinfo import ZoneInfo

from fastapi import APIRouter, File, Form, Request, UploadFile
from fastapi.responses import RedirectResponse, Response

from api.deps import HubDep
from api.inbox.access import INBOX_ROLES, InboxUser, visible_conversation
from api.inbox.conversation_view import TARGET_KINDS
from api.inbox.rendering import render
from api.inbox.reply_files import reply_with_files
from api.inbox.timeline import load_timeline
from api.web_auth import wants_page
from hub.core import Hub
from hub.inbox import assignment, follow_ups, notes, sla, transfers
from models.channels import Channel
from models.conversations import OPEN_STATES, Conversation, ConversationState, Priority
from models.errors import Forbidden, NotFound, OtklikError, PayloadError
from models.ids import ConversationId
from models.staff import Availability, GroupId, User, UserId

router = APIRouter(prefix="/inbox", tags=["inbox"], include_in_schema=False)

Text = Annotated[str, Form(min_length=1, max_length=20_000)]
Note = Annotated[str, Form(min_length=1, max_length=5_000)]
FOLLOW_UP_TIME = time(9, 0)  # reminders come back when the working day starts
Key = Annotated[str, Form(min_length=8, max_length=64, pattern=r"^[\w-]+$")]


async def _page_errors(request: Request, action: Callable[[], Awaitable[Response]]) -> Response:
    """Run `action`; a refusal becomes a short page for a browser, the JSON error otherwise."""
    try:
        return await action()
    except OtklikError as e:
        if not wants_page(request):
            raise
        return render(request, "error.html", {"status": e.status_code, "reason": e.reason},
                      status_code=e.status_code)


def _to_conversation(conversation_id: str) -> RedirectResponse:
    return RedirectResponse(f"/inbox/conversations/{conversation_id}", status_code=303)


async def _morning_of(hub: Hub, conversation: Conversation, day: date) -> datetime:
    """When a follow-up date comes due: the start of that working day on the group's calendar."""
    calendar = await sla.calendar_for(hub, conversation.group)
    return datetime.combine(day, FOLLOW_UP_TIME, tzinfo=ZoneInfo(calendar.timezone))


def _check_works(user: User, conversation: Conversation) -> None:
    """Forbidden unless the user holds the open conversation (supervisors may act on any)."""
    if conversation.state not in OPEN_STATES:
        raise Forbidden(f"conversation {conversation.id} is {conversation.state}")
    if conversation.assignee != user.id and not user.oversees:
        raise Forbidden(f"conversation {conversation.id} is not assigned to you; claim it first")


async def _timeline(request: Request, hub: Hub, conversation_id: str, user: User) -> Response:
    conversation = await hub.stores.conversations.get(ConversationId(conversation_id))
    items, _ = await load_timeline(hub, conversation, user)
    return render(request, "_partials/timeline.html", {"view": {"timeline": items}})


@router.post("/conversations/{conversation_id}/claim")
async def claim(request: Request, hub: HubDep, user: InboxUser, conversation_id: str) -> Response:
    """Take a queued conversation; 409 if another operator got it first."""

    async def run() -> Response:
        await visible_conversation(hub, user, conversation_id)
        await assignment.claim(hub, ConversationId(conversation_id), user)
        return _to_conversation(conversation_id)

    return await _page_errors(request, run)


@router.post("/conversations/{conversation_id}/release")
async def release(request: Request, hub: HubDep, user: InboxUser, conversation_id: str) -> Response:
    """Put a conversation one holds back in its group's queue (supervisors: anyone's)."""

    async def run() -> Response:
        conversation = await visible_conversation(hub, user, conversation_id)
        _check_works(user, conversation)
        await assignment.release(hub, conversation.id, user)
        return RedirectResponse("/inbox", status_code=303)

    return await _page_errors(request, run)


@router.post("/conversations/{conversation_id}/reply")
async def reply(
    request: Request, hub: HubDep, user: InboxUser, conversation_id: str, key: Key,
    text: Annotated[str, Form(max_length=20_000)] = "",
    channel: Annotated[str, Form(max_length=100)] = "",
    files: Annotated[list[UploadFile] | None, File()] = None,
) -> Response:
    """Send the operator's reply (text and/or files) through the conversation's channel or another channel
    of the customer."""

    async def run() -> Response:
        conversation = await visible_conversation(hub, user, conversation_id)
        _check_works(user, conversation)
        via, account = _channel_choice(channel)
        await reply_with_files(hub, conversation.id, text, files or [], operator=user, channel=via,
                               account_id=account, key=f"inbox:{user.id}:reply:{key}")
        if "hx-request" in request.headers:
            return await _timeline(request, hub, conversation_id, user)
        return _to_conversation(conversation_id)

    return await _page_errors(request, run)


def _channel_choice(value: str) -> tuple[Channel | None, str | None]:
    """'<channel>:<account>' from the reply box; empty means the conversation's own channel."""
    if not value:
        return None, None
    name, _, account = value.partition(":")
    if name not in {c.value for c in Channel} or not account:
        raise PayloadError(f"channel {value!r} is not '<channel>:<account>'")
    return Channel(name), account


@router.post("/conversations/{conversation_id}/notes")
async def add_note(
    request: Request, hub: HubDep, user: InboxUser, conversation_id: str, text: Text, key: Key,
) -> Response:
    """An internal note on the conversation (never sent to the customer)."""

    async def run() -> Response:
        conversation = await visible_conversation(hub, user, conversation_id)
        await notes.add_note(hub, conversation.id, text, actor=user.id, author_name=user.name,
                                key=f"inbox:{user.id}:note:{key}")
        if "hx-request" in request.headers:
            return await _timeline(request, hub, conversation_id, user)
        return _to_conversation(conversation_id)

    return await _page_errors(request, run)


@router.post("/conversations/{conversation_id}/transfer")
async def transfer(
    request: Request, hub: HubDep, user: InboxUser, conversation_id: str,
    target: Annotated[str, Form(min_length=3, max_length=200)], note: Note,
    key: Annotated[str | None, Form(min_length=8, max_length=64, pattern=r"^[\w-]+$")] = None,
) -> Response:
    """Move the conversation to another group's queue or to an operator, with a note (once per form `key`)."""

    async def run() -> Response:
        conversation = await visible_conversation(hub, user, conversation_id)
        kind, value = await _checked_target(hub, target)
        await transfers.transfer(hub, conversation.id, actor=user, note=note,
                                  to_group=value if kind == "group" else None,
                                  to_user=value if kind == "user" else None,
                                  key=f"inbox:{user.id}:transfer:{key}" if key else None)
        moved = await hub.stores.conversations.get(conversation.id)
        still_mine = moved.assignee == user.id or user.oversees
        return _to_conversation(conversation_id) if still_mine else RedirectResponse("/inbox", status_code=303)

    return await _page_errors(request, run)


@router.post("/conversations/{conversation_id}/triage")
async def triage(
    request: Request, hub: HubDep, user: InboxUser, conversation_id: str,
    priority: Annotated[Priority, Form()],
    topic: Annotated[str, Form(max_length=100, pattern=r"^[\w.-]*$")] = "",
) -> Response:
    """Correct the topic the bot gave and the priority (the holder or a supervisor); each change is recorded."""

    async def run() -> Response:
        conversation = await visible_conversation(hub, user, conversation_id)
        holder = conversation.state is ConversationState.ASSIGNED and conversation.assignee == user.id
        if conversation.state not in OPEN_STATES or not (holder or user.oversees):
            raise Forbidden("only the operator holding the conversation or a supervisor may change it")
        await notes.change(hub, conversation.id, {"topic": topic or None, "priority": priority.value},
                              actor=user.id)
        return _to_conversation(conversation_id)

    return await _page_errors(request, run)


async def _checked_target(hub: Hub, target: str) -> tuple[str, str]:
    """The kind and id of a transfer target the page could offer: a contact-centre or specialist group, or a
    person who works in the inbox (a forged form must not park a conversation where no operator looks)."""
    kind, _, value = target.partition(":")
    if kind not in ("group", "user") or not value:
        raise PayloadError(f"target {target!r} is not 'group:<id>' or 'user:<id>'")
    try:
        if kind == "group":
            group = await hub.stores.directory.get_group(GroupId(value))
            if group.kind not in TARGET_KINDS:
                raise PayloadError(f"group {value!r} is a {group.kind} group, not an inbox queue")
        else:
            person = await hub.stores.directory.get_user(UserId(value))
            if not person.has(*INBOX_ROLES):
                raise PayloadError(f"user {person.login} does not work in the inbox")
    except NotFound as e:
        raise PayloadError(e.reason) from e
    return kind, value


@router.post("/conversations/{conversation_id}/resolve")
async def resolve(
    request: Request, hub: HubDep, user: InboxUser, conversation_id: str, outcome: Note, key: Key,
    follow_up: Annotated[date | None, Form()] = None,
    follow_up_note: Annotated[str, Form(max_length=500)] = "",
) -> Response:
    """Resolve with an outcome sent to the shopper through their channel; optionally a follow-up date."""

    async def run() -> Response:
        conversation = await visible_conversation(hub, user, conversation_id)
        _check_works(user, conversation)
        remind_at = await _morning_of(hub, conversation, follow_up) if follow_up is not None else None
        await follow_ups.resolve(hub, conversation.id, outcome, key=f"inbox:{user.id}:resolve:{key}", actor=user,
                                 follow_up_at=remind_at, follow_up_note=follow_up_note or None)
        return _to_conversation(conversation_id)

    return await _page_errors(request, run)


@router.post("/conversations/{conversation_id}/follow-up/dismiss")
async def dismiss_follow_up(request: Request, hub: HubDep, user: InboxUser, conversation_id: str) -> Response:
    """The operator is done with a reminder: it leaves their list."""

    async def run() -> Response:
        conversation = await visible_conversation(hub, user, conversation_id)
        await follow_ups.dismiss(hub, conversation.id, actor=user)
        return RedirectResponse("/inbox", status_code=303)

    return await _page_errors(request, run)


@router.post("/availability")
async def availability(
    request: Request, hub: HubDep, user: InboxUser, availability: Annotated[Availability, Form()],
) -> Response:
    """Available (automatic assignment may give me conversations) or away."""

    async def run() -> Response:
        await assignment.set_availability(hub, user.id, availability, actor=user)
        return RedirectResponse("/inbox", status_code=303)

    return await _page_errors(request, run)
