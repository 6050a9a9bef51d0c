"""Issue 16, low severity: `/api/v1/webhooks*` had no rate limit, unlike the rest of the CRM API. A token over
its `rate_per_minute` now gets 429 with Retry-After there too, shared through Redis on the Redis bus."""

from __future__ import annotations

from typing import Any

import pytest

from hub.directory import tokens
from models.tokens import Scope
from tests.conftest import REDIS_URL, SettingsFactory


@pytest.mark.parametrize("bus", ["memory", pytest.param("redis", marks=pytest.mark.redis)])
async def test_a_webhooks_token_over_its_rate_gets_429(make_settings: SettingsFactory, start_app: Any,
                                                      bus: str) -> None:
    settings = make_settings(bus=bus, redis_url=REDIS_URL, embedded_worker=True)
    async with start_app(settings) as first, start_app(settings) as second:
        _, full = await tokens.issue(first.hub.stores.tokens, "crm", [Scope.WEBHOOKS_MANAGE], rate_per_minute=3)
        headers = {"authorization": f"Bearer {full}"}
        # On the Redis bus two API processes share the count; in memory each process counts its own.
        apps = [first, second, first, second] if bus == "redis" else [first] * 4
        answers = [await app.client.get("/api/v1/webhooks", headers=headers) for app in apps]

    assert [a.status_code for a in answers] == [200, 200, 200, 429]
    assert answers[3].json()["error"]["code"] == "rate_limited"
    assert 1 <= int(answers[3].headers["retry-after"]) <= 20
