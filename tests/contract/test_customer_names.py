"""The store contract of naming a nameless customer (CustomerStore.name_if_unnamed), on every adapter."""

from __future__ import annotations

import pytest

from hub.stores.base import Stores
from models.customers import Customer, Identity, IdentityKind
from models.errors import NotFound
from models.ids import CustomerId


def visitor(name: str | None = None) -> Customer:
    """A web-chat visitor, named or not."""
    return Customer(name=name, identities=[Identity(kind=IdentityKind.WEBCHAT, value="v-1")])


async def test_a_nameless_customer_is_named_once_and_a_repeat_writes_nothing(stores: Stores) -> None:
    anna = visitor()
    await stores.customers.create(anna)
    named = await stores.customers.name_if_unnamed(anna.id, "Анна")
    again = await stores.customers.name_if_unnamed(anna.id, "Анна")
    got = await stores.customers.get(anna.id)

    assert named.name == again.name == got.name == "Анна"
    assert named.version == again.version == got.version == anna.version + 1
    assert [i.key for i in got.identities] == ["webchat:v-1"]


async def test_an_existing_name_is_never_overwritten(stores: Stores) -> None:
    anna = visitor("Анна")
    await stores.customers.create(anna)
    kept = await stores.customers.name_if_unnamed(anna.id, "Борис")

    assert kept.name == (await stores.customers.get(anna.id)).name == "Анна"
    assert kept.version == anna.version


async def test_naming_a_missing_customer_raises_not_found(stores: Stores) -> None:
    with pytest.raises(NotFound):
        await stores.customers.name_if_unnamed(CustomerId("nobody"), "Анна")
