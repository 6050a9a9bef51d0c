"""Customers through the CRM API: lookup by any identity, upsert, attributes, and merging two into one."""

from __future__ import annotations

from models.conversations import ConversationState
from tests.integration.crm.conftest import Crm
from tests.integration.helpers import eventually

S = ConversationState


async def _none() -> None:
    """A probe for `eventually` when the condition reads something collected elsewhere."""


async def test_a_customer_is_found_by_each_of_their_identities_however_written(crm: Crm) -> None:
    customer = await crm.inbound("u-1", "m-1", phone="+7 916 123-45-67", email="Anna@Example.ru")
    lookups = [{"phone": "8 (916) 123-45-67"}, {"email": "anna@example.ru"}, {"identity": "api:crm:u-1"},
               {"identity": "phone:+79161234567"}]
    found = [await crm.client.get("/api/v1/customers", params=p, headers=crm.headers) for p in lookups]
    missing = await crm.client.get("/api/v1/customers", params={"telegram": "42"}, headers=crm.headers)

    assert [(r.status_code, r.json()["id"]) for r in found] == [(200, customer.id)] * 4
    assert {i["kind"] for i in found[0].json()["identities"]} == {"api", "phone", "email"}
    assert missing.status_code == 404 and missing.json()["error"]["code"] == "not_found"


async def test_upsert_creates_a_customer_once_then_links_and_updates_them(crm: Crm) -> None:
    body = {"identities": [{"kind": "phone", "value": "+79161234567"}], "name": "Анна",
            "attributes": {"loyalty_card": "7001"}}
    created = await crm.client.post("/api/v1/customers", json=body, headers=crm.headers)
    again = {"identities": [{"kind": "phone", "value": "89161234567"}, {"kind": "email", "value": "a@b.ru"}],
             "attributes": {"segment": "gold", "loyalty_card": None}}
    updated = await crm.client.post("/api/v1/customers", json=again, headers=crm.headers)
    other = await crm.client.post("/api/v1/customers", headers=crm.headers,
                                  json={"identities": [{"kind": "telegram", "value": "555"}]})
    clash = await crm.client.post("/api/v1/customers", headers=crm.headers, json={"identities": [
        {"kind": "telegram", "value": "555"}, {"kind": "email", "value": "a@b.ru"}]})

    assert created.status_code == 201 and created.json()["attributes"] == {"loyalty_card": "7001"}
    assert updated.status_code == 200 and updated.json()["id"] == created.json()["id"]
    assert updated.json()["attributes"] == {"segment": "gold"}
    assert [i["value"] for i in updated.json()["identities"]] == ["+79161234567", "a@b.ru"]
    assert other.status_code == 201 and other.json()["id"] != created.json()["id"]
    assert clash.status_code == 409 and "different customers" in clash.json()["error"]["reason"]


async def test_patch_merges_attributes_and_null_removes_one(crm: Crm) -> None:
    customer = await crm.inbound("u-1", "m-1")
    url = f"/api/v1/customers/{customer.id}"
    await crm.client.patch(url, json={"attributes": {"card": "7001", "tier": "gold"}}, headers=crm.headers)
    async with crm.events() as seen:
        response = await crm.client.patch(url, json={"attributes": {"tier": None, "city": "Казань"}},
                                          headers=crm.headers)
        await eventually(_none, lambda _: any(e.type == "customer.updated" for e in seen))

    assert response.status_code == 200
    assert response.json()["attributes"] == {"card": "7001", "city": "Казань"}
    [event] = [e for e in seen if e.type == "customer.updated"]
    assert event.customer_id == customer.id and event.data["keys"] == ["city", "tier"]


