"""The webhooks REST API: auth and scope, validation, subscriptions, the paged delivery log, the schema."""

from __future__ import annotations

from typing import Any

import pytest

from models.tokens import Scope
from tests.conftest import RunningApp
from tests.fakes.webhook_receiver import webhook_receiver
from tests.integration.helpers_webhooks import all_settled, fast_settings, manage_token, say, subscribe

UNKNOWN_DELIVERY = "msg_" + "0" * 32
CREATE = {"url": "https://crm.example.ru/otklik/webhooks", "events": ["message.*"]}


@pytest.fixture
async def running(make_settings: Any, start_app: Any) -> Any:
    """The app on fast webhook settings."""
    async with start_app(fast_settings(make_settings)) as app:
        yield app


async def test_webhooks_need_a_live_token_with_the_webhooks_scope(running: RunningApp) -> None:
    client = running.client
    other = await manage_token(running, Scope.CUSTOMERS_READ)
    answers = [
        await client.get("/api/v1/webhooks"),
        await client.get("/api/v1/webhooks", headers={"authorization": "Bearer otk_nope_secret"}),
        await client.post("/api/v1/webhooks", json=CREATE, headers=other),
        await client.get("/api/v1/webhooks/deliveries", headers=other),
    ]
    assert [a.status_code for a in answers] == [401, 401, 403, 403]
    assert answers[2].json()["error"]["code"] == "forbidden"


@pytest.mark.parametrize("body", [
    {"url": "ftp://crm.example.ru/x", "events": ["*"]},
    {"url": "https://crm.example.ru/x", "events": ["message.recieved"]},
    {"url": "https://crm.example.ru/x", "events": []},
    {"url": "https://crm.example.ru/x", "events": ["*"], "secret": "whsec_c2hvcnQ="},
    {"events": ["*"]},
])
async def test_invalid_subscriptions_are_refused_with_the_one_error_body(running: RunningApp, body: Any) -> None:
    response = await running.client.post("/api/v1/webhooks", json=body, headers=await manage_token(running))
    assert response.status_code == 422 and response.json()["error"]["code"] == "invalid_payload"
    assert "whsec_c2hvcnQ=" not in response.text


async def test_a_subscription_is_created_listed_without_its_secret_switched_off_and_removed(
    running: RunningApp,
) -> None:
    client, headers = running.client, await manage_token(running)
    created = (await client.post("/api/v1/webhooks", json=CREATE, headers=headers)).json()
    path = f"/api/v1/webhooks/{created['id']}"

    listed = (await client.get("/api/v1/webhooks", headers=headers)).json()
    secret = (await client.get(f"{path}/secret", headers=headers)).json()
    switched = (await client.patch(path, json={"active": False}, headers=headers)).json()
    removed = await client.delete(path, headers=headers)
    gone = [await client.get(path, headers=headers), await client.delete(path, headers=headers)]

    assert created["secret"].startswith("whsec_") and created["events"] == ["message.*"] and created["active"]
    assert [s["id"] for s in listed] == [created["id"]] and "secret" not in listed[0]
    assert secret == {"id": created["id"], "secret": created["secret"]}
    assert switched["active"] is False and removed.status_code == 204
    assert [g.status_code for g in gone] == [404, 404]


async def test_a_given_secret_is_used_and_the_event_types_are_listed(running: RunningApp) -> None:
    headers = await manage_token(running)
    secret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
    created = await running.client.post("/api/v1/webhooks", json={**CREATE, "secret": secret}, headers=headers)
    types = (await running.client.get("/api/v1/webhooks/event-types", headers=headers)).json()
    assert created.json()["secret"] == secret
    assert {"message.received", "conversation.handed_over", "case.opened"} <= set(types["published"])
    assert types["planned"] == []


async def test_the_delivery_log_pages_with_a_cursor_and_filters(running: RunningApp) -> None:
    async with webhook_receiver() as crm:
        headers = await manage_token(running)
        subscription = await subscribe(running, headers, crm)
        await say(running, "u-1", "m-1")
        await say(running, "u-1", "m-2")
        settled = await all_settled(running, at_least=6)

        pages, cursor = [], None
        while True:
            params: dict[str, Any] = {"limit": 4, **({"cursor": cursor} if cursor else {})}
            page = (await running.client.get("/api/v1/webhooks/deliveries", params=params, headers=headers)).json()
            pages.append(page["items"])
            if (cursor := page["next_cursor"]) is None:
                break
        one = await running.client.get(f"/api/v1/webhooks/deliveries/{settled[0].id}", headers=headers)
        filtered = await running.client.get("/api/v1/webhooks/deliveries", headers=headers,
                                            params={"status": "dead", "subscription_id": subscription["id"]})
        bad = [await running.client.get("/api/v1/webhooks/deliveries", params={"cursor": c}, headers=headers)
               for c in ("x", "²", "9" * 40)]
        missing = [await running.client.get(f"/api/v1/webhooks/deliveries/{d}", headers=headers)
                   for d in (UNKNOWN_DELIVERY, "msg_nope")]

    assert [d["id"] for page in pages for d in page] == [d.id for d in reversed(settled)]
    assert all(len(page) <= 4 for page in pages) and len(pages) >= 2
    body = one.json()
    assert body["status"] == "delivered" and body["attempts"] == 1 and body["last_status_code"] == 200
    assert body["payload"]["type"] == "customer.created" and body["log"][0]["outcome"] == "delivered"
    assert body["last_latency_ms"] is not None
    assert filtered.json() == {"items": [], "next_cursor": None}
    assert [b.status_code for b in bad] == [422, 422, 422] and [m.status_code for m in missing] == [404, 422]


async def test_replaying_an_unknown_delivery_or_a_backward_range_is_refused(running: RunningApp) -> None:
    headers = await manage_token(running)
    one = await running.client.post(f"/api/v1/webhooks/deliveries/{UNKNOWN_DELIVERY}/replay", headers=headers)
    backwards = await running.client.post("/api/v1/webhooks/deliveries/replay", headers=headers,
                                          json={"since": "2025-03-02T00:00:00Z", "until": "2025-03-01T00:00:00Z"})
    naive = await running.client.post("/api/v1/webhooks/deliveries/replay", headers=headers,
                                      json={"since": "2025-03-01T00:00:00", "until": "2025-03-02T00:00:00"})
    assert (one.status_code, backwards.status_code, naive.status_code) == (404, 422, 422)


async def test_the_openapi_schema_documents_the_webhooks_api_with_examples(running: RunningApp) -> None:
    schema = (await running.client.get("/openapi.json")).json()
    create = schema["paths"]["/api/v1/webhooks"]["post"]
    assert create["responses"]["201"]["content"]["application/json"]["schema"]["$ref"].endswith(
        "SubscriptionCreated")
    components = schema["components"]["schemas"]
    assert components["SubscriptionCreate"]["examples"][0]["events"] == ["message.received", "conversation.*"]
    assert components["DeliveryPublic"]["examples"][0]["id"].startswith("msg_")
    assert "/api/v1/webhooks/deliveries/{delivery_id}/replay" in schema["paths"]
