"""The cases REST API end to end: open (idempotent, duplicates), read, list, change, solve to the shopper."""

from __future__ import annotations

import asyncio
import json
from datetime import timedelta
from typing import Any

import pytest

from hub.cases.service import open_case
from models.channels import Channel
from models.clock import utcnow
from models.conversations import Conversation
from models.customers import Customer, Identity, IdentityKind
from models.retail_stores import RetailStore
from models.staff import Group, GroupId, GroupKind, Role, User, UserId
from models.tokens import Scope
from tests.conftest import API_TOKEN
from tests.integration.crm.conftest import Crm
from tests.integration.helpers import eventually


@pytest.fixture
async def shopper(crm: Crm) -> str:
    """The directory's stores and staff, and a shopper's conversation through the api channel; its id."""
    directory = crm.running.hub.stores.directory
    await directory.upsert_stores([RetailStore(id="118", name="Store 118", region="central"),
                                   RetailStore(id="205", name="Store 205", region="central")])
    await directory.upsert_groups([Group(id=GroupId("store:118"), name="Store 118", kind=GroupKind.STORE,
                                         store_id="118")])
    await directory.upsert_users([User(id=UserId("u-ivan"), login="ivan", name="Ivan", store_id="118",
                                       roles=frozenset({Role.STORE_STAFF}), groups=[GroupId("store:118")])])
    customer = await crm.inbound("shopper-7", "m-1", text="На ценнике 89, пробили 129")
    await crm.sent(1)  # the bot's acknowledgement
    conversation = await crm.running.hub.stores.conversations.current_for(customer.id)
    assert conversation is not None
    return conversation.id


def body(conversation_id: str, key: str = "t-1", **extra: Any) -> dict[str, Any]:
    """A price-tag case about store 118."""
    return {"conversation_id": conversation_id, "request_type": "price_tag_mismatch", "store_id": "118",
            "description": "Ценник 89 ₽, на кассе 129 ₽", "idempotency_key": key, **extra}


async def test_open_read_and_repeat(crm: Crm, shopper: str) -> None:
    first = await crm.client.post("/api/v1/cases", json=body(shopper, fields={"receipt": "0042"}), headers=crm.headers)
    again = await crm.client.post("/api/v1/cases", json=body(shopper), headers=crm.headers)
    assert first.status_code == 201 and again.status_code == 200, first.text
    case = first.json()
    assert again.json()["id"] == case["id"] and case["group"] == "store:118" and case["state"] == "new"
    assert case["sla"]["due_at"] and case["fields"] == {"receipt": "0042"} and case["created_by"] == "api:crm"
    assert "key" not in case and case["label"] == f"#{case['number']}"
    by_number = await crm.client.get(f"/api/v1/cases/{case['number']}", headers=crm.headers)
    assert by_number.json()["id"] == case["id"]


async def test_bad_requests_say_why(crm: Crm, shopper: str) -> None:
    post = crm.client.post
    cases = [
        (await post("/api/v1/cases", json=body(shopper, request_type="teleport"), headers=crm.headers), 422,
         "unknown 'teleport'"),
        (await post("/api/v1/cases", json=body(shopper, store_id=None), headers=crm.headers), 422, "needs store_id"),
        (await post("/api/v1/cases", json=body(shopper, store_id="999"), headers=crm.headers), 422, "no store '999'"),
        (await post("/api/v1/cases", json=body("nope"), headers=crm.headers), 404, "nope"),
        (await post("/api/v1/cases", json={**body(shopper), "colour": "red"}, headers=crm.headers), 422, "colour"),
        (await crm.client.get("/api/v1/cases/unknown-id", headers=crm.headers), 404, "unknown-id"),
        (await crm.client.get("/api/v1/cases?cursor=garbage", headers=crm.headers), 422, "cursor"),
    ]
    for response, status, reason in cases:
        assert response.status_code == status, response.text
        assert reason in response.json()["error"]["reason"], response.text
    reader = await crm.token(Scope.CASES_READ, name="reader")
    refused = await post("/api/v1/cases", json=body(shopper), headers=reader)
    assert refused.status_code == 403 and "cases:write" in refused.json()["error"]["reason"]
    assert (await crm.client.get("/api/v1/cases")).status_code == 401


