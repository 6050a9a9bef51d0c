"""Viber end to end: signed callbacks → real app and pipeline → store, and replies → the fake Viber API over HTTP."""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
import time
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from api.cli import app as cli
from connectors import viber
from hub.outbound import outbox
from hub.settings import Settings
from models.channels import Channel
from models.customers import UNSUBSCRIBED, Customer, Identity, IdentityKind
from models.errors import PayloadError
from models.messages import AuthorKind, DeliveryStatus, Direction, Message, OutboundMessage
from tests.conftest import RunningApp
from tests.fakes.viber_api import Answer, FakeViberApi, fake_viber_api
from tests.integration.helpers import eventually

FIXTURES = Path(__file__).parents[2] / "fixtures" / "viber"
TOKEN = "4453b6ac1s345678-e02c5f12174805f9-daec9cbb5448c51r"
USER = "01234567890A="
URL = "/webhooks/viber/shop"
WELCOME = "Здравствуйте, {name}! Расскажите, чем помочь."


def account(api: FakeViberApi, **options: Any) -> dict[str, Any]:
    """The OTKLIK_ACCOUNTS entry of a Viber bot whose API is the fake."""
    return {"channel": "viber", "id": "shop", "token": TOKEN,
            "options": {"sender_name": "Otklik", "api_base": api.url, **options}}


def callback(name: str, **changes: Any) -> dict[str, Any]:
    """A fixture callback, sent now, with `changes` applied (message={...} merges into the message)."""
    body = json.loads((FIXTURES / f"{name}.json").read_text())
    body["timestamp"] = int(time.time() * 1000)
    if "message" in changes:
        body["message"] = {**body["message"], **changes.pop("message")}
    return {**body, **changes}


def sign(body: bytes, token: str = TOKEN) -> str:
    """X-Viber-Content-Signature of `body`."""
    return hmac.new(token.encode(), body, hashlib.sha256).hexdigest()


async def post(running: RunningApp, body: dict[str, Any] | bytes, signature: str | None = None) -> Any:
    """POST a callback as Viber does, signed unless told otherwise."""
    raw = body if isinstance(body, bytes) else json.dumps(body, ensure_ascii=False).encode()
    headers = {"content-type": "application/json", "x-viber-content-signature": signature or sign(raw)}
    return await running.client.post(URL, content=raw, headers=headers)


async def customer_of(running: RunningApp, user: str = USER) -> Customer | None:
    """The customer behind a Viber user id."""
    return await running.hub.stores.customers.find_by_identity(Identity(kind=IdentityKind.VIBER, value=user))


async def messages_of(running: RunningApp, user: str = USER) -> list[Message]:
    """Everything stored for the Viber user, oldest first."""
    customer = await customer_of(running, user)
    return [] if customer is None else await running.hub.stores.messages.list_for_customer(customer.id)


async def replied(running: RunningApp, status: DeliveryStatus = DeliveryStatus.SENT, count: int = 2) -> list[Message]:
    """Wait until `count` messages are stored and the last one has `status`."""
    return await eventually(lambda: messages_of(running),
                            lambda ms: len(ms) == count and ms[-1].status is status)


@pytest.fixture
async def viber_api() -> AsyncIterator[FakeViberApi]:
    """The fake Viber Bot API on a free port."""
    async with fake_viber_api(TOKEN) as api:
        yield api


@pytest.fixture
def viber_settings(make_settings: Any, viber_api: FakeViberApi) -> Settings:
    """Settings with one Viber account (welcome configured) pointed at the fake."""
    settings: Settings = make_settings(accounts=[account(viber_api, welcome=WELCOME)], public_url="http://otklik.test")
    return settings


@pytest.fixture
async def running(start_app: Any, viber_settings: Settings) -> AsyncIterator[RunningApp]:
    """The real app with its embedded worker."""
    async with start_app(viber_settings) as app:
        yield app


