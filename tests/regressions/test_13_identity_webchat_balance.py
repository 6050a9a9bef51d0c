"""Issue 13: a web visitor who types Boris's e-mail in the chat's contact form is not told Boris's balance.

Before: the e-mail hint linked the visitor to the customer with that address, and the bot read the CRM
card by it («На вашей карте •••4410 620 баллов»). Now the e-mail is only a claim: the bot offers a
one-time code and never says anything from Boris's profile.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from models.customers import IdentityKind
from tests.integration.bot_support import bot_settings, bot_texts, replies_after
from tests.integration.webchat_support import open_chat, visitor_identity

BORIS_CARD_TAIL, BORIS_POINTS = "4410", "620"  # the demo CRM's Борис Смирнов, boris@example.ru


async def test_a_visitor_claiming_boriss_email_is_not_told_his_card_or_balance(
    make_settings: Any, start_app: Any, nlu_model: Path
) -> None:
    async with start_app(bot_settings(make_settings, nlu_model)) as running:
        assert running.hub.reader is not None
        await running.hub.reader.reload_if_changed()  # loaded now, not by whichever message comes first
        who = visitor_identity(await open_chat(running.client))
        contact = {"email": "boris@example.ru", "verified": True}  # the page may say anything, "verified" too
        posted = await running.client.post("/chat/messages", json={
            "client_id": "client-0001", "text": "Здравствуйте", "contact": contact})
        assert posted.status_code == 202
        greeted = await replies_after(running.hub, who, inbound=1, at_least=1)
        await running.client.post("/chat/messages", json={"client_id": "client-0002",
                                                           "text": "Какой у меня баланс бонусов?"})
        thread = await replies_after(running.hub, who, inbound=2, at_least=len(bot_texts(greeted)) + 1)
        visitor_customer = await running.hub.stores.customers.find_by_identity(who)

    said = "\n".join(bot_texts(thread))
    assert BORIS_CARD_TAIL not in said and f"{BORIS_POINTS} балл" not in said and "Серебрян" not in said
    assert "с номера" not in said and "с телефона" not in said  # never "write from the phone in the order"
    assert "код" in said  # it offers a one-time code (here: there is no proven channel to send one to)
    assert visitor_customer is not None
    assert [i.kind for i in visitor_customer.identities] == [IdentityKind.WEBCHAT]
