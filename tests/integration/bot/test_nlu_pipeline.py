"""The NLU reading is stored with each customer message, and a model trained while the service runs is used."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from nlu.artefacts import ModelDirectory
from nlu.rasa_yaml import load_paths
from nlu.training import train
from tests.conftest import auth
from tests.integration.helpers import eventually

DATA = Path(__file__).resolve().parents[3] / "nlu" / "data"


async def test_messages_carry_the_nlu_reading_once_a_model_is_trained(
    make_settings: Any, start_app: Any, tmp_path: Path
) -> None:
    settings = make_settings(nlu_reload_seconds=0)
    async with start_app(settings) as running:
        stores = running.hub.stores

        async def inbound() -> list[Any]:
            rows = await stores.db.column("SELECT id FROM messages WHERE direction = 'inbound' ORDER BY seq")
            return [await stores.messages.get(i) for i in rows]

        await running.client.post("/channels/api/crm/messages", headers=auth(),
                                  json={"user_id": "u1", "message_id": "m1", "text": "Где мой заказ 4512?"})
        before = await eventually(inbound, lambda ms: len(ms) == 1 and ms[0].handled)

        ModelDirectory(Path(settings.nlu_model_dir)).save(train(load_paths([DATA])))  # trained while running
        await running.client.post("/channels/api/crm/messages", headers=auth(),
                                  json={"user_id": "u1", "message_id": "m2", "text": "Где мой заказ 4512?"})
        after = await eventually(inbound, lambda ms: len(ms) == 2 and ms[1].handled)

    assert before[0].nlu is None  # no model yet: nothing pretends to know the topic
    reading = after[1].nlu
    assert reading is not None and reading.intent == "order_status" and reading.language == "ru"
    assert any(e.entity == "order_id" and e.value == "4512" for e in reading.entities)
