"""The operator inbox over HTTP against the real app on SQLite: queue, conversation, actions, board, live."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import timedelta
from typing import Any

import httpx

from hub.inbox import canned, follow_ups
from hub.inbox.resolution import resolve
from models.canned import CannedKind, CannedResponse
from models.clock import utcnow
from models.conversations import ConversationState
from models.messages import Direction
from models.nlu import ParseResult
from models.staff import Availability
from tests.fakes.http_receiver import HttpReceiver
from tests.integration.helpers import eventually
from tests.integration.inbox_world import (
    PASSWORD,
    World,
    build_world,
    customer_writes,
    handed_over,
    inbox_settings,
    next_event,
    over_tcp,
)
from tests.web_login import session_csrf, sign_in

S = ConversationState


def callbacks(receiver: HttpReceiver) -> list[dict[str, Any]]:
    """What the api channel delivered to the shopper's side, as JSON bodies."""
    return [json.loads(r.body) for r in receiver.requests]


@asynccontextmanager
async def signed_in(
    running: Any, login: str, base_url: str | None = None,
) -> AsyncIterator[tuple[httpx.AsyncClient, str]]:
    """A browser of its own on the same app (over ASGI, or over TCP at `base_url`), signed in as `login`, and
    its session's CSRF token."""
    transport = None if base_url else httpx.ASGITransport(app=running.app)
    async with httpx.AsyncClient(transport=transport, base_url=base_url or "http://otklik.test", timeout=10) as c:
        await sign_in(c, login, PASSWORD)
        yield c, await session_csrf(c, running.hub)


async def test_queue_shows_a_handed_over_conversation_and_claiming_opens_it_with_its_timeline(
    make_settings: Any, receiver: HttpReceiver, start_app: Any,
) -> None:
    async with start_app(inbox_settings(make_settings, receiver)) as running:
        world: World = await build_world(running.hub)
        conversation = await handed_over(running.hub, await customer_writes(
            running.client, running.hub, "u-1", "Где мой заказ 4512?"))
        async with signed_in(running, "anna") as (client, csrf):
            queue = await client.get("/inbox")
            claimed = await client.post(f"/inbox/conversations/{conversation.id}/claim", data={"csrf_token": csrf})
            page = await client.get(f"/inbox/conversations/{conversation.id}")
            context = await client.get(f"/inbox/conversations/{conversation.id}/context")
        stored = await running.hub.stores.conversations.get(conversation.id)

    assert queue.status_code == 200 and queue.headers["cache-control"] == "no-store"
    assert f'data-conversation="{conversation.id}"' in queue.text and "Shopper u-1" in queue.text
    assert "Клиент ждёт заказ 4512" in queue.text  # the handover note previews the row
    assert claimed.status_code == 303 and claimed.headers["location"] == f"/inbox/conversations/{conversation.id}"
    assert (stored.state, stored.assignee) == (S.ASSIGNED, world.anna.id)
    assert page.status_code == 200
    assert "Где мой заказ 4512?" in page.text and 'data-channel="api"' in page.text
    assert 'class="item note inbound' not in page.text and "handover" in page.text  # the bot's note, marked
    assert 'data-state="assigned"' in page.text and "Anna" in page.text
    assert 'id="reply-form"' in page.text and 'value="api:crm"' in page.text
    assert f'href="/cases/new?conversation={conversation.id}"' in page.text  # the holder can open a case
    assert "SLA" in page.text
    assert context.status_code == 200 and ("context" in context.text)


