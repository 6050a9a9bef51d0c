"""Who sees which cases: store staff only their store's, specialists their groups', the contact centre all."""

from __future__ import annotations

import pytest

from hub.cases.service import can_see, cases_visible_to, count_visible_to, open_case, require_visible
from hub.stores.cases import CaseQuery
from models.cases import Case
from models.errors import NotFound
from models.staff import Role, User
from tests.unit.hub.cases.conftest import T0, World


async def open_all(world: World) -> dict[str, Case]:
    """Cases for store 118, store 205 and quality control (about store 118)."""
    made = {}
    for name, request_type, store in (("s118", "price_tag_mismatch", "118"), ("s205", "staff_behaviour", "205"),
                                      ("qc", "spoiled_goods", "118")):
        made[name], _ = await open_case(world.hub, conversation_id=world.conversation.id, request_type=request_type,
                                        description=name, store_id=store, actor="user:olga", key=name, at=T0)
    return made


async def visible(world: World, login: str, query: CaseQuery | None = None) -> set[str]:
    """The descriptions of the cases a user sees."""
    return {c.description for c in await cases_visible_to(world.hub, world.users[login], query)}


async def test_store_staff_see_only_their_stores_cases(world: World) -> None:
    cases = await open_all(world)
    ivan, petr = world.users["ivan"], world.users["petr"]
    assert await visible(world, "ivan") == {"s118", "qc"}  # cases about store 118, whichever group has them
    assert await visible(world, "petr") == {"s205"}
    assert await visible(world, "ivan", CaseQuery(store_id="205")) == set()  # asking for another store: nothing
    assert can_see(ivan, cases["s118"]) and not can_see(ivan, cases["s205"]) and not can_see(petr, cases["s118"])
    with pytest.raises(NotFound):
        require_visible(petr, cases["s118"])
    assert await count_visible_to(world.hub, ivan, CaseQuery(open_only=True)) == 2


async def test_specialists_see_their_groups_cases(world: World) -> None:
    cases = await open_all(world)
    assert await visible(world, "qc1") == {"qc"}
    assert await visible(world, "fin") == set()
    assert can_see(world.users["qc1"], cases["qc"]) and not can_see(world.users["qc1"], cases["s118"])


async def test_the_contact_centre_sees_everything_and_others_nothing(world: World) -> None:
    await open_all(world)
    assert await visible(world, "olga") == await visible(world, "boss") == {"s118", "s205", "qc"}
    assert await visible(world, "editor") == set()
    retired = world.users["olga"].model_copy(update={"active": False})
    assert await cases_visible_to(world.hub, retired) == []


async def test_a_user_with_both_roles_sees_their_groups_and_their_store_queue(world: World) -> None:
    cases = await open_all(world)
    both = User(login="mixed", name="Mixed", roles=frozenset({Role.STORE_STAFF, Role.SPECIALIST}),
                groups=["quality_control"], store_id="205")
    assert await visible(world, "olga", None) and {c.description for c in await cases_visible_to(world.hub, both)} == {
        "qc", "s205"}
    assert can_see(both, cases["s205"]) and can_see(both, cases["qc"]) and not can_see(both, cases["s118"])
