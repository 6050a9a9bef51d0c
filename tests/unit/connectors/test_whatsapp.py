"""The WhatsApp (Twilio) connector: signatures, parsing of documented payloads, what goes out, and fuzzing."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pydantic import SecretStr
from twilio.request_validator import RequestValidator

from connectors import whatsapp
from connectors.base import SenderContext
from connectors.twilio_common import signed_url
from models.channel_events import DeliveryUpdate
from models.channels import Channel, ChannelAccount
from models.errors import PayloadError, SendError, SignatureError
from models.messages import Attachment, Button, DeliveryStatus, InboundMessage, OutboundMessage
from tests.fakes.twilio_api import (
    INVALID_TO,
    NOT_ON_WHATSAPP,
    SERVER_ERROR,
    FakeTwilioApi,
    too_many_requests,
    twilio_api,
)

FIXTURES = Path(__file__).parents[2] / "fixtures" / "whatsapp"
ACCOUNT_SID = "AC0123456789abcdef0123456789abcdef"
TOKEN = "twilio-auth-token-0123456789abcd"
SESSION = "HX" + "1" * 32
CASE_UPDATE = "HX" + "2" * 32
QUICK_2 = "HX" + "3" * 32
URL = "https://otklik.example.ru/webhooks/whatsapp/shop"
OPTIONS: dict[str, Any] = {
    "account_sid": ACCOUNT_SID, "from": "whatsapp:+14155238886", "session_template": SESSION,
    "templates": {"case_update": CASE_UPDATE}, "quick_reply_templates": {"2": QUICK_2}, "webhook_url": URL,
}
ACCOUNT = ChannelAccount(id="shop", channel=Channel.WHATSAPP, token=SecretStr(TOKEN), options=OPTIONS)
NOW = datetime(2025, 3, 1, 12, 0, tzinfo=UTC)


def fixture(name: str) -> dict[str, str]:
    """A documented payload, as the decoded form fields."""
    loaded: dict[str, str] = json.loads((FIXTURES / f"{name}.json").read_text())
    return loaded


def body_of(form: dict[str, str]) -> bytes:
    """The form as Twilio posts it."""
    return urlencode(form).encode()


def sign(url: str, form: dict[str, str], token: str = TOKEN) -> str:
    """X-Twilio-Signature as Twilio computes it."""
    return str(RequestValidator(token).compute_signature(url, form))


def parse(name: str) -> list[InboundMessage | DeliveryUpdate]:
    """Parse a fixture."""
    return whatsapp.parse_inbound(body_of(fixture(name)), ACCOUNT)


def outbound(**fields: Any) -> OutboundMessage:
    """A message to the fixtures' shopper, who wrote an hour ago unless told otherwise."""
    values: dict[str, Any] = {"conversation_id": "c1", "customer_id": "u1", "channel": Channel.WHATSAPP,
                              "account_id": "shop", "recipient": "79161234567", "text": "Ответ по заказу",
                              "idempotency_key": "k1", "last_inbound_at": NOW - timedelta(hours=1)}
    values.update(fields)
    return OutboundMessage(**values)


def content(msg: OutboundMessage, **options: Any) -> dict[str, Any]:
    """What the sender would put in the Messages API call."""
    return whatsapp.content_of(msg, whatsapp.options_of(ACCOUNT.model_copy(update={"options": {**OPTIONS, **options}})),
                               NOW)


# --- parsing documented payloads ---------------------------------------------------------------------------------

def test_text_message_becomes_inbound_message_with_wa_id_and_phone_identity() -> None:
    [msg] = parse("message__text")
    assert isinstance(msg, InboundMessage)
    assert (msg.channel, msg.account_id, msg.external_user_id) == (Channel.WHATSAPP, "shop", "79161234567")
    assert msg.external_id == "SM1f0e8ae6ade43cb3c0ce4525424e404f"
    assert msg.text == "Здравствуйте! Где мой заказ 4512?"
    assert (msg.contact.phone, msg.contact.name) == ("+79161234567", "Анна Петрова")
    assert msg.raw["MessageSid"] == msg.external_id and msg.attachments == []