async def test_reply_note_transfer_and_resolve_from_the_conversation_page(
    make_settings: Any, receiver: HttpReceiver, start_app: Any,
) -> None:
    async with start_app(inbox_settings(make_settings, receiver)) as running:
        world = await build_world(running.hub)
        conversation = await handed_over(running.hub, await customer_writes(
            running.client, running.hub, "u-2", "Привезли не тот товар"))
        before = len(receiver.requests)
        base = f"/inbox/conversations/{conversation.id}"
        async with signed_in(running, "anna") as (client, csrf):
            await client.post(f"{base}/claim", data={"csrf_token": csrf})
            replied = await client.post(f"{base}/reply", headers={"hx-request": "true", "x-csrf-token": csrf},
                                        data={"text": "Сейчас проверю, минуту", "key": "reply-key-0001",
                                              "channel": "api:crm"})
            noted = await client.post(f"{base}/notes", headers={"hx-request": "true", "x-csrf-token": csrf},
                                      data={"text": "Звонила в магазин 118", "key": "note-key-00001"})
            await receiver.wait_for(before + 1)
            moved = await client.post(f"{base}/transfer", data={"csrf_token": csrf, "target": f"user:{world.boris.id}",
                                                                "note": "Борис, посмотри накладную"})
        async with signed_in(running, "boris") as (boris, boris_csrf):
            done = await boris.post(f"{base}/resolve", data={
                "csrf_token": boris_csrf, "key": "resolve-key-01", "outcome": "Заменим товар завтра",
                "follow_up": "2030-01-15", "follow_up_note": "Проверить замену"})
            await receiver.wait_for(before + 2)
        final = await running.hub.stores.conversations.get(conversation.id)
        stored = await running.hub.stores.messages.list_for_conversation(conversation.id)

    assert replied.status_code == 200 and "Сейчас проверю, минуту" in replied.text
    assert noted.status_code == 200 and "Звонила в магазин 118" in noted.text
    assert moved.status_code == 303 and moved.headers["location"] == "/inbox"  # it left anna's hands
    assert done.status_code == 303
    sent = [b["text"] for b in callbacks(receiver)[before:]]
    assert sent == ["Сейчас проверю, минуту", "Заменим товар завтра"]  # the note never reached the shopper
    assert final.state is S.RESOLVED and final.outcome == "Заменим товар завтра"
    assert final.follow_up_at is not None and final.follow_up_at.date().isoformat() == "2030-01-15"
    assert final.follow_up_note == "Проверить замену"
    reply = next(m for m in stored if m.text == "Сейчас проверю, минуту")
    assert reply.direction is Direction.OUTBOUND and reply.author_name == "Anna"
    assert any(m.direction is Direction.INTERNAL and m.text == "Звонила в магазин 118" for m in stored)


async def test_a_repeated_reply_with_the_same_key_sends_once(
    make_settings: Any, receiver: HttpReceiver, start_app: Any,
) -> None:
    async with start_app(inbox_settings(make_settings, receiver)) as running:
        await build_world(running.hub)
        conversation = await handed_over(running.hub, await customer_writes(running.client, running.hub, "u-3", "?"))
        base = f"/inbox/conversations/{conversation.id}"
        async with signed_in(running, "anna") as (client, csrf):
            await client.post(f"{base}/claim", data={"csrf_token": csrf})
            before = len(receiver.requests)
            for _ in range(3):
                response = await client.post(f"{base}/reply", data={"csrf_token": csrf, "text": "Один раз",
                                                                    "key": "same-key-0001"})
                assert response.status_code == 303
            await receiver.wait_for(before + 1)
            await asyncio.sleep(0.3)

    assert [b["text"] for b in callbacks(receiver)[before:]] == ["Один раз"]


async def test_claim_race_gives_the_conversation_to_exactly_one_operator(
    make_settings: Any, start_app: Any,
) -> None:
    async with start_app(inbox_settings(make_settings)) as running:
        world = await build_world(running.hub)
        conversation = await handed_over(running.hub, await customer_writes(running.client, running.hub, "u-4", "?"))
        url = f"/inbox/conversations/{conversation.id}/claim"
        async with signed_in(running, "anna") as (anna, anna_csrf), signed_in(running, "boris") as (boris, b_csrf):
            results = await asyncio.gather(anna.post(url, data={"csrf_token": anna_csrf}),
                                           boris.post(url, data={"csrf_token": b_csrf}))
        stored = await running.hub.stores.conversations.get(conversation.id)

    assert sorted(r.status_code for r in results) == [303, 409]
    loser = next(r for r in results if r.status_code == 409)
    assert "already taken" in loser.text
    assert stored.assignee in (world.anna.id, world.boris.id)
    assigned = [e for e in stored.history if e.to_state is S.ASSIGNED]
    assert len(assigned) == 1


