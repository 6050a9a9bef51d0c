"""A bus outage during ingest: the webhook answers 503 so the sender retries, and nothing accepted is lost."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

import pytest

from models.messages import Direction
from tests.conftest import REDIS_URL, auth
from tests.fakes.tcp_proxy import TcpProxy
from tests.integration.helpers import eventually

pytestmark = pytest.mark.redis


def message(n: int) -> dict[str, Any]:
    return {"user_id": f"u-{n}", "message_id": f"m-{n}", "text": f"вопрос {n}"}


async def test_webhook_answers_503_while_redis_is_unreachable_and_loses_nothing(
    make_settings: Any, start_app: Any
) -> None:
    target = urlsplit(REDIS_URL)
    proxy = TcpProxy(target.hostname or "127.0.0.1", target.port or 6379)
    await proxy.start()
    url = f"redis://127.0.0.1:{proxy.port}{target.path}"
    settings = make_settings(bus="redis", redis_url=url, embedded_worker=True)
    try:
        async with start_app(settings) as running:
            before = await running.client.post("/channels/api/crm/messages", json=message(1), headers=auth())
            await proxy.cut()
            during = await running.client.post("/channels/api/crm/messages", json=message(2), headers=auth())
            ready = await running.client.get("/readyz")
            await proxy.start()
            after = await running.client.post("/channels/api/crm/messages", json=message(3), headers=auth())
            retried = await running.client.post("/channels/api/crm/messages", json=message(2), headers=auth())

            async def inbound() -> list[str]:
                rows = await running.hub.stores.db.column(  # type: ignore[attr-defined]
                    "SELECT external_id FROM messages WHERE direction = ?", (Direction.INBOUND.value,))
                return sorted(rows)

            stored = await eventually(inbound, lambda ids: len(ids) >= 3, timeout=20)
    finally:
        await proxy.cut()

    assert before.status_code == after.status_code == retried.status_code == 202
    assert during.status_code == 503 and during.headers["retry-after"] == "5"
    assert during.json()["error"]["code"] == "unavailable"
    assert ready.status_code == 503 and "bus" in ready.json()["error"]["reason"]
    assert stored == ["m-1", "m-2", "m-3"]  # m-2 is stored once: when the sender retried it
