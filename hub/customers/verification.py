"""One-time codes that prove a claim: sent through a channel already proven for the identity's owner.

A shopper who claims a phone or e-mail that a known customer owns asks for a code; it goes to that
customer through one of *their* proven channels (Telegram, WhatsApp, Viber, e-mail, api), never to where
the claim was made. Typing it back where the claim was made proves both ends are the same person, and the
claim is adopted (`hub.customers.claims.adopt`). Codes are six digits, stored only as an HMAC keyed by the secret
key, expire after CODE_TTL, allow MAX_ATTEMPTS guesses and are used once; each claimer and each claimed
identity get at most PER_HOUR codes an hour, so nobody can flood an owner or guess through new codes.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from hub.customers import claims, profiles
from hub.customers.addresses import Route, route_on
from models.channels import Channel
from models.claims import Challenge, ClaimStatus
from models.customers import Customer, Identity, IdentityKind
from models.errors import Conflict
from models.ids import ConversationId, CustomerId

if TYPE_CHECKING:
    from hub.core import Hub

CODE_TTL = timedelta(minutes=10)
MAX_ATTEMPTS = 5
PER_HOUR = 3
# Where a code may go: channels whose address is the owner's own. Not the web chat (a browser session,
# rarely open) and not the hotline (nothing can be pushed to it).
CODE_CHANNELS = (Channel.TELEGRAM, Channel.WHATSAPP, Channel.VIBER, Channel.EMAIL, Channel.API)
_TEXT = {
    "ru": "Код подтверждения: {code}. Его запросили в чате поддержки; никому его не сообщайте. Если это были не "
          "вы, просто ничего не делайте.",
    "en": "Your confirmation code: {code}. It was requested in a support chat; never tell it to anyone. If it "
          "was not you, do nothing.",
}


@dataclass(frozen=True)
class Outcome:
    """What a request or a check came to: ok, or why not (`reason`), with where the code went."""

    ok: bool
    reason: str = ""
    sent_to: str = ""
    customer: Customer | None = None  # after a correct code: who the claimer is now
    code_message: CodeMessage | None = None  # a requested code, for hub/outbound/codes.py to send


@dataclass(frozen=True)
class CodeMessage:
    """A one-time code to send to the identity's owner through their proven channel, once per challenge."""

    owner_id: CustomerId
    channel: Channel
    text: str
    key: str


def _hash(hub: Hub, challenge_id: str, code: str) -> str:
    key = hub.settings.secret_key.get_secret_value().encode()
    return hmac.new(key, f"{challenge_id}:{code}".encode(), hashlib.sha256).hexdigest()


def _route(hub: Hub, owner: Customer) -> Route | None:
    """The first of the owner's proven channels we can send through."""
    for channel in CODE_CHANNELS:
        for (sender_channel, account_id) in hub.senders:
            if sender_channel is channel and (route := route_on(hub, owner, channel, account_id)) is not None:
                return route
    return None


def masked(route: Route, language: str = "ru") -> str:
    """Where a code went, without giving the address away: "Telegram", "WhatsApp …67", "b***@example.ru"."""
    if route.channel is Channel.EMAIL:
        local, _, domain = route.recipient.partition("@")
        return f"{local[:1]}***@{domain}"
    if route.channel is Channel.WHATSAPP:
        return f"WhatsApp …{route.recipient[-2:]}"
    app = "the store's app" if language == "en" else "приложение магазина"
    return {Channel.TELEGRAM: "Telegram", Channel.VIBER: "Viber"}.get(route.channel, app)


async def request_code(hub: Hub, claimer: Customer, identity: Identity, *, channel: Channel, now: datetime,
                       language: str, conversation_id: ConversationId | None = None) -> Outcome:
    """A code proving `identity`, to send to its owner's proven channel (hub/outbound/codes.py sends it);
    the claim is recorded first."""
    if identity.kind not in (IdentityKind.PHONE, IdentityKind.EMAIL):
        return Outcome(False, "cannot_send")
    claimer = await profiles.current(hub, claimer.id)
    if claimer.has(identity):
        return Outcome(True, "already_verified", customer=claimer)
    await claims.record(hub, claimer.id, [identity], channel=channel, conversation_id=conversation_id,
                        at=now)
    hour_ago = now - timedelta(hours=1)
    store = hub.stores.claims
    if (await store.count_challenges(since=hour_ago, customer_id=claimer.id) >= PER_HOUR
            or await store.count_challenges(since=hour_ago, identity_key=identity.key) >= PER_HOUR):
        return Outcome(False, "rate_limited")
    owner = await hub.stores.customers.find_by_identity(identity)
    route = None if owner is None else _route(hub, owner)
    if owner is None or route is None:  # unknown, or nowhere to send: one answer, so it tells strangers nothing
        return Outcome(False, "cannot_send")
    code = f"{secrets.randbelow(1_000_000):06d}"
    challenge = Challenge(customer_id=claimer.id, identity=identity, owner_id=owner.id, sent_to=masked(route, language),
                          code_hash="", created_at=now, expires_at=now + CODE_TTL)
    challenge = challenge.model_copy(update={"code_hash": _hash(hub, challenge.id, code)})
    await store.add_challenge(challenge)
    text = _TEXT.get(language, _TEXT["ru"]).format(code=code)
    message = CodeMessage(owner.id, route.channel, text, key=f"verification:{challenge.id}")
    return Outcome(True, sent_to=challenge.sent_to, code_message=message)


async def check_code(hub: Hub, claimer: Customer, code: str, *, now: datetime,
                     conversation_id: ConversationId | None = None) -> Outcome:
    """Check the claimer's latest code; a right one adopts the claim (single use, counted guesses)."""
    store = hub.stores.claims
    challenge = await store.latest_challenge(claimer.id)
    if challenge is None or challenge.used_at is not None:
        return Outcome(False, "no_code")
    if now >= challenge.expires_at:
        return Outcome(False, "expired")
    if await store.count_attempt(challenge.id) > MAX_ATTEMPTS:
        return Outcome(False, "too_many_attempts")
    if not hmac.compare_digest(challenge.code_hash, _hash(hub, challenge.id, code.strip())):
        return Outcome(False, "wrong_code")
    if not await store.use(challenge.id, at=now):
        return Outcome(False, "no_code")  # a concurrent right guess used it first
    try:
        result = await claims.adopt(hub, claimer.id, challenge.identity, status=ClaimStatus.VERIFIED,
                                    actor="verification", conversation_id=conversation_id)
    except Conflict:
        return Outcome(False, "busy")
    return Outcome(True, customer=result)


async def waiting(hub: Hub, claimer: Customer, *, now: datetime) -> Challenge | None:
    """The claimer's latest code if it can still be typed (not used, not expired, guesses left)."""
    challenge = await hub.stores.claims.latest_challenge(claimer.id)
    if challenge is None or challenge.used_at is not None or now >= challenge.expires_at:
        return None
    return challenge if challenge.attempts < MAX_ATTEMPTS else None