async def test_availability_toggle_lets_automatic_assignment_give_work(
    make_settings: Any, start_app: Any,
) -> None:
    async with start_app(inbox_settings(make_settings)) as running:
        world = await build_world(running.hub)
        conversation = await handed_over(running.hub, await customer_writes(running.client, running.hub, "u-5", "?"))
        async with signed_in(running, "anna") as (client, csrf):
            toggled = await client.post("/inbox/availability", data={"csrf_token": csrf, "availability": "available"})
            queue = await client.get("/inbox")
        anna = await running.hub.stores.directory.get_user(world.anna.id)
        stored = await running.hub.stores.conversations.get(conversation.id)

    assert toggled.status_code == 303
    assert anna.availability is Availability.AVAILABLE
    assert (stored.state, stored.assignee) == (S.ASSIGNED, world.anna.id)
    mine = queue.text.split('id="mine"')[1].split('id="queue"')[0]
    assert conversation.id in mine


async def test_board_shows_queues_operators_and_lets_a_supervisor_reassign(
    make_settings: Any, start_app: Any,
) -> None:
    async with start_app(inbox_settings(make_settings)) as running:
        world = await build_world(running.hub)
        conversation = await handed_over(running.hub, await customer_writes(running.client, running.hub, "u-6", "?"))
        async with signed_in(running, "sam") as (client, csrf):
            board = await client.get("/inbox/board")
            moved = await client.post(f"/inbox/conversations/{conversation.id}/transfer", data={
                "csrf_token": csrf, "target": "group:delivery", "note": "Это про доставку"})
        moved_to = (await running.hub.stores.conversations.get(conversation.id)).group

    assert board.status_code == 200
    assert 'data-group="general"' in board.text and "Общая линия" in board.text
    assert f'data-operator="{world.anna.id}"' in board.text and f'data-operator="{world.vera.id}"' in board.text
    assert f'data-conversation="{conversation.id}"' in board.text  # among the longest waiting
    assert moved.status_code == 303
    assert moved_to == "delivery"


async def test_queue_stream_sends_the_new_conversation_live(make_settings: Any, start_app: Any) -> None:
    async with start_app(inbox_settings(make_settings)) as running:
        await build_world(running.hub)
        conversation = await customer_writes(running.client, running.hub, "u-7", "Живой?")
        async with over_tcp(running) as base, signed_in(running, "anna", base) as (client, csrf), \
                client.stream("GET", "/inbox/live/queue") as stream:
            assert stream.headers["content-type"].startswith("text/event-stream")
            lines = stream.aiter_lines()
            first = await next_event(lines)  # the first redraw comes at once: the queue is still empty
            await handed_over(running.hub, conversation)
            second = await next_event(lines)

    assert first[0] == "lists" and conversation.id not in first[1]
    assert second[0] == "lists" and f'data-conversation="{conversation.id}"' in second[1]
    assert f'name="csrf_token" value="{csrf}"' in second[1]  # a live row's claim button works


async def test_conversation_stream_redraws_the_timeline_when_the_customer_writes(
    make_settings: Any, start_app: Any,
) -> None:
    async with start_app(inbox_settings(make_settings)) as running:
        await build_world(running.hub)
        conversation = await handed_over(running.hub, await customer_writes(running.client, running.hub, "u-8", "Раз"))
        async with over_tcp(running) as base, signed_in(running, "anna", base) as (client, csrf):
            await client.post(f"/inbox/conversations/{conversation.id}/claim", data={"csrf_token": csrf})
            async with client.stream("GET", f"/inbox/live/conversations/{conversation.id}") as stream:
                lines = stream.aiter_lines()
                await next_event(lines)  # header
                await next_event(lines)  # timeline
                await customer_writes(running.client, running.hub, "u-8", "Два", n=2)
                events = [await next_event(lines), await next_event(lines)]

    timeline = dict(events)["timeline"]
    assert "Раз" in timeline and "Два" in timeline


async def test_resolved_elsewhere_conversation_page_shows_the_outcome_without_actions(
    make_settings: Any, receiver: HttpReceiver, start_app: Any,
) -> None:
    async with start_app(inbox_settings(make_settings, receiver)) as running:
        await build_world(running.hub)
        conversation = await handed_over(running.hub, await customer_writes(running.client, running.hub, "u-9", "?"))
        await resolve(running.hub, conversation.id, "Готово", key="api-resolve-1", actor="crm")
        async with signed_in(running, "anna") as (client, _):
            page = await client.get(f"/inbox/conversations/{conversation.id}")
            found = await eventually(lambda: client.get("/inbox"), lambda r: r.status_code == 200)

    assert page.status_code == 200 and "Готово" in page.text
    assert 'id="reply-form"' not in page.text and 'id="resolve-form"' not in page.text
    assert "/cases/new" not in page.text
    assert conversation.id not in found.text.split('id="queue"')[1]