async def test_text_message_is_stored_and_acknowledged_through_send_message(
    running: RunningApp, viber_api: FakeViberApi
) -> None:
    response = await post(running, callback("message__text"))
    assert response.status_code == 200 and response.content == b""

    [call] = await viber_api.wait_for(1)
    inbound, reply = await replied(running)
    customer = await customer_of(running)

    assert customer is not None and customer.name == "Анна Петрова"
    assert (inbound.direction, inbound.text, inbound.external_id) == (
        Direction.INBOUND, "Где мой заказ 4512?", "4912661846655238145")
    assert reply.conversation_id == inbound.conversation_id and reply.author is AuthorKind.BOT
    assert call.headers["x-viber-auth-token"] == TOKEN
    assert call.body["receiver"] == USER and call.body["sender"] == {"name": "Otklik"}
    assert call.body["type"] == "text" and "получили ваше сообщение" in call.body["text"]
    assert call.body["tracking_data"] == reply.id
    assert reply.external_id == "5466297578174182639"  # the message_token the fake answered with


async def test_shared_contact_is_kept_as_a_claim_not_linked(running: RunningApp, viber_api: FakeViberApi) -> None:
    await post(running, callback("message__contact"))
    await replied(running)
    customer = await customer_of(running)
    by_phone = await running.hub.stores.customers.find_by_identity(Identity(kind=IdentityKind.PHONE,
                                                                            value="+79161234567"))
    assert customer is not None and by_phone is None  # Viber cannot tell whose card it is: only a claim
    assert {i.kind for i in customer.identities} == {IdentityKind.VIBER}
    [claim] = await running.hub.stores.claims.of_customer(customer.id)
    assert claim.identity.key == "phone:+79161234567" and claim.status == "claimed"


async def test_picture_is_stored_as_an_attachment(running: RunningApp, viber_api: FakeViberApi) -> None:
    await post(running, callback("message__picture"))
    inbound, _ = await replied(running)
    [picture] = inbound.attachments
    assert (picture.kind, picture.name, picture.size) == ("image", "photo.jpg", 84213)
    assert str(picture.url).endswith("/photo.jpg") and inbound.text == "Вот чек"


async def test_delivered_then_seen_move_the_reply_forward_and_a_late_delivered_does_not_move_it_back(
    running: RunningApp, viber_api: FakeViberApi
) -> None:
    await post(running, callback("message__text"))
    _, reply = await replied(running)
    token = int(reply.external_id or "0")

    await post(running, callback("delivered__receipt", message_token=token))
    await replied(running, DeliveryStatus.DELIVERED)
    await post(running, callback("seen__receipt", message_token=token))
    await replied(running, DeliveryStatus.READ)
    assert (await post(running, callback("delivered__receipt", message_token=token))).status_code == 200
    await asyncio.sleep(0.2)  # the late receipt is handled by now; nothing may have changed
    assert (await messages_of(running))[-1].status is DeliveryStatus.READ


async def test_failed_receipt_marks_the_reply_failed_with_viber_description(
    running: RunningApp, viber_api: FakeViberApi
) -> None:
    await post(running, callback("message__text"))
    _, reply = await replied(running)
    await post(running, callback("failed__receipt", message_token=int(reply.external_id or "0"),
                                 desc="keyboard is not supported on this device"))
    _, failed = await replied(running, DeliveryStatus.FAILED)
    assert failed.status_reason == "keyboard is not supported on this device"


async def operator_reply(running: RunningApp, text: str) -> Message:
    """An operator's answer to the Viber user, through the outbox."""
    inbound = (await messages_of(running))[0]
    return await outbox.enqueue(OutboundMessage(
        conversation_id=inbound.conversation_id, customer_id=inbound.customer_id, channel=inbound.channel,
        account_id="shop", recipient=USER, text=text, author=AuthorKind.OPERATOR, idempotency_key=f"op:{text}",
    ), running.hub)


async def test_unsubscribed_user_is_not_messaged_until_subscribed_again(
    running: RunningApp, viber_api: FakeViberApi
) -> None:
    await post(running, callback("message__text"))
    await replied(running)
    await post(running, callback("unsubscribed__user"))
    await eventually(lambda: customer_of(running), lambda c: c is not None and bool(c.attributes.get(UNSUBSCRIBED)))

    await operator_reply(running, "Ваш заказ в пути")
    refused = await replied(running, DeliveryStatus.FAILED, count=3)
    assert "unsubscribed" in (refused[-1].status_reason or "")
    assert len(viber_api.sent()) == 1  # only the first acknowledgement ever reached Viber

    await post(running, callback("subscribed__user"))
    await eventually(lambda: customer_of(running), lambda c: c is not None and not c.attributes.get(UNSUBSCRIBED))
    await operator_reply(running, "Заказ доставлен")
    await replied(running, DeliveryStatus.SENT, count=4)
    assert viber_api.sent()[-1].body["text"] == "Заказ доставлен"


