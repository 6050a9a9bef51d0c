"""Telegram end to end on the embedded default: webhook → bus → worker → store → outbox → a local fake of
the Bot API, which receives the acknowledgement exactly as aiogram sends it to Telegram."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack
from pathlib import Path
from typing import Any

import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pydantic import SecretStr

from connectors import telegram
from connectors.base import SenderContext
from hub.bus.base import BusPolicy
from hub.bus.memory import MemoryBus
from hub.settings import Settings
from models.channels import Channel, ChannelAccount
from models.conversations import Conversation
from models.customers import Customer, Identity, IdentityKind
from models.errors import SendError
from models.ids import ConversationId, CustomerId
from models.messages import Attachment, Button, DeliveryStatus, Direction, Message, OutboundMessage
from tests.conftest import API_TOKEN, auth
from tests.fakes.http_receiver import free_port
from tests.fakes.telegram_api import BOT_TOKEN, FakeTelegramApi, fake_telegram_api
from tests.integration.helpers import eventually

FIXTURES = Path(__file__).parents[2] / "fixtures" / "telegram"
SECRET = "whsec_0123456789-abcdef"
URL = "/webhooks/telegram/retail_bot"
USER = "5551234567"
ANNA = Identity(kind=IdentityKind.TELEGRAM, value=USER)


@pytest.fixture
async def bot_api() -> AsyncIterator[FakeTelegramApi]:
    """The fake Bot API server."""
    async with fake_telegram_api() as server:
        yield server


def account_config(api_base: str, **options: Any) -> dict[str, Any]:
    """OTKLIK_ACCOUNTS entry of the test bot."""
    return {"channel": "telegram", "id": "retail_bot", "token": BOT_TOKEN,
            "secrets": {"webhook_secret": SECRET}, "options": {"api_base": api_base, **options}}


def tg_settings(make_settings: Any, api: FakeTelegramApi, **options: Any) -> Settings:
    """Settings with the test bot talking to the fake."""
    return make_settings(accounts=[account_config(api.url, **options)])  # type: ignore[no-any-return]


def update(name: str) -> dict[str, Any]:
    """A fixture Update."""
    return json.loads((FIXTURES / f"{name}.json").read_text())  # type: ignore[no-any-return]


async def post(running: Any, payload: dict[str, Any] | bytes, secret: str | None = SECRET) -> httpx.Response:
    """Deliver an Update the way Telegram does: JSON body, secret token header."""
    headers = {"content-type": "application/json"}
    if secret is not None:
        headers["X-Telegram-Bot-Api-Secret-Token"] = secret
    content = payload if isinstance(payload, bytes) else json.dumps(payload).encode()
    return await running.client.post(URL, content=content, headers=headers)  # type: ignore[no-any-return]


async def anna(running: Any) -> Customer | None:
    """The customer behind the fixtures' Telegram user."""
    return await running.hub.stores.customers.find_by_identity(ANNA)  # type: ignore[no-any-return]


async def messages_of(running: Any) -> list[Message]:
    """Everything stored for the fixtures' user, oldest first."""
    customer = await anna(running)
    return [] if customer is None else await running.hub.stores.messages.list_for_customer(customer.id)


def settled(count: int) -> Any:
    """Until there are `count` messages and every reply is past pending."""
    return lambda ms: len(ms) == count and all(m.status is not DeliveryStatus.PENDING for m in ms)


async def conversation_of(running: Any) -> Conversation:
    """The fixtures' user's conversation."""
    customer = await anna(running)
    assert customer is not None
    [conversation] = await running.hub.stores.conversations.list_for_customer(customer.id)
    return conversation  # type: ignore[no-any-return]


async def test_text_message_is_stored_and_acknowledged_with_a_real_send_message(
    make_settings: Any, start_app: Any, bot_api: FakeTelegramApi
) -> None:
    async with start_app(tg_settings(make_settings, bot_api)) as running:
        response = await post(running, update("message__text"))
        assert response.status_code == 200
        [sent] = await bot_api.wait_for("sendMessage")
        inbound, reply = await eventually(lambda: messages_of(running), settled(2))
        customer, conversation = await anna(running), await conversation_of(running)

    assert sent.token == BOT_TOKEN and sent.params["chat_id"] == USER
    assert "получили ваше сообщение" in sent.params["text"] and "parse_mode" not in sent.params
    assert customer is not None and customer.name == "Анна Иванова" and customer.identities == [ANNA]
    assert (inbound.direction, inbound.channel, inbound.external_id) == (Direction.INBOUND, "telegram", f"{USER}:41")
    assert inbound.text == "Здравствуйте! Где мой заказ 4512?" and inbound.conversation_id == conversation.id
    assert reply.status is DeliveryStatus.SENT and reply.text == sent.params["text"]
    assert reply.external_id is not None and reply.external_id.startswith(f"{USER}:")
    assert (conversation.channel, conversation.account_id) == ("telegram", "retail_bot")


