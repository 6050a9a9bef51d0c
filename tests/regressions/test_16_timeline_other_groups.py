"""Issue 16, finding 4: after a customer merge, an operator who gets 404 on a conversation of another group saw
its messages, internal notes and outcome in the customer's timeline and panel. Now such a conversation shows
only as "a conversation in group X"."""

from __future__ import annotations

from typing import Any

from hub.customers import profiles
from hub.inbox import notes, resolution, transfers
from models.ids import CustomerId
from tests.fakes.http_receiver import HttpReceiver
from tests.integration.inbox.test_inbox_pages import signed_in
from tests.integration.inbox_world import build_world, customer_writes, handed_over, inbox_settings

SECRET_NOTE = "Жалоба на кассира Иванову, не говорить клиенту"
OUTCOME = "Вернули 500 ₽ на карту лояльности"
FIRST_TEXT = "Где мой возврат за йогурт?"


async def test_a_merged_customers_other_group_conversation_shows_as_its_group_without_content(
    make_settings: Any, receiver: HttpReceiver, start_app: Any,
) -> None:
    async with start_app(inbox_settings(make_settings, receiver)) as running:
        hub = running.hub
        world = await build_world(hub)
        general = await handed_over(hub, await customer_writes(running.client, hub, "u-1", FIRST_TEXT))
        await notes.add_note(hub, general.id, SECRET_NOTE, actor=world.anna.id, author_name="Анна")
        await resolution.resolve(hub, general.id, OUTCOME, key="outcome-1", actor=world.sam.id)
        delivery = await handed_over(hub, await customer_writes(running.client, hub, "u-2", "Курьер не приехал"))
        await transfers.transfer(hub, delivery.id, actor=world.sam, note="это доставка", to_group="delivery")
        await profiles.merge(hub, CustomerId(delivery.customer_id), CustomerId(general.customer_id), actor="crm")
        async with signed_in(running, "vera") as (client, _):  # delivery only
            page = await client.get(f"/inbox/conversations/{delivery.id}")
            forbidden = await client.get(f"/inbox/conversations/{general.id}")
        async with signed_in(running, "sam") as (client, _):  # supervisor: every group
            supervisor_page = await client.get(f"/inbox/conversations/{delivery.id}")

    assert forbidden.status_code == 404
    assert page.status_code == 200 and "Курьер не приехал" in page.text
    for content in (SECRET_NOTE, OUTCOME, FIRST_TEXT):
        assert content not in page.text, content
    assert page.text.count("A conversation in group “Общая линия”") == 2  # its timeline line and panel entry
    assert f"/inbox/conversations/{general.id}" not in page.text  # no link to what answers 404
    for content in (SECRET_NOTE, OUTCOME, FIRST_TEXT):
        assert content in supervisor_page.text, content
