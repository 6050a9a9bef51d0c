"""Telegram: the secret-token check, every Update shape we read (fixtures from the Bot API docs), the
rendering of replies and the mapping of Bot API failures; the parser fuzzed with hypothesis."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from aiogram.exceptions import (
    AiogramError,
    ClientDecodeError,
    TelegramBadRequest,
    TelegramEntityTooLarge,
    TelegramForbiddenError,
    TelegramNetworkError,
    TelegramRetryAfter,
    TelegramServerError,
    TelegramUnauthorizedError,
)
from aiogram.methods import SendDocument, SendMessage, SendPhoto
from aiogram.types import InlineKeyboardMarkup, ReplyKeyboardMarkup
from hypothesis import given
from hypothesis import strategies as st
from pydantic import SecretStr

from connectors import telegram
from connectors.telegram_render import REQUEST_CONTACT, as_send_error, render, split_text
from models.channel_events import MessageEdit, SubscriptionChange
from models.channels import Channel, ChannelAccount
from models.errors import PayloadError, SendError, SignatureError
from models.ids import ConversationId, CustomerId
from models.messages import Attachment, Button, InboundMessage, OutboundMessage

FIXTURES = Path(__file__).parents[2] / "fixtures" / "telegram"
SECRET = "whsec_0123456789-abcdef"
ACCOUNT = ChannelAccount(id="retail_bot", channel=Channel.TELEGRAM, token=SecretStr("123456789:AAFakeToken_abcdef"),
                         secrets={"webhook_secret": SecretStr(SECRET)})
USER = "5551234567"


def body(name: str) -> bytes:
    """A fixture file's bytes."""
    return (FIXTURES / f"{name}.json").read_bytes()


def only(name: str) -> Any:
    """The single event a fixture gives."""
    [event] = telegram.parse_inbound(body(name), ACCOUNT)
    return event


def test_text_message_keeps_sender_chat_scoped_id_time_name_and_raw_update() -> None:
    message = only("message__text")
    assert isinstance(message, InboundMessage)
    assert (message.channel, message.account_id, message.external_user_id) == (Channel.TELEGRAM, "retail_bot", USER)
    assert message.external_id == f"{USER}:41"  # message ids are unique only within a chat
    assert message.text == "Здравствуйте! Где мой заказ 4512?"
    assert message.sent_at == datetime.fromtimestamp(1732460000, UTC)
    assert message.contact.name == "Анна Иванова" and message.contact.phone is None
    assert message.deep_link is None and message.attachments == []
    assert message.raw == json.loads(body("message__text"))


def test_start_with_a_deep_link_parameter_names_it() -> None:
    message = only("message__start_deep_link")
    assert message.deep_link == "store_118" and message.text == "/start store_118"


def test_plain_start_has_no_deep_link() -> None:
    assert only("message__start_plain").deep_link is None


@pytest.mark.parametrize("text", ["/start bad payload", "/start " + "x" * 65, "/startstore_118", "hi /start store_1"])
def test_only_a_documented_start_parameter_is_a_deep_link(text: str) -> None:
    update = json.loads(body("message__text"))
    update["message"]["text"] = text
    [message] = telegram.parse_inbound(json.dumps(update).encode(), ACCOUNT)
    assert isinstance(message, InboundMessage) and message.deep_link is None


def test_photo_keeps_the_largest_size_by_file_id_and_the_caption_as_text() -> None:
    message = only("message__photo_caption")
    assert message.text == "Вот чек, товар бракованный"
    assert message.attachments == [Attachment(kind="image", file_id="AgACAgIAAxkBAAIBY2dDlarge", size=96432)]


@pytest.mark.parametrize(
    ("fixture", "expected", "text"),
    [
        ("message__document", Attachment(kind="file", file_id="BQACAgIAAxkBAAIBZWdDdoc", name="akt-vozvrata.pdf",
                                         mime_type="application/pdf", size=183204), "Акт возврата"),
        ("message__voice", Attachment(kind="audio", file_id="AwACAgIAAxkBAAIBZ2dDvoice", mime_type="audio/ogg",
                                      size=24310), ""),
        ("message__video", Attachment(kind="video", file_id="BAACAgIAAxkBAAIBaWdDvideo", name="polka.mp4",
                                      mime_type="video/mp4", size=2048000), "Как упала полка"),
        ("message__audio", Attachment(kind="audio", file_id="CQACAgIAAxkBAAIBa2dDaudio", name="zvonok.mp3",
                                      mime_type="audio/mpeg", size=1520000), ""),
        ("message__sticker", Attachment(kind="sticker", file_id="CAACAgIAAxkBAAIBbWdDsticker", size=23112), "😡"),
    ],
)
def test_files_become_attachments_by_file_id_never_downloaded(fixture: str, expected: Attachment, text: str) -> None:
    message = only(fixture)
    assert message.attachments == [expected]
    assert message.text == text