async def test_own_contact_links_the_phone_so_another_channel_finds_the_same_customer(
    make_settings: Any, start_app: Any, bot_api: FakeTelegramApi
) -> None:
    phone = Identity(kind=IdentityKind.PHONE, value="+79161234567")
    trusted = make_settings(accounts=[account_config(bot_api.url)],  # the chain's CRM: vouches for the phone
                            api_accounts=[{"id": "crm", "token": API_TOKEN, "trusted": True}])
    async with start_app(trusted) as running:
        assert (await post(running, update("message__contact_own"))).status_code == 200
        customers = running.hub.stores.customers
        linked = await eventually(lambda: customers.find_by_identity(phone), lambda c: c is not None)
        api_message = {"user_id": "crm-77", "message_id": "m-1", "text": "Это Анна, по заказу 4512",
                       "contact": {"phone": "8 (916) 123-45-67"}}
        assert (await running.client.post("/channels/api/crm/messages", json=api_message,
                                          headers=auth())).status_code == 202
        customer = await eventually(lambda: customers.find_by_identity(phone), lambda c: c is not None and
                                    len(c.identities) == 3)
        conversations = await running.hub.stores.conversations.list_for_customer(customer.id)

    assert linked is not None and customer is not None and linked.id == customer.id
    assert {i.kind for i in customer.identities} == {IdentityKind.TELEGRAM, IdentityKind.PHONE, IdentityKind.API}
    assert len(conversations) == 1


async def test_start_with_a_deep_link_is_stored_on_the_conversation(
    make_settings: Any, start_app: Any, bot_api: FakeTelegramApi
) -> None:
    async with start_app(tg_settings(make_settings, bot_api)) as running:
        await post(running, update("message__start_deep_link"))
        await eventually(lambda: messages_of(running), settled(2))
        conversation = await conversation_of(running)
    assert conversation.deep_link == "store_118"


async def test_button_press_is_stored_as_its_data_and_answered_in_the_webhook_response(
    make_settings: Any, start_app: Any, bot_api: FakeTelegramApi
) -> None:
    async with start_app(tg_settings(make_settings, bot_api)) as running:
        response = await post(running, update("callback_query__button"))
        inbound, _ = await eventually(lambda: messages_of(running), settled(2))

    assert response.status_code == 200
    assert response.headers["content-type"] == "application/json"
    assert response.json() == {"method": "answerCallbackQuery", "callback_query_id": "4382bfdwdsb323b2d9"}
    assert (inbound.text, inbound.external_id) == ("topic:return", "callback:4382bfdwdsb323b2d9")
    assert bot_api.of("answerCallbackQuery") == []  # answered in the response: no extra request


async def test_edited_message_updates_the_stored_text_and_adds_no_message(
    make_settings: Any, start_app: Any, bot_api: FakeTelegramApi
) -> None:
    async with start_app(tg_settings(make_settings, bot_api)) as running:
        await post(running, update("message__text"))
        await eventually(lambda: messages_of(running), settled(2))
        assert (await post(running, update("edited_message__text"))).status_code == 200
        inbound, _ = await eventually(lambda: messages_of(running),
                                      lambda ms: ms[0].text.endswith("(опечатка в номере)"))
        total = await running.hub.stores.messages.count()

    assert inbound.edits == ["Здравствуйте! Где мой заказ 4512?"]
    assert total == 2 and len(bot_api.of("sendMessage")) == 1  # an edit is not a new message to acknowledge


async def test_photo_with_caption_is_stored_with_its_file_id(
    make_settings: Any, start_app: Any, bot_api: FakeTelegramApi
) -> None:
    async with start_app(tg_settings(make_settings, bot_api)) as running:
        await post(running, update("message__photo_caption"))
        inbound, _ = await eventually(lambda: messages_of(running), settled(2))
    assert inbound.text == "Вот чек, товар бракованный"
    assert inbound.attachments == [Attachment(kind="image", file_id="AgACAgIAAxkBAAIBY2dDlarge", size=96432)]


@pytest.mark.parametrize("secret", [None, "", "wrong-secret", SECRET[:-1]])
async def test_missing_or_wrong_secret_token_is_refused_and_nothing_is_stored(
    make_settings: Any, start_app: Any, bot_api: FakeTelegramApi, secret: str | None
) -> None:
    async with start_app(tg_settings(make_settings, bot_api)) as running:
        response = await post(running, update("message__text"), secret=secret)
        await asyncio.sleep(0.1)
        stored = await running.hub.stores.messages.count()
    assert response.status_code == 401
    assert "X-Telegram-Bot-Api-Secret-Token" in response.json()["error"]["reason"]
    assert stored == 0 and bot_api.calls == []


