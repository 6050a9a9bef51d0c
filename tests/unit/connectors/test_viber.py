"""The Viber connector on its own: signature, callback parsing (fixtures and fuzz), rendering, sender errors."""

from __future__ import annotations

import hashlib
import hmac
import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from hypothesis import given
from hypothesis import strategies as st
from pydantic import SecretStr

from connectors import viber
from connectors.viber_render import ViberSender, send_bodies, sender_of
from models.channel_events import DeliveryUpdate, SubscriptionChange
from models.channels import Channel, ChannelAccount
from models.errors import PayloadError, SendError, SignatureError
from models.ids import ConversationId, CustomerId
from models.messages import Attachment, Button, DeliveryStatus, InboundMessage, OutboundMessage

FIXTURES = Path(__file__).parents[2] / "fixtures" / "viber"
TOKEN = "445da6az1s345z78-dazcczb2542zv51a-e0vc5fva17480im9"
ACCOUNT = ChannelAccount(id="shop", channel=Channel.VIBER, token=SecretStr(TOKEN),
                         options={"sender_name": "Otklik", "welcome": "Здравствуйте, {name}! Напишите нам."})
FIXTURE_TIME = datetime.fromtimestamp(1457764197627 / 1000, tz=UTC)


def fixture(name: str) -> bytes:
    """A callback body exactly as stored."""
    return (FIXTURES / f"{name}.json").read_bytes()


def signed(body: bytes, token: str = TOKEN) -> dict[str, str]:
    """Headers Viber would send with `body`."""
    return {"X-Viber-Content-Signature": hmac.new(token.encode(), body, hashlib.sha256).hexdigest()}


def outbound(**fields: Any) -> OutboundMessage:
    """An outbound message to the fixture user."""
    values: dict[str, Any] = {"conversation_id": ConversationId("c1"), "customer_id": CustomerId("u1"),
                              "channel": Channel.VIBER, "account_id": "shop", "recipient": "01234567890A=",
                              "text": "Спасибо!", "idempotency_key": "k1"}
    return OutboundMessage(**{**values, **fields})


# --- signature -------------------------------------------------------------------------------------------

def test_verify_accepts_viber_signature_of_the_raw_body() -> None:
    body = fixture("message__text")
    viber.verify(signed(body), body, TOKEN, now=FIXTURE_TIME)
    viber.verify({"x-viber-content-signature": signed(body)["X-Viber-Content-Signature"].upper()}, body, TOKEN,
                 now=FIXTURE_TIME)


@pytest.mark.parametrize(("headers", "says"), [
    ({}, "missing"),
    ({"X-Viber-Content-Signature": ""}, "missing"),
    ({"X-Viber-Content-Signature": "0" * 64}, "wrong"),
    ({"X-Viber-Content-Signature": "подпись"}, "wrong"),
])
def test_verify_refuses_a_missing_or_wrong_signature(headers: dict[str, str], says: str) -> None:
    with pytest.raises(SignatureError, match=says):
        viber.verify(headers, fixture("message__text"), TOKEN, now=FIXTURE_TIME)


def test_verify_refuses_a_body_signed_with_another_token_or_changed_after_signing() -> None:
    body = fixture("message__text")
    with pytest.raises(SignatureError):
        viber.verify(signed(body, "another-token"), body, TOKEN, now=FIXTURE_TIME)
    with pytest.raises(SignatureError):
        viber.verify(signed(body), body.replace(b"4512", b"4513"), TOKEN, now=FIXTURE_TIME)


def test_verify_fails_closed_without_a_token() -> None:
    body = fixture("message__text")
    with pytest.raises(SignatureError, match="no auth token"):
        viber.verify(signed(body, ""), body, "", now=FIXTURE_TIME)


