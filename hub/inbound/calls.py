"""Phone calls in the conversation: a call's end in the history, and a finished call's transcript as
messages (customer turns inbound, operator and bot turns outbound, already delivered: they were spoken)."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from hub import events
from hub.customers import identity
from hub.inbound.threads import attach
from models.channel_events import CallEnded, CallTranscript, TranscriptTurn
from models.conversations import Conversation, ConversationEvent
from models.errors import Conflict
from models.messages import Attachment, AuthorKind, DeliveryStatus, Direction, InboundMessage, Message

if TYPE_CHECKING:
    from hub.core import Hub

_AUTHOR = {"operator": AuthorKind.OPERATOR, "bot": AuthorKind.BOT}


async def end_call(ended: CallEnded, hub: Hub) -> None:
    """Note the end of the call in the caller's current conversation (once per call)."""
    caller = identity.identity_on(ended.channel, ended.account_id, ended.external_user_id)
    customer = await hub.stores.customers.find_by_identity(caller)
    if customer is None:
        return  # hung up before saying anything: no conversation to close a turn in
    for _ in range(5):
        conversation = await hub.stores.conversations.current_for(customer.id)
        if conversation is None or _noted(conversation, ended.call_id):
            return
        version = conversation.version
        conversation.history.append(ConversationEvent(
            at=ended.at, kind="call_ended", actor="telephony",
            data={"call_id": ended.call_id, "status": ended.status, "duration_seconds": ended.duration_seconds}))
        try:
            await hub.stores.conversations.save(conversation, expected_version=version)
            return
        except Conflict:
            continue


def _noted(conversation: Conversation, call_id: str) -> bool:
    return any(e.kind == "call_ended" and e.data.get("call_id") == call_id for e in conversation.history)


async def store_transcript(transcript: CallTranscript, hub: Hub) -> None:
    """Every turn of the call as a message of the caller's conversation; idempotent on call id + turn."""
    first = _as_inbound(transcript, 0, transcript.turns[0])
    customer = (await identity.resolve(first, hub.stores.customers)).customer  # the caller's number: proven
    conversation, _ = await attach(first, customer, hub.stores.conversations, window=hub.reopen_window,
                                   at=transcript.started_at)
    for index, turn in enumerate(transcript.turns):
        if turn.speaker == "customer":
            message = Message.from_inbound(_as_inbound(transcript, index, turn), conversation.id, customer.id)
            message.handled = True  # the call is over: nothing to answer
        else:
            message = _spoken(transcript, index, turn, conversation)
        if await hub.stores.messages.add(message) and message.direction is Direction.INBOUND:
            await events.emit(hub, "message.received", message.id, customer_id=customer.id,
                              conversation_id=conversation.id, message_id=message.id, channel="voice")


def _when(transcript: CallTranscript, index: int, turn: TranscriptTurn) -> datetime:
    return turn.at or transcript.started_at + timedelta(milliseconds=index)  # keeps turns in order


def _recording(transcript: CallTranscript, index: int) -> list[Attachment]:
    """The call's recording rides on its first message, whoever spoke first."""
    if index or not transcript.recording_url:
        return []
    return [Attachment.model_validate({"kind": "audio", "url": transcript.recording_url,
                                       "name": f"call {transcript.call_id}"})]


def _as_inbound(transcript: CallTranscript, index: int, turn: TranscriptTurn) -> InboundMessage:
    return InboundMessage.model_validate({
        "channel": transcript.channel, "account_id": transcript.account_id,
        "external_user_id": transcript.external_user_id, "external_id": f"{transcript.call_id}:{index}",
        "sent_at": _when(transcript, index, turn), "text": turn.text, "auto_submitted": True,
        "attachments": _recording(transcript, index),
        "contact": {"phone": transcript.external_user_id},
    })


def _spoken(transcript: CallTranscript, index: int, turn: TranscriptTurn, conversation: Conversation) -> Message:
    return Message.model_validate({
        "conversation_id": conversation.id, "customer_id": conversation.customer_id,
        "direction": Direction.OUTBOUND, "author": _AUTHOR[turn.speaker], "channel": transcript.channel,
        "account_id": transcript.account_id, "external_id": f"{transcript.call_id}:{index}",
        "idempotency_key": f"transcript:{transcript.account_id}:{transcript.call_id}:{index}",
        "text": turn.text, "status": DeliveryStatus.DELIVERED, "sent_at": _when(transcript, index, turn),
        "attachments": _recording(transcript, index),
    })
