"""An operator's reply reaches the customer's channel (the api channel's callback, a real local HTTP server)."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import pytest

from hub.inbox import handover, replies
from models.channels import Channel
from models.errors import Conflict, Forbidden
from models.messages import AuthorKind, DeliveryStatus
from models.staff import Availability
from tests.conftest import API_TOKEN
from tests.fakes.http_receiver import HttpReceiver
from tests.inbox_fixtures import bot_conversation, operator
from tests.integration.helpers import eventually


async def test_operator_reply_reaches_the_callback_once_and_counts_as_first_response(
    make_settings: Any, receiver: HttpReceiver, start_app: Any,
) -> None:
    account = {"id": "crm", "token": API_TOKEN, "callback_url": f"{receiver.url}/otklik"}
    async with start_app(make_settings(api_accounts=[account])) as running:
        hub = running.hub
        anna = await operator(hub, "anna", ["general"])
        stranger = await operator(hub, "stranger", ["returns"], availability=Availability.AWAY)
        conversation = await bot_conversation(hub, channel=Channel.API, account_id="crm", user_id="u-7")
        conversation = await handover.hand_over(hub, conversation.id, topic=None, note="needs a human")
        assert conversation.assignee == anna.id

        sent, new = await replies.reply(hub, conversation.id, "Здравствуйте! <b>Смотрю</b> заказ.",
                                                 operator=anna, key="reply-1")
        [callback] = await receiver.wait_for(1)
        again, repeated = await replies.reply(hub, conversation.id, "Здравствуйте! <b>Смотрю</b> заказ.",
                                                       operator=anna, key="reply-1")
        stored = await eventually(lambda: hub.stores.messages.get(sent.id), lambda m: m.status is DeliveryStatus.SENT)
        with pytest.raises(Forbidden):
            await replies.reply(hub, conversation.id, "hi", operator=stranger, key="reply-2")
        with pytest.raises(Conflict):
            await replies.reply(hub, conversation.id, "hi", operator=anna, key="reply-3",
                                         channel=Channel.TELEGRAM)
        await asyncio.sleep(0.2)  # a second delivery of the repeat would have arrived by now
        after = await hub.stores.conversations.get(conversation.id)

    body = json.loads(callback.body)
    assert (body["user_id"], body["author"], body["text"]) == ("u-7", "operator", "Здравствуйте! <b>Смотрю</b> заказ.")
    assert callback.headers["idempotency-key"] == "reply-1"
    assert new and not repeated and again.id == sent.id and len(receiver.requests) == 1
    assert (stored.author, stored.author_id, stored.author_name) == (AuthorKind.OPERATOR, anna.id, "Anna")
    assert after.first_response_at is not None and after.sla_next_due == after.sla_resolution_due
