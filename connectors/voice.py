"""The hotline: a voice bot on Twilio Voice, and finished-call transcripts from the call centre's own
telephony.

Twilio Voice (docs followed: "TwiML Voice: <Gather>" with input="speech" — the action request carries
SpeechResult and Confidence besides the call's parameters (CallSid, From, To…); "<Say>", "<Enqueue>",
"<Dial>"; "Call status callback" — CallStatus, CallDuration; "Webhooks security" — X-Twilio-Signature,
validated in connectors/twilio_common.py exactly as for WhatsApp):
a call is answered with <Gather input="speech">; each SpeechResult becomes an InboundMessage of channel
`voice` (the caller's number is the phone identity) whose external id is CallSid + the turn number
carried in the action URL, so Twilio's retries of one turn are one message. The bot's reply reaches the
waiting webhook through the bus (`VoiceSender` broadcasts it on the turn's topic) and is spoken with
<Say>; a conversation handed over to people sends the call to the operators' queue (<Enqueue>) or to a
number (<Dial>), as configured.

Account: {"channel": "voice", "id": "hotline", "token": "<Twilio auth token>",
          "secrets": {"transcript_token": "<Bearer token of the call centre's transcript client>"},
          "options": {"language": "ru-RU", "voice": "Polly.Tatyana", "greeting": "…",
                      "handover": {"enqueue": "operators"} | {"dial": "+7495…"}, "answer_timeout": 8}}
"""

from __future__ import annotations

import hmac
from collections.abc import Mapping
from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError
from twilio.twiml.voice_response import Gather, VoiceResponse

from connectors.base import Sender, SenderContext, SendReceipt
from connectors.twilio_common import FormParams, check_signature, form_params
from models.channel_events import CallEnded, CallTranscript, TranscriptTurn
from models.channels import Channel, ChannelAccount
from models.errors import PayloadError, SendError, SignatureError
from models.messages import ContactHints, InboundMessage, OutboundMessage
from models.sending import Broadcaster

TRANSCRIPT_TOKEN = "transcript_token"
GREETING = "Здравствуйте! Вы позвонили на горячую линию. Расскажите, пожалуйста, чем мы можем помочь."
NOT_HEARD = "Извините, я вас не расслышал. Повторите, пожалуйста."
STILL_WORKING = "Спасибо, ваше обращение записано. Мы ответим вам в ближайшее время."
TO_OPERATOR = "Соединяю с оператором."


Handover = dict[Literal["enqueue", "dial"], str]


def _to_queue() -> Handover:
    return {"enqueue": "operators"}


class VoiceOptions(BaseModel):
    """Non-secret settings of a voice account."""

    model_config = ConfigDict(extra="ignore")

    language: str = "ru-RU"
    voice: str | None = None
    greeting: str = GREETING
    handover: Handover = Field(default_factory=_to_queue, min_length=1, max_length=1)
    answer_timeout: float = Field(default=8.0, gt=0, le=14)  # Twilio waits 15 s for a webhook's answer


def options_of(account: ChannelAccount) -> VoiceOptions:
    """The account's options, validated."""
    try:
        return VoiceOptions.model_validate(account.options)
    except ValidationError as e:
        raise ValueError(f"voice account {account.id!r}: options: {e.errors()[0]['msg']}") from e


def check_account(account: ChannelAccount) -> None:
    """ValueError naming a malformed option (the auth token is the account's token)."""
    options_of(account)


def verify(headers: Mapping[str, str], params: FormParams, url: str, account: ChannelAccount) -> None:
    """Raise SignatureError unless Twilio signed this request for `url`."""
    check_signature(headers, params, url, account)


def verify_transcript_client(headers: Mapping[str, str], account: ChannelAccount) -> None:
    """Raise SignatureError unless `Authorization: Bearer <transcript_token>` matches (none configured: refuse)."""
    if TRANSCRIPT_TOKEN not in account.secrets:
        raise SignatureError(f"voice account {account.id!r} accepts no transcripts: no {TRANSCRIPT_TOKEN!r} secret")
    scheme, _, token = headers.get("authorization", "").partition(" ")
    expected = account.secret(TRANSCRIPT_TOKEN).encode()
    if scheme.lower() != "bearer" or not hmac.compare_digest(token.encode(), expected):
        raise SignatureError("missing or wrong bearer token")


