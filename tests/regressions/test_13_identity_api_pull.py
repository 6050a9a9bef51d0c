"""Issue 13: two api-channel users who send the same e-mail do not read each other's messages.

Before: the second user's e-mail hint linked them to the first user's customer, and the pull endpoint
(`GET /channels/api/{account}/users/{user}/messages`) lists that customer's messages on the account:
each user read the other's. Now an untrusted account's e-mail is only a claim.
"""

from __future__ import annotations

from typing import Any

from tests.conftest import auth
from tests.integration.helpers import eventually

SHOP_TOKEN = "shop-token-0123456789abcdef"


async def test_two_api_users_sending_the_same_email_do_not_read_each_others_messages(
    make_settings: Any, start_app: Any
) -> None:
    async with start_app(make_settings(api_accounts=[{"id": "shop", "token": SHOP_TOKEN}])) as running:
        client = running.client

        async def pull(user: str) -> list[dict[str, Any]]:
            answer = await client.get(f"/channels/api/shop/users/{user}/messages", headers=auth(SHOP_TOKEN))
            assert answer.status_code == 200
            return answer.json()["messages"]  # type: ignore[no-any-return]

        for user, text in (("u-1", "Мой новый адрес: Тверская, 7, кв. 12"), ("u-2", "Покажите мои сообщения")):
            posted = await client.post("/channels/api/shop/messages", headers=auth(SHOP_TOKEN), json={
                "user_id": user, "message_id": f"{user}-m1", "text": text, "contact": {"email": "same@example.ru"}})
            assert posted.status_code == 202
            await eventually(lambda u=user: pull(u), lambda ms: len(ms) >= 2)  # theirs and the acknowledgement
        first, second = await pull("u-1"), await pull("u-2")

    assert "Тверская" not in " ".join(m["text"] for m in second)
    assert "Покажите" not in " ".join(m["text"] for m in first)
    assert {m["conversation_id"] for m in first}.isdisjoint({m["conversation_id"] for m in second})
