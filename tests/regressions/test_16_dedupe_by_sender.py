"""Issue 16, low severity: deduplication ignored the sender, so a web-chat `client_id` another visitor had
used before was silently dropped as a repeat. Message ids are scoped by sender (the visitor's session): the
same client id from two visitors is two messages, and a repeat by one visitor is still one."""

from __future__ import annotations

from typing import Any

import httpx

from models.messages import Direction
from tests.integration.helpers import eventually
from tests.integration.webchat_support import handled, open_chat, say, visitor_identity


async def test_the_same_client_id_from_two_visitors_is_two_messages(make_settings: Any, start_app: Any) -> None:
    async with start_app(make_settings()) as running:
        hub = running.hub
        transport = httpx.ASGITransport(app=running.app)
        async with (httpx.AsyncClient(transport=transport, base_url="http://otklik.test") as anna,
                    httpx.AsyncClient(transport=transport, base_url="http://otklik.test") as boris):
            anna_id, boris_id = await open_chat(anna), await open_chat(boris)
            await say(anna, "msg-00000001", "Где мой заказ?")
            await say(anna, "msg-00000001", "Где мой заказ?")  # the page resends after a network error
            await say(boris, "msg-00000001", "Хочу вернуть чайник")
            await handled(hub, anna_id, "msg-00000001")
            await handled(hub, boris_id, "msg-00000001")

        async def inbound(visitor: str) -> list[str]:
            customer = await hub.stores.customers.find_by_identity(visitor_identity(visitor))
            assert customer is not None
            found = await hub.stores.messages.list_for_customer(customer.id)
            return [m.text for m in found if m.direction is Direction.INBOUND]

        annas = await eventually(lambda: inbound(anna_id), lambda texts: len(texts) >= 1)
        boriss = await inbound(boris_id)

    assert annas == ["Где мой заказ?"]
    assert boriss == ["Хочу вернуть чайник"]
