"""WhatsApp through Twilio end to end: signed webhook → bus → worker → store → outbox → fake Twilio API over HTTP."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlencode, urlsplit

import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from twilio.request_validator import RequestValidator

from connectors import twilio_common, whatsapp
from hub.customers import identity
from hub.inbound.threads import attach
from hub.outbound import outbox
from hub.settings import Settings
from models.channels import Channel, ChannelAccount
from models.customers import Identity, IdentityKind
from models.errors import PayloadError
from models.messages import AuthorKind, DeliveryStatus, Direction, InboundMessage, Message, OutboundMessage
from tests.fakes.twilio_api import NOT_ON_WHATSAPP, FakeTwilioApi, too_many_requests, twilio_api
from tests.integration.helpers import eventually

FIXTURES = Path(__file__).parents[2] / "fixtures" / "whatsapp"
ACCOUNT_SID = "AC0123456789abcdef0123456789abcdef"
TOKEN = "twilio-auth-token-0123456789abcd"
SENDER = "whatsapp:+14155238886"
SHOPPER = "whatsapp:+79161234567"
PUBLIC = "https://otklik.example.ru"
HOOK = "/webhooks/whatsapp/shop"
SESSION = "HX" + "1" * 32
CASE_UPDATE = "HX" + "2" * 32
WA_ID = Identity(kind=IdentityKind.WHATSAPP, value="79161234567")


def fixture(name: str, **changes: str) -> dict[str, str]:
    """A documented payload's form fields, some changed."""
    form: dict[str, str] = json.loads((FIXTURES / f"{name}.json").read_text())
    return {**form, **changes}


def options(fake: FakeTwilioApi, **changes: Any) -> dict[str, Any]:
    """The account's options, pointed at the fake."""
    base = {"account_sid": ACCOUNT_SID, "from": SENDER, "api_base": fake.url, "webhook_url": PUBLIC + HOOK,
            "session_template": SESSION, "templates": {"case_update": CASE_UPDATE}}
    return {k: v for k, v in {**base, **changes}.items() if v is not None}


def whatsapp_settings(make_settings: Any, fake: FakeTwilioApi, public_url: str | None = PUBLIC,
                      **changes: Any) -> Settings:
    """One WhatsApp account 'shop'; one partition, so a later entry proves the earlier ones were handled."""
    account = {"channel": "whatsapp", "id": "shop", "token": TOKEN, "options": options(fake, **changes)}
    return make_settings(accounts=[account], public_url=public_url, partitions=1)  # type: ignore[no-any-return]


def signed(form: dict[str, str], url: str, token: str = TOKEN) -> dict[str, str]:
    """Headers of a Twilio request to `url`."""
    return {"content-type": "application/x-www-form-urlencoded",
            "x-twilio-signature": RequestValidator(token).compute_signature(url, form)}


async def post(running: Any, form: dict[str, str], path: str = HOOK, headers: dict[str, str] | None = None) -> Any:
    """POST a form as Twilio does, signed for our public URL unless other headers are given."""
    sent = signed(form, PUBLIC + path) if headers is None else headers
    return await running.client.post(path, content=urlencode(form), headers=sent)


async def customer_writes(running: Any, fake: FakeTwilioApi, form: dict[str, str]) -> Any:
    """The shopper writes: Twilio sees it (the window opens) and calls our webhook."""
    fake.customer_wrote(form["From"])
    response = await post(running, form)
    assert response.status_code == 200, response.text
    return response


async def thread(running: Any) -> list[Message]:
    """Everything stored for the shopper, oldest first."""
    customer = await running.hub.stores.customers.find_by_identity(WA_ID)
    return [] if customer is None else await running.hub.stores.messages.list_for_customer(customer.id)


def settled(count: int, last: DeliveryStatus = DeliveryStatus.SENT) -> Any:
    """`count` messages stored and the last one at status `last`."""
    return lambda ms: len(ms) == count and ms[-1].status is last