def test_own_contact_is_a_verified_phone_in_e164() -> None:
    message = only("message__contact_own")
    assert message.contact.phone == "+79161234567"
    assert message.contact.verified and message.contact.name == "Анна Иванова"
    assert message.text == "Анна Иванова: 79161234567"


def test_someone_elses_contact_is_text_not_a_phone_of_the_sender() -> None:
    message = only("message__contact_other")
    assert message.contact.phone is None and not message.contact.verified
    assert message.text == "Пётр: +79035550011"


def test_edited_message_is_an_edit_of_the_same_external_id() -> None:
    edit = only("edited_message__text")
    assert isinstance(edit, MessageEdit)
    assert edit.external_id == only("message__text").external_id
    assert edit.external_user_id == USER
    assert edit.text == "Здравствуйте! Где мой заказ 4513? (опечатка в номере)"
    assert edit.at == datetime.fromtimestamp(1732460090, UTC)


def test_button_press_is_a_message_with_the_data_and_must_be_answered() -> None:
    update = telegram.read_update(body("callback_query__button"), ACCOUNT)
    [message] = update.events
    assert isinstance(message, InboundMessage)
    assert (message.text, message.external_user_id) == ("topic:return", USER)
    assert message.external_id == "callback:4382bfdwdsb323b2d9"
    assert message.reply_to == f"{USER}:1001"  # the bot's message that carried the keyboard
    assert message.button_press  # its data is a payload, never a sign of the shopper's language
    assert not only("message__text").button_press
    assert update.webhook_answer() == {"method": "answerCallbackQuery", "callback_query_id": "4382bfdwdsb323b2d9"}


def test_button_under_an_inaccessible_message_still_counts() -> None:
    assert only("callback_query__inaccessible_message").text == "topic:delivery"


@pytest.mark.parametrize(("fixture", "subscribed"), [("my_chat_member__kicked", False),
                                                     ("my_chat_member__member", True)])
def test_blocking_and_unblocking_the_bot_is_a_subscription_change(fixture: str, subscribed: bool) -> None:
    change = only(fixture)
    assert isinstance(change, SubscriptionChange)
    assert (change.external_user_id, change.subscribed) == (USER, subscribed)


@pytest.mark.parametrize("fixture", ["message__group_text", "message__location", "message_reaction__thumbs_up"])
def test_genuine_updates_we_do_not_read_give_nothing(fixture: str) -> None:
    update = telegram.read_update(body(fixture), ACCOUNT)
    assert update.events == [] and update.webhook_answer() is None


@pytest.mark.parametrize(
    ("raw", "says"),
    [(b"{not json", "not JSON"), (b"[]", "JSON object"), (b'{"message": {}}', "update_id"),
     (b'{"update_id": 1, "message": {"message_id": 1, "chat": {"id": 1, "type": "private"}}}', "date"),
     (b"\xff\xfe", "not JSON"), (b"[" * 100_000, "not JSON")],
)
def test_malformed_update_is_a_payload_error_with_a_reason(raw: bytes, says: str) -> None:
    with pytest.raises(PayloadError, match=says):
        telegram.parse_inbound(raw, ACCOUNT)


def test_verify_accepts_the_secret_token_header() -> None:
    telegram.verify({"X-Telegram-Bot-Api-Secret-Token": SECRET}, ACCOUNT)
    telegram.verify({"x-telegram-bot-api-secret-token": SECRET}, ACCOUNT)


@pytest.mark.parametrize("headers", [{}, {"X-Telegram-Bot-Api-Secret-Token": ""},
                                     {"X-Telegram-Bot-Api-Secret-Token": SECRET + "x"},
                                     {"X-Telegram-Bot-Api-Secret-Token": SECRET.upper()},
                                     {"Authorization": f"Bearer {SECRET}"}])