@pytest.mark.parametrize(("name", "kind", "mime"), [
    ("message__image", "image", "image/jpeg"),
    ("message__document", "file", "application/pdf"),
    ("message__voice_note", "audio", "audio/ogg"),
])
def test_media_becomes_attachment_with_twilio_url_and_type(name: str, kind: str, mime: str) -> None:
    [msg] = parse(name)
    assert isinstance(msg, InboundMessage)
    [attachment] = msg.attachments
    assert (attachment.kind, attachment.mime_type) == (kind, mime)
    assert str(attachment.url) == fixture(name)["MediaUrl0"]


def test_shared_location_becomes_location_attachment() -> None:
    [msg] = parse("message__location")
    assert isinstance(msg, InboundMessage)
    assert msg.attachments == [Attachment(kind="location", file_id="geo:55.7558,37.6173", name="Магазин №112")]


def test_quick_reply_tap_keeps_button_text_and_payload_and_the_message_it_answers() -> None:
    [msg] = parse("message__quick_reply_button")
    assert isinstance(msg, InboundMessage)
    assert msg.text == "Да, всё верно" and msg.raw["ButtonPayload"] == "confirm_yes"
    assert msg.reply_to == "SM9f8e7d6c5b4a39281706f5e4d3c2b1a0"


def test_reply_names_the_replied_message() -> None:
    [msg] = parse("message__reply_to_our_message")
    assert isinstance(msg, InboundMessage) and msg.reply_to == "SM0a1b2c3d4e5f60718293a4b5c6d7e8f9"


def test_message_without_wa_id_takes_the_number_from_from() -> None:
    [msg] = parse("message__without_wa_id")
    assert isinstance(msg, InboundMessage)
    assert (msg.external_user_id, msg.contact.phone) == ("79161234567", "+79161234567")


def test_message_without_text_or_media_is_ignored() -> None:
    assert parse("message__without_content") == []


@pytest.mark.parametrize(("name", "says"), [
    ("message__sms_not_whatsapp", "From"),
    ("message__media_url_missing", "MediaUrl1 is missing"),
    ("message__other_account", "is not this account's"),
])
def test_malformed_or_misrouted_message_is_a_payload_error(name: str, says: str) -> None:
    with pytest.raises(PayloadError, match=says):
        parse(name)


@pytest.mark.parametrize(("name", "status"), [
    ("status__sent", DeliveryStatus.SENT),
    ("status__delivered", DeliveryStatus.DELIVERED),
    ("status__read", DeliveryStatus.READ),
])
def test_status_callback_becomes_delivery_update(name: str, status: DeliveryStatus) -> None:
    [update] = parse(name)
    assert update == DeliveryUpdate(channel=Channel.WHATSAPP, account_id="shop", at=update.at,
                                    external_id="SM3f5b7d9e1a3c5e7f9a1b3d5f7a9b1d3f", status=status)


@pytest.mark.parametrize(("name", "says"), [
    ("status__failed_outside_window", "failed: twilio error 63016: outside the 24-hour window"),
    ("status__undelivered_invalid_recipient", "undelivered: twilio error 63024: invalid message recipient"),
])
def test_failed_status_carries_the_error_code_as_reason(name: str, says: str) -> None:
    [update] = parse(name)
    assert isinstance(update, DeliveryUpdate) and update.status is DeliveryStatus.FAILED
    assert update.reason is not None and update.reason.startswith(says)


def test_queued_status_tells_nothing_new() -> None:
    assert parse("status__queued") == []


# --- signatures --------------------------------------------------------------------------------------------------

def test_signature_of_twilio_over_url_and_form_is_accepted() -> None:
    form = fixture("message__text")
    whatsapp.verify({"x-twilio-signature": sign(URL, form)}, body_of(form), URL, ACCOUNT)