@pytest.fixture
async def fake() -> AsyncIterator[FakeTwilioApi]:
    """The fake Twilio API for the test account."""
    async with twilio_api(ACCOUNT_SID, TOKEN) as server:
        yield server


async def test_signed_message_makes_customer_conversation_and_the_reply_reaches_twilio(
    make_settings: Any, fake: FakeTwilioApi, start_app: Any
) -> None:
    async with start_app(whatsapp_settings(make_settings, fake)) as running:
        response = await customer_writes(running, fake, fixture("message__text"))
        [call] = await fake.wait_for(1)
        inbound, reply = await eventually(lambda: thread(running), settled(2))
        customer = await running.hub.stores.customers.find_by_identity(WA_ID)
        conversations = await running.hub.stores.conversations.list_for_customer(inbound.customer_id)

    assert response.headers["content-type"].startswith("text/xml") and "<Response" in response.text
    assert customer is not None and {i.key for i in customer.identities} == {"whatsapp:+79161234567",
                                                                              "phone:+79161234567"}
    assert customer.name == "Анна Петрова"
    assert (inbound.direction, inbound.external_id, inbound.text) == (
        Direction.INBOUND, "SM1f0e8ae6ade43cb3c0ce4525424e404f", "Здравствуйте! Где мой заказ 4512?")
    assert len(conversations) == 1 and conversations[0].channel is Channel.WHATSAPP
    assert reply.conversation_id == inbound.conversation_id and reply.external_id == fake.messages[0]["sid"]
    assert call.path == f"/2010-04-01/Accounts/{ACCOUNT_SID}/Messages.json"
    assert (call.one("From"), call.one("To")) == (SENDER, SHOPPER)
    assert "получили ваше сообщение" in (call.one("Body") or "")
    assert call.one("StatusCallback") == f"{PUBLIC}{HOOK}/status"


async def test_media_message_stores_its_attachments(make_settings: Any, fake: FakeTwilioApi, start_app: Any) -> None:
    form = fixture("message__image")
    async with start_app(whatsapp_settings(make_settings, fake)) as running:
        await customer_writes(running, fake, form)
        inbound, _ = await eventually(lambda: thread(running), settled(2))

    [attachment] = inbound.attachments
    assert (attachment.kind, attachment.mime_type, str(attachment.url)) == ("image", "image/jpeg", form["MediaUrl0"])


async def test_status_callbacks_move_the_reply_to_read_and_a_late_sent_does_not_move_it_back(
    make_settings: Any, fake: FakeTwilioApi, start_app: Any
) -> None:
    async with start_app(whatsapp_settings(make_settings, fake)) as running:
        await customer_writes(running, fake, fixture("message__text"))
        [call] = await fake.wait_for(1)
        _, reply = await eventually(lambda: thread(running), settled(2))
        status_path = urlsplit(call.one("StatusCallback") or "").path
        for name in ("status__sent", "status__delivered", "status__read", "status__sent"):
            form = fixture(name, MessageSid=str(reply.external_id), SmsSid=str(reply.external_id))
            response = await running.client.post(status_path, content=urlencode(form),
                                                  headers=signed(form, str(call.one("StatusCallback"))))
            assert response.status_code == 200
        # handled in order on the one partition: once the next message is answered, the late 'sent' was seen
        await customer_writes(running, fake, fixture("message__text", MessageSid="SM" + "e" * 32))
        stored = await eventually(lambda: thread(running), settled(4))

    assert stored[1].id == reply.id and stored[1].status is DeliveryStatus.READ


@pytest.mark.parametrize("name", ["status__failed_outside_window", "status__undelivered_invalid_recipient"])
async def test_failed_or_undelivered_callback_marks_the_reply_failed_with_the_error_code(
    make_settings: Any, fake: FakeTwilioApi, start_app: Any, name: str
) -> None:
    async with start_app(whatsapp_settings(make_settings, fake)) as running:
        await customer_writes(running, fake, fixture("message__text"))
        _, reply = await eventually(lambda: thread(running), settled(2))
        form = fixture(name, MessageSid=str(reply.external_id))
        assert (await post(running, form, path=HOOK + "/status")).status_code == 200
        _, failed = await eventually(lambda: thread(running), settled(2, DeliveryStatus.FAILED))

    assert failed.status_reason is not None and form["ErrorCode"] in failed.status_reason