def test_verify_refuses_a_missing_or_wrong_secret_token(headers: dict[str, str]) -> None:
    with pytest.raises(SignatureError):
        telegram.verify(headers, ACCOUNT)


def test_verify_fails_closed_for_an_account_without_a_secret() -> None:
    bare = ACCOUNT.model_copy(update={"secrets": {}})
    with pytest.raises(SignatureError):
        telegram.verify({"X-Telegram-Bot-Api-Secret-Token": "anything"}, bare)


@pytest.mark.parametrize(
    ("change", "says"),
    [({"secrets": {}}, "needs secrets.webhook_secret"), ({"token": SecretStr("not-a-token")}, "not a bot token"),
     ({"secrets": {"webhook_secret": SecretStr("has spaces")}}, "1-256 characters"),
     ({"options": {"buttons": "grid"}}, "options.buttons"), ({"options": {"api_base": "ftp://x"}}, "api_base")],
)
def test_check_account_names_what_the_configuration_lacks(change: dict[str, Any], says: str) -> None:
    with pytest.raises(ValueError, match=says):
        telegram.check_account(ACCOUNT.model_copy(update=change))


def test_check_account_accepts_a_complete_account() -> None:
    telegram.check_account(ACCOUNT.model_copy(update={"options": {"buttons": "reply", "api_base": "http://x"}}))


# --- outbound ---------------------------------------------------------------------------------------------

def out(text: str = "Спасибо!", **extra: Any) -> OutboundMessage:
    """A reply to the fixture's user."""
    return OutboundMessage(conversation_id=ConversationId("c1"), customer_id=CustomerId("u1"),
                           channel=Channel.TELEGRAM, account_id="retail_bot", recipient=USER, text=text,
                           idempotency_key="k1", **extra)


def test_text_is_one_plain_send_message_to_the_chat() -> None:
    [call] = render(out(), 5551234567)
    assert isinstance(call, SendMessage)
    assert (call.chat_id, call.text, call.reply_markup) == (5551234567, "Спасибо!", None)


def test_buttons_are_an_inline_keyboard_with_the_payload_as_callback_data() -> None:
    [call] = render(out(buttons=[Button(title="Возврат", payload="topic:return"),
                                 Button(title="Доставка", payload="topic:delivery")]), 1)
    markup = call.reply_markup
    assert isinstance(markup, InlineKeyboardMarkup)
    assert [[(b.text, b.callback_data) for b in row] for row in markup.inline_keyboard] == [
        [("Возврат", "topic:return")], [("Доставка", "topic:delivery")]]


def test_reply_option_renders_a_one_time_reply_keyboard() -> None:
    [call] = render(out(buttons=[Button(title="Возврат", payload="topic:return")]), 1, reply_keyboard=True)
    markup = call.reply_markup
    assert isinstance(markup, ReplyKeyboardMarkup) and markup.one_time_keyboard
    assert [[b.text for b in row] for row in markup.keyboard] == [["Возврат"]]


def test_request_contact_button_asks_for_the_phone_on_a_reply_keyboard() -> None:
    [call] = render(out(buttons=[Button(title="Поделиться номером", payload=REQUEST_CONTACT)]), 1)
    markup = call.reply_markup
    assert isinstance(markup, ReplyKeyboardMarkup)
    assert markup.keyboard[0][0].request_contact is True


def test_payload_over_64_bytes_cannot_be_callback_data() -> None:
    with pytest.raises(SendError) as caught:
        render(out(buttons=[Button(title="Да", payload="я" * 33)]), 1)  # 66 bytes of UTF-8
    assert not caught.value.retryable


def test_image_goes_as_photo_with_the_text_as_caption_and_other_files_as_documents() -> None:
    calls = render(out(attachments=[Attachment(kind="image", file_id="AgAC"),
                                    Attachment(kind="file", url="https://cdn.example.ru/akt.pdf")]), 1)
    assert [type(c) for c in calls] == [SendPhoto, SendDocument]
    assert calls[0].photo == "AgAC" and calls[0].caption == "Спасибо!"  # type: ignore[union-attr]
    assert calls[1].document == "https://cdn.example.ru/akt.pdf" and calls[1].caption is None  # type: ignore[union-attr]