def test_verify_refuses_a_signed_callback_replayed_outside_the_window() -> None:
    body = fixture("message__text")
    viber.verify(signed(body), body, TOKEN, now=FIXTURE_TIME + timedelta(hours=23))
    with pytest.raises(SignatureError, match="replay window"):
        viber.verify(signed(body), body, TOKEN, now=FIXTURE_TIME + timedelta(hours=25))
    with pytest.raises(SignatureError, match="replay window"):
        viber.verify(signed(body), body, TOKEN, now=FIXTURE_TIME - timedelta(hours=25))


def test_verify_refuses_a_signed_json_callback_without_a_timestamp_and_leaves_non_json_to_the_parser() -> None:
    body = json.dumps({k: v for k, v in json.loads(fixture("message__text")).items() if k != "timestamp"}).encode()
    with pytest.raises(SignatureError, match="without a timestamp"):
        viber.verify(signed(body), body, TOKEN, now=FIXTURE_TIME)
    cut = fixture("message__text")[:40]
    viber.verify(signed(cut), cut, TOKEN, now=FIXTURE_TIME)  # parse_inbound answers it with a PayloadError


# --- parsing: one fixture per event and condition -------------------------------------------------------

def only(name: str) -> Any:
    """The single event a fixture parses to."""
    [event] = viber.parse_inbound(fixture(name), ACCOUNT)
    return event


def test_text_message_keeps_ids_sender_time_and_raw_body() -> None:
    message = only("message__text")
    assert isinstance(message, InboundMessage)
    assert (message.channel, message.account_id) == (Channel.VIBER, "shop")
    assert (message.external_user_id, message.external_id) == ("01234567890A=", "4912661846655238145")
    assert (message.text, message.contact.name, message.deep_link) == ("Где мой заказ 4512?", "Анна Петрова", None)
    assert message.sent_at == FIXTURE_TIME
    assert message.raw == json.loads(fixture("message__text"))


def test_tracking_data_of_our_own_message_is_not_a_deep_link() -> None:
    assert only("message__text_replying_to_our_message").deep_link is None


def test_reply_to_a_welcome_with_context_carries_the_deep_link() -> None:
    assert only("message__text_after_deep_link_welcome").deep_link == "store_118"


@pytest.mark.parametrize(("name", "kind", "url", "file_name", "size", "text"), [
    ("message__picture", "image", "https://dl-media.viber.com/1/share/2/long/bots/generic-message/photo.jpg",
     "photo.jpg", 84213, "Вот чек"),
    ("message__video", "video", "https://dl-media.viber.com/5/media/2/short/any/sig/video.mp4", None, 1024000, ""),
    ("message__file", "file", "https://dl-media.viber.com/5/media/2/short/any/sig/receipt.pdf", "receipt.pdf",
     10000, ""),
    ("message__url", "url", "https://shop.example.ru/orders/4512", None, None, "https://shop.example.ru/orders/4512"),
])
def test_media_messages_become_attachments_by_reference(
    name: str, kind: str, url: str, file_name: str | None, size: int | None, text: str
) -> None:
    message = only(name)
    [attachment] = message.attachments
    assert (attachment.kind, str(attachment.url), attachment.name, attachment.size) == (kind, url, file_name, size)
    assert message.text == text


def test_sticker_keeps_its_id_and_picture() -> None:
    [sticker] = only("message__sticker").attachments
    assert (sticker.kind, sticker.file_id, str(sticker.url)) == ("sticker", "46105",
                                                                 "https://viber-stickers.example.com/46105.png")


@pytest.mark.parametrize("name", ["message__contact", "message__contact_local_number"])
def test_shared_contact_gives_an_e164_phone_hint_and_readable_text(name: str) -> None:
    message = only(name)
    assert (message.contact.phone, message.contact.name, message.contact.verified) == ("+79161234567", "Анна", False)
    assert message.text.startswith("Анна ")


def test_contact_with_an_unusable_number_is_kept_without_a_phone_hint() -> None:
    message = only("message__contact_unusable_number")
    assert message.contact.phone is None and message.text == "Кто-то 12"


def test_location_becomes_a_geo_attachment() -> None:
    [place] = only("message__location").attachments
    assert (place.kind, place.name, place.url) == ("location", "geo:55.751244,37.618423", None)