async def test_canned_answers_and_topic_scripts_are_offered_with_placeholders_filled(
    make_settings: Any, start_app: Any,
) -> None:
    async with start_app(inbox_settings(make_settings)) as running:
        world = await build_world(running.hub)
        for item in (CannedResponse(shortcut="hello", title="Greeting", text="Hello, {name}! I am {operator}.",
                                    language="en"),
                     CannedResponse(kind=CannedKind.SCRIPT, shortcut="gq-script", title="General question",
                                    text="1. Ask for the order number", language="en", topic="general_question"),
                     CannedResponse(shortcut="privet", title="Привет", text="Здравствуйте!", language="ru")):
            await canned.save(running.hub, item, actor=world.eve)
        conversation = await handed_over(running.hub, await customer_writes(running.client, running.hub, "u-10", "?"))
        async with signed_in(running, "anna") as (client, csrf):
            await client.post(f"/inbox/conversations/{conversation.id}/claim", data={"csrf_token": csrf})
            page = await client.get(f"/inbox/conversations/{conversation.id}")

    assert 'data-canned-text="Hello, Shopper u-10! I am Anna."' in page.text
    assert 'data-canned-text="1. Ask for the order number" data-kind="script"' in page.text
    assert "Здравствуйте!" not in page.text  # anna works in English


async def test_a_due_follow_up_returns_to_the_operators_list_until_dismissed(
    make_settings: Any, receiver: HttpReceiver, start_app: Any,
) -> None:
    async with start_app(inbox_settings(make_settings, receiver)) as running:
        world = await build_world(running.hub)
        conversation = await handed_over(running.hub, await customer_writes(running.client, running.hub, "u-11", "?"))
        await follow_ups.resolve(running.hub, conversation.id, "Ждём поставку", key="fu-resolve-1", actor=world.anna,
                                 follow_up_at=utcnow() + timedelta(seconds=1), follow_up_note="Позвонить клиенту")
        await asyncio.sleep(1.1)
        await follow_ups.due_follow_ups(running.hub)
        async with signed_in(running, "anna") as (client, csrf):
            due = await client.get("/inbox")
            dismissed = await client.post(f"/inbox/conversations/{conversation.id}/follow-up/dismiss",
                                          data={"csrf_token": csrf})
            after = await client.get("/inbox")

    reminders = due.text.split('id="follow-ups"')[1].split('id="mine"')[0]
    assert f'data-conversation="{conversation.id}"' in reminders and "Позвонить клиенту" in reminders
    assert dismissed.status_code == 303
    assert conversation.id not in after.text.split('id="follow-ups"')[1].split('id="mine"')[0]


async def test_timeline_shows_the_nlu_reading_bot_turns_and_delivery_status(
    make_settings: Any, receiver: HttpReceiver, start_app: Any,
) -> None:
    async with start_app(inbox_settings(make_settings, receiver)) as running:
        await build_world(running.hub)
        conversation = await handed_over(running.hub, await customer_writes(
            running.client, running.hub, "u-12", "Где мой заказ 4512?"))
        messages = await running.hub.stores.messages.list_for_conversation(conversation.id)
        inbound = next(m for m in messages if m.direction is Direction.INBOUND)
        await running.hub.stores.messages.set_nlu(inbound.id, ParseResult(
            text=inbound.text, intent="order_status", confidence=0.873, engine="builtin"))
        async with signed_in(running, "sam") as (client, _):
            page = await client.get(f"/inbox/conversations/{conversation.id}")
        bot = [m for m in await running.hub.stores.messages.list_for_conversation(conversation.id)
               if m.direction is Direction.OUTBOUND]

    assert 'class="nlu" title="NLU: order_status">Order status · 87%' in page.text  # the topic's name
    assert bot
    for message in bot:  # the bot's turns, each with its delivery status
        assert f'id="item-{message.id}"' in page.text
        status = page.text.split(f'id="item-{message.id}"')[1].split("</li>")[0]
        assert f'data-status="{message.status.value}"' in status and "author-bot" in page.text


