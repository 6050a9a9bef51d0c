"""Groups that cannot take work: where conversations and cases go instead (hub/inbox/staffing.py)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from hub.core import Hub
from hub.inbox.staffing import Destination, Shortage, case_destination, conversation_destination
from models.staff import Availability, Role
from tests.inbox_fixtures import group, hub_on, operator


@pytest.fixture
async def hub(make_settings: Any, tmp_path: Path) -> AsyncIterator[Hub]:
    """A hub whose inbox config names `overflow` as the overflow group; `overflow` has an available operator."""
    config = tmp_path / "inbox.yml"
    config.write_text("default_group: front\noverflow_group: overflow\n", encoding="utf-8")
    async with hub_on(make_settings(inbox_config_path=str(config))) as opened:
        await group(opened, "overflow")
        await operator(opened, "olga", ["overflow"])
        yield opened


async def test_a_group_with_an_available_operator_takes_its_own_work(hub: Hub) -> None:
    await group(hub, "logistics")
    await operator(hub, "lev", ["logistics"])
    assert await conversation_destination(hub, "logistics") == Destination("logistics", "logistics")


@pytest.mark.parametrize(("setup", "shortage"), [
    ("none", Shortage.NO_GROUP),           # the route names a group the directory lacks
    ("empty", Shortage.NO_MEMBER),         # the group exists, nobody is in it
    ("inactive", Shortage.NO_MEMBER),      # its only operator was deactivated
    ("editor", Shortage.NO_MEMBER),        # only a content editor belongs to it: nobody answers conversations
    ("away", Shortage.NOBODY_AVAILABLE),   # its operators are all away or offline
])
async def test_a_conversation_for_a_group_that_cannot_take_it_goes_to_the_overflow_group(
    hub: Hub, setup: str, shortage: Shortage,
) -> None:
    if setup != "none":
        await group(hub, "loyalty")
    if setup == "inactive":
        user = await operator(hub, "gone", ["loyalty"])
        await hub.stores.directory.save_user(user.model_copy(update={"active": False}))
    elif setup == "editor":
        await operator(hub, "eve", ["loyalty"], roles=[Role.CONTENT_EDITOR])
    elif setup == "away":
        await operator(hub, "ann", ["loyalty"], availability=Availability.AWAY)
        await operator(hub, "bob", ["loyalty"], availability=Availability.OFFLINE)

    destination = await conversation_destination(hub, "loyalty")

    assert destination == Destination("overflow", "loyalty", shortage) and destination.overflowed


async def test_when_nobody_is_available_anywhere_the_conversation_waits_for_its_own_people(hub: Hub) -> None:
    await group(hub, "loyalty")
    await operator(hub, "ann", ["loyalty"], availability=Availability.OFFLINE)
    olga = await hub.stores.directory.user_by_login("olga")
    assert olga is not None
    await hub.stores.directory.set_availability(olga.id, Availability.OFFLINE)

    destination = await conversation_destination(hub, "loyalty")

    assert destination == Destination("loyalty", "loyalty", Shortage.NOBODY_AVAILABLE)
    assert not destination.overflowed  # still flagged (shortage), kept where its operators will look


async def test_a_group_without_people_overflows_even_when_the_overflow_group_is_all_offline(hub: Hub) -> None:
    olga = await hub.stores.directory.user_by_login("olga")
    assert olga is not None
    await hub.stores.directory.set_availability(olga.id, Availability.OFFLINE)

    assert await conversation_destination(hub, "ghost") == Destination("overflow", "ghost", Shortage.NO_GROUP)


async def test_without_an_overflow_group_the_work_stays_and_says_why(make_settings: Any) -> None:
    async with hub_on(make_settings()) as opened:  # the tests' inbox config names no overflow group
        assert await conversation_destination(opened, "ghost") == Destination("ghost", "ghost", Shortage.NO_GROUP)
        assert await case_destination(opened, "ghost") == Destination("ghost", "ghost", Shortage.NO_MEMBER)


async def test_a_case_goes_to_the_overflow_group_only_when_nobody_works_in_its_own(hub: Hub) -> None:
    await group(hub, "finance")
    assert await case_destination(hub, "finance") == Destination("overflow", "finance", Shortage.NO_MEMBER)

    await operator(hub, "fin", ["finance"], roles=[Role.SPECIALIST], availability=Availability.OFFLINE)
    assert await case_destination(hub, "finance") == Destination("finance", "finance")  # cases wait for people