async def test_work_on_a_case_and_solve_it_to_the_shoppers_channel(crm: Crm, shopper: str) -> None:
    case = (await crm.client.post("/api/v1/cases", json=body(shopper), headers=crm.headers)).json()
    url = f"/api/v1/cases/{case['id']}"
    patched = await crm.client.patch(url, json={"priority": "high", "assignee": "u-ivan", "reason": "store manager"},
                                     headers=crm.headers)
    assert patched.status_code == 200, patched.text
    assert (patched.json()["priority"], patched.json()["assignee"], patched.json()["state"]) == (
        "high", "u-ivan", "in_progress")
    bad_assignee = await crm.client.patch(url, json={"assignee": "u-nobody"}, headers=crm.headers)
    assert bad_assignee.status_code == 422 and "no user" in bad_assignee.json()["error"]["reason"]
    comment = {"text": "Ценник заменён", "idempotency_key": "c-1"}
    for _ in range(2):
        commented = await crm.client.post(f"{url}/comments", json=comment, headers=crm.headers)
    assert commented.status_code == 201 and [c["text"] for c in commented.json()["comments"]] == ["Ценник заменён"]
    attached = await crm.client.post(f"{url}/attachments", headers=crm.headers, json={
        "name": "tag.jpg", "url": "https://files.example.ru/tag.jpg", "idempotency_key": "a-1"})
    assert [a["name"] for a in attached.json()["attachments"]] == ["tag.jpg"]
    no_solution = await crm.client.post(f"{url}/transitions", json={"to": "solved"}, headers=crm.headers)
    assert no_solution.status_code == 422 and "solution" in no_solution.json()["error"]["reason"]

    solve = {"to": "solved", "solution": "Разницу 40 ₽ вернули на карту", "idempotency_key": "s-1"}
    solved = await crm.client.post(f"{url}/transitions", json=solve, headers=crm.headers)
    repeated = await crm.client.post(f"{url}/transitions", json=solve, headers=crm.headers)
    assert solved.status_code == repeated.status_code == 200 and solved.json()["state"] == "solved"
    [_, outcome] = await crm.sent(2)
    assert "Разницу 40 ₽ вернули на карту" in outcome["text"] and case["label"] in outcome["text"]
    assert outcome["user_id"] == "shopper-7"
    conversation = (await crm.client.get(f"/api/v1/conversations/{shopper}", headers=crm.headers)).json()
    notes = [m["text"] for m in conversation["messages"] if m["direction"] == "internal"]
    assert len(notes) == 1 and "Разницу 40 ₽" in notes[0]
    refused = await crm.client.post(f"{url}/transitions", json={"to": "waiting", "waiting_for": "customer"},
                                    headers=crm.headers)
    assert refused.status_code == 409 and refused.json()["error"]["code"] == "invalid_transition"
    closed = await crm.client.post(f"{url}/transitions", json={"to": "closed"}, headers=crm.headers)
    reopened = await crm.client.post(f"{url}/transitions", json={"to": "reopened", "reason": "shopper disagrees"},
                                     headers=crm.headers)
    assert closed.json()["state"] == "closed" and reopened.json()["state"] == "in_progress"

    route = (await crm.client.get(f"{url}/route", headers=crm.headers)).json()
    assert [(h["group"], h["assignee"]) for h in route["hops"]] == [("store:118", None), ("store:118", "u-ivan")]
    assert all(h["working_seconds"] <= h["wall_seconds"] + 1e-6 for h in route["hops"])


