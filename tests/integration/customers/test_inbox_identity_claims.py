"""The inbox shows a contact the customer only claimed as "claimed, not verified", and the operator
holding the conversation may link it by hand: recorded in the history with who did it."""

from __future__ import annotations

from typing import Any

from models.customers import Customer, Identity, IdentityKind
from tests.conftest import auth
from tests.fakes.http_receiver import HttpReceiver
from tests.integration.helpers import eventually
from tests.integration.inbox.test_inbox_pages import signed_in
from tests.integration.inbox_world import build_world, handed_over, inbox_settings

ANNA_PHONE = Identity(kind=IdentityKind.PHONE, value="+79161234567")


async def test_a_claimed_phone_is_shown_unverified_and_the_holder_links_it_by_hand(
    make_settings: Any, receiver: HttpReceiver, start_app: Any,
) -> None:
    async with start_app(inbox_settings(make_settings, receiver)) as running:
        hub = running.hub
        world = await build_world(hub)
        owner = Customer(name="Анна Петрова", identities=[ANNA_PHONE])
        await hub.stores.customers.create(owner)
        await running.client.post("/channels/api/crm/messages", headers=auth(), json={
            "user_id": "u-9", "message_id": "u-9-1", "text": "Это Анна, мой номер 8 916 123-45-67",
            "contact": {"phone": "8 916 123-45-67", "name": "Анна"}})
        claimer = await eventually(lambda: hub.stores.customers.find_by_identity(
            Identity(kind=IdentityKind.API, value="crm:u-9")), lambda c: c is not None)
        assert claimer is not None and claimer.id != owner.id
        current = await eventually(lambda: hub.stores.conversations.current_for(claimer.id), lambda c: c is not None)
        assert current is not None
        conversation = await handed_over(hub, current)
        base = f"/inbox/conversations/{conversation.id}"
        link = {"identity": ANNA_PHONE.key}
        async with signed_in(running, "boris") as (boris, boris_csrf):
            not_his = await boris.post(f"{base}/claims/link", data={"csrf_token": boris_csrf, **link})
        async with signed_in(running, "anna") as (client, csrf):
            await client.post(f"{base}/claim", data={"csrf_token": csrf})
            before = await client.get(base)
            unknown = await client.post(f"{base}/claims/link",
                                        data={"csrf_token": csrf, "identity": "phone:+70000000000"})
            linked = await client.post(f"{base}/claims/link", data={"csrf_token": csrf, **link})
            after = await client.get(base)
        history = (await hub.stores.conversations.get(conversation.id)).history
        merged = await hub.stores.customers.get(claimer.id)

    assert before.status_code == 200 and "claimed, not verified" in before.text and "+79161234567" in before.text
    assert "Анна Петрова" in before.text  # the operator sees who owns the claimed number
    assert not_his.status_code == 403 and unknown.status_code == 404
    assert linked.status_code == 303
    assert merged.merged_into == owner.id  # the same person: merged into the customer who owns the phone
    [entry] = [e for e in history if e.kind == "identity_linked"]
    assert entry.actor == world.anna.id and entry.data["identity"] == ANNA_PHONE.key
    assert "+79161234567" in after.text and "claim-claimed" not in after.text  # now the owner's own, linked
    assert "Contact linked by an operator" in after.text  # in the timeline, with the operator's name