async def test_merge_moves_identities_conversations_and_messages_and_old_lookups_find_the_survivor(
    crm: Crm,
) -> None:
    anna = await crm.inbound("u-1", "m-1", phone="+79161234567")
    anya = await crm.inbound("u-2", "m-2", email="anya@example.ru")
    hub = crm.running.hub
    anna_conversation = await hub.stores.conversations.current_for(anna.id)
    anya_conversation = await hub.stores.conversations.current_for(anya.id)
    assert anna_conversation is not None and anya_conversation is not None
    async with crm.events() as seen:
        merged = await crm.client.post(f"/api/v1/customers/{anna.id}/merge", json={"from": anya.id},
                                       headers=crm.headers)
        await eventually(_none, lambda _: any(e.type == "customer.merged" for e in seen))
    repeated = await crm.client.post(f"/api/v1/customers/{anna.id}/merge", json={"from": anya.id},
                                     headers=crm.headers)
    by_email = await crm.client.get("/api/v1/customers", params={"email": "anya@example.ru"}, headers=crm.headers)
    by_old_id = await crm.client.get(f"/api/v1/customers/{anya.id}", headers=crm.headers)
    listed = await crm.client.get("/api/v1/conversations", params={"customer": anya.id}, headers=crm.headers)
    closed = await hub.stores.conversations.get(anya_conversation.id)
    messages = await hub.stores.messages.list_for_customer(anna.id)

    assert merged.status_code == 200 and repeated.json() == merged.json()
    assert {i["value"] for i in merged.json()["identities"]} == {"crm:u-1", "+79161234567", "crm:u-2",
                                                                 "anya@example.ru"}
    assert by_email.json()["id"] == anna.id and by_old_id.json()["id"] == anna.id
    assert {c["id"] for c in listed.json()["items"]} == {anna_conversation.id, anya_conversation.id}
    assert (closed.customer_id, closed.state) == (anna.id, S.CLOSED)
    assert closed.history[-2].note == f"customers merged: continues in conversation {anna_conversation.id}"
    assert closed.history[-1].kind == "customer_merged" and closed.history[-1].data["from"] == anya.id
    assert {m.external_id for m in messages if m.external_id} >= {"m-1", "m-2"}
    [event] = [e for e in seen if e.type == "customer.merged"]
    assert (event.customer_id, event.data["merged_customer_id"]) == (anna.id, anya.id)
    assert any(e.type == "conversation.closed" and e.conversation_id == anya_conversation.id for e in seen)

    await crm.inbound("u-2", "m-3", text="А где курьер?")  # the merged customer's channel now reaches Anna
    latest = await hub.stores.messages.list_for_customer(anna.id)
    assert [m.conversation_id for m in latest if m.external_id == "m-3"] == [anna_conversation.id]


async def test_merge_keeps_the_open_conversation_when_the_survivors_is_only_resolved(crm: Crm) -> None:
    anna = await crm.inbound("u-1", "m-1")
    anya = await crm.inbound("u-2", "m-2")
    hub = crm.running.hub
    mine = await hub.stores.conversations.current_for(anna.id)
    assert mine is not None
    version = mine.version
    mine.transition(S.RESOLVED, note="done")
    await hub.stores.conversations.save(mine, expected_version=version)

    response = await crm.client.post(f"/api/v1/customers/{anna.id}/merge", json={"from": anya.id},
                                     headers=crm.headers)
    current = await hub.stores.conversations.current_for(anna.id)

    assert response.status_code == 200
    assert (await hub.stores.conversations.get(mine.id)).state is S.CLOSED
    assert current is not None and current.state is S.BOT and current.customer_id == anna.id
    assert current.id != mine.id


async def test_merge_is_refused_before_anything_moves_when_it_would_close_an_operators_conversation(
    crm: Crm,
) -> None:
    anna = await crm.inbound("u-1", "m-1")
    anya = await crm.inbound("u-2", "m-2")
    hub = crm.running.hub
    theirs = await hub.stores.conversations.current_for(anya.id)
    assert theirs is not None
    version = theirs.version
    theirs.transition(S.QUEUED, group="delivery")
    theirs.transition(S.ASSIGNED, assignee="op-7")
    await hub.stores.conversations.save(theirs, expected_version=version)

    response = await crm.client.post(f"/api/v1/customers/{anna.id}/merge", json={"from": anya.id},
                                     headers=crm.headers)
    self_merge = await crm.client.post(f"/api/v1/customers/{anna.id}/merge", json={"from": anna.id},
                                       headers=crm.headers)
    unknown = await crm.client.post(f"/api/v1/customers/{anna.id}/merge", json={"from": "nobody"},
                                    headers=crm.headers)

    assert response.status_code == 409 and "op-7" in response.json()["error"]["reason"]
    assert (await hub.stores.customers.get(anya.id)).merged_into is None
    assert (await hub.stores.conversations.get(theirs.id)).customer_id == anya.id
    assert self_merge.status_code == 409 and unknown.status_code == 404