@pytest.mark.parametrize("case", ["missing", "wrong", "other_url", "other_token", "body_changed", "query_dropped"])
def test_anything_but_twilio_signature_over_this_url_and_form_is_refused(case: str) -> None:
    form = fixture("message__text")
    signatures = {
        "missing": None, "wrong": "bm90IGEgc2lnbmF0dXJl",
        "other_url": sign("http://otklik.test/webhooks/whatsapp/shop", form),
        "other_token": sign(URL, form, token="another-token-000000000000000000"),
        "body_changed": sign(URL, {**form, "Body": "другой текст"}), "query_dropped": sign(URL + "?x=1", form),
    }
    headers = {} if signatures[case] is None else {"x-twilio-signature": str(signatures[case])}
    with pytest.raises(SignatureError):
        whatsapp.verify(headers, body_of(form), URL, ACCOUNT)


def test_shared_key_signature_needs_the_configured_shared_key() -> None:
    form, key = fixture("message__text"), "shared-key-secret-0123456789"
    signature = str(RequestValidator(key).compute_signature(URL, form, "HMAC_SHA256"))
    headers = {"x-twilio-signature": signature,
               "x-twilio-webhooks-signature-settings": "key=webhooks_sharedkey_1,algorithm=HMAC_SHA256"}
    with pytest.raises(SignatureError, match="webhook_shared_key"):
        whatsapp.verify(headers, body_of(form), URL, ACCOUNT)
    keyed = ACCOUNT.model_copy(update={"secrets": {"webhook_shared_key": SecretStr(key)}})
    whatsapp.verify(headers, body_of(form), URL, keyed)


def test_signed_url_is_public_url_plus_path_and_raw_query() -> None:
    path = "/webhooks/whatsapp/shop/status"
    assert signed_url("https://a.example/", ACCOUNT, path, "b=%2B1", "/webhooks/whatsapp/shop") == (
        "https://a.example/webhooks/whatsapp/shop/status?b=%2B1")
    assert signed_url(None, ACCOUNT, path, "", "/webhooks/whatsapp/shop") == URL + "/status"
    bare = ACCOUNT.model_copy(update={"options": {**OPTIONS, "webhook_url": None}})
    with pytest.raises(SignatureError, match="OTKLIK_PUBLIC_URL"):
        signed_url(None, bare, path, "", "/webhooks/whatsapp/shop")


# --- configuration -----------------------------------------------------------------------------------------------

@pytest.mark.parametrize(("change", "says"), [
    ({"account_sid": None}, "account_sid"),
    ({"from": "+14155238886"}, "from"),
    ({"from": None}, "needs 'from'"),
    ({"templates": {"case_update": "case-update-template"}}, "templates.case_update"),
    ({"api_base": "api.twilio.com"}, "api_base"),
    ({"surprise": 1}, "surprise"),
])
def test_account_with_incomplete_or_mistyped_options_stops_start_up(change: dict[str, Any], says: str) -> None:
    options = {k: v for k, v in {**OPTIONS, **change}.items() if v is not None}
    with pytest.raises(ValueError, match=says):
        whatsapp.check_account(ACCOUNT.model_copy(update={"options": options}))


def test_account_with_messaging_service_instead_of_number_is_fine() -> None:
    options = {"account_sid": ACCOUNT_SID, "messaging_service_sid": "MG" + "a" * 32}
    whatsapp.check_account(ACCOUNT.model_copy(update={"options": options}))


# --- what goes out -----------------------------------------------------------------------------------------------

def test_inside_the_window_text_goes_as_body_with_buttons_as_numbered_options() -> None:
    buttons = [Button(title="Да", payload="yes"), Button(title="Нет", payload="no"),
               Button(title="Не знаю", payload="?")]
    assert content(outbound(buttons=buttons)) == {"body": "Ответ по заказу\n\n1. Да\n2. Нет\n3. Не знаю",
                                                  "media_url": None}


def test_buttons_with_a_quick_reply_template_for_their_count_use_it() -> None:
    sent = content(outbound(buttons=[Button(title="Да", payload="yes"), Button(title="Нет", payload="no")]))
    assert sent["content_sid"] == QUICK_2
    assert json.loads(sent["content_variables"]) == {"1": "Ответ по заказу", "2": "Да", "3": "yes", "4": "Нет",
                                                     "5": "no"}