async def test_conversation_started_is_answered_with_the_welcome_and_stores_nothing(
    running: RunningApp, viber_api: FakeViberApi
) -> None:
    response = await post(running, callback("conversation_started__deep_link"))
    assert response.status_code == 200
    assert response.json() == {"type": "text", "text": "Здравствуйте, Анна Петрова! Расскажите, чем помочь.",
                               "sender": {"name": "Otklik"}, "tracking_data": "otklik-context:store_118"}
    await asyncio.sleep(0.1)
    assert await customer_of(running) is None and await running.hub.stores.messages.count() == 0

    # Viber returns the welcome's tracking data with the shopper's first reply: the deep link reaches the hub.
    await post(running, callback("message__text", message={"tracking_data": response.json()["tracking_data"]}))
    inbound, _ = await replied(running)
    conversation = await running.hub.stores.conversations.get(inbound.conversation_id)
    assert conversation.deep_link == "store_118"
    assert viber_api.sent() and all(c.body.get("receiver") == USER for c in viber_api.sent())


async def test_conversation_started_without_a_welcome_gets_a_plain_200(
    start_app: Any, make_settings: Any, viber_api: FakeViberApi
) -> None:
    async with start_app(make_settings(accounts=[account(viber_api)])) as app:
        response = await post(app, callback("conversation_started__plain"))
    assert (response.status_code, response.content) == (200, b"")


@pytest.mark.parametrize(("signature", "says"), [
    ("", "missing X-Viber-Content-Signature"),
    ("0" * 64, "wrong X-Viber-Content-Signature"),
    (sign(b"another body"), "wrong X-Viber-Content-Signature"),
])
async def test_unsigned_or_wrongly_signed_callback_is_refused_and_nothing_stored(
    running: RunningApp, viber_api: FakeViberApi, signature: str, says: str
) -> None:
    raw = json.dumps(callback("message__text")).encode()
    headers = {"content-type": "application/json"} | ({"x-viber-content-signature": signature} if signature else {})
    response = await running.client.post(URL, content=raw, headers=headers)
    await asyncio.sleep(0.1)
    assert response.status_code == 401 and says in response.json()["error"]["reason"]
    assert await running.hub.stores.messages.count() == 0 and viber_api.calls == []


async def test_old_signed_callback_is_refused_as_a_replay(running: RunningApp, viber_api: FakeViberApi) -> None:
    stale = callback("message__text", timestamp=int(time.time() * 1000) - 25 * 3600 * 1000)
    response = await post(running, stale)
    assert response.status_code == 401 and "replay window" in response.json()["error"]["reason"]


async def test_callback_delivered_twice_stores_one_message_and_sends_one_reply(
    running: RunningApp, viber_api: FakeViberApi
) -> None:
    raw = json.dumps(callback("message__text"), ensure_ascii=False).encode()
    for _ in range(2):
        assert (await post(running, raw)).status_code == 200
    await replied(running)
    # a later message from the same user proves both deliveries were handled before it
    await post(running, callback("message__text", message_token=4912661846655238999, message={"text": "ещё"}))
    stored = await replied(running, count=4)
    assert [m.external_id for m in stored if m.direction is Direction.INBOUND] == [
        "4912661846655238145", "4912661846655238999"]
    assert len(viber_api.sent()) == 2


async def test_rate_limit_and_server_errors_are_retried_until_viber_accepts(
    running: RunningApp, viber_api: FakeViberApi
) -> None:
    viber_api.script.extend([Answer(status=12), Answer(http=503)])
    await post(running, callback("message__text"))
    calls = await viber_api.wait_for(3)
    _, reply = await replied(running)
    assert len({c.body["tracking_data"] for c in calls}) == 1
    assert reply.external_id is not None
    await post(running, callback("delivered__receipt", message_token=int(reply.external_id)))
    await replied(running, DeliveryStatus.DELIVERED)