async def test_the_same_update_delivered_twice_is_one_message_and_one_reply(
    make_settings: Any, start_app: Any, bot_api: FakeTelegramApi
) -> None:
    async with start_app(tg_settings(make_settings, bot_api)) as running:
        for _ in range(2):
            assert (await post(running, update("message__text"))).status_code == 200
        await eventually(lambda: messages_of(running), settled(2))
        again = update("message__text")
        again["update_id"] += 1
        again["message"].update(message_id=99, text="ещё вопрос")  # proves the duplicate was handled before it
        await post(running, again)
        stored = await eventually(lambda: messages_of(running), settled(4))

    assert [m.external_id for m in stored if m.direction is Direction.INBOUND] == [f"{USER}:41", f"{USER}:99"]
    assert len(bot_api.of("sendMessage")) == 2


async def test_flood_control_on_the_first_send_is_retried_and_delivered(
    make_settings: Any, start_app: Any, bot_api: FakeTelegramApi
) -> None:
    bot_api.flood("sendMessage", retry_after=1)
    async with start_app(tg_settings(make_settings, bot_api)) as running:
        await post(running, update("message__text"))
        _, reply = await eventually(lambda: messages_of(running), settled(2))
    assert reply.status is DeliveryStatus.SENT
    assert len(bot_api.of("sendMessage")) == 2


async def test_a_bot_blocked_by_the_user_fails_the_reply_without_retrying(
    make_settings: Any, start_app: Any, bot_api: FakeTelegramApi
) -> None:
    bot_api.blocked("sendMessage")
    async with start_app(tg_settings(make_settings, bot_api)) as running:
        await post(running, update("message__text"))
        _, reply = await eventually(lambda: messages_of(running), settled(2))
    assert reply.status is DeliveryStatus.FAILED
    assert reply.status_reason is not None and "bot was blocked by the user" in reply.status_reason
    assert len(bot_api.of("sendMessage")) == 1


async def test_after_the_user_blocks_the_bot_it_does_not_message_them(
    make_settings: Any, start_app: Any, bot_api: FakeTelegramApi
) -> None:
    async with start_app(tg_settings(make_settings, bot_api)) as running:
        await post(running, update("message__text"))
        await eventually(lambda: messages_of(running), settled(2))
        await post(running, update("my_chat_member__kicked"))
        await eventually(lambda: anna(running), lambda c: c is not None and c.attributes.get("unsubscribed"))
        later = update("message__text")  # a message queued before the block reached us, say
        later["update_id"] += 10
        later["message"]["message_id"] = 77
        await post(running, later)
        stored = await eventually(lambda: messages_of(running), settled(4))

    assert stored[3].status is DeliveryStatus.FAILED and "unsubscribed" in (stored[3].status_reason or "")
    assert len(bot_api.of("sendMessage")) == 1


@pytest.mark.parametrize("fixture", ["message_reaction__thumbs_up", "message__group_text", "message__location"])
async def test_genuine_but_unsupported_update_is_answered_200_and_nothing_stored(
    make_settings: Any, start_app: Any, bot_api: FakeTelegramApi, fixture: str
) -> None:
    async with start_app(tg_settings(make_settings, bot_api)) as running:
        response = await post(running, update(fixture))
        await asyncio.sleep(0.1)
        stored = await running.hub.stores.messages.count()
    assert (response.status_code, response.content, stored) == (200, b"", 0)


@pytest.mark.parametrize(("raw", "says"), [(b"{not json", "not JSON"), (b'{"message": {}}', "update_id")])
async def test_malformed_update_is_refused_with_a_reason_and_nothing_stored(
    make_settings: Any, start_app: Any, bot_api: FakeTelegramApi, raw: bytes, says: str
) -> None:
    async with start_app(tg_settings(make_settings, bot_api)) as running:
        response = await post(running, raw)
        await asyncio.sleep(0.1)
        stored = await running.hub.stores.messages.count()
    assert response.status_code == 422 and says in response.json()["error"]["reason"]
    assert stored == 0


async def test_unknown_bot_is_404(make_settings: Any, start_app: Any, bot_api: FakeTelegramApi) -> None:
    async with start_app(tg_settings(make_settings, bot_api)) as running:
        response = await running.client.post("/webhooks/telegram/other_bot", json=update("message__text"),
                                              headers={"X-Telegram-Bot-Api-Secret-Token": SECRET})
    assert response.status_code == 404


def bot_account(api: FakeTelegramApi, **options: Any) -> ChannelAccount:
    """The test bot as the hub builds it."""
    return ChannelAccount(id="retail_bot", channel=Channel.TELEGRAM, token=SecretStr(BOT_TOKEN),
                          secrets={"webhook_secret": SecretStr(SECRET)}, options={"api_base": api.url, **options})