def test_subscribed_and_unsubscribed_change_the_subscription() -> None:
    subscribed, unsubscribed = only("subscribed__user"), only("unsubscribed__user")
    assert isinstance(subscribed, SubscriptionChange) and isinstance(unsubscribed, SubscriptionChange)
    assert (subscribed.external_user_id, subscribed.subscribed) == ("01234567890A=", True)
    assert (unsubscribed.external_user_id, unsubscribed.subscribed, unsubscribed.at) == (
        "01234567890A=", False, FIXTURE_TIME)


@pytest.mark.parametrize(("name", "status", "reason"), [
    ("delivered__receipt", DeliveryStatus.DELIVERED, None),
    ("seen__receipt", DeliveryStatus.READ, None),
    ("failed__receipt", DeliveryStatus.FAILED, "failure description"),
])
def test_receipts_update_the_delivery_status_of_our_message(name: str, status: DeliveryStatus, reason: str) -> None:
    update = only(name)
    assert isinstance(update, DeliveryUpdate)
    assert (update.external_id, update.status, update.reason) == ("5466297578174182639", status, reason)


@pytest.mark.parametrize("name", ["webhook__check", "conversation_started__deep_link", "conversation_started__plain",
                                  "client_status__unknown_event", "message__rich_media"])
def test_genuine_but_unsupported_callbacks_give_nothing_to_store(name: str) -> None:
    assert viber.parse_inbound(fixture(name), ACCOUNT) == []


@pytest.mark.parametrize(("body", "says"), [
    (fixture("message__missing_sender"), "sender"),
    (fixture("message__picture_without_media"), "message.media"),
    (fixture("message__location_out_of_range"), "message.location.lat"),
    (b'{"event": "message", "sender": {"id": "u"}, "message_token": 1, "message": {"type": "text", "text": 5}}',
     "message.text"),
    (b'{"event": "delivered", "user_id": "u"}', "message_token"),
    (b'{"event": "unsubscribed"}', "names the user"),
    (b'{"event": ["message"]}', "event"),
    (b'{"event": "seen", "message_token": 1, "timestamp": NaN}', "not JSON"),
    (b"[]", "JSON object"),
    (b"\xff\xfe{", "not JSON"),
    (b"[" * 100_000, "not JSON"),
])
def test_malformed_callbacks_are_payload_errors_with_a_reason(body: bytes, says: str) -> None:
    with pytest.raises(PayloadError, match=says):
        viber.parse_inbound(body, ACCOUNT)


# --- welcome -------------------------------------------------------------------------------------------

def test_conversation_started_is_answered_with_the_welcome_carrying_the_deep_link() -> None:
    assert viber.welcome_message(fixture("conversation_started__deep_link"), ACCOUNT) == {
        "type": "text", "text": "Здравствуйте, Анна Петрова! Напишите нам.", "sender": {"name": "Otklik"},
        "tracking_data": "otklik-context:store_118"}
    assert "tracking_data" not in (viber.welcome_message(fixture("conversation_started__plain"), ACCOUNT) or {})


def test_no_welcome_without_configuration_or_for_other_events() -> None:
    plain = ChannelAccount(id="shop", channel=Channel.VIBER, token=SecretStr(TOKEN), options={"sender_name": "Otklik"})
    assert viber.welcome_message(fixture("conversation_started__deep_link"), plain) is None
    assert viber.welcome_message(fixture("message__text"), ACCOUNT) is None