async def store_old_conversation(running: Any, days: int = 3) -> tuple[Message, InboundMessage]:
    """The shopper wrote `days` ago (stored as the pipeline would), nothing since."""
    at = datetime.now(UTC) - timedelta(days=days)
    msg = whatsapp.parse_inbound(urlencode(fixture("message__text")).encode(), running.hub.account(
        Channel.WHATSAPP, "shop"))[0]
    assert isinstance(msg, InboundMessage)
    msg = msg.model_copy(update={"sent_at": at})
    stores = running.hub.stores
    customer = (await identity.resolve(msg, stores.customers)).customer
    conversation, _ = await attach(msg, customer, stores.conversations, window=running.hub.reopen_window, at=at)
    stored = Message.from_inbound(msg, conversation.id, customer.id)
    await stores.messages.add(stored)
    await stores.messages.mark_handled(stored.id)
    return stored, msg


def result_notification(inbound: Message, **fields: Any) -> OutboundMessage:
    """The operator's answer to the complaint, days later."""
    return OutboundMessage(
        conversation_id=inbound.conversation_id, customer_id=inbound.customer_id, channel=Channel.WHATSAPP,
        account_id="shop", recipient="79161234567", author=AuthorKind.OPERATOR, idempotency_key="case-4512-result",
        text="Ваша жалоба рассмотрена: деньги за заказ 4512 вернутся на карту в течение 3 дней.", **fields)


async def test_result_three_days_later_goes_out_as_the_session_template_and_twilio_accepts_it(
    make_settings: Any, fake: FakeTwilioApi, start_app: Any
) -> None:
    fake.customer_wrote(SHOPPER, datetime.now(UTC) - timedelta(days=3))
    async with start_app(whatsapp_settings(make_settings, fake)) as running:
        inbound, _ = await store_old_conversation(running)
        out = result_notification(inbound)
        await outbox.enqueue(out, running.hub)
        [call] = await fake.wait_for(1)
        sent = await eventually(lambda: thread(running), settled(2))

    assert call.answered == 201 and call.one("Body") is None
    assert call.one("ContentSid") == SESSION and json.loads(call.one("ContentVariables") or "") == {"1": out.text}
    assert sent[1].external_id == fake.messages[0]["sid"]


async def test_named_template_goes_out_with_its_variables(
    make_settings: Any, fake: FakeTwilioApi, start_app: Any
) -> None:
    async with start_app(whatsapp_settings(make_settings, fake)) as running:
        inbound, _ = await store_old_conversation(running)
        await outbox.enqueue(result_notification(inbound, template="case_update",
                                                 template_vars={"1": "4512", "2": "решена"}), running.hub)
        [call] = await fake.wait_for(1)
        await eventually(lambda: thread(running), settled(2))

    assert call.answered == 201 and call.one("ContentSid") == CASE_UPDATE
    assert json.loads(call.one("ContentVariables") or "") == {"1": "4512", "2": "решена"}


async def test_twilio_refuses_free_form_outside_its_window_and_the_reply_fails_without_retries(
    make_settings: Any, fake: FakeTwilioApi, start_app: Any
) -> None:
    async with start_app(whatsapp_settings(make_settings, fake)) as running:
        fake.customer_wrote(SHOPPER, datetime.now(UTC) - timedelta(days=2))  # Twilio's view, not our store's
        assert (await post(running, fixture("message__text"))).status_code == 200
        _, reply = await eventually(lambda: thread(running), settled(2, DeliveryStatus.FAILED))

    assert [c.answered for c in fake.calls] == [400] and fake.calls[0].one("Body")
    assert reply.status_reason is not None and "outside the 24-hour window" in reply.status_reason
    assert "63016" in reply.status_reason