def test_attachments_with_urls_go_as_media_urls() -> None:
    sent = content(outbound(text="", attachments=[Attachment(url="https://cdn.example.ru/check.jpg"),
                                                  Attachment(file_id="tg-file")]))
    assert sent == {"body": None, "media_url": ["https://cdn.example.ru/check.jpg"]}


@pytest.mark.parametrize("last", [None, NOW - timedelta(days=3), NOW - timedelta(hours=24)])
def test_outside_the_window_text_goes_in_the_session_template(last: datetime | None) -> None:
    sent = content(outbound(last_inbound_at=last, buttons=[Button(title="Оценить", payload="rate")]))
    assert sent["content_sid"] == SESSION and "body" not in sent
    assert json.loads(sent["content_variables"]) == {"1": "Ответ по заказу\n\n1. Оценить"}


def test_named_template_is_sent_with_its_variables_whatever_the_window() -> None:
    sent = content(outbound(template="case_update", template_vars={"1": "4512", "2": "решена"}))
    assert sent["content_sid"] == CASE_UPDATE
    assert json.loads(sent["content_variables"]) == {"1": "4512", "2": "решена"}


@pytest.mark.parametrize(("msg", "options", "says"), [
    (outbound(last_inbound_at=NOW - timedelta(days=3)), {"session_template": None}, whatsapp.OUTSIDE_WINDOW),
    (outbound(template="promo"), {}, "template 'promo' is not configured"),
    (outbound(text=""), {}, "nothing to send"),
])
def test_what_cannot_be_sent_is_a_permanent_send_error(msg: OutboundMessage, options: dict[str, Any],
                                                       says: str) -> None:
    with pytest.raises(SendError, match=says) as caught:
        content(msg, **{k: v for k, v in options.items()})
    assert not caught.value.retryable


# --- the sender against the fake Twilio API over HTTP ------------------------------------------------------------

@pytest.fixture
async def fake() -> AsyncIterator[FakeTwilioApi]:
    """A fake Twilio API that has seen the shopper write an hour ago."""
    async with twilio_api(ACCOUNT_SID, TOKEN) as server:
        server.customer_wrote("whatsapp:+79161234567", datetime.now(UTC) - timedelta(hours=1))
        yield server


async def send(fake: FakeTwilioApi, msg: OutboundMessage, token: str = TOKEN, api_base: str | None = None,
               public_url: str | None = None, **options: Any) -> Any:
    """Send one message through a freshly built sender; closes what it opened."""
    account = ACCOUNT.model_copy(update={"token": SecretStr(token),
                                         "options": {**OPTIONS, "api_base": api_base or fake.url, **options}})
    async with httpx.AsyncClient() as http, AsyncExitStack() as stack:
        context = SenderContext(http=http, bus=None, exit_stack=stack, messages=None,  # type: ignore[arg-type]
                                timeout=5.0, public_url=public_url)
        sender = whatsapp.build_sender(account, context)
        return await sender.send(msg.model_copy(update={"last_inbound_at": datetime.now(UTC) - timedelta(hours=1)}))


async def test_sender_posts_messages_json_and_returns_the_message_sid(fake: FakeTwilioApi) -> None:
    receipt = await send(fake, outbound())
    [call] = fake.calls
    assert call.path == f"/2010-04-01/Accounts/{ACCOUNT_SID}/Messages.json"
    assert (call.one("To"), call.one("From"), call.one("Body")) == (
        "whatsapp:+79161234567", "whatsapp:+14155238886", "Ответ по заказу")
    assert call.one("StatusCallback") == URL + "/status"
    assert receipt.external_id == fake.messages[0]["sid"] and receipt.status is DeliveryStatus.SENT


async def test_without_a_webhook_url_status_callbacks_go_to_the_public_url(fake: FakeTwilioApi) -> None:
    options = {k: v for k, v in OPTIONS.items() if k != "webhook_url"}
    account = ACCOUNT.model_copy(update={"options": {**options, "api_base": fake.url}})
    async with httpx.AsyncClient() as http, AsyncExitStack() as stack:
        context = SenderContext(http=http, bus=None, exit_stack=stack, messages=None,  # type: ignore[arg-type]
                                timeout=5.0, public_url="https://otklik.example.ru/")
        sender = whatsapp.build_sender(account, context)
        await sender.send(outbound().model_copy(update={"last_inbound_at": datetime.now(UTC)}))
    assert fake.calls[0].one("StatusCallback") == "https://otklik.example.ru/webhooks/whatsapp/shop/status"