# --- fuzz --------------------------------------------------------------------------------------------------

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=20),
    lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=10), children, max_size=4),
    max_leaves=12,
)
callbacks = st.fixed_dictionaries(
    {"event": st.sampled_from(["message", "subscribed", "unsubscribed", "delivered", "seen", "failed",
                               "conversation_started", "webhook", "other"])},
    optional={"timestamp": json_values, "message_token": json_values, "user_id": json_values, "desc": json_values,
              "sender": st.fixed_dictionaries({}, optional={"id": json_values, "name": json_values}) | json_values,
              "user": json_values, "context": json_values,
              "message": st.fixed_dictionaries(
                  {"type": st.sampled_from(["text", "picture", "video", "file", "sticker", "contact", "location",
                                            "url", "rich_media"])},
                  optional={"text": json_values, "media": json_values, "size": json_values,
                            "contact": json_values, "location": json_values, "tracking_data": json_values,
                            "sticker_id": json_values, "file_name": json_values}) | json_values},
)
fixture_names = sorted(p.stem for p in FIXTURES.glob("*.json"))


def parses_or_refuses(body: bytes) -> None:
    """The parser's contract: a list of events or a PayloadError with a reason, nothing else."""
    try:
        events = viber.parse_inbound(body, ACCOUNT)
        viber.welcome_message(body, ACCOUNT)
    except PayloadError as e:
        assert e.reason
        return
    assert all(e.channel is Channel.VIBER and e.account_id == "shop" for e in events)


@given(st.binary(max_size=300))
def test_arbitrary_bytes_parse_or_raise_payload_error(body: bytes) -> None:
    parses_or_refuses(body)


@given(callbacks)
def test_plausible_callbacks_parse_or_raise_payload_error(doc: dict[str, Any]) -> None:
    parses_or_refuses(json.dumps(doc).encode())


@given(st.sampled_from(fixture_names), st.data())
def test_truncated_fixtures_parse_or_raise_payload_error(name: str, data: st.DataObject) -> None:
    body = fixture(name)
    parses_or_refuses(body[: data.draw(st.integers(0, len(body)))])


# --- rendering and sending ---------------------------------------------------------------------------------

SENDER = sender_of("Otklik")


def test_text_with_quick_replies_becomes_one_message_with_a_reply_keyboard() -> None:
    msg = outbound(buttons=[Button(title="Статус <заказа>", payload="order_status"), Button(title="Оператор",
                                                                                            payload="operator")])
    [body] = send_bodies(msg, SENDER)
    assert body == {
        "receiver": "01234567890A=", "sender": {"name": "Otklik"}, "tracking_data": msg.id, "type": "text",
        "text": "Спасибо!", "min_api_version": 1,
        "keyboard": {"Type": "keyboard", "DefaultHeight": False, "Buttons": [
            {"ActionType": "reply", "ActionBody": "order_status", "Text": "Статус &lt;заказа&gt;", "Columns": 3,
             "Rows": 1},
            {"ActionType": "reply", "ActionBody": "operator", "Text": "Оператор", "Columns": 3, "Rows": 1}]},
    }


def test_one_picture_carries_the_text_as_its_description() -> None:
    [body] = send_bodies(outbound(attachments=[Attachment(kind="image", url="https://cdn.example.ru/a.jpg")]), SENDER)
    assert (body["type"], body["media"], body["text"]) == ("picture", "https://cdn.example.ru/a.jpg", "Спасибо!")


def test_files_go_first_then_text_and_a_file_without_size_is_sent_as_a_link() -> None:
    msg = outbound(attachments=[
        Attachment(kind="file", url="https://cdn.example.ru/docs/%D0%BE%D1%82%D0%B2%D0%B5%D1%82.pdf", size=2048),
        Attachment(kind="file", url="https://cdn.example.ru/b.pdf"),
        Attachment(kind="image", file_id="telegram-file-id"),
    ], buttons=[Button(title="Да", payload="yes")])
    bodies = send_bodies(msg, SENDER)
    assert [b["type"] for b in bodies] == ["file", "url", "text"]
    assert (bodies[0]["file_name"], bodies[0]["size"]) == ("ответ.pdf", 2048)
    assert "keyboard" in bodies[-1] and all("keyboard" not in b for b in bodies[:-1])


def test_long_text_is_split_at_viber_limit() -> None:
    bodies = send_bodies(outbound(text=("слово " * 2000).strip()), SENDER)
    assert len(bodies) == 2 and all(len(b["text"]) <= 7000 for b in bodies)
    assert " ".join(b["text"] for b in bodies) == ("слово " * 2000).strip()


