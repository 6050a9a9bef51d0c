"""Issue 15 in the inbox: a handover from an unsure reading is marked, further topics are shown, and an
operator's topic correction is kept with the misread message for `otklik nlu review`."""

from __future__ import annotations

from typing import Any

from api.commands.nlu_review import describe_correction, review_messages
from hub.inbox.handover import hand_over
from models.messages import Direction
from models.nlu import ParseResult
from tests.fakes.http_receiver import HttpReceiver
from tests.integration.inbox.test_inbox_pages import signed_in
from tests.integration.inbox_world import build_world, customer_writes, handed_over, inbox_settings


async def test_an_unsure_handover_is_marked_on_the_row_and_the_header_with_the_other_topics(
    make_settings: Any, receiver: HttpReceiver, start_app: Any,
) -> None:
    async with start_app(inbox_settings(make_settings, receiver)) as running:
        await build_world(running.hub)
        unsure = await customer_writes(running.client, running.hub, "u-unsure", "курьер и промокод")
        await hand_over(running.hub, unsure.id, topic="general_question", note="Бот не уверен в теме",
                        summary={"unsure": True, "also": ["promo_code"], "reason": "unsure"})
        sure = await handed_over(running.hub, await customer_writes(
            running.client, running.hub, "u-sure", "Где заказ"))
        async with signed_in(running, "anna") as (client, _):
            queue = await client.get("/inbox")
            page = await client.get(f"/inbox/conversations/{unsure.id}")
            plain = await client.get(f"/inbox/conversations/{sure.id}")

    row = queue.text.split(f'data-conversation="{unsure.id}"')[1].split("</li>")[0]
    other_row = queue.text.split(f'data-conversation="{sure.id}"')[1].split("</li>")[0]
    assert 'class="bot-unsure"' in row and "bot was unsure" in row
    assert "bot-unsure" not in other_row
    header = page.text.split('class="conversation-header')[1].split("</header>")[0]
    assert 'class="bot-unsure"' in header and "Also asks about" in header and "Promo code" in header
    assert "bot-unsure" not in plain.text.split('class="conversation-header')[1].split("</header>")[0]


async def test_a_topic_correction_is_kept_with_the_misread_message_and_listed_for_review(
    make_settings: Any, receiver: HttpReceiver, start_app: Any,
) -> None:
    settings = inbox_settings(make_settings, receiver)
    async with start_app(settings) as running:
        await build_world(running.hub)
        conversation = await customer_writes(running.client, running.hub, "u-fix", "курьер так и не приехал")
        [message] = [m for m in await running.hub.stores.messages.list_for_conversation(conversation.id)
                     if m.direction is Direction.INBOUND]
        await running.hub.stores.messages.set_nlu(message.id, ParseResult(
            text=message.text, intent="order_status", confidence=0.71, engine="builtin", language="ru"))
        await handed_over(running.hub, conversation)
        base = f"/inbox/conversations/{conversation.id}"
        async with signed_in(running, "anna") as (client, csrf):
            await client.post(f"{base}/claim", data={"csrf_token": csrf})
            changed = await client.post(f"{base}/triage", data={"csrf_token": csrf, "topic": "delivery_problem",
                                                                "priority": "normal"})
        stored = await running.hub.stores.messages.get(message.id)
    unsure, corrected = await review_messages(settings, 10)

    assert changed.status_code == 303
    assert stored.corrected_topic == "delivery_problem" and stored.nlu is not None
    assert [m.id for m in corrected] == [message.id] and unsure == []
    line = describe_correction(corrected[0])
    assert "read as order_status -> corrected to delivery_problem" in line and "курьер так и не приехал" in line