@pytest.mark.parametrize(("error", "retry_after"), [(too_many_requests(7), 7.0), (SERVER_ERROR, None)])
async def test_throttling_and_server_errors_are_retryable_with_retry_after(
    fake: FakeTwilioApi, error: Any, retry_after: float | None
) -> None:
    fake.script.append(error)
    with pytest.raises(SendError) as caught:
        await send(fake, outbound())
    assert caught.value.retryable and caught.value.retry_after == retry_after


@pytest.mark.parametrize(("error", "says"), [(INVALID_TO, "21211"), (NOT_ON_WHATSAPP, "63003")])
async def test_unknown_recipient_is_a_permanent_failure(fake: FakeTwilioApi, error: Any, says: str) -> None:
    fake.script.append(error)
    with pytest.raises(SendError, match=says) as caught:
        await send(fake, outbound())
    assert not caught.value.retryable


async def test_wrong_credentials_are_a_permanent_failure(fake: FakeTwilioApi) -> None:
    with pytest.raises(SendError, match="20003") as caught:
        await send(fake, outbound(), token="wrong-token-00000000000000000000")
    assert not caught.value.retryable


async def test_twilio_refusing_free_form_outside_its_window_is_the_window_failure(fake: FakeTwilioApi) -> None:
    fake.customer_wrote("whatsapp:+79161234567", datetime.now(UTC) - timedelta(days=2))
    with pytest.raises(SendError, match=r"outside the 24-hour window .*63016") as caught:
        await send(fake, outbound())  # we believe the window is open; Twilio knows better
    assert not caught.value.retryable


async def test_unreachable_twilio_is_retryable(fake: FakeTwilioApi) -> None:
    from tests.fakes.http_receiver import free_port

    with pytest.raises(SendError, match="unreachable") as caught:
        await send(fake, outbound(), api_base=f"http://127.0.0.1:{free_port()}")
    assert caught.value.retryable


async def test_recipient_that_is_not_a_phone_is_refused_before_calling_twilio(fake: FakeTwilioApi) -> None:
    with pytest.raises(SendError, match="not a WhatsApp number"):
        await send(fake, outbound(recipient="anna"))
    assert fake.calls == []


# --- fuzzing -----------------------------------------------------------------------------------------------------

FIXTURE_NAMES = sorted(p.stem for p in FIXTURES.glob("*.json"))
FIELDS = sorted({key for name in FIXTURE_NAMES for key in fixture(name)})


def parses_or_refuses(body: bytes) -> None:
    """The parser's whole contract: a valid result, or PayloadError with a reason."""
    try:
        events = whatsapp.parse_inbound(body, ACCOUNT)
    except PayloadError as e:
        assert e.reason
        return
    assert all(isinstance(e, InboundMessage | DeliveryUpdate) for e in events)


@given(st.binary(max_size=400))
def test_random_bytes_parse_or_raise_payload_error(body: bytes) -> None:
    parses_or_refuses(body)


@settings(suppress_health_check=[HealthCheck.too_slow])
@given(st.sampled_from(FIXTURE_NAMES), st.dictionaries(st.sampled_from([*FIELDS, "MediaUrl3", "NumMedia"]),
                                                       st.text(max_size=40), max_size=6),
       st.sets(st.sampled_from(FIELDS), max_size=5))
def test_fixtures_with_random_fields_changed_or_dropped_parse_or_raise_payload_error(
    name: str, changes: dict[str, str], dropped: set[str]
) -> None:
    form = {k: v for k, v in {**fixture(name), **changes}.items() if k not in dropped}
    parses_or_refuses(body_of(form))


@given(st.sampled_from(FIXTURE_NAMES), st.floats(min_value=0, max_value=1))
def test_truncated_fixtures_parse_or_raise_payload_error(name: str, share: float) -> None:
    body = body_of(fixture(name))
    parses_or_refuses(body[: int(len(body) * share)])