async def test_lists_filter_and_page(crm: Crm, shopper: str) -> None:
    numbers = []
    kinds = [("118", "low", "price_tag_mismatch"), ("205", "urgent", "staff_behaviour"),
             ("118", "high", "staff_behaviour"), ("118", "normal", "store_cleanliness")]
    for n, (store, priority, request_type) in enumerate(kinds):
        made = await crm.client.post("/api/v1/cases", headers=crm.headers, json={
            **body(shopper, key=f"k-{n}", store_id=store, priority=priority), "request_type": request_type})
        assert made.status_code in (200, 201), made.text
        numbers.append(made.json()["number"])
    store = await crm.client.get("/api/v1/cases?store=118&open=true", headers=crm.headers)
    assert [c["priority"] for c in store.json()["items"]] == ["high", "normal", "low"]
    seen, cursor = [], None
    while True:
        page = (await crm.client.get("/api/v1/cases", headers=crm.headers,
                                     params={"limit": 3, "order": "newest", **({"cursor": cursor} if cursor else {})}
                                     )).json()
        seen += [c["number"] for c in page["items"]]
        if not (cursor := page["next_cursor"]):
            break
    assert seen == sorted(numbers, reverse=True)
    wrong_order = await crm.client.get("/api/v1/cases", headers=crm.headers, params={"cursor": cursor or "x"})
    assert wrong_order.status_code == 422


async def test_duplicate_from_another_key_is_linked_and_merge_works(crm: Crm, shopper: str) -> None:
    original = (await crm.client.post("/api/v1/cases", json=body(shopper, key="a"), headers=crm.headers)).json()
    duplicate = await crm.client.post("/api/v1/cases", json=body(shopper, key="b"), headers=crm.headers)
    assert duplicate.status_code == 200 and duplicate.json()["id"] == original["id"]
    assert len(duplicate.json()["links"]["duplicates"]) == 1
    other = (await crm.client.post("/api/v1/cases", headers=crm.headers, json={
        **body(shopper, key="c"), "request_type": "staff_behaviour"})).json()
    merged = await crm.client.post(f"/api/v1/cases/{other['id']}/merge", json={"into": str(original["number"])},
                                   headers=crm.headers)
    assert merged.status_code == 200 and merged.json()["links"]["merged"] == [other["id"]]
    itself = await crm.client.post(f"/api/v1/cases/{original['id']}/merge", json={"into": original["id"]},
                                   headers=crm.headers)
    assert itself.status_code == 422


async def test_case_events_reach_the_events_stream(crm: Crm, shopper: str) -> None:
    async with crm.events() as seen:
        case = (await crm.client.post("/api/v1/cases", json=body(shopper, key="e"), headers=crm.headers)).json()
        await crm.client.post(f"/api/v1/cases/{case['id']}/comments", json={"text": "ok"}, headers=crm.headers)
        await asyncio.sleep(0.2)
    kinds = [e.type for e in seen if e.data.get("case_id") == case["id"]]
    assert kinds == ["case.opened", "case.commented"]
    assert json.loads(seen[0].model_dump_json())["data"]["case_number"] == case["number"]


async def test_the_running_app_scans_deadlines_and_escalates_a_late_case(
    make_settings: Any, start_app: Any, receiver: Any,
) -> None:
    settings = make_settings(cases_scan_interval=0.05, api_accounts=[
        {"id": "crm", "token": API_TOKEN, "callback_url": f"{receiver.url}/otklik"}])
    async with start_app(settings) as running:
        hub = running.hub
        await hub.stores.directory.upsert_stores([RetailStore(id="118", name="Store 118")])
        customer = Customer(name="Anna", identities=[Identity(kind=IdentityKind.API, value="crm:late-1")])
        await hub.stores.customers.create(customer)
        conversation = Conversation.open(customer.id, Channel.API, "crm", at=utcnow())
        await hub.stores.conversations.create(conversation)
        case, _ = await open_case(hub, conversation_id=conversation.id, request_type="price_tag_mismatch",
                                  description="late", store_id="118", actor="test", key="late",
                                  at=utcnow() - timedelta(days=10))
        late = await eventually(lambda: hub.stores.cases.get(case.id), lambda c: c.sla.breached, timeout=5)
    assert late.sla.escalated_to == "supervisors" and [h.kind for h in late.history][-2:] == [
        "sla_breached", "escalated"]