def sender_answering(*answers: httpx.Response | Exception) -> tuple[ViberSender, list[httpx.Request]]:
    """A sender whose HTTP client gets `answers` in turn from a mock transport."""
    seen: list[httpx.Request] = []
    queue = list(answers)

    def respond(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        answer = queue.pop(0)
        if isinstance(answer, Exception):
            raise answer
        return answer

    client = httpx.AsyncClient(transport=httpx.MockTransport(respond))
    return ViberSender(client, "https://viber.test/", TOKEN, SENDER), seen


async def test_accepted_message_gives_the_message_token_as_receipt() -> None:
    sender, seen = sender_answering(httpx.Response(200, json={"status": 0, "status_message": "ok",
                                                              "message_token": 5741311803571721087}))
    async with sender.http:
        receipt = await sender.send(outbound())
    assert receipt.external_id == "5741311803571721087"
    assert str(seen[0].url) == "https://viber.test/pa/send_message"
    assert seen[0].headers["x-viber-auth-token"] == TOKEN
    assert json.loads(seen[0].content)["receiver"] == "01234567890A="


@pytest.mark.parametrize(("answer", "retryable", "says"), [
    (httpx.Response(200, json={"status": 12, "status_message": "tooManyRequests"}), True, "status 12"),
    (httpx.Response(503), True, "HTTP 503"),
    (httpx.Response(429, headers={"retry-after": "7"}), True, "HTTP 429"),
    (httpx.Response(200, text="<html>bad gateway</html>"), True, "not JSON"),
    (httpx.ConnectTimeout("timed out"), True, "ConnectTimeout"),
    (httpx.ConnectError("refused"), True, "ConnectError"),
    (httpx.Response(200, json={"status": 6, "status_message": "receiverNotSubscribed"}), False, "status 6"),
    (httpx.Response(200, json={"status": 5, "status_message": "receiverNotRegistered"}), False, "status 5"),
    (httpx.Response(200, json={"status": 2, "status_message": "invalidAuthToken"}), False, "invalidAuthToken"),
    (httpx.Response(200, json={"status": 3, "status_message": "badData"}), False, "badData"),
    (httpx.Response(404), False, "HTTP 404"),
])
async def test_viber_failures_map_to_retryable_or_final_send_errors(
    answer: httpx.Response | Exception, retryable: bool, says: str
) -> None:
    sender, _ = sender_answering(answer)
    async with sender.http:
        with pytest.raises(SendError, match=says) as caught:
            await sender.send(outbound())
    assert caught.value.retryable is retryable
    assert caught.value.retry_after == (7.0 if says == "HTTP 429" else None)


async def test_a_message_with_nothing_viber_can_show_fails_without_a_call() -> None:
    sender, seen = sender_answering()
    async with sender.http:
        with pytest.raises(SendError, match="nothing Viber can show") as caught:
            await sender.send(outbound(text=" ", attachments=[Attachment(kind="image", file_id="tg-id")]))
    assert caught.value.retryable is False and seen == []


# --- account configuration ---------------------------------------------------------------------------------

@pytest.mark.parametrize(("options", "says"), [
    ({}, "sender_name"),
    ({"sender_name": "x" * 29}, "sender_name"),
    ({"sender_name": "Otklik", "api_base": "chatapi.viber.com"}, "api_base"),
    ({"sender_name": "Otklik", "sendername": "typo"}, "sendername"),
    ({"sender_name": "Otklik", "replay_window_hours": 0}, "replay_window_hours"),
])
def test_check_account_names_what_the_configuration_lacks(options: dict[str, Any], says: str) -> None:
    account = ChannelAccount(id="shop", channel=Channel.VIBER, token=SecretStr(TOKEN), options=options)
    with pytest.raises(ValueError, match=says):
        viber.check_account(account)


def test_check_account_accepts_a_complete_account() -> None:
    viber.check_account(ACCOUNT)
