"""The hotline connector's parsers and TwiML, fuzzed: bad input is a PayloadError, never a crash."""

from __future__ import annotations

import json
from pathlib import Path
from urllib.parse import urlencode

from hypothesis import given
from hypothesis import strategies as st
from pydantic import SecretStr

from connectors import voice
from models.channels import Channel, ChannelAccount
from models.errors import PayloadError

FIXTURES = Path(__file__).parent.parent.parent / "fixtures" / "voice"
ACCOUNT = ChannelAccount(id="hotline", channel=Channel.VOICE, token=SecretStr("t" * 32),
                         options={"handover": {"dial": "+74950000000"}, "voice": "Polly.Tatyana"})
TRANSCRIPT = (FIXTURES / "transcript.json").read_bytes().rstrip()
SPEECH = urlencode(json.loads((FIXTURES / "speech_result.json").read_text())).encode()


@given(st.binary(max_size=400))
def test_arbitrary_form_bodies_parse_or_raise_payload_error(body: bytes) -> None:
    try:
        voice.parse_call(body)
    except PayloadError as e:
        assert e.reason


@given(st.integers(min_value=0, max_value=len(SPEECH)))
def test_truncated_speech_requests_parse_or_raise_payload_error(cut: int) -> None:
    try:
        _, call = voice.parse_call(SPEECH[:cut])
    except PayloadError:
        return
    assert call.CallSid and call.From


@given(st.integers(min_value=0, max_value=len(TRANSCRIPT) - 1))
def test_truncated_transcripts_raise_payload_error(cut: int) -> None:
    try:
        voice.parse_transcript(TRANSCRIPT[:cut], ACCOUNT)
    except PayloadError as e:
        assert e.reason
    else:
        raise AssertionError("a truncated transcript parsed")


def test_a_speech_turn_is_a_voice_message_keyed_by_call_and_turn() -> None:
    params, call = voice.parse_call(SPEECH)
    message = voice.speech_message(call, ACCOUNT, 7, params.flat())
    assert message is not None
    assert (message.channel, message.external_user_id, message.external_id) == (
        "voice", "+79161234567", "CA11111111111111111111111111111111:7")
    assert message.contact.phone == "+79161234567" and message.raw["Confidence"] == "0.9130412"


def test_customer_text_in_twiml_is_escaped_and_the_configured_voice_is_used() -> None:
    twiml = voice.handover_twiml(ACCOUNT, ['Скажите "да" <b>&'])
    assert "&lt;b&gt;&amp;" in twiml and "<b>" not in twiml
    assert 'voice="Polly.Tatyana"' in twiml and "<Dial>+74950000000</Dial>" in twiml


def test_a_transcript_keeps_caller_and_turns_in_order() -> None:
    call = voice.parse_transcript(TRANSCRIPT, ACCOUNT)
    assert call.external_user_id == "8 (916) 123-45-67"  # the hub normalises it into the phone identity
    assert call.call_id == "pbx-2026-11-24-000731" and len(call.turns) == 4
    assert [t.speaker for t in call.turns] == ["operator", "customer", "operator", "customer"]