async def test_releasing_puts_the_conversation_back_in_the_queue(make_settings: Any, start_app: Any) -> None:
    async with start_app(inbox_settings(make_settings)) as running:
        await build_world(running.hub)
        conversation = await handed_over(running.hub, await customer_writes(running.client, running.hub, "u-13", "?"))
        base = f"/inbox/conversations/{conversation.id}"
        async with signed_in(running, "anna") as (anna, csrf):
            await anna.post(f"{base}/claim", data={"csrf_token": csrf})
            page = await anna.get(base)
            released = await anna.post(f"{base}/release", data={"csrf_token": csrf})
        async with signed_in(running, "boris") as (boris, b_csrf):
            not_his = await boris.post(f"{base}/release", data={"csrf_token": b_csrf})
            queue = await boris.get("/inbox")
        stored = await running.hub.stores.conversations.get(conversation.id)

    assert 'id="release"' in page.text and released.status_code == 303
    assert (stored.state, stored.assignee) == (S.QUEUED, None)
    assert not_his.status_code == 403  # queued again: nobody's to release
    assert f'data-conversation="{conversation.id}"' in queue.text.split('id="queue"')[1]


async def test_a_resubmitted_transfer_form_transfers_once(
    make_settings: Any, receiver: HttpReceiver, start_app: Any,
) -> None:
    async with start_app(inbox_settings(make_settings, receiver)) as running:
        await build_world(running.hub)
        conversation = await handed_over(running.hub, await customer_writes(
            running.client, running.hub, "u-tr", "Курьер не приехал"))
        form = {"target": "group:delivery", "note": "Это к доставке", "key": "transfer-key-01"}
        async with signed_in(running, "sam") as (client, csrf):  # a supervisor may move it again and again
            first = await client.post(f"/inbox/conversations/{conversation.id}/transfer",
                                      data={**form, "csrf_token": csrf})
            again = await client.post(f"/inbox/conversations/{conversation.id}/transfer",
                                      data={**form, "csrf_token": csrf})
        final = await running.hub.stores.conversations.get(conversation.id)
        notes = [m.text for m in await running.hub.stores.messages.list_for_conversation(conversation.id)
                 if m.direction is Direction.INTERNAL]

    assert (first.status_code, again.status_code) == (303, 303) and final.group == "delivery"
    assert [e.kind for e in final.history].count("transferred") == 1
    assert notes.count("Это к доставке") == 1


async def test_the_holder_corrects_topic_and_priority_and_the_history_says_who(
    make_settings: Any, receiver: HttpReceiver, start_app: Any,
) -> None:
    async with start_app(inbox_settings(make_settings, receiver)) as running:
        world = await build_world(running.hub)
        conversation = await handed_over(running.hub, await customer_writes(
            running.client, running.hub, "u-tp", "Кассир нагрубил"))
        base = f"/inbox/conversations/{conversation.id}"
        async with signed_in(running, "boris") as (client, csrf):  # not the holder yet
            refused = await client.post(f"{base}/triage", data={"csrf_token": csrf, "topic": "staff_behaviour",
                                                                 "priority": "high"})
        async with signed_in(running, "anna") as (client, csrf):
            await client.post(f"{base}/claim", data={"csrf_token": csrf})
            bad = await client.post(f"{base}/triage", data={"csrf_token": csrf, "topic": "<b>x</b>",
                                                            "priority": "high"})
            changed = await client.post(f"{base}/triage", data={"csrf_token": csrf, "topic": "staff_behaviour",
                                                                "priority": "high"})
            page = await client.get(base)
        final = await running.hub.stores.conversations.get(conversation.id)

    assert refused.status_code == 403 and bad.status_code == 422
    assert changed.status_code == 303 and (final.topic, final.priority) == ("staff_behaviour", "high")
    changes = [e for e in final.history if e.kind in ("topic_changed", "priority_changed")]
    assert [(e.kind, e.actor, e.data["to"]) for e in changes] == [
        ("topic_changed", world.anna.id, "staff_behaviour"), ("priority_changed", world.anna.id, "high")]
    assert 'id="triage-form"' in page.text and 'value="staff_behaviour"' in page.text
