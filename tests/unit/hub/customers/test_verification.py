"""One-time codes on a real hub (SQLite, outbox): sent to the owner's proven channel, hashed, rate-limited,
expiring, single-use; a right code adopts the claim."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from datetime import timedelta
from typing import Any

import pytest

from api.wiring import running_hub
from hub.core import Hub
from hub.customers import verification
from hub.customers.verification import CODE_TTL, MAX_ATTEMPTS, PER_HOUR
from hub.outbound import codes
from models.channels import Channel
from models.clock import utcnow
from models.customers import Customer, Identity, IdentityKind
from models.messages import Direction

BORIS_EMAIL = Identity(kind=IdentityKind.EMAIL, value="boris@example.ru")


@pytest.fixture
async def hub(make_settings: Any) -> AsyncIterator[Hub]:
    """A hub whose api account "app" can send (its callback is never reached: sends stay in the outbox)."""
    app = {"id": "app", "token": "app-token-0123456789abcdef", "callback_url": "http://127.0.0.1:9/otklik"}
    async with running_hub(make_settings(api_accounts=[app])) as running:
        yield running


async def customer(hub: Hub, *identities: Identity, name: str | None = None) -> Customer:
    """A stored customer with these (proven) identities."""
    made = Customer(name=name, identities=list(identities))
    await hub.stores.customers.create(made)
    return made


async def boris_and_a_visitor(hub: Hub, visitor: str = "v-1") -> tuple[Customer, Customer]:
    boris = await customer(hub, Identity(kind=IdentityKind.API, value="app:boris-1"), BORIS_EMAIL, name="Борис")
    return boris, await customer(hub, Identity(kind=IdentityKind.WEBCHAT, value=visitor))


async def sent_code(hub: Hub, boris: Customer) -> str:
    """The code in the last message queued to Boris."""
    messages = [m for m in await hub.stores.messages.list_for_customer(boris.id) if m.direction is Direction.OUTBOUND]
    found = re.search(r"(\d{6})", messages[-1].text)
    assert found is not None and messages[-1].channel is Channel.API and messages[-1].account_id == "app"
    return found.group(1)


async def ask(hub: Hub, claimer: Customer, identity: Identity = BORIS_EMAIL, **kw: Any) -> verification.Outcome:
    return await codes.send_code(hub, claimer, identity, channel=Channel.WEBCHAT, now=kw.get("now", utcnow()),
                                 language="ru")


async def test_the_code_goes_to_the_owners_proven_channel_and_only_its_hash_is_kept(hub: Hub) -> None:
    boris, visitor = await boris_and_a_visitor(hub)
    outcome = await ask(hub, visitor)
    code = await sent_code(hub, boris)
    challenge = await hub.stores.claims.latest_challenge(visitor.id)
    visitors_messages = await hub.stores.messages.list_for_customer(visitor.id)

    assert outcome.ok and outcome.sent_to == "приложение магазина"
    assert challenge is not None and code not in challenge.model_dump_json()
    assert all(code not in m.text for m in visitors_messages)  # never shown where the claim was made
    assert [c.identity for c in await hub.stores.claims.of_customer(visitor.id)] == [BORIS_EMAIL]


async def test_a_right_code_merges_the_claimer_into_the_owner_once(hub: Hub) -> None:
    boris, visitor = await boris_and_a_visitor(hub)
    await ask(hub, visitor)
    code = await sent_code(hub, boris)
    first = await verification.check_code(hub, visitor, code, now=utcnow())
    again = await verification.check_code(hub, visitor, code, now=utcnow())

    assert first.ok and first.customer is not None and first.customer.id == boris.id
    assert (await hub.stores.customers.get(visitor.id)).merged_into == boris.id
    assert not again.ok and again.reason == "no_code"  # single use
    [claim] = await hub.stores.claims.of_customer(visitor.id)
    assert claim.status == "verified"


async def test_wrong_guesses_are_counted_and_then_even_the_right_code_is_refused(hub: Hub) -> None:
    boris, visitor = await boris_and_a_visitor(hub)
    await ask(hub, visitor)
    code = await sent_code(hub, boris)
    wrong = f"{(int(code) + 1) % 1_000_000:06d}"
    reasons = [(await verification.check_code(hub, visitor, wrong, now=utcnow())).reason for _ in range(MAX_ATTEMPTS)]
    late = await verification.check_code(hub, visitor, code, now=utcnow())

    assert reasons == ["wrong_code"] * MAX_ATTEMPTS
    assert not late.ok and late.reason == "too_many_attempts"
    assert (await hub.stores.customers.get(visitor.id)).merged_into is None


async def test_a_code_expires(hub: Hub) -> None:
    boris, visitor = await boris_and_a_visitor(hub)
    at = utcnow()
    await ask(hub, visitor, now=at)
    code = await sent_code(hub, boris)
    late = await verification.check_code(hub, visitor, code, now=at + CODE_TTL)
    assert not late.ok and late.reason == "expired"


async def test_codes_are_rate_limited_per_claimer_and_per_claimed_identity(hub: Hub) -> None:
    _, visitor = await boris_and_a_visitor(hub)
    at = utcnow()
    first = [(await ask(hub, visitor, now=at)).ok for _ in range(PER_HOUR)]
    over = await ask(hub, visitor, now=at)
    other = await customer(hub, Identity(kind=IdentityKind.WEBCHAT, value="v-2"))
    for_the_same_owner = await ask(hub, other, now=at)  # a second stranger may not flood Boris either
    an_hour_later = await ask(hub, visitor, now=at + timedelta(hours=1, seconds=1))

    assert first == [True] * PER_HOUR
    assert (over.ok, over.reason) == (False, "rate_limited")
    assert (for_the_same_owner.ok, for_the_same_owner.reason) == (False, "rate_limited")
    assert an_hour_later.ok


async def test_nobody_known_or_nowhere_to_send_gets_the_same_answer_and_no_code(hub: Hub) -> None:
    _, visitor = await boris_and_a_visitor(hub)
    only_a_phone = await customer(hub, Identity(kind=IdentityKind.PHONE, value="+79031112233"))  # the hotline only
    unknown = await ask(hub, visitor, Identity(kind=IdentityKind.EMAIL, value="nobody@example.ru"))
    unreachable = await ask(hub, visitor, only_a_phone.identities[0])

    assert (unknown.ok, unknown.reason) == (False, "cannot_send")
    assert (unreachable.ok, unreachable.reason) == (False, "cannot_send")
    assert await hub.stores.claims.latest_challenge(visitor.id) is None


async def test_claiming_ones_own_identity_is_already_verified(hub: Hub) -> None:
    boris, _ = await boris_and_a_visitor(hub)
    outcome = await ask(hub, boris)
    assert outcome.ok and outcome.reason == "already_verified"
