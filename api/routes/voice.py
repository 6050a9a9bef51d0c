"""Hotline webhooks: Twilio Voice (call, speech turns, status) and the call centre's transcripts.

Register `<public URL>/webhooks/voice/<account>` as the number's "A call comes in" URL and
`…/status` as its status callback. A speech turn waits (briefly, `answer_timeout`) for the bot's reply
on the bus so the caller hears it in the same call; the message is accepted either way.
"""

from __future__ import annotations

import asyncio
import json

from fastapi import APIRouter, Request, Response

from api.deps import HubDep, read_body
from connectors import voice
from connectors.twilio_common import FormParams, signed_url
from hub.core import Hub
from hub.customers import identity_on
from hub.inbound import accept
from models.channels import Channel, ChannelAccount
from models.conversations import ConversationState
from models.messages import InboundMessage

router = APIRouter(prefix="/webhooks/voice", tags=["voice"])
TWIML = "text/xml"
WITH_PEOPLE = {ConversationState.QUEUED, ConversationState.ASSIGNED}


async def _signed(account_id: str, request: Request, hub: Hub) -> tuple[ChannelAccount, FormParams, bytes]:
    account = hub.account(Channel.VOICE, account_id)
    body = await read_body(request, hub.settings.max_body_bytes)
    params, _ = voice.parse_call(body)
    query = request.scope.get("query_string", b"").decode("latin-1")
    url = signed_url(hub.settings.public_url, account, request.url.path, query, root=f"{router.prefix}/{account.id}")
    voice.verify(request.headers, params, url, account)
    return account, params, body


def _turn_url(account: ChannelAccount, turn: int) -> str:
    return f"{router.prefix}/{account.id}/speech?turn={turn}"


@router.post("/{account_id}")
async def incoming_call(account_id: str, request: Request, hub: HubDep) -> Response:
    """A call comes in: greet the caller and listen."""
    account, _, _ = await _signed(account_id, request, hub)
    greeting = voice.options_of(account).greeting
    return Response(voice.gather_twiml(account, _turn_url(account, 1), [greeting]), media_type=TWIML)


@router.post("/{account_id}/speech")
async def speech_turn(account_id: str, request: Request, hub: HubDep, turn: int = 1) -> Response:
    """The caller said something: take it in, speak the bot's reply, listen again — or hand over."""
    account, params, body = await _signed(account_id, request, hub)
    _, call = voice.parse_call(body)
    message = voice.speech_message(call, account, turn, params.flat())
    if message is None:
        return Response(voice.gather_twiml(account, _turn_url(account, turn + 1), [voice.NOT_HEARD]),
                        media_type=TWIML)
    reply = await _accept_and_wait(hub, message, voice.options_of(account).answer_timeout)
    said = [reply] if reply else []
    if await _with_people(hub, account, call.From):
        return Response(voice.handover_twiml(account, said), media_type=TWIML)
    return Response(voice.gather_twiml(account, _turn_url(account, turn + 1), said or [voice.STILL_WORKING]),
                    media_type=TWIML)


async def _accept_and_wait(hub: Hub, message: InboundMessage, seconds: float) -> str | None:
    # Listen before accepting: the worker may answer before we would have subscribed.
    async with hub.bus.subscribe(voice.reply_topic(message.external_id)) as replies:
        await accept(message, hub)
        try:
            data = await asyncio.wait_for(anext(aiter(replies)), seconds)
        except TimeoutError:
            return None
    return str(json.loads(data)["text"])


async def _with_people(hub: Hub, account: ChannelAccount, caller: str) -> bool:
    customer = await hub.stores.customers.find_by_identity(identity_on(Channel.VOICE, account.id, caller))
    if customer is None:
        return False
    conversation = await hub.stores.conversations.current_for(customer.id)
    return conversation is not None and conversation.state in WITH_PEOPLE


@router.post("/{account_id}/status")
async def call_status(account_id: str, request: Request, hub: HubDep) -> Response:
    """The call's status callback: a finished call closes the voice turn in the conversation's history."""
    account, _, body = await _signed(account_id, request, hub)
    _, call = voice.parse_call(body)
    if call.CallStatus in {"completed", "busy", "no-answer", "failed", "canceled"}:
        await accept(voice.call_ended(call, account), hub)
    return Response(status_code=204)


@router.post("/{account_id}/transcripts", status_code=202)
async def transcript(account_id: str, request: Request, hub: HubDep) -> dict[str, str]:
    """A finished call's transcript from the call centre's telephony (Bearer transcript token)."""
    account = hub.account(Channel.VOICE, account_id)
    voice.verify_transcript_client(request.headers, account)
    call = voice.parse_transcript(await read_body(request, hub.settings.max_body_bytes), account)
    await accept(call, hub)
    return {"status": "accepted", "call_id": call.call_id}
