"""A handover or case for a group nobody can work lands with a person in the overflow group, and the
supervisors' board says so: through the real app on SQLite."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from hub.cases.service import open_case
from hub.inbox.board import board
from hub.inbox.handover import hand_over
from models.staff import Availability, GroupKind, Role
from tests.inbox_fixtures import bot_conversation, group, operator
from tests.web_login import create_user, sign_in

PASSWORD = "correct-horse-battery"
CONFIG = """\
default_group: front
overflow_group: supervisors
routes: {promo_code: loyalty, delivery_problem: logistics}
"""


async def test_a_handover_to_an_empty_group_is_taken_in_the_overflow_group_and_flagged_on_the_board(
    make_settings: Any, start_app: Any, tmp_path: Path,
) -> None:
    config = tmp_path / "inbox.yml"
    config.write_text(CONFIG, encoding="utf-8")
    async with start_app(make_settings(inbox_config_path=str(config))) as running:
        hub = running.hub
        await group(hub, "supervisors", kind=GroupKind.SUPERVISORS)
        await group(hub, "loyalty")  # exists, but nobody works in it
        await create_user(hub, "sam", PASSWORD, roles=[Role.SUPERVISOR, Role.OPERATOR], groups=["supervisors"])
        sam = await hub.stores.directory.user_by_login("sam")
        assert sam is not None
        await hub.stores.directory.set_availability(sam.id, Availability.AWAY)  # nobody free: it waits, visibly

        handed = await hand_over(hub, (await bot_conversation(hub)).id, topic="promo_code", note="код не работает")

        assert (handed.state.value, handed.group) == ("queued", "supervisors")
        last = handed.history[-2]  # the handover entry, then the move to queued
        assert (last.kind, last.data["group"], last.data["overflow_from"], last.data["shortage"]) == (
            "handed_over", "supervisors", "loyalty", "no_member")
        snapshot = await board(hub)
        assert [(w.conversation_id, w.overflow_from) for w in snapshot.overflowed] == [(handed.id, "loyalty")]
        assert {g.group: g.shortage for g in snapshot.groups}["supervisors"] == "nobody_available"

        await sign_in(running.client, "sam", PASSWORD)
        page = (await running.client.get("/inbox/board")).text
        overflow = page.split('class="board-overflow')[1].split("</section>")[0]
        assert f'data-conversation="{handed.id}"' in overflow and 'data-overflow-from="loyalty"' in overflow
        assert 'data-shortage="nobody_available"' in page


async def test_a_handover_to_a_missing_group_is_assigned_to_an_available_overflow_operator(
    make_settings: Any, start_app: Any, tmp_path: Path,
) -> None:
    config = tmp_path / "inbox.yml"
    config.write_text(CONFIG, encoding="utf-8")
    async with start_app(make_settings(inbox_config_path=str(config))) as running:
        hub = running.hub
        await group(hub, "supervisors", kind=GroupKind.SUPERVISORS)
        olga = await operator(hub, "olga", ["supervisors"])

        handed = await hand_over(hub, (await bot_conversation(hub)).id, topic="delivery_problem", note="где заказ")

        assert (handed.state.value, handed.group, handed.assignee) == ("assigned", "supervisors", olga.id)


async def test_a_case_for_a_group_nobody_works_in_is_opened_in_the_overflow_group(
    make_settings: Any, start_app: Any, tmp_path: Path,
) -> None:
    config = tmp_path / "inbox.yml"
    config.write_text(CONFIG, encoding="utf-8")
    async with start_app(make_settings(inbox_config_path=str(config))) as running:
        hub = running.hub
        await group(hub, "supervisors", kind=GroupKind.SUPERVISORS)
        await operator(hub, "olga", ["supervisors"])
        await group(hub, "finance")  # the catalogue sends refunds here; nobody works in it
        conversation = await bot_conversation(hub)

        case, created = await open_case(hub, conversation_id=conversation.id, request_type="refund",
                                        description="верните деньги", order_id="4512", actor="user:olga", key="k-1")

        assert created and case.group == "supervisors"
        overflowed = case.history[-1]
        assert (overflowed.kind, overflowed.data["overflow_from"], overflowed.data["shortage"]) == (
            "overflowed", "finance", "no_member")
