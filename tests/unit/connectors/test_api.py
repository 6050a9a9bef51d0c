"""The api channel's parser and verifier, fuzzed: bad input is a PayloadError, never a crash."""

from __future__ import annotations

import json

import pytest
from hypothesis import given
from hypothesis import strategies as st
from pydantic import SecretStr

from connectors import api
from models.channels import Channel, ChannelAccount
from models.errors import PayloadError, SignatureError

ACCOUNT = ChannelAccount(id="crm", channel=Channel.API, token=SecretStr("s3cret-token-123456"))

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=20),
    lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=10), children, max_size=4),
    max_leaves=12,
)


@given(st.binary(max_size=300))
def test_arbitrary_bytes_parse_or_raise_payload_error(body: bytes) -> None:
    try:
        api.parse_inbound(body, ACCOUNT)
    except PayloadError as e:
        assert e.reason


@given(st.fixed_dictionaries(
    {"user_id": st.text(min_size=1, max_size=40), "message_id": st.text(min_size=1, max_size=40)},
    optional={"text": st.text(max_size=50), "contact": json_values, "sent_at": json_values, "attachments": json_values},
))
def test_plausible_payloads_parse_or_raise_payload_error(doc: dict[str, object]) -> None:
    try:
        message = api.parse_inbound(json.dumps(doc).encode(), ACCOUNT)
    except PayloadError:
        return
    assert message.external_id == doc["message_id"] and message.account_id == "crm"
    assert message.raw == doc


def test_a_valid_payload_keeps_its_ids_contact_and_raw_body() -> None:
    body = json.dumps({"user_id": "u", "message_id": "m", "text": "Привет", "contact": {"email": "A@B.ru"}}).encode()
    message = api.parse_inbound(body, ACCOUNT)
    assert (message.channel, message.external_user_id, message.external_id) == (Channel.API, "u", "m")
    assert str(message.contact.email) == "A@b.ru"  # email-validator lowercases the domain only
    assert message.raw["text"] == "Привет"


@pytest.mark.parametrize("header", ["", "Bearer", "Bearer wrong", "Token s3cret-token-123456", "bearer  "])
def test_verify_refuses_anything_but_the_right_bearer_token(header: str) -> None:
    with pytest.raises(SignatureError):
        api.verify({"authorization": header}, ACCOUNT)


def test_verify_accepts_the_right_token() -> None:
    api.verify({"authorization": "Bearer s3cret-token-123456"}, ACCOUNT)