async def test_without_templates_a_message_outside_the_window_fails_without_calling_twilio(
    make_settings: Any, fake: FakeTwilioApi, start_app: Any
) -> None:
    async with start_app(whatsapp_settings(make_settings, fake, session_template=None)) as running:
        inbound, _ = await store_old_conversation(running)
        await outbox.enqueue(result_notification(inbound), running.hub)
        stored = await eventually(lambda: thread(running), settled(2, DeliveryStatus.FAILED))

    assert fake.calls == [] and whatsapp.OUTSIDE_WINDOW in (stored[1].status_reason or "")


@pytest.mark.parametrize("case", ["wrong", "missing", "internal_url", "other_token", "body_changed", "no_public_url"])
async def test_unsigned_or_missigned_webhook_is_refused_and_nothing_is_stored(
    make_settings: Any, fake: FakeTwilioApi, start_app: Any, case: str
) -> None:
    form = fixture("message__text")
    headers = {
        "wrong": {**signed(form, PUBLIC + HOOK), "x-twilio-signature": "bm90IGEgc2lnbmF0dXJl"},
        "missing": {"content-type": "application/x-www-form-urlencoded"},
        "internal_url": signed(form, "http://otklik.test" + HOOK),  # what request.url says behind the proxy
        "other_token": signed(form, PUBLIC + HOOK, token="another-token-0000000000000000000"),
        "body_changed": signed({**form, "Body": "подделка"}, PUBLIC + HOOK),
        "no_public_url": signed(form, PUBLIC + HOOK),
    }[case]
    public = None if case == "no_public_url" else PUBLIC
    url = None if case == "no_public_url" else PUBLIC + HOOK
    async with start_app(whatsapp_settings(make_settings, fake, public_url=public, webhook_url=url)) as running:
        response = await post(running, form, headers=headers)
        await asyncio.sleep(0.1)
        stored = await running.hub.stores.messages.count()

    assert response.status_code == 401 and response.json()["error"]["code"] == "unauthorized"
    assert stored == 0 and fake.calls == []


async def test_without_public_url_the_account_webhook_url_is_what_twilio_signed(
    make_settings: Any, fake: FakeTwilioApi, start_app: Any
) -> None:
    async with start_app(whatsapp_settings(make_settings, fake, public_url=None)) as running:
        await customer_writes(running, fake, fixture("message__text"))
        await eventually(lambda: thread(running), settled(2))


async def test_same_webhook_twice_stores_one_message_and_sends_one_reply(
    make_settings: Any, fake: FakeTwilioApi, start_app: Any
) -> None:
    async with start_app(whatsapp_settings(make_settings, fake)) as running:
        for _ in range(2):
            await customer_writes(running, fake, fixture("message__text"))
        await customer_writes(running, fake, fixture("message__text", MessageSid="SM" + "d" * 32, Body="ещё"))
        stored = await eventually(lambda: thread(running), settled(4))

    assert [m.external_id for m in stored if m.direction is Direction.INBOUND] == [
        "SM1f0e8ae6ade43cb3c0ce4525424e404f", "SM" + "d" * 32]
    assert len(fake.accepted) == 2


async def test_rate_limited_reply_is_retried_and_delivered(
    make_settings: Any, fake: FakeTwilioApi, start_app: Any
) -> None:
    fake.script.append(too_many_requests(1))
    async with start_app(whatsapp_settings(make_settings, fake)) as running:
        await customer_writes(running, fake, fixture("message__text"))
        await fake.wait_for(2)
        _, reply = await eventually(lambda: thread(running), settled(2))
        delivered = fixture("status__delivered", MessageSid=str(reply.external_id))
        assert (await post(running, delivered, path=HOOK + "/status")).status_code == 200
        await eventually(lambda: thread(running), settled(2, DeliveryStatus.DELIVERED))

    assert [c.answered for c in fake.calls] == [429, 201]
    assert reply.external_id == fake.messages[0]["sid"]


