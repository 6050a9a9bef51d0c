"""The web chat's live stream (`GET /chat/events`): the session's history, then its new messages, the state
of its conversation (with the bot, in the queue at position N, an operator joined, resolved) and keep-alives.

Events: `message` (a `connectors.webchat.PageMessage`), `state` (a `ChatState`, sent when it changes) and
SSE comment lines (`: keep-alive`) whenever nothing else was sent for the keep-alive interval, so proxies
and browsers keep an idle stream open.

Every source (the visitor's broadcast topic, the conversation's event topic) is pumped into one queue by
its own task, so "the next item or the keep-alive" is a wait on that queue. Waiting on a bus iterator with
a timeout instead cancelled it mid-read, which closes the in-process bus's async generator: the stream
died with "async generator raised StopAsyncIteration" after its first idle interval.

Only the visitor's own messages tell which conversation to follow: the state shown is that of the
conversation their session is in, never that of another session under the same customer.
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import AsyncIterator, Coroutine
from contextlib import suppress
from typing import Any

from pydantic import BaseModel

from connectors import webchat
from hub.core import Hub
from hub.customers import identity_on
from hub.events import conversation_topic
from models.channels import Channel
from models.conversations import ConversationState
from models.errors import NotFound
from models.ids import ConversationId
from models.staff import UserId

S = ConversationState
QUEUE_PEEK = 50  # a visitor further back than this is told they are queued, without a number
HISTORY = 200
SETTLE_SECONDS = (0.3, 1.5)
Item = tuple[str, str]  # ("message", PageMessage JSON) | ("hint", "") | ("tick", "") | ("ended", "")
log = logging.getLogger(__name__)


class ChatState(BaseModel):
    """What the page says about the conversation: who has it and, in the queue, the visitor's place."""

    conversation_id: str | None = None
    state: ConversationState | None = None  # None: no conversation yet
    position: int | None = None  # 1: next in line
    operator: str | None = None  # the first name of the operator who has it


async def events(hub: Hub, visitor: str, keepalive: float) -> AsyncIterator[str]:
    """The SSE body of one visitor's chat page."""
    inbox: asyncio.Queue[Item] = asyncio.Queue(maxsize=1000)
    # Subscribe before reading history, so nothing sent in between is missed; the page drops repeats by id.
    async with hub.bus.subscribe(webchat.topic(visitor)) as live:
        pumps = _Pumps(inbox)
        pumps.start("messages", _pump_messages(live, inbox))
        try:
            yield "retry: 2000\n\n"
            history = await _history(hub, visitor)
            for message in history:
                yield _sse("message", message.model_dump_json())
            following = history[-1].conversation_id if history else None
            shown = await _state(hub, following) if following else ChatState()
            yield _sse("state", shown.model_dump_json())  # also tells the page the history is complete
            watched: str | None = None
            while True:
                if following is not None and following != watched:
                    pumps.start("conversation", _pump_hints(hub, following, inbox))  # it hints once subscribed
                    watched = following
                kind, data = await _next(inbox, keepalive)
                if kind == "ended":
                    return  # a feed failed (the bus went away): the page reconnects and starts afresh
                if kind == "tick":
                    yield ": keep-alive\n\n"
                elif kind == "message":
                    yield _sse("message", data)
                    following = webchat.PageMessage.model_validate_json(data).conversation_id
                if watched is not None and (kind == "hint" or (kind == "tick" and shown.state is S.QUEUED)):
                    now = await _state(hub, watched)  # while queued, each tick: the line moves without events
                    if now != shown:
                        yield _sse("state", now.model_dump_json())
                        shown = now
        finally:
            pumps.stop()


class _Pumps:
    """Named background tasks feeding the stream's queue; starting one under a name replaces the old one."""

    def __init__(self, inbox: asyncio.Queue[Item]) -> None:
        self.inbox = inbox
        self.tasks: dict[str, asyncio.Task[None]] = {}

    def start(self, name: str, work: Coroutine[Any, Any, None]) -> None:
        """Run `work` as the pump called `name`."""
        old = self.tasks.pop(name, None)
        if old is not None:
            old.cancel()
        self.tasks[name] = task = asyncio.create_task(work)
        task.add_done_callback(self._ended)

    def _ended(self, task: asyncio.Task[None]) -> None:
        """A feed that stops by itself (not cancelled) ends the stream."""
        if task.cancelled():
            return
        error = task.exception()
        if error is not None:
            log.warning("web chat feed failed", extra={"error": repr(error)})
        with suppress(asyncio.QueueFull):
            self.inbox.put_nowait(("ended", ""))

    def stop(self) -> None:
        """Cancel every pump (the stream is over)."""
        for task in self.tasks.values():
            task.cancel()


async def _pump_messages(live: AsyncIterator[str], inbox: asyncio.Queue[Item]) -> None:
    async for data in live:
        await inbox.put(("message", data))


async def _pump_hints(hub: Hub, conversation_id: str, inbox: asyncio.Queue[Item]) -> None:
    """Tell the stream when the conversation's state may have changed (its `conversation.*` events)."""
    loop = asyncio.get_running_loop()
    async with hub.bus.subscribe(conversation_topic(conversation_id)) as feed:
        await inbox.put(("hint", ""))  # whatever changed between the stream's read and this subscription
        async for data in feed:
            if str(json.loads(data).get("type", "")).startswith("conversation."):
                await inbox.put(("hint", ""))
                # The hub publishes an event before the change it records (a crash must not lose it): a
                # handover's event comes while the conversation is still the bot's. Look again shortly after.
                for delay in SETTLE_SECONDS:
                    loop.call_later(delay, _hint, inbox)


def _hint(inbox: asyncio.Queue[Item]) -> None:
    with suppress(asyncio.QueueFull):  # a full queue re-reads the state anyway
        inbox.put_nowait(("hint", ""))


async def _next(inbox: asyncio.Queue[Item], keepalive: float) -> Item:
    """The next item, or a tick after `keepalive` seconds of nothing (cancelling a queue's get is safe)."""
    try:
        return await asyncio.wait_for(inbox.get(), keepalive)
    except TimeoutError:
        return "tick", ""


async def _history(hub: Hub, visitor: str) -> list[webchat.PageMessage]:
    """The messages of this visitor's session, oldest first: never another session's, whoever the customer."""
    customer = await hub.stores.customers.find_by_identity(identity_on(Channel.WEBCHAT, webchat.ACCOUNT_ID, visitor))
    if customer is None:
        return []
    found = await hub.stores.messages.list_for_customer(customer.id, limit=HISTORY)
    return [shown for m in found if (shown := webchat.page_message(m, visitor)) is not None]


async def _state(hub: Hub, conversation_id: str) -> ChatState:
    """The conversation's state as the page shows it."""
    try:
        conversation = await hub.stores.conversations.get(ConversationId(conversation_id))
    except NotFound:
        return ChatState()
    state = ChatState(conversation_id=conversation.id, state=conversation.state)
    if conversation.state is S.QUEUED and conversation.group:
        line = await hub.stores.inbox.queue([conversation.group], limit=QUEUE_PEEK)
        place = next((n for n, c in enumerate(line, start=1) if c.id == conversation.id), None)
        return state.model_copy(update={"position": place})
    if conversation.state is S.ASSIGNED and conversation.assignee:
        try:
            user = await hub.stores.directory.get_user(UserId(conversation.assignee))
        except NotFound:
            return state
        return state.model_copy(update={"operator": webchat.shown_name(user.name)})
    return state


def _sse(event: str, data: str) -> str:
    return f"event: {event}\ndata: {data}\n\n"  # pydantic JSON is one line: one data field
