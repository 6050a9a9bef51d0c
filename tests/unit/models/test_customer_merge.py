"""The profile a merge leaves: every identity, the survivor's attributes first, both unsubscriptions."""

from __future__ import annotations

import pytest

from models.customers import Customer, Identity, IdentityKind, emptied, merge_needed, merged_profile
from models.errors import Conflict


def _customer(*keys: str, name: str | None = None, **attributes: object) -> Customer:
    identities = [Identity(kind=IdentityKind(k.split(":", 1)[0]), value=k.split(":", 1)[1]) for k in keys]
    return Customer(name=name, identities=identities, attributes=attributes)


def test_the_survivor_keeps_its_values_and_gains_what_it_lacked() -> None:
    keeper = _customer("phone:+79161234567", city="Kazan", unsubscribed=["phone:+79161234567"])
    gone = _customer("telegram:1", "email:a@b.ru", name="Anya", city="Moscow", card="7001",
                     unsubscribed=["telegram:1"])
    merged = merged_profile(keeper, gone)
    assert [i.key for i in merged.identities] == ["phone:+79161234567", "telegram:1", "email:a@b.ru"]
    assert merged.attributes == {"city": "Kazan", "card": "7001", "unsubscribed": ["phone:+79161234567", "telegram:1"]}
    assert (merged.name, merged.version, merged.id) == ("Anya", keeper.version + 1, keeper.id)


def test_the_merged_customer_becomes_an_empty_redirect() -> None:
    gone = _customer("telegram:1", card="7001")
    left = emptied(gone, keeper_id := _customer().id)
    assert (left.identities, left.merged_into, left.attributes) == ([], keeper_id, {"card": "7001"})


def test_a_merge_is_needed_once_and_impossible_into_itself_or_a_redirect() -> None:
    keeper, gone, third = _customer(), _customer(), _customer()
    assert merge_needed(keeper, gone) is True
    done = emptied(gone, keeper.id)
    assert merge_needed(keeper, done) is False
    for survivor, merged in ((keeper, keeper), (third, done), (emptied(third, keeper.id), gone)):
        with pytest.raises(Conflict):
            merge_needed(survivor, merged)
