"""Issue 16, low severity: `/metrics` was public on the API's port. It now needs a token with scope
metrics:read there; Prometheus without a token scrapes OTKLIK_METRICS_PORT (or a worker's health port)."""

from __future__ import annotations

from typing import Any

import httpx
from prometheus_client.parser import text_string_to_metric_families

from hub.directory import tokens
from models.tokens import Scope
from tests.conftest import SettingsFactory
from tests.fakes.http_receiver import free_port
from tests.integration.helpers import eventually


async def test_metrics_on_the_api_port_need_a_metrics_token(make_settings: SettingsFactory, start_app: Any) -> None:
    async with start_app(make_settings()) as running:
        _, reader = await tokens.issue(running.hub.stores.tokens, "prometheus", [Scope.METRICS_READ])
        _, other = await tokens.issue(running.hub.stores.tokens, "crm", [Scope.CUSTOMERS_READ])
        anonymous = await running.client.get("/metrics")
        wrong = await running.client.get("/metrics", headers={"authorization": f"Bearer {other}"})
        allowed = await running.client.get("/metrics", headers={"authorization": f"Bearer {reader}"})
        probe = await running.client.get("/healthz")

    assert (anonymous.status_code, wrong.status_code, allowed.status_code) == (401, 403, 200)
    assert "otklik_" not in anonymous.text and "otklik_" not in wrong.text
    assert any(f.name.startswith("otklik_") for f in text_string_to_metric_families(allowed.text))
    assert probe.status_code == 200  # the orchestrator's probes stay open


async def test_the_metrics_port_serves_prometheus_without_a_token(make_settings: SettingsFactory,
                                                                  start_app: Any) -> None:
    port = free_port()
    async with start_app(make_settings(metrics_port=port)), httpx.AsyncClient() as client:
        async def scrape() -> httpx.Response | None:
            try:
                return await client.get(f"http://127.0.0.1:{port}/metrics")
            except httpx.ConnectError:
                return None  # not listening yet

        scraped = await eventually(scrape, lambda r: r is not None)
        assert scraped is not None
        other = await client.get(f"http://127.0.0.1:{port}/api/v1/webhooks")

    assert scraped.status_code == 200
    assert any(f.name.startswith("otklik_") for f in text_string_to_metric_families(scraped.text))
    assert other.status_code == 404  # the metrics port serves nothing else
