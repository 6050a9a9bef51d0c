"""A shopper who gives their name later: the customer found by a proven identity takes it, once, and a name
never links or merges anyone."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from hub.customers.identity import resolve
from hub.stores.sqlite.stores import SqliteStores
from models.channels import Channel
from models.messages import ContactHints, InboundMessage


@pytest.fixture
async def stores(tmp_path: Path) -> AsyncIterator[SqliteStores]:
    s = SqliteStores(str(tmp_path / "t.sqlite3"))
    await s.open()
    yield s
    await s.close()


def web(n: int, visitor: str = "v-1", **contact: str) -> InboundMessage:
    """The web-chat widget's message n from `visitor`, with what its contact form carried."""
    return InboundMessage(channel=Channel.WEBCHAT, account_id="site", external_user_id=visitor,
                          external_id=f"{visitor}-{n}", text=f"text {n}", contact=ContactHints.model_validate(contact))


async def test_a_nameless_web_shopper_takes_the_name_given_on_a_later_message(stores: SqliteStores) -> None:
    first = await resolve(web(1), stores.customers)
    named = await resolve(web(2, name="  Анна Петрова "), stores.customers)
    again = await resolve(web(3, name="Анна Петрова"), stores.customers)

    assert first.created and first.customer.name is None
    assert not named.created and named.customer.id == first.customer.id and named.customer.name == "Анна Петрова"
    assert again.customer.version == named.customer.version  # the same name again writes nothing
    assert (await stores.customers.get(first.customer.id)).name == "Анна Петрова"


async def test_a_known_name_is_never_overwritten_and_a_blank_one_changes_nothing(stores: SqliteStores) -> None:
    first = await resolve(web(1, name="Анна"), stores.customers)
    other = await resolve(web(2, name="Борис"), stores.customers)
    blank = await resolve(web(3, name="   "), stores.customers)

    assert other.customer.id == first.customer.id and other.customer.name == blank.customer.name == "Анна"
    assert (await stores.customers.get(first.customer.id)).version == first.customer.version


async def test_a_name_is_not_an_identity_two_visitors_with_one_name_stay_two(stores: SqliteStores) -> None:
    anna = await resolve(web(1, visitor="v-1"), stores.customers)
    await resolve(web(2, visitor="v-1", name="Анна"), stores.customers)
    namesake = await resolve(web(1, visitor="v-2", name="Анна"), stores.customers)

    assert namesake.created and namesake.customer.id != anna.customer.id
    assert [i.key for i in (await stores.customers.get(anna.customer.id)).identities] == ["webchat:v-1"]
