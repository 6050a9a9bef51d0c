"""Issue 16, "lost replies after kill -9 on a slow store": two deliveries of one message raced, the one that lost
the insert acked it as a duplicate while the winner was still busy (here: waiting on a slow Rasa), and when the
winner then died nobody finished it (stored with `handled: false`, no pending entry, no dead letter). Stored is
not handled: a delivery may only ack a message that is handled.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from api.wiring import running_hub
from hub.inbound.ingest import handle_inbound
from models.channels import Channel
from models.messages import Direction, InboundMessage
from nlu.artefacts import ModelDirectory
from nlu.rasa_yaml import load_text
from nlu.training import train
from tests.conftest import SettingsFactory
from tests.fakes.rasa_api import FakeRasa, fake_rasa

SMALL = ('version: "3.1"\nnlu:\n- intent: order_status\n  examples: |\n    - где мой заказ\n    - статус заказа\n'
         "    - когда привезут заказ\n- intent: greet\n  examples: |\n    - привет\n    - здравствуйте\n"
         "    - добрый день\n")


@pytest.fixture
async def slow_rasa() -> AsyncIterator[FakeRasa]:
    async with fake_rasa() as server:
        server.delay = 1.0  # the first delivery is busy here when the second one finds the message stored
        yield server


async def test_a_delivery_that_loses_the_insert_race_acks_only_a_handled_message(
        slow_rasa: FakeRasa, make_settings: SettingsFactory, tmp_path: Path) -> None:
    models = tmp_path / "models"
    ModelDirectory(models).save(train(load_text(SMALL)))
    settings = make_settings(nlu_engine="rasa", rasa_url=slow_rasa.url, rasa_timeout=5.0, nlu_model_dir=str(models))
    msg = InboundMessage(channel=Channel.API, account_id="crm", external_user_id="u-1", external_id="m-1",
                         text="где мой заказ")
    async with running_hub(settings) as hub:
        deliveries = [asyncio.create_task(handle_inbound(msg, hub)) for _ in range(2)]
        await asyncio.wait(deliveries, return_when=asyncio.FIRST_COMPLETED)
        stored = await hub.stores.messages.find_external(Channel.API, "crm", Direction.INBOUND, "m-1")
        await asyncio.gather(*deliveries)
        replies = await hub.stores.messages.list_for_customer(stored.customer_id) if stored else []

    assert stored is not None and stored.handled  # the first delivery to return had finished the message
    assert [r.direction for r in replies].count(Direction.OUTBOUND) == 1  # and one reply, not two
