"""The web chat's live stream over a real socket: keep-alives on an idle stream (no error logged), and the
conversation's state as the shopper sees it: the queue and their place in it, an operator joining, resolved."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import httpx
import pytest

from hub.core import Hub
from hub.inbox import assignment, resolution
from hub.inbox.handover import hand_over
from models.ids import ConversationId
from tests.conftest import REDIS_URL
from tests.integration.inbox_world import build_world, over_tcp
from tests.integration.webchat_support import EventReader, chat_events, open_chat, say


class Errors(logging.Handler):
    """ERROR records of the app and of uvicorn, whose own logging set-up (made when a server starts) neither
    propagates to the root logger nor keeps handlers added before it."""

    def __init__(self) -> None:
        super().__init__(logging.ERROR)
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        """Keep the record."""
        self.records.append(record)

    def messages(self) -> list[str]:
        """What was logged, with the exception's last line."""
        return [f"{r.getMessage()} {r.exc_info[1]!r}" if r.exc_info else r.getMessage() for r in self.records]


@asynccontextmanager
async def logged_errors() -> AsyncIterator[Errors]:
    """Collect ERROR records while the block runs (enter it once the server is up)."""
    handler, loggers = Errors(), [logging.getLogger(), logging.getLogger("uvicorn.error")]
    for logger in loggers:
        logger.addHandler(handler)
    try:
        yield handler
    finally:
        for logger in loggers:
            logger.removeHandler(handler)


async def test_an_idle_stream_keeps_sending_keep_alives_and_still_delivers(
    make_settings: Any, start_app: Any
) -> None:
    settings = make_settings(webchat_keepalive_seconds=0.05)
    async with start_app(settings) as running, over_tcp(running) as base, httpx.AsyncClient(base_url=base) as client, \
            logged_errors() as errors:
        await open_chat(client)
        async with chat_events(client) as events:
            first = await events.named("state")
            seen = await events.idle(1.5)  # 30 keep-alive intervals
            await say(client, "client-0001", "Hello there")
            reply = await events.named("message")

    assert first["state"] is None  # a new visitor: no conversation yet
    assert seen.count("comment") >= 5 and set(seen) == {"comment"}
    assert reply["direction"] == "outbound" and reply["text"]
    assert errors.messages() == []


async def test_a_stream_idle_for_a_minute_stays_up_without_an_error(
    make_settings: Any, start_app: Any
) -> None:
    """The issue's own check, at the production interval (15 s): a minute of nothing, then a reply arrives."""
    async with start_app(make_settings()) as running, over_tcp(running) as base, \
            httpx.AsyncClient(base_url=base, timeout=30) as client, logged_errors() as errors:
        await open_chat(client)
        async with chat_events(client) as events:
            seen = await events.idle(61)
            assert errors.messages() == []
            assert seen.count("comment") >= 3 and set(seen) == {"state", "comment"}  # and no end of the stream
            await say(client, "client-0001", "Still there?")
            reply = await events.named("message")

    assert reply["direction"] == "outbound"


async def conversation_of_stream(events: EventReader) -> str:
    """The conversation id the first reply on the stream belongs to."""
    return str((await events.named("message"))["conversation_id"])


BUSES = [pytest.param({}, id="memory"),
         pytest.param({"bus": "redis", "redis_url": REDIS_URL, "embedded_worker": True}, id="redis",
                      marks=pytest.mark.redis)]


@pytest.mark.parametrize("bus", BUSES)
async def test_the_page_is_told_its_place_in_the_queue_the_operator_who_joins_and_the_outcome(
    make_settings: Any, start_app: Any, bus: dict[str, Any]
) -> None:
    settings = make_settings(webchat_keepalive_seconds=0.2, **bus)
    async with start_app(settings) as running, over_tcp(running) as base, logged_errors() as errors:
        hub: Hub = running.hub
        world = await build_world(hub)
        async with httpx.AsyncClient(base_url=base) as first, httpx.AsyncClient(base_url=base) as second:
            await open_chat(first)
            await open_chat(second)
            async with chat_events(first) as mine, chat_events(second) as theirs:
                await say(first, "first-0001", "Мне нужен человек")
                await say(second, "second-001", "И мне")
                mine_id, theirs_id = await conversation_of_stream(mine), await conversation_of_stream(theirs)
                await hand_over(hub, ConversationId(mine_id), topic="general_question", note="ждёт")
                queued_first = await mine.state("queued")
                await hand_over(hub, ConversationId(theirs_id), topic="general_question", note="ждёт")
                queued_second = await theirs.state("queued")
                await assignment.claim(hub, ConversationId(mine_id), world.anna)
                joined = await mine.state("assigned")
                moved_up = await theirs.named("state")  # on the next keep-alive tick: the line moved
                await resolution.resolve(hub, ConversationId(mine_id), "Заказ доставят завтра", key="r-1",
                                         actor=world.anna.id)
                after = await mine.gather("resolved")

    assert (queued_first["state"], queued_first["position"]) == ("queued", 1)
    assert (queued_second["state"], queued_second["position"]) == ("queued", 2)
    assert (joined["state"], joined["operator"]) == ("assigned", "Anna")
    assert (moved_up["state"], moved_up["position"]) == ("queued", 1)
    assert (after["message"]["author"], after["message"]["text"]) == ("operator", "Заказ доставят завтра")
    assert errors.messages() == []
