"""The CRM API's gate: tokens (401), scopes (403), validation (422 with a reason), rate limits (429)."""

from __future__ import annotations

from typing import Any

import pytest

from hub.directory import tokens
from models.tokens import Scope
from tests.conftest import REDIS_URL, SettingsFactory
from tests.integration.crm.conftest import Crm


def error(response: Any) -> tuple[int, str, str]:
    """Status, error code and reason of an error answer."""
    body = response.json()["error"]
    return response.status_code, body["code"], body["reason"]


async def test_requests_without_a_live_token_get_401_with_the_reason(crm: Crm) -> None:
    revoked_headers = await crm.token(Scope.CUSTOMERS_READ, name="old")
    [revoked] = [t for t in await crm.running.hub.stores.tokens.list() if t.name == "old"]
    await tokens.revoke(crm.running.hub.stores.tokens, revoked.id)
    cases = {
        "missing bearer token": {},
        "missing bearer token ": {"authorization": "Basic dXNlcjpwYXNz"},
        "malformed API token": {"authorization": "Bearer not-a-token"},
        "unknown API token": {"authorization": "Bearer otk_abcdef123456_secret"},
        "revoked API token": revoked_headers,
    }
    for reason, headers in cases.items():
        response = await crm.client.get("/api/v1/customers", params={"phone": "+79161234567"}, headers=headers)
        assert error(response) == (401, "unauthorized", reason.strip())


async def test_a_token_without_the_routes_scope_gets_403_and_changes_nothing(crm: Crm) -> None:
    customer = await crm.inbound("u-1", "m-1")
    reader = await crm.token(Scope.CUSTOMERS_READ, Scope.CONVERSATIONS_READ)
    sent = await crm.client.post(f"/api/v1/customers/{customer.id}/messages", headers=reader,
                                 json={"text": "Промокод SPRING500", "idempotency_key": "p-1"})
    patched = await crm.client.patch(f"/api/v1/customers/{customer.id}", headers=reader,
                                     json={"attributes": {"vip": True}})
    read = await crm.client.get(f"/api/v1/customers/{customer.id}", headers=reader)

    assert error(sent) == (403, "forbidden", "token 'crm' lacks scope messages:send")
    assert error(patched)[:2] == (403, "forbidden")
    assert read.status_code == 200 and read.json()["attributes"] == {}


async def test_invalid_requests_get_422_naming_what_is_wrong(crm: Crm) -> None:
    customer = await crm.inbound("u-1", "m-1")
    attributes = await crm.client.patch(f"/api/v1/customers/{customer.id}", headers=crm.headers,
                                        json={"attributes": {"a.b": 1}})
    channel = await crm.client.patch(f"/api/v1/customers/{customer.id}", headers=crm.headers,
                                     json={"attributes": {"preferred_channel": "pigeon"}})
    phone = await crm.client.get("/api/v1/customers", params={"phone": "call me"}, headers=crm.headers)
    two = await crm.client.get("/api/v1/customers", params={"phone": "+79161234567", "telegram": "1"},
                               headers=crm.headers)
    cursor = await crm.client.get("/api/v1/conversations", params={"cursor": "bm90IGEgY3Vyc29y"}, headers=crm.headers)
    limit = await crm.client.get("/api/v1/conversations", params={"limit": 0}, headers=crm.headers)
    blank = await crm.client.post(f"/api/v1/customers/{customer.id}/messages", headers=crm.headers,
                                  json={"text": "   ", "idempotency_key": "k-1"})

    assert error(attributes)[:2] == (422, "invalid_payload") and "'a.b'" in error(attributes)[2]
    assert "preferred_channel must be one of" in error(channel)[2]
    assert error(phone) == (422, "invalid_payload", "phone: Value error, not a phone number: 'call me'")
    assert "exactly one" in error(two)[2]
    assert error(cursor) == (422, "invalid_payload", "cursor: not a cursor this API returned")
    assert error(limit)[0] == 422 and error(limit)[2].startswith("query.limit")
    assert error(blank)[0] == 422 and error(blank)[2].startswith("body.text")


async def test_a_token_over_its_rate_gets_429_with_retry_after_and_others_are_unaffected(crm: Crm) -> None:
    slow = await crm.token(Scope.CUSTOMERS_READ, rate=3)
    answers = [await crm.client.get("/api/v1/customers", params={"phone": "+79161234567"}, headers=slow)
               for _ in range(4)]
    other = await crm.client.get("/api/v1/customers", params={"phone": "+79161234567"}, headers=crm.headers)

    assert [a.status_code for a in answers] == [404, 404, 404, 429]
    status, code, reason = error(answers[3])
    assert (status, code) == (429, "rate_limited") and "3 requests a minute" in reason
    assert 1 <= int(answers[3].headers["retry-after"]) <= 20  # a slot frees every 60/3 seconds
    assert other.status_code == 404


@pytest.mark.redis
async def test_api_processes_on_redis_share_a_tokens_rate_limit(
    make_settings: SettingsFactory, start_app: Any
) -> None:
    settings = make_settings(bus="redis", redis_url=REDIS_URL)  # one store file and one Redis prefix for both
    async with start_app(settings) as first, start_app(settings) as second:
        _, full = await tokens.issue(first.hub.stores.tokens, "crm", [Scope.CUSTOMERS_READ], rate_per_minute=3)
        headers = {"authorization": f"Bearer {full}"}
        statuses = []
        for running in (first, second, first, second):
            response = await running.client.get("/api/v1/customers", params={"email": "a@b.ru"}, headers=headers)
            statuses.append(response.status_code)

    assert statuses == [404, 404, 404, 429]
