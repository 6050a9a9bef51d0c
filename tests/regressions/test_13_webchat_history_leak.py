"""Issue 13: a second web-chat visitor who sent the first visitor's e-mail received the first visitor's whole
chat history from /chat/events. The history was read per customer, and the e-mail (a mere claim) had put both
sessions under one customer; the web chat now shows a session only the messages of that session."""

from __future__ import annotations

from typing import Any

import httpx

from tests.integration.inbox_world import over_tcp
from tests.integration.webchat_support import handled, history, open_chat, say

BORIS = "boris@example.ru"
SECRET_TEXT = "Мой заказ 4512, доставка на Тверскую 7, кв. 12"


async def test_a_stranger_who_sends_anothers_email_sees_only_their_own_session(
    make_settings: Any, start_app: Any
) -> None:
    async with start_app(make_settings()) as running, over_tcp(running) as base, \
            httpx.AsyncClient(base_url=base) as boris, httpx.AsyncClient(base_url=base) as stranger:
        boris_id = await open_chat(boris)
        await say(boris, "boris-0001", SECRET_TEXT, contact={"email": BORIS})
        await handled(running.hub, boris_id, "boris-0001")
        stranger_id = await open_chat(stranger)
        await say(stranger, "stranger-01", "Здравствуйте, это я", contact={"email": BORIS})
        await handled(running.hub, stranger_id, "stranger-01")
        seen_by_stranger = await history(stranger)
        seen_by_boris = await history(boris)

    assert [m["text"] for m in seen_by_stranger if m["direction"] == "inbound"] == ["Здравствуйте, это я"]
    assert all(SECRET_TEXT not in m["text"] for m in seen_by_stranger)
    assert [m["text"] for m in seen_by_boris if m["direction"] == "inbound"] == [SECRET_TEXT]