def test_text_too_long_for_a_caption_goes_first_and_the_keyboard_rides_on_the_last_call() -> None:
    calls = render(out("д" * 1500, attachments=[Attachment(kind="file", file_id="BQAC")],
                       buttons=[Button(title="Ок", payload="ok")]), 1)
    assert [type(c) for c in calls] == [SendMessage, SendDocument]
    assert calls[0].reply_markup is None and calls[1].reply_markup is not None


def test_long_text_is_split_at_4096_utf16_units_without_breaking_a_character() -> None:
    parts = split_text("😀" * 3000)  # 2 UTF-16 units each
    assert [len(p) for p in parts] == [2048, 952] and "".join(parts) == "😀" * 3000
    assert len(render(out("a" * 9000), 1)) == 3


def test_nothing_to_send_is_a_permanent_failure() -> None:
    with pytest.raises(SendError) as caught:
        render(out("", attachments=[Attachment(kind="file")]), 1)
    assert not caught.value.retryable


METHOD = SendMessage(chat_id=1, text="x")


@pytest.mark.parametrize(
    ("error", "retryable", "retry_after"),
    [
        (TelegramRetryAfter(method=METHOD, message="Too Many Requests: retry after 7", retry_after=7), True, 7.0),
        (TelegramServerError(method=METHOD, message="Internal Server Error"), True, None),
        (TelegramNetworkError(method=METHOD, message="Request timeout error"), True, None),
        (ClientDecodeError("Failed to decode object", ValueError("x"), "<html>502</html>"), True, None),
        (TelegramForbiddenError(method=METHOD, message="Forbidden: bot was blocked by the user"), False, None),
        (TelegramBadRequest(method=METHOD, message="Bad Request: chat not found"), False, None),
        (TelegramUnauthorizedError(method=METHOD, message="Unauthorized"), False, None),
        (TelegramEntityTooLarge(method=METHOD, message="Request Entity Too Large"), False, None),
    ],
)
def test_bot_api_failures_map_to_retryable_or_final_send_errors(
    error: AiogramError, retryable: bool, retry_after: float | None
) -> None:
    mapped = as_send_error("SendMessage", error)
    assert (mapped.retryable, mapped.retry_after) == (retryable, retry_after)
    assert mapped.reason.startswith("SendMessage: ")


# --- hypothesis -------------------------------------------------------------------------------------------

NAMES = sorted(p.stem for p in FIXTURES.glob("*.json"))
json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=20),
    lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=10), children, max_size=4),
    max_leaves=12,
)


def parses_or_refuses(raw: bytes) -> None:
    """The parser's whole contract: a list of valid events, or a PayloadError with a reason."""
    try:
        events = telegram.parse_inbound(raw, ACCOUNT)
    except PayloadError as e:
        assert e.reason
        return
    assert isinstance(events, list) and len(events) <= 1


@given(st.binary(max_size=300))
def test_arbitrary_bytes_parse_or_raise_payload_error(raw: bytes) -> None:
    parses_or_refuses(raw)


@given(st.sampled_from(NAMES), st.data())
def test_truncated_fixtures_parse_or_raise_payload_error(name: str, data: st.DataObject) -> None:
    whole = body(name)
    parses_or_refuses(whole[: data.draw(st.integers(0, len(whole) - 1))])


@given(st.fixed_dictionaries({"update_id": st.integers()},
                             optional={"message": json_values, "edited_message": json_values,
                                       "callback_query": json_values, "my_chat_member": json_values}))
def test_updates_of_random_shape_parse_or_raise_payload_error(doc: dict[str, Any]) -> None:
    parses_or_refuses(json.dumps(doc).encode())


def _replace_leaf(doc: Any, path: list[int], value: Any) -> Any:
    """`doc` with the leaf found by following `path` (indexes into keys/items, wrapping) set to `value`."""
    if not path or not isinstance(doc, dict | list) or not doc:
        return value
    if isinstance(doc, dict):
        key = sorted(doc)[path[0] % len(doc)]
        return {**doc, key: _replace_leaf(doc[key], path[1:], value)}
    i = path[0] % len(doc)
    return [*doc[:i], _replace_leaf(doc[i], path[1:], value), *doc[i + 1:]]


@given(st.sampled_from(NAMES), st.lists(st.integers(0, 50), min_size=1, max_size=6), json_values)
def test_fixtures_with_one_field_changed_parse_or_raise_payload_error(name: str, path: list[int], value: Any) -> None:
    mutated = _replace_leaf(json.loads(body(name)), path, value)
    parses_or_refuses(json.dumps(mutated).encode())