def reply(**fields: Any) -> OutboundMessage:
    """A bot reply to the fixtures' user."""
    return OutboundMessage(conversation_id=ConversationId("c1"), customer_id=CustomerId("u1"),
                           channel=Channel.TELEGRAM, account_id="retail_bot", recipient=USER,
                           idempotency_key="k-1", **fields)


async def send_all(account: ChannelAccount, *messages: OutboundMessage) -> list[Any]:
    """Send through a sender built as the hub builds it; receipts or SendErrors, in order."""
    results: list[Any] = []
    async with httpx.AsyncClient() as http, AsyncExitStack() as stack:
        context = SenderContext(http=http, bus=MemoryBus(BusPolicy()), exit_stack=stack,
                                messages=None, timeout=5.0)  # type: ignore[arg-type]  # the sender reads no store
        sender = telegram.build_sender(account, context)
        for message in messages:
            try:
                results.append(await sender.send(message))
            except SendError as e:
                results.append(e)
    return results


async def test_buttons_and_a_photo_reach_the_bot_api_in_its_wire_format(bot_api: FakeTelegramApi) -> None:
    buttons = [Button(title="Возврат", payload="topic:return"), Button(title="Доставка", payload="topic:delivery")]
    photo_with_keyboard = reply(text="Выберите тему", buttons=buttons,
                                attachments=[Attachment(kind="image", file_id="AgACphoto")])
    [receipt] = await send_all(bot_account(bot_api), photo_with_keyboard)
    [again] = await send_all(bot_account(bot_api, buttons="reply"), reply(text="Выберите тему", buttons=buttons))

    [photo] = bot_api.of("sendPhoto")
    assert (photo.params["chat_id"], photo.params["photo"], photo.params["caption"]) == (USER, "AgACphoto",
                                                                                        "Выберите тему")
    assert photo.params["reply_markup"] == {"inline_keyboard": [[{"text": "Возврат", "callback_data": "topic:return"}],
                                                                [{"text": "Доставка",
                                                                  "callback_data": "topic:delivery"}]]}
    [message] = bot_api.of("sendMessage")
    assert message.params["reply_markup"] == {"keyboard": [[{"text": "Возврат"}], [{"text": "Доставка"}]],
                                              "resize_keyboard": True, "one_time_keyboard": True}
    assert receipt.external_id.startswith(f"{USER}:") and again.external_id != receipt.external_id


async def test_a_retry_after_a_partial_send_sends_only_the_parts_left(bot_api: FakeTelegramApi) -> None:
    message = reply(text="д" * 1500, attachments=[Attachment(kind="file", file_id="BQACdoc")])  # too long to caption
    bot_api.fail("sendDocument", 502, "Bad Gateway")
    first, receipt = await send_all(bot_account(bot_api), message, message)

    assert isinstance(first, SendError) and first.retryable
    assert len(bot_api.of("sendMessage")) == 1 and len(bot_api.of("sendDocument")) == 2
    assert receipt.external_id is not None and receipt.external_id.startswith(f"{USER}:")


# --- hypothesis through the route ---------------------------------------------------------------------------

NAMES = sorted(p.stem for p in FIXTURES.glob("*.json"))
json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=12),
    lambda children: st.lists(children, max_size=3) | st.dictionaries(st.text(max_size=8), children, max_size=3),
    max_leaves=10,
)


def bodies() -> st.SearchStrategy[bytes]:
    """Random bytes, fixtures cut short and JSON objects of random shape: none of them a storable message."""
    documents = [(FIXTURES / f"{n}.json").read_bytes().rstrip() for n in NAMES]  # cut short: never valid JSON
    truncated = st.sampled_from(documents).flatmap(lambda d: st.integers(0, len(d) - 1).map(lambda i: d[:i]))
    shaped = st.dictionaries(st.sampled_from(["update_id", "message", "edited_message", "callback_query", "x"]),
                             json_values, max_size=3).map(lambda d: json.dumps(d).encode())
    return st.binary(max_size=200) | truncated | shaped


async def test_random_and_truncated_updates_through_the_route_are_never_a_500_and_store_nothing(
    make_settings: Any, start_app: Any
) -> None:
    samples: list[bytes] = []

    @settings(max_examples=150, database=None, suppress_health_check=[HealthCheck.too_slow])
    @given(bodies())
    def collect(raw: bytes) -> None:  # hypothesis picks the bodies; one running app answers them all
        samples.append(raw)

    collect()
    # Nothing listens on this port: should anything be accepted, its reply could not reach a real Telegram.
    config = make_settings(accounts=[account_config(f"http://127.0.0.1:{free_port()}")])
    async with start_app(config) as running:
        statuses = [(await post(running, raw)).status_code for raw in samples]
        await asyncio.sleep(0.1)
        stored = await running.hub.stores.messages.count()
    assert set(statuses) <= {200, 422} and 422 in statuses
    assert stored == 0