async def test_viber_user_not_subscribed_marks_the_reply_failed_without_retrying(
    running: RunningApp, viber_api: FakeViberApi
) -> None:
    viber_api.not_subscribed.add(USER)
    await post(running, callback("message__text"))
    _, reply = await replied(running, DeliveryStatus.FAILED)
    await asyncio.sleep(0.1)
    assert len(viber_api.sent()) == 1
    assert "receiverNotSubscribed" in (reply.status_reason or "")


# --- fuzz through the route, with valid signatures --------------------------------------------------------

fixture_names = sorted(p.stem for p in FIXTURES.glob("*.json"))
json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=12),
    lambda children: st.lists(children, max_size=3) | st.dictionaries(st.text(max_size=8), children, max_size=3),
    max_leaves=8,
)
fuzz = settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])


@fuzz
@given(st.sampled_from(fixture_names), st.data())
async def test_truncated_signed_callbacks_are_refused_and_store_nothing(
    running: RunningApp, name: str, data: st.DataObject
) -> None:
    body = json.dumps(callback(name), ensure_ascii=False).encode()  # fresh: only the cut may be wrong with it
    cut = body[: data.draw(st.integers(0, len(body) - 1))]
    response = await post(running, cut)
    assert response.status_code == 422, response.text
    assert await running.hub.stores.messages.count() == 0 and await customer_of(running) is None


@fuzz
@given(st.fixed_dictionaries(
    {"event": st.sampled_from(["message", "subscribed", "unsubscribed", "delivered", "seen", "failed",
                               "conversation_started", "webhook"])},
    optional={"message_token": json_values, "user_id": json_values, "user": json_values, "desc": json_values,
              "sender": json_values, "context": json_values,
              "message": st.fixed_dictionaries({"type": st.sampled_from(["text", "picture", "contact", "location"])},
                                               optional={"text": json_values, "media": json_values,
                                                         "contact": json_values, "location": json_values})},
))
async def test_random_signed_callbacks_get_200_or_422_never_a_500(running: RunningApp, doc: dict[str, Any]) -> None:
    doc["timestamp"] = int(time.time() * 1000)
    raw = json.dumps(doc).encode()
    try:
        viber.parse_inbound(raw, running.hub.account(Channel.VIBER, "shop"))
        expected = 200
    except PayloadError:
        expected = 422
    assert (await post(running, raw)).status_code == expected


# --- the CLI against the fake ------------------------------------------------------------------------------

def cli_env(api: FakeViberApi, token: str = TOKEN) -> dict[str, str]:
    """The environment `otklik viber ...` reads its account from."""
    return {"OTKLIK_SECRET_KEY": "test-secret-key-0123456789", "OTKLIK_PUBLIC_URL": "http://otklik.test",
            "OTKLIK_ACCOUNTS": json.dumps([{**account(api), "token": token}])}


async def run_cli(args: list[str], env: dict[str, str]) -> Any:
    """Run the CLI in a thread, so the fake (and the app it checks) keep serving on this loop."""
    return await asyncio.to_thread(CliRunner().invoke, cli, args, env=env)


async def test_set_webhook_registers_the_public_url_and_viber_check_reaches_the_app(
    running: RunningApp, viber_api: FakeViberApi, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)  # no stray .env
    viber_api.webhook_client = running.client  # Viber calls the URL with a signed 'webhook' event first
    result = await run_cli(["viber", "set-webhook", "--account", "shop"], cli_env(viber_api))
    assert result.exit_code == 0, result.output
    assert viber_api.webhook == {"url": "http://otklik.test/webhooks/viber/shop", "send_name": True,
                                 "send_photo": True, "event_types": ["delivered", "seen", "failed", "subscribed",
                                                                     "unsubscribed", "conversation_started"]}
    assert json.loads(result.stdout)["status"] == 0
    info = await run_cli(["viber", "account-info", "--account", "shop"], cli_env(viber_api))
    assert info.exit_code == 0 and json.loads(info.stdout)["webhook"] == "http://otklik.test/webhooks/viber/shop"
    assert await running.hub.stores.messages.count() == 0


async def test_set_webhook_reports_viber_refusal_and_exits_1(
    viber_api: FakeViberApi, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    result = await run_cli(["viber", "set-webhook", "--account", "shop", "--url", "https://example.ru/hook"],
                           cli_env(viber_api, token="not-the-bot-token"))
    assert result.exit_code == 1
    assert "status 2 (invalidAuthToken)" in result.stderr and viber_api.webhook is None
