"""Inbox security: every page and endpoint refuses anonymous users, the wrong role and the wrong group;
CSRF guards every state change; customer text is shown as text, never as markup."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import httpx
import pytest

from models.conversations import Conversation, ConversationState
from models.messages import Direction
from tests.integration.inbox_world import (
    PASSWORD,
    build_world,
    customer_writes,
    handed_over,
    inbox_settings,
    next_event,
    over_tcp,
)
from tests.web_login import session_csrf, sign_in

S = ConversationState
PAGES = ["/inbox", "/inbox/conversations/{id}", "/inbox/conversations/{id}/context", "/inbox/board",
         "/inbox/live/queue", "/inbox/live/conversations/{id}", "/inbox/live/board",
         "/inbox/conversations/{id}/files/" + "0" * 32]
ACTIONS = {
    "/inbox/conversations/{id}/claim": {},
    "/inbox/conversations/{id}/release": {},
    "/inbox/conversations/{id}/reply": {"text": "hi", "key": "sec-key-reply-1"},
    "/inbox/conversations/{id}/notes": {"text": "note", "key": "sec-key-note-01"},
    "/inbox/conversations/{id}/transfer": {"target": "group:delivery", "note": "move"},
    "/inbox/conversations/{id}/resolve": {"outcome": "done", "key": "sec-key-resolve"},
    "/inbox/conversations/{id}/follow-up/dismiss": {},
    "/inbox/conversations/{id}/triage": {"topic": "complaint", "priority": "urgent"},
    "/inbox/availability": {"availability": "available"},
}
CONVERSATION_PAGES = [p for p in PAGES if "{id}" in p]
SUPERVISOR_PAGES = ["/inbox/board", "/inbox/live/board"]
XSS = '<script>alert("x")</script><img src=x onerror=alert(1)>'


@asynccontextmanager
async def browser(running: Any, login: str | None) -> AsyncIterator[tuple[httpx.AsyncClient, str]]:
    """A client of its own, signed in as `login` (anonymous for None), and its CSRF token."""
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=running.app), base_url="http://otklik.test") as c:
        if login is None:
            yield c, ""
            return
        await sign_in(c, login, PASSWORD)
        yield c, await session_csrf(c, running.hub)


@pytest.fixture
async def app_with_conversation(make_settings: Any, start_app: Any) -> AsyncIterator[tuple[Any, Conversation]]:
    """The app with the test contact centre and one conversation queued in group `general`."""
    async with start_app(inbox_settings(make_settings)) as running:
        await build_world(running.hub)
        conversation = await handed_over(running.hub, await customer_writes(
            running.client, running.hub, "sec-1", "Помогите"))
        yield running, conversation


async def _unchanged(running: Any, conversation: Conversation) -> None:
    stored = await running.hub.stores.conversations.get(conversation.id)
    assert (stored.state, stored.assignee, stored.group) == (S.QUEUED, None, "general")
    messages = await running.hub.stores.messages.list_for_conversation(conversation.id)
    assert not [m for m in messages if m.author == "operator" and m.raw.get("actor") != "bot"]  # only the handover


def test_every_inbox_route_is_covered_here() -> None:
    from api.inbox import actions, live, pages, reply_files

    found = {getattr(r, "path", "") for module in (pages, actions, live, reply_files) for r in module.router.routes}
    covered = {p.replace("{id}", "{conversation_id}").replace("0" * 32, "{file_id}") for p in [*PAGES, *ACTIONS]}
    assert found == covered


async def test_anonymous_visitors_are_sent_to_sign_in_and_change_nothing(app_with_conversation: Any) -> None:
    running, conversation = app_with_conversation
    async with browser(running, None) as (client, _):
        for path in PAGES:
            url = path.format(id=conversation.id)
            page = await client.get(url)
            assert page.status_code == 303 and page.headers["location"].startswith("/login?next="), url
            htmx = await client.get(url, headers={"hx-request": "true"})
            assert htmx.status_code == 401 and htmx.headers["hx-redirect"].startswith("/login"), url
        for path, form in ACTIONS.items():
            response = await client.post(path.format(id=conversation.id), data=form)
            assert response.status_code == 401, path
    await _unchanged(running, conversation)


async def test_a_user_without_an_inbox_role_is_refused_everywhere(app_with_conversation: Any) -> None:
    running, conversation = app_with_conversation
    async with browser(running, "eve") as (client, csrf):
        for path in PAGES:
            response = await client.get(path.format(id=conversation.id))
            assert response.status_code == 403, path
        for path, form in ACTIONS.items():
            response = await client.post(path.format(id=conversation.id), data={**form, "csrf_token": csrf})
            assert response.status_code == 403, path
    await _unchanged(running, conversation)


async def test_an_operator_of_another_group_cannot_see_or_touch_the_conversation(app_with_conversation: Any) -> None:
    running, conversation = app_with_conversation
    async with browser(running, "vera") as (client, csrf):  # vera works in delivery, the conversation is general's
        queue = await client.get("/inbox")
        for path in CONVERSATION_PAGES:  # answered as if it did not exist: ids probed do not tell which do
            response = await client.get(path.format(id=conversation.id))
            assert response.status_code == 404, path
        for path in SUPERVISOR_PAGES:
            response = await client.get(path)
            assert response.status_code == 403, path
        other_group = await client.get("/inbox?group=general")
        other_stream = await client.get("/inbox/live/queue?group=general")
        for path, form in ACTIONS.items():
            if "{id}" not in path:
                continue
            response = await client.post(path.format(id=conversation.id), data={**form, "csrf_token": csrf},
                                         headers={"accept": "application/json"})
            assert response.status_code == 404, (path, response.text)
    assert queue.status_code == 200 and conversation.id not in queue.text
    assert other_group.status_code == 403 and other_stream.status_code == 403
    await _unchanged(running, conversation)


async def test_state_changes_without_the_sessions_csrf_token_are_refused(app_with_conversation: Any) -> None:
    running, conversation = app_with_conversation
    async with browser(running, "anna") as (client, csrf):
        for path, form in ACTIONS.items():
            url = path.format(id=conversation.id)
            missing = await client.post(url, data=form, headers={"accept": "application/json"})
            wrong = await client.post(url, data={**form, "csrf_token": "x" * len(csrf)},
                                      headers={"accept": "application/json"})
            forged = csrf[:-1] + ("1" if csrf.endswith("0") else "0")  # never the real token by chance
            header = await client.post(url, data=form, headers={"x-csrf-token": forged, "hx-request": "true"})
            for response in (missing, wrong, header):
                assert response.status_code == 403 and response.json()["error"]["code"] == "csrf_failed", url
    await _unchanged(running, conversation)
    anna = await running.hub.stores.directory.user_by_login("anna")
    assert anna is not None and anna.availability.value == "offline"


async def test_customer_html_is_shown_as_text_on_every_page(make_settings: Any, start_app: Any) -> None:
    async with start_app(inbox_settings(make_settings)) as running:
        await build_world(running.hub)
        conversation = await handed_over(running.hub, await customer_writes(
            running.client, running.hub, "xss-1", XSS), note=f"Бот: {XSS}")
        async with browser(running, "anna") as (client, csrf):
            await client.post(f"/inbox/conversations/{conversation.id}/claim", data={"csrf_token": csrf})
            await client.post(f"/inbox/conversations/{conversation.id}/notes",
                              data={"csrf_token": csrf, "text": XSS, "key": "xss-note-0001"})
            pages = [await client.get("/inbox"), await client.get(f"/inbox/conversations/{conversation.id}")]
        async with browser(running, "sam") as (client, _):
            pages.append(await client.get("/inbox/board"))
        stored = await running.hub.stores.messages.list_for_conversation(conversation.id)

    assert any(m.text == XSS and m.direction is Direction.INBOUND for m in stored)
    for page in pages:
        assert page.status_code == 200
        assert "<script>alert" not in page.text and "<img src=x" not in page.text
    assert "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt;" in pages[1].text  # the message, as text
    assert pages[1].text.count("&lt;img src=x onerror=alert(1)&gt;") >= 3  # message, note, handover note


async def test_an_open_live_stream_ends_once_its_session_is_signed_out(make_settings: Any, start_app: Any) -> None:
    async with start_app(inbox_settings(make_settings)) as running:
        await build_world(running.hub)
        conversation = await customer_writes(running.client, running.hub, "sec-2", "?")
        async with over_tcp(running) as base, httpx.AsyncClient(base_url=base, timeout=10) as client:
            await sign_in(client, "anna", PASSWORD)
            csrf = await session_csrf(client, running.hub)
            async with client.stream("GET", "/inbox/live/queue") as stream:
                lines = stream.aiter_lines()
                first = await next_event(lines)
                signed_out = await client.post("/logout", data={"csrf_token": csrf})
                await handed_over(running.hub, conversation)  # a hint: the stream redraws, or ends
                last = await next_event(lines)
                after = await next_event(lines)

    assert first[0] == "lists" and signed_out.status_code == 303
    assert last[0] == "gone" and after == ("", "")  # nothing of the queue reached a signed-out browser
