"""A claim proven end to end: a web visitor claims Boris's e-mail, the code goes to Boris's proven channel
(a trusted api account's callback), the visitor types it back and only then hears Boris's balance."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

from connectors import webchat
from models.claims import ClaimStatus
from models.customers import Identity, IdentityKind
from tests.conftest import API_TOKEN, auth
from tests.fakes.http_receiver import HttpReceiver
from tests.integration.bot_support import bot_settings, bot_texts, replies_after, thread_of
from tests.integration.helpers import eventually
from tests.integration.webchat_support import open_chat, visitor_identity

APP_TOKEN = "app-token-0123456789abcdef"
BORIS_EMAIL = Identity(kind=IdentityKind.EMAIL, value="boris@example.ru")


def codes_in(receiver: HttpReceiver) -> list[str]:
    """The one-time codes POSTed to the app's callback so far."""
    texts = [json.loads(r.body).get("text", "") for r in receiver.requests]
    return [m.group(1) for t in texts if (m := re.search(r"Код подтверждения: (\d{6})", t))]


async def test_a_claim_verified_with_the_code_sent_to_the_owners_channel_unlocks_the_balance(
    make_settings: Any, start_app: Any, nlu_model: Path, receiver: HttpReceiver
) -> None:
    accounts = [{"id": "crm", "token": API_TOKEN},
                {"id": "app", "token": APP_TOKEN, "callback_url": f"{receiver.url}/app", "trusted": True}]
    async with start_app(bot_settings(make_settings, nlu_model, api_accounts=accounts)) as running:
        hub = running.hub
        assert hub.reader is not None
        await hub.reader.reload_if_changed()  # loaded now, not by whichever message comes first
        # Boris uses the chain's app (a trusted account): his e-mail is proven there
        await running.client.post("/channels/api/app/messages", headers=auth(APP_TOKEN), json={
            "user_id": "boris-1", "message_id": "a-1", "text": "Привет", "contact": {"email": "boris@example.ru"}})
        boris = await eventually(lambda: hub.stores.customers.find_by_identity(BORIS_EMAIL), lambda c: c is not None)
        assert boris is not None

        visitor = await open_chat(running.client)
        who = visitor_identity(visitor)
        await running.client.post("/chat/messages", json={"client_id": "client-0000", "contact": {
            "email": "boris@example.ru"}, "text": "Здравствуйте"})
        greeted = len(bot_texts(await replies_after(hub, who, inbound=1, at_least=1)))
        await running.client.post("/chat/messages", json={"client_id": "client-0001",
                                                           "text": "Какой у меня баланс бонусов?"})
        asked = await replies_after(hub, who, inbound=2, at_least=greeted + 1)
        claimer = await hub.stores.customers.find_by_identity(who)
        assert claimer is not None and claimer.id != boris.id
        code = (await eventually(lambda: _codes(receiver), lambda found: len(found) == 1))[0]

        await running.client.post("/chat/messages", json={"client_id": "client-0002", "text": "000000"})
        wrong = await replies_after(hub, who, inbound=3, at_least=len(bot_texts(asked)) + 1)
        await running.client.post("/chat/messages", json={"client_id": "client-0003", "text": code})
        answered = await eventually(lambda: thread_of(hub, who), lambda ms: "620 баллов" in "\n".join(bot_texts(ms)),
                                    timeout=30)
        now_boris = await hub.stores.customers.find_by_identity(who)
        [claim] = await hub.stores.claims.of_customer(claimer.id)
        await running.client.post("/chat/messages", json={"client_id": "client-0004", "text": code})
        replayed = await eventually(lambda: hub.stores.messages.list_for_customer(boris.id),
                                    lambda ms: any(m.external_id == webchat.message_key(visitor, "client-0004")
                                                          and m.handled for m in ms))

    before = "\n".join(bot_texts(asked))
    assert "620" not in before and "Введите его здесь" in before and "boris" not in before
    assert "Код не подошёл" in "\n".join(bot_texts(wrong))
    assert now_boris is not None and now_boris.id == boris.id  # the visitor proved to be Boris: merged into him
    assert claim.status is ClaimStatus.VERIFIED and claim.decided_by == "verification"
    assert "•••4410" in "\n".join(bot_texts(answered))
    assert len(codes_in(receiver)) == 1  # typing the used code again sends nothing and proves nothing new
    assert replayed


async def _codes(receiver: HttpReceiver) -> list[str]:
    return codes_in(receiver)
