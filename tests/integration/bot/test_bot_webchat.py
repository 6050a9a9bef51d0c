"""The dialog bot in the built-in web chat, in English and Russian: replies arrive on the visitor's SSE stream."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Any

from connectors import webchat
from hub.customers.identity import identity_on
from models.channels import Channel
from models.conversations import ConversationState
from tests.integration.bot_support import bot_settings, bot_texts, conversation_of, replies_after
from tests.integration.webchat_support import open_chat


async def test_web_chat_visitor_gets_the_menu_and_store_answers_in_english(
    make_settings: Any, start_app: Any, nlu_model: Path
) -> None:
    async with start_app(bot_settings(make_settings, nlu_model)) as running:
        visitor = await open_chat(running.client)
        who = identity_on(Channel.WEBCHAT, webchat.ACCOUNT_ID, visitor)
        posted = await running.client.post("/chat/messages", json={"client_id": "client-0001", "text": "Hello"})
        assert posted.status_code == 202
        await replies_after(running.hub, who, inbound=1, at_least=2)
        await running.client.post("/chat/messages",
                                  json={"client_id": "client-0002", "text": "how do I return an item"})
        await replies_after(running.hub, who, inbound=2, at_least=4)  # the policy, then "What next?" with buttons
        await running.client.post("/chat/messages", json={"client_id": "client-0003", "text": "Where is my refund"})
        thread = await replies_after(running.hub, who, inbound=3, at_least=5)
        conversation = await conversation_of(running.hub, who)

    texts = bot_texts(thread)
    assert texts[0].startswith("Hello! I'm the store chain's virtual assistant")
    assert texts[1].startswith("How can I help?")
    assert "within 14 days" in texts[2] and texts[3] == "What next?"
    assert "refund question" in texts[4]
    assert conversation.state is ConversationState.QUEUED and conversation.group == "returns"


async def test_web_chat_reply_reaches_the_visitor_live_in_russian(
    make_settings: Any, start_app: Any, nlu_model: Path
) -> None:
    async with start_app(bot_settings(make_settings, nlu_model)) as running:
        visitor = await open_chat(running.client)
        received: list[dict[str, Any]] = []
        async with running.hub.bus.subscribe(webchat.topic(visitor)) as live:  # what /chat/events streams
            await running.client.post("/chat/messages", json={"client_id": "client-0001", "text": "как вернуть товар"})
            async with asyncio.timeout(10):
                async for data in live:
                    received.append(json.loads(data))
                    if len(received) == 3:
                        break

    assert [m["author"] for m in received] == ["bot", "bot", "bot"]
    assert "виртуальный помощник" in received[0]["text"]
    assert "14 дней" in received[1]["text"] and received[2]["text"] == "Что дальше?"
    assert [b["title"] for b in received[2]["buttons"]] == [
        "Вернуть испорченный товар", "Где мои деньги за возврат", "Всё понятно"]
