"""The hotline through the real app: signed Twilio Voice webhooks answered with TwiML, and transcripts."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import pytest
from twilio.request_validator import RequestValidator

from models.conversations import ConversationState
from models.customers import Identity, IdentityKind
from models.messages import AuthorKind, Direction
from tests.conftest import API_TOKEN, auth
from tests.integration.helpers import eventually

FIXTURES = Path(__file__).parents[2] / "fixtures" / "voice"
PUBLIC = "https://otklik.example.ru"
TOKEN = "twilio-auth-token-0123456789abcdef"
TRANSCRIPT_TOKEN = "pbx-transcripts-token-0123456789"
CALLER = Identity(kind=IdentityKind.PHONE, value="+79161234567")


def fixture(name: str, **changes: str) -> dict[str, str]:
    return {**json.loads((FIXTURES / f"{name}.json").read_text()), **changes}


def voice_settings(make_settings: Any, **options: Any) -> Any:
    account = {"channel": "voice", "id": "hotline", "token": TOKEN,
               "secrets": {"transcript_token": TRANSCRIPT_TOKEN}, "options": {"answer_timeout": 3, **options}}
    return make_settings(public_url=PUBLIC, accounts=[account])


async def post_twilio(client: Any, path: str, params: dict[str, str], *, sign_url: str | None = None,
                      signature: str | None = None) -> Any:
    """POST a form the way Twilio does, signed for the public URL of `path` (or `sign_url`)."""
    signed = signature or RequestValidator(TOKEN).compute_signature(sign_url or PUBLIC + path, params)
    return await client.post(path, content=urlencode(params),
                             headers={"content-type": "application/x-www-form-urlencoded",
                                      "x-twilio-signature": signed})


async def test_a_call_is_greeted_and_listened_to_in_russian(make_settings: Any, start_app: Any) -> None:
    async with start_app(voice_settings(make_settings)) as running:
        response = await post_twilio(running.client, "/webhooks/voice/hotline", fixture("incoming_call"))
    assert response.status_code == 200 and response.headers["content-type"].startswith("text/xml")
    twiml = response.text
    assert '<Gather action="/webhooks/voice/hotline/speech?turn=1"' in twiml
    assert 'input="speech"' in twiml and 'language="ru-RU"' in twiml and "горячую линию" in twiml


async def test_speech_becomes_a_message_and_the_bots_answer_is_spoken(make_settings: Any, start_app: Any) -> None:
    async with start_app(voice_settings(make_settings)) as running:
        path = "/webhooks/voice/hotline/speech?turn=1"
        first = await post_twilio(running.client, path, fixture("speech_result"))
        again = await post_twilio(running.client, path, fixture("speech_result"))  # Twilio retried the turn
        stores = running.hub.stores
        customer = await stores.customers.find_by_identity(CALLER)
        assert customer is not None
        messages = await eventually(lambda: stores.messages.list_for_customer(customer.id),
                                    lambda ms: len(ms) == 2 and ms[1].status == "sent")
        conversation = await stores.conversations.get(messages[0].conversation_id)

    assert first.status_code == 200
    assert "<Say language=\"ru-RU\">Спасибо, мы получили ваше сообщение" in first.text
    assert '<Gather action="/webhooks/voice/hotline/speech?turn=2"' in first.text
    assert again.status_code == 200
    inbound, reply = messages
    assert (inbound.channel, inbound.text, inbound.external_id) == (
        "voice", "Где мой заказ четыре пять один два", "CA11111111111111111111111111111111:1")
    assert reply.author is AuthorKind.BOT and conversation.channel == "voice"


async def test_silence_is_asked_again_and_stores_nothing(make_settings: Any, start_app: Any) -> None:
    async with start_app(voice_settings(make_settings)) as running:
        response = await post_twilio(running.client, "/webhooks/voice/hotline/speech?turn=3",
                                     fixture("speech_result", SpeechResult=""))
        count = await running.hub.stores.messages.count()
    assert "не расслышал" in response.text and "speech?turn=4" in response.text
    assert count == 0


@pytest.mark.parametrize(("handover", "verb"), [({"enqueue": "operators"}, "<Enqueue>operators</Enqueue>"),
                                                ({"dial": "+74950000000"}, "<Dial>+74950000000</Dial>")])
async def test_a_caller_whose_conversation_is_with_people_is_put_through(
    make_settings: Any, start_app: Any, handover: dict[str, str], verb: str
) -> None:
    async with start_app(voice_settings(make_settings, handover=handover, answer_timeout=0.3)) as running:
        stores = running.hub.stores
        await post_twilio(running.client, "/webhooks/voice/hotline/speech?turn=1", fixture("speech_result"))
        customer = await eventually(lambda: stores.customers.find_by_identity(CALLER), lambda c: c is not None)
        assert customer is not None
        conversation = await stores.conversations.current_for(customer.id)
        assert conversation is not None
        conversation.transition(ConversationState.QUEUED, group="hotline", note="wants a person")
        await stores.conversations.save(conversation, expected_version=conversation.version)

        response = await post_twilio(running.client, "/webhooks/voice/hotline/speech?turn=2",
                                     fixture("speech_result", SpeechResult="соедините с оператором"))
    assert verb in response.text and "Соединяю с оператором" in response.text


async def test_the_status_callback_closes_the_voice_turn_once(make_settings: Any, start_app: Any) -> None:
    async with start_app(voice_settings(make_settings)) as running:
        stores = running.hub.stores
        await post_twilio(running.client, "/webhooks/voice/hotline/speech?turn=1", fixture("speech_result"))
        for _ in range(2):
            done = await post_twilio(running.client, "/webhooks/voice/hotline/status", fixture("status_completed"))
            assert done.status_code == 204

        async def ends() -> list[Any]:
            customer = await stores.customers.find_by_identity(CALLER)
            current = None if customer is None else await stores.conversations.current_for(customer.id)
            return [] if current is None else [e for e in current.history if e.kind == "call_ended"]

        found = await eventually(ends, lambda events: len(events) == 1)
    assert found[0].data == {"call_id": "CA11111111111111111111111111111111", "status": "completed",
                             "duration_seconds": 47}


@pytest.mark.parametrize("how", ["wrong signature", "missing header", "signed for another url"])
async def test_unsigned_voice_requests_are_refused_and_store_nothing(
    make_settings: Any, start_app: Any, how: str
) -> None:
    async with start_app(voice_settings(make_settings)) as running:
        path = "/webhooks/voice/hotline/speech?turn=1"
        params = fixture("speech_result")
        if how == "missing header":
            response = await running.client.post(path, content=urlencode(params),
                                                 headers={"content-type": "application/x-www-form-urlencoded"})
        elif how == "wrong signature":
            response = await post_twilio(running.client, path, params, signature="bm90IGEgc2lnbmF0dXJl")
        else:
            response = await post_twilio(running.client, path, params, sign_url="https://evil.example/x")
        count = await running.hub.stores.messages.count()
    assert response.status_code == 401 and count == 0


async def test_a_transcript_becomes_the_callers_messages_once(make_settings: Any, start_app: Any) -> None:
    body = (FIXTURES / "transcript.json").read_bytes()
    async with start_app(voice_settings(make_settings)) as running:
        headers = {**auth(TRANSCRIPT_TOKEN), "content-type": "application/json"}
        first = await running.client.post("/webhooks/voice/hotline/transcripts", content=body, headers=headers)
        again = await running.client.post("/webhooks/voice/hotline/transcripts", content=body, headers=headers)
        stranger = await running.client.post("/webhooks/voice/hotline/transcripts", content=body, headers=auth())
        broken = await running.client.post("/webhooks/voice/hotline/transcripts", content=b'{"call_id": "x"}',
                                           headers=headers)
        stores = running.hub.stores
        customer = await eventually(lambda: stores.customers.find_by_identity(CALLER), lambda c: c is not None)
        assert customer is not None
        messages = await eventually(lambda: stores.messages.list_for_customer(customer.id), lambda ms: len(ms) == 4)
        await eventually(stores.messages.count, lambda n: n == 4)  # the repeat added nothing

    assert first.status_code == again.status_code == 202
    assert stranger.status_code == 401 and broken.status_code == 422 and "turns" in broken.text
    assert [(m.direction, m.author) for m in messages] == [
        (Direction.OUTBOUND, AuthorKind.OPERATOR), (Direction.INBOUND, AuthorKind.CUSTOMER),
        (Direction.OUTBOUND, AuthorKind.OPERATOR), (Direction.INBOUND, AuthorKind.CUSTOMER)]
    assert [str(a.url) for a in messages[0].attachments] == ["https://pbx.example.ru/recordings/000731.mp3"]
    assert messages[1].attachments == [] and messages[0].status == "delivered"
    assert messages[1].text.startswith("Здравствуйте, в магазине 118")
    assert len({m.conversation_id for m in messages}) == 1


async def test_a_caller_known_from_another_channel_joins_that_conversation(make_settings: Any, start_app: Any) -> None:
    settings = make_settings(public_url=PUBLIC, accounts=voice_settings(make_settings).accounts,
                             api_accounts=[{"id": "crm", "token": API_TOKEN, "trusted": True}])  # vouches for phones
    async with start_app(settings) as running:
        await running.client.post("/channels/api/crm/messages", headers=auth(), json={
            "user_id": "crm-7", "message_id": "m-1", "text": "Заказ 4512 не пришёл",
            "contact": {"phone": "+7 916 123-45-67"}})
        stores = running.hub.stores
        await eventually(lambda: stores.customers.find_by_identity(CALLER), lambda c: c is not None)
        await post_twilio(running.client, "/webhooks/voice/hotline/speech?turn=1", fixture("speech_result"))
        customer = await stores.customers.find_by_identity(CALLER)
        assert customer is not None
        messages = await eventually(lambda: stores.messages.list_for_customer(customer.id),
                                    lambda ms: len([m for m in ms if m.direction is Direction.INBOUND]) == 2)
    assert {m.channel for m in messages if m.direction is Direction.INBOUND} == {"api", "voice"}
    assert len({m.conversation_id for m in messages}) == 1