class _Call(BaseModel):
    """The parameters Twilio sends with every voice request that we use."""

    model_config = ConfigDict(extra="ignore")

    CallSid: str = Field(min_length=1, max_length=64)
    From: str = Field(min_length=1, max_length=64)
    SpeechResult: str | None = Field(default=None, max_length=5000)
    Confidence: float | None = None
    CallStatus: str | None = Field(default=None, max_length=32)
    CallDuration: int | None = Field(default=None, ge=0)


def parse_call(body: bytes) -> tuple[FormParams, _Call]:
    """A signed Twilio voice request's form and its call fields; PayloadError if it is not one."""
    params = form_params(body)
    try:
        return params, _Call.model_validate(params.flat())
    except ValidationError as e:
        raise PayloadError("; ".join(f"{x['loc'][0]}: {x['msg']}" for x in e.errors()[:3])) from e


def speech_message(call: _Call, account: ChannelAccount, turn: int, raw: dict[str, str]) -> InboundMessage | None:
    """What the caller said in this turn as a message; None when nothing was recognised."""
    text = (call.SpeechResult or "").strip()
    if not text:
        return None
    return InboundMessage(
        channel=Channel.VOICE, account_id=account.id, external_user_id=call.From,
        external_id=f"{call.CallSid}:{turn}", text=text, contact=ContactHints(phone=call.From), raw=raw,
    )


def call_ended(call: _Call, account: ChannelAccount) -> CallEnded:
    """The status callback of a finished call."""
    return CallEnded(account_id=account.id, external_user_id=call.From, call_id=call.CallSid,
                     status=call.CallStatus or "completed", duration_seconds=call.CallDuration)


class _TranscriptIn(BaseModel):
    """A finished call as the call centre posts it."""

    model_config = ConfigDict(extra="forbid")

    call_id: str = Field(min_length=1, max_length=128)
    caller: str = Field(min_length=3, max_length=64)
    started_at: datetime
    recording_url: str | None = Field(default=None, max_length=2000, pattern=r"^https?://")
    turns: list[TranscriptTurn] = Field(min_length=1, max_length=2000)


def parse_transcript(body: bytes, account: ChannelAccount) -> CallTranscript:
    """Transcript JSON -> CallTranscript; PayloadError naming the first problems."""
    try:
        doc = _TranscriptIn.model_validate_json(body)
    except ValidationError as e:
        raise PayloadError("; ".join(f"{'.'.join(map(str, x['loc'])) or 'body'}: {x['msg']}"
                                     for x in e.errors()[:5])) from e
    return CallTranscript(account_id=account.id, external_user_id=doc.caller, call_id=doc.call_id,
                          started_at=doc.started_at, recording_url=doc.recording_url, turns=doc.turns)


def _say(node: Any, text: str, options: VoiceOptions) -> None:
    extra = {"voice": options.voice} if options.voice else {}
    node.say(text, language=options.language, **extra)


def gather_twiml(account: ChannelAccount, action: str, say: list[str]) -> str:
    """Say `say`, then listen for speech and post it to `action` (asking again once if silent)."""
    options = options_of(account)
    response = VoiceResponse()
    gather = Gather(input="speech", language=options.language, action=action, method="POST",
                    speech_timeout="auto", action_on_empty_result=True)
    for text in say:
        _say(gather, text, options)
    response.append(gather)
    return str(response)


def handover_twiml(account: ChannelAccount, say: list[str]) -> str:
    """Say `say` and put the call through to the operators, as the account says."""
    options = options_of(account)
    response = VoiceResponse()
    for text in [*say, TO_OPERATOR]:
        _say(response, text, options)
    target = options.handover
    if "dial" in target:
        response.dial(target["dial"])
    else:
        response.enqueue(target["enqueue"])
    return str(response)


def reply_topic(turn_id: str) -> str:
    """Where the reply to one turn of a call is broadcast (the turn's external id)."""
    return f"voice:{turn_id}"


class VoiceSender:
    """Hands the bot's reply to the webhook that keeps the caller on the line, which speaks it."""

    def __init__(self, bus: Broadcaster) -> None:
        self.bus = bus

    async def send(self, msg: OutboundMessage) -> SendReceipt:
        """Broadcast the reply on its turn's topic; there is no way to speak to a caller outside a call."""
        if msg.reply_to is None:
            raise SendError("voice: a phone caller can only be answered during their call", retryable=False)
        await self.bus.broadcast(reply_topic(msg.reply_to), msg.model_dump_json(include={"id", "text"}))
        return SendReceipt(external_id=msg.id)


def build_sender(account: ChannelAccount, ctx: SenderContext) -> Sender:
    """The account's sender."""
    return VoiceSender(ctx.bus)