async def test_recipient_not_on_whatsapp_fails_the_reply_without_retries(
    make_settings: Any, fake: FakeTwilioApi, start_app: Any
) -> None:
    fake.script.append(NOT_ON_WHATSAPP)
    async with start_app(whatsapp_settings(make_settings, fake)) as running:
        await customer_writes(running, fake, fixture("message__text"))
        stored = await eventually(lambda: thread(running), settled(2, DeliveryStatus.FAILED))

    assert len(fake.calls) == 1 and "63003" in (stored[1].status_reason or "")


# Messages only: a status callback for a message we never sent makes the worker wait for the outbox (a send
# racing its own receipt) before dropping it; the parser fuzzes status callbacks in the unit tests.
FIXTURE_NAMES = sorted(p.stem for p in FIXTURES.glob("message__*.json"))
FIELDS = sorted({key for name in FIXTURE_NAMES for key in fixture(name)})
forms = st.builds(
    lambda name, sid, changes, dropped: {
        k: v for k, v in {**fixture(name), "MessageSid": "SM" + sid, **changes}.items() if k not in dropped},
    st.sampled_from(FIXTURE_NAMES),
    st.text(alphabet="0123456789abcdef", min_size=32, max_size=32),  # distinct messages, not only redeliveries
    st.dictionaries(st.sampled_from(FIELDS), st.text(max_size=30), max_size=3),
    st.sets(st.sampled_from(FIELDS), max_size=3),
)


def expected_messages(body: bytes, account: ChannelAccount) -> set[str]:
    """The message ids the webhook should store for this body: those the parser accepts."""
    try:
        events = whatsapp.parse_inbound(body, account)
    except PayloadError:
        return set()
    return {e.external_id for e in events if isinstance(e, InboundMessage)}


def form_of(body: bytes) -> dict[str, str]:
    """The fields Twilio would have signed for this body ({} for one that is not a form at all)."""
    try:
        return twilio_common.form_params(body).flat()
    except PayloadError:
        return {}


async def test_signed_random_and_truncated_forms_get_200_or_422_and_only_valid_messages_are_stored(
    make_settings: Any, fake: FakeTwilioApi, start_app: Any
) -> None:
    async with start_app(whatsapp_settings(make_settings, fake)) as running:
        loop, account = asyncio.get_running_loop(), running.hub.account(Channel.WHATSAPP, "shop")
        expected: set[str] = set()

        async def deliver(body: bytes) -> httpx.Response:
            response: httpx.Response = await running.client.post(HOOK, content=body,
                                                                 headers=signed(form_of(body), PUBLIC + HOOK))
            return response

        @settings(max_examples=60, deadline=None, suppress_health_check=list(HealthCheck))
        @given(forms, st.none() | st.floats(min_value=0.0, max_value=1.0))  # None: whole, else truncated
        def webhook_answers_200_or_422(form: dict[str, str], share: float | None) -> None:
            whole = urlencode(form).encode()
            body = whole if share is None else whole[: int(len(whole) * share)]
            response = asyncio.run_coroutine_threadsafe(deliver(body), loop).result(timeout=10)
            assert response.status_code in (200, 422), response.text
            if response.status_code == 200:
                expected.update(expected_messages(body, account))

        await asyncio.to_thread(webhook_answers_200_or_422)
        # One partition: once a last message is stored and answered, everything before it was handled.
        marker = "SM" + "f" * 32
        await customer_writes(running, fake, fixture("message__text", MessageSid=marker))
        stores = running.hub.stores
        found = await eventually(lambda: stores.messages.find_external(Channel.WHATSAPP, "shop", Direction.INBOUND,
                                                                       marker), lambda m: m is not None)
        assert found is not None
        await eventually(lambda: stores.messages.find_by_key(f"ack:{found.id}"), lambda m: m is not None)
        stored = [await stores.messages.find_external(Channel.WHATSAPP, "shop", Direction.INBOUND, sid)
                  for sid in sorted(expected)]
        total = await stores.messages.count()

    assert all(m is not None for m in stored)
    assert total == 2 * (len(expected) + 1)  # each stored message and its reply; nothing from refused input
