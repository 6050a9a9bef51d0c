"""Issue 16, low severity: the anonymous web chat took messages as fast as a script could post them. Now a
visitor session and a client address each have a limit a minute, answered with 429 and Retry-After."""

from __future__ import annotations

from typing import Any

import httpx

from tests.integration.webchat_support import open_chat


async def test_a_visitor_and_an_address_are_limited_and_told_when_to_retry(
    make_settings: Any, start_app: Any,
) -> None:
    settings = make_settings(webchat_visitor_per_minute=3, webchat_address_per_minute=5)
    async with start_app(settings) as running:
        transport = httpx.ASGITransport(app=running.app, client=("203.0.113.7", 4000))
        async with (httpx.AsyncClient(transport=transport, base_url="http://otklik.test") as first,
                    httpx.AsyncClient(transport=transport, base_url="http://otklik.test") as second):
            await open_chat(first)
            await open_chat(second)
            firsts = [await first.post("/chat/messages", json={"client_id": f"first-{n:03}", "text": f"раз {n}"})
                      for n in range(4)]
            seconds = [await second.post("/chat/messages", json={"client_id": f"second-{n:03}", "text": f"два {n}"})
                       for n in range(3)]
        elsewhere = running.client  # another address: its own allowance
        await open_chat(elsewhere)
        other = await elsewhere.post("/chat/messages", json={"client_id": "other-001", "text": "привет"})

    assert [r.status_code for r in firsts] == [202, 202, 202, 429]
    assert int(firsts[3].headers["retry-after"]) >= 1 and "this chat" in firsts[3].text
    assert [r.status_code for r in seconds] == [202, 202, 429]  # the address's five are used up
    assert "this address" in seconds[2].text
    assert other.status_code == 202
