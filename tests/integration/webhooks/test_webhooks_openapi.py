"""The webhooks API against its own OpenAPI schema: schemathesis finds no 500s and every answer is documented.

Schemathesis drives the app in-process over ASGI with a webhooks:manage token; besides requests it makes
up, it aims valid ones at a subscription and a delivery that exist, so replay and the rest run their real
paths. A few examples per operation keep the run short.
"""

from __future__ import annotations

import asyncio
from typing import Any

import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis import Case, GenerationMode
from schemathesis.specs.openapi.checks import positive_data_acceptance

from api.app import create_app
from api.wiring import build_stores
from hub.directory import tokens
from hub.webhooks import fanout, subscriptions
from models.events import Event
from models.tokens import Scope
from tests.conftest import SettingsFactory

# "Valid data accepted" is left out: OpenAPI cannot say that an event type must be one we know.
EXCLUDED = [positive_data_acceptance]
EXAMPLES = 5


async def _seed(make_settings: SettingsFactory) -> tuple[dict[str, str], dict[str, str]]:
    stores = build_stores(make_settings())
    await stores.open()
    try:
        _, full = await tokens.issue(stores.tokens, "schemathesis", [Scope.WEBHOOKS_MANAGE], rate_per_minute=100_000)
        subscription = await subscriptions.create(stores.webhooks, "https://crm.example.ru/hooks", ["*"])
        event = Event.model_validate({"id": "customer.created:c1", "type": "customer.created", "customer_id": "c1"})
        await fanout.fan_out(event, stores.webhooks)
        await stores.webhooks.set_active(subscription.id, False)  # nothing is really sent
        [delivery] = await stores.webhooks.list_deliveries()
        return ({"authorization": f"Bearer {full}"},
                {"subscription_id": subscription.id, "delivery_id": delivery.id})
    finally:
        await stores.close()


def _fuzz(strategy: Any, headers: dict[str, str]) -> None:
    @given(case=strategy)
    @settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=list(HealthCheck), database=None)
    def call(case: Case) -> None:
        case.call_and_validate(headers=headers, excluded_checks=EXCLUDED)

    call()


def test_webhooks_api_answers_generated_requests_without_server_errors_and_as_documented(
    make_settings: SettingsFactory,
) -> None:
    headers, existing = asyncio.run(_seed(make_settings))
    schema = schemathesis.openapi.from_asgi("/openapi.json", create_app(make_settings())).include(tag="webhooks")
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) == 11
    for operation in operations:
        inputs = [*operation.path_parameters, *operation.query, *operation.body]
        for mode in GenerationMode if inputs else [GenerationMode.POSITIVE]:  # nothing to get wrong otherwise
            _fuzz(operation.as_strategy(generation_mode=mode), headers)
        names = {p.name for p in operation.path_parameters}
        if names:
            _fuzz(operation.as_strategy(path_parameters={k: v for k, v in existing.items() if k in names}), headers)
