"""The claims store contract (hub/stores/claims.py), run over every adapter."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

from hub.stores.base import Stores
from models.channels import Channel
from models.claims import Challenge, Claim, ClaimStatus
from models.customers import Identity, IdentityKind
from models.ids import ConversationId, CustomerId

T0 = datetime(2026, 11, 1, 12, 0, tzinfo=UTC)
PHONE = Identity(kind=IdentityKind.PHONE, value="+79161234567")
EMAIL = Identity(kind=IdentityKind.EMAIL, value="anna@example.ru")
ME, OTHER = CustomerId("c-me"), CustomerId("c-other")


def claim(identity: Identity = PHONE, at: datetime = T0, who: CustomerId = ME) -> Claim:
    return Claim(customer_id=who, identity=identity, channel=Channel.WEBCHAT,
                 conversation_id=ConversationId("conv-1"), first_at=at, last_at=at)


def challenge(at: datetime = T0, who: CustomerId = ME, identity: Identity = PHONE) -> Challenge:
    return Challenge(customer_id=who, identity=identity, owner_id=OTHER, sent_to="Telegram", code_hash="h",
                     created_at=at, expires_at=at + timedelta(minutes=10))


async def test_saying_a_claim_again_keeps_one_record_and_moves_last_at(stores: Stores) -> None:
    await stores.claims.note(claim())
    again = await stores.claims.note(claim(at=T0 + timedelta(hours=1)))
    await stores.claims.note(claim(EMAIL, at=T0 + timedelta(minutes=5)))
    mine = await stores.claims.of_customer(ME)
    assert again.first_at == T0 and again.last_at == T0 + timedelta(hours=1)
    assert [c.identity for c in mine] == [PHONE, EMAIL]  # the most recently made first
    assert await stores.claims.of_customer(OTHER) == []


async def test_deciding_a_claim_keeps_it_decided_when_it_is_said_again(stores: Stores) -> None:
    await stores.claims.note(claim())
    decided = await stores.claims.decide(ME, PHONE.key, ClaimStatus.LINKED, by="u-anna", at=T0)
    again = await stores.claims.note(claim(at=T0 + timedelta(hours=2)))
    missing = await stores.claims.decide(OTHER, PHONE.key, ClaimStatus.LINKED, by="u-anna", at=T0)
    assert decided is not None and decided.status is ClaimStatus.LINKED and decided.decided_by == "u-anna"
    assert again.status is ClaimStatus.LINKED and missing is None


async def test_codes_are_counted_by_claimer_and_by_identity_since_a_time(stores: Stores) -> None:
    await stores.claims.add_challenge(challenge(T0))
    await stores.claims.add_challenge(challenge(T0 + timedelta(minutes=30)))
    await stores.claims.add_challenge(challenge(T0 + timedelta(minutes=40), who=OTHER))
    latest = await stores.claims.latest_challenge(ME)
    since = T0 + timedelta(minutes=10)
    assert await stores.claims.count_challenges(since=since, customer_id=ME) == 1
    assert await stores.claims.count_challenges(since=since, identity_key=PHONE.key) == 2
    assert await stores.claims.count_challenges(since=T0, customer_id=ME, identity_key=EMAIL.key) == 0
    assert latest is not None and latest.created_at == T0 + timedelta(minutes=30)


async def test_attempts_count_up_and_a_code_is_used_once_even_by_racing_callers(stores: Stores) -> None:
    code = challenge()
    await stores.claims.add_challenge(code)
    counts = [await stores.claims.count_attempt(code.id) for _ in range(3)]
    used = await asyncio.gather(*[stores.claims.use(code.id, at=T0) for _ in range(5)])
    stored = await stores.claims.latest_challenge(ME)
    assert counts == [1, 2, 3] and sorted(used) == [False] * 4 + [True]
    assert stored is not None and stored.attempts == 3 and stored.used_at == T0
    assert await stores.claims.count_attempt("no-such-code") == 0 and not await stores.claims.use("nope", at=T0)
