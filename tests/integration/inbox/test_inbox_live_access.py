"""Inbox access that must hold beyond the first check: open live streams follow the directory and the
session (an operator taken out of a group, a supervisor who lost the role, a session idle past its limit
stop receiving at the next redraw), and a forged transfer form cannot send a conversation outside the inbox."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import httpx

from api.web_auth import SESSION_COOKIE
from hub.directory import users
from hub.directory.sessions import token_hash
from hub.inbox.live import operator_topic
from models.clock import utcnow
from models.staff import Group, GroupId, GroupKind, Role
from tests.integration.inbox_world import (
    PASSWORD,
    build_world,
    customer_writes,
    handed_over,
    inbox_settings,
    next_event,
    over_tcp,
)
from tests.web_login import create_user, session_csrf, sign_in


async def _after_change(running: Any, path: str, login: str, *, drawn: int = 1, idle: bool = False,
                        **changes: Any) -> tuple[tuple[str, str], ...]:
    """The first redraw (`drawn` events) of a stream of `login`, then the next two events after the user
    changed (or, `idle`, the session went unused past the idle limit) and a hint came."""
    user = await running.hub.stores.directory.user_by_login(login)
    async with over_tcp(running) as base, httpx.AsyncClient(base_url=base, timeout=10) as client:
        await sign_in(client, login, PASSWORD)
        async with client.stream("GET", path) as stream:
            assert stream.status_code == 200
            lines = stream.aiter_lines()
            first = await next_event(lines)
            for _ in range(drawn - 1):
                await next_event(lines)
            if idle:
                session_id = token_hash(client.cookies.get(SESSION_COOKIE) or "")
                await running.hub.stores.directory.touch_session(session_id, utcnow() - timedelta(hours=3))
            else:
                await users.update_user(running.hub.stores.directory, user.id, **changes)
            await running.hub.bus.broadcast(operator_topic(user.id), "{}")  # any hint: the stream redraws
            return first, await next_event(lines), await next_event(lines)


async def test_a_group_queue_stream_ends_once_the_operator_leaves_the_group(make_settings: Any, start_app: Any) -> None:
    async with start_app(inbox_settings(make_settings)) as running:
        await build_world(running.hub)
        conversation = await handed_over(running.hub, await customer_writes(
            running.client, running.hub, "live-acl-1", "Где заказ?"))
        first, last, after = await _after_change(running, "/inbox/live/queue?group=general", "anna",
                                                 groups=[GroupId("delivery")])

    assert first[0] == "lists" and conversation.id in first[1]
    assert last[0] == "gone" and after == ("", "")


async def test_a_conversation_stream_ends_once_the_operator_leaves_its_group(
    make_settings: Any, start_app: Any,
) -> None:
    async with start_app(inbox_settings(make_settings)) as running:
        await build_world(running.hub)
        conversation = await handed_over(running.hub, await customer_writes(
            running.client, running.hub, "live-acl-2", "Где заказ?"))
        first, last, after = await _after_change(running, f"/inbox/live/conversations/{conversation.id}", "anna",
                                                 drawn=2, groups=[GroupId("delivery")])

    assert first[0] == "header"
    assert last[0] == "gone" and after == ("", "")


async def test_the_board_stream_ends_once_the_supervisor_role_is_taken_away(make_settings: Any, start_app: Any) -> None:
    async with start_app(inbox_settings(make_settings)) as running:
        await build_world(running.hub)
        first, last, after = await _after_change(running, "/inbox/live/board", "sam", roles=[Role.OPERATOR])

    assert first[0] == "board"
    assert last[0] == "gone" and after == ("", "")


async def test_a_stream_ends_once_its_session_has_been_idle_too_long(make_settings: Any, start_app: Any) -> None:
    async with start_app(inbox_settings(make_settings)) as running:
        await build_world(running.hub)
        first, last, after = await _after_change(running, "/inbox/live/queue", "anna", idle=True)

    assert first[0] == "lists"
    assert last[0] == "gone" and after == ("", "")


async def test_a_forged_transfer_cannot_park_a_conversation_where_no_operator_looks(
    make_settings: Any, start_app: Any,
) -> None:
    async with start_app(inbox_settings(make_settings)) as running:
        world = await build_world(running.hub)
        await running.hub.stores.directory.upsert_groups([Group(id=GroupId("store:118"), name="Магазин 118",
                                                                kind=GroupKind.STORE, store_id="118")])
        clerk = await create_user(running.hub, "clerk", PASSWORD, roles=[Role.STORE_STAFF],
                                  groups=[GroupId("store:118")], store_id="118")
        conversation = await handed_over(running.hub, await customer_writes(
            running.client, running.hub, "live-acl-3", "Где заказ?"))
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=running.app),
                                     base_url="http://otklik.test") as client:
            await sign_in(client, "anna", PASSWORD)
            csrf = await session_csrf(client, running.hub)
            url = f"/inbox/conversations/{conversation.id}/transfer"
            refused = [await client.post(url, data={"target": target, "note": "туда", "csrf_token": csrf},
                                         headers={"accept": "application/json"})
                       for target in ("group:store:118", f"user:{clerk.id}", f"user:{world.eve.id}", "user:nobody")]
            allowed = await client.post(url, data={"target": f"user:{world.boris.id}", "note": "тебе",
                                                   "csrf_token": csrf}, headers={"accept": "application/json"})
        stored = await running.hub.stores.conversations.get(conversation.id)

    assert [r.status_code for r in refused] == [422] * 4, [r.text for r in refused]
    assert allowed.status_code == 303 and stored.assignee == world.boris.id and stored.group == "general"
